#!/usr/bin/env python3
"""Scripted OpenAI Responses API server for driving the real Codex CLI in tests.

Python 3 standard library only (runs on the host and in a Debian python3 3.11
container).  See README.md in this directory for the script format, the
endpoints and the Codex configuration that selects this server.

Responses are stateless: Codex resends the whole conversation on every
request, so the server decides what to answer purely from the request's
`input` (which turn we are in = how many real user prompts it contains; which
step = how many of our tool calls already follow the last prompt).  Nothing is
remembered between requests except the log, so several Codex processes may
share one server as long as they want the same script.
"""

import argparse
import gzip
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 64 * 1024 * 1024          # Codex bodies are ~30-200 KB; refuse silly ones
SHELL_TOOLS = ("exec_command", "shell_command", "shell", "local_shell")
TITLE_TEXT = '{"title":"Mock task"}'
DONE_TEXT = "DONE"

# User messages Codex injects itself (context, instructions); they are not the
# user's prompts and must not count as turns.
INJECTED_USER_PREFIXES = (
    "<environment_context>", "<user_instructions>", "<permissions",
    "<skills", "<user_shell_command>", "<turn_aborted>", "<subagent",
    "# AGENTS.md instructions", "<INSTRUCTIONS>", "<collaboration_mode>",
    "<personality", "<apps_instructions>", "<plugins_instructions>",
    "<model_switch>", "<realtime_conversation>", "<goal",
)


# --------------------------------------------------------------------------
# Script handling


class ScriptError(ValueError):
    pass


def load_script(doc):
    """Validate a script document and return (turns, options).

    A script is either a list of turns or {"turns": [...], "title": "...",
    "done": "..."}.  A turn is a list of steps; a bare step object or string
    is accepted as a one-step turn ("text" = {"say": "text"}).
    """
    opts = {}
    if isinstance(doc, dict):
        opts = {k: v for k, v in doc.items() if k != "turns"}
        doc = doc.get("turns", [])
    if not isinstance(doc, list):
        raise ScriptError("script must be a list of turns or {\"turns\": [...]}")
    turns = []
    for ti, turn in enumerate(doc):
        if isinstance(turn, (dict, str)):
            turn = [turn]
        if not isinstance(turn, list):
            raise ScriptError("turn %d: must be a list of steps" % ti)
        steps = []
        for si, step in enumerate(turn):
            if isinstance(step, str):
                step = {"say": step}
            if not isinstance(step, dict):
                raise ScriptError("turn %d step %d: must be an object" % (ti, si))
            kinds = [k for k in ("call", "say", "expect_output_contains", "error")
                     if k in step]
            if not kinds:
                raise ScriptError("turn %d step %d: needs call, say, error or "
                                  "expect_output_contains" % (ti, si))
            if "call" in step and "say" in step:
                raise ScriptError("turn %d step %d: call and say are exclusive" % (ti, si))
            if kinds == ["expect_output_contains"]:
                # A bare expectation applies to the previous call.
                if not steps or "call" not in steps[-1]:
                    raise ScriptError("turn %d step %d: expect_output_contains must "
                                      "follow a call" % (ti, si))
                prev = steps[-1]
                prev.setdefault("_expects", []).append(step["expect_output_contains"])
                continue
            step = dict(step)
            if "expect_output_contains" in step:
                step["_expects"] = [step.pop("expect_output_contains")]
            if "call" in step and not isinstance(step.get("args", {}), (dict, str)):
                raise ScriptError("turn %d step %d: args must be an object" % (ti, si))
            steps.append(step)
        turns.append(steps)
    return turns, opts


class Script:
    """The loaded script, swappable at run time (POST /_script)."""

    def __init__(self, doc=None):
        self.lock = threading.Lock()
        self.turns, self.opts = load_script(doc if doc is not None else [])

    def replace(self, doc):
        turns, opts = load_script(doc)
        with self.lock:
            self.turns, self.opts = turns, opts

    def get(self):
        with self.lock:
            return self.turns, self.opts


# --------------------------------------------------------------------------
# Reading the request


def message_text(item):
    content = item.get("content")
    if isinstance(content, str):
        return content
    parts = []
    if isinstance(content, list):
        for c in content:
            if isinstance(c, dict) and isinstance(c.get("text"), str):
                parts.append(c["text"])
    return "".join(parts)


def is_user_prompt(item):
    if item.get("type", "message") != "message" or item.get("role") != "user":
        return False
    text = message_text(item).lstrip()
    return not text.startswith(INJECTED_USER_PREFIXES)


def locate(items):
    """Return (turn, step, last_prompt_index) for a request's `input`.

    turn = number of user prompts - 1; step = number of our function calls
    after the last prompt (each call step was answered by one response).
    """
    prompts = [i for i, it in enumerate(items) if isinstance(it, dict) and is_user_prompt(it)]
    if not prompts:
        return 0, 0, -1
    last = prompts[-1]
    calls = sum(1 for it in items[last + 1:]
                if isinstance(it, dict) and it.get("type") in
                ("function_call", "custom_tool_call", "local_shell_call"))
    return len(prompts) - 1, calls, last


def header_json(headers, name):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def is_title_request(headers, body):
    meta = header_json(headers, "x-codex-turn-metadata")
    if isinstance(meta, dict) and meta.get("thread_source") == "thread_title":
        return True
    fmt = ((body.get("text") or {}).get("format") or {})
    if fmt.get("type") == "json_schema":
        props = ((fmt.get("schema") or {}).get("properties") or {})
        if set(props) == {"title"}:
            return True
    return False


def offered_tools(body):
    """{tool name: tool type} for the tools the request offers."""
    tools = {}
    for t in body.get("tools") or []:
        if isinstance(t, dict):
            if t.get("name"):
                tools[t["name"]] = t.get("type", "function")
            elif t.get("type"):
                tools[t["type"]] = t["type"]        # local_shell, web_search, ...
    return tools


def shell_call(step, tools):
    """Map a script call onto the shell tool the request actually offers.

    Returns (tool_name, arguments_dict).  Scripts may name any of the shell
    tools and give the command as args.cmd / args.command (string or argv).
    """
    name = step["call"]
    args = step.get("args", {})
    if name not in SHELL_TOOLS:
        return name, args                # not a shell tool: pass through verbatim
    if isinstance(args, str):
        args = {"cmd": args}
    cmd = args.get("cmd", args.get("command"))
    if isinstance(cmd, list):
        cmd = " ".join(shlex_quote(a) for a in cmd)
    extra = {k: v for k, v in args.items() if k not in ("cmd", "command")}
    if "exec_command" in tools:
        out = {"cmd": cmd}
        out.update({k: v for k, v in extra.items()
                    if k in ("workdir", "yield_time_ms", "max_output_tokens",
                             "login", "tty", "shell", "justification",
                             "sandbox_permissions", "prefix_rule")})
        return "exec_command", out
    if "shell_command" in tools:
        out = {"command": cmd}
        if "workdir" in extra:
            out["workdir"] = extra["workdir"]
        if "timeout_ms" in extra:
            out["timeout_ms"] = extra["timeout_ms"]
        return "shell_command", out
    if "shell" in tools:
        out = {"command": ["bash", "-lc", cmd]}
        if "workdir" in extra:
            out["workdir"] = extra["workdir"]
        if "timeout_ms" in extra:
            out["timeout_ms"] = extra["timeout_ms"]
        return "shell", out
    # Nothing offered: use the name the script gave, adapted to its schema.
    if name == "exec_command":
        return name, dict(extra, cmd=cmd)
    if name == "shell":
        return name, dict(extra, command=["bash", "-lc", cmd])
    return name, dict(extra, command=cmd)


def shlex_quote(s):
    if s and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", s):
        return s
    return "'" + s.replace("'", "'\"'\"'") + "'"


def output_text(out):
    """function_call_output.output is a string or a list of content items."""
    if isinstance(out, str):
        return out
    if isinstance(out, list):
        return "".join(c.get("text", "") for c in out if isinstance(c, dict))
    if isinstance(out, dict):
        return out.get("content") if isinstance(out.get("content"), str) else json.dumps(out)
    return "" if out is None else str(out)


# --------------------------------------------------------------------------
# SSE


def new_id(prefix):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:24])


def sse(event, data):
    data = dict(data, type=event)
    return ("event: %s\ndata: %s\n\n" % (event, json.dumps(data, separators=(",", ":")))).encode()


def usage_for(body, out_text):
    n_in = max(1, len(json.dumps(body.get("input", ""))) // 4)
    n_out = max(1, len(out_text) // 4)
    return {
        "input_tokens": n_in,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": n_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": n_in + n_out,
    }


def build_stream(model, body, item, mode="full"):
    """The event sequence for one response whose output is `item`."""
    resp_id = new_id("resp")
    created = int(time.time())
    base = {"id": resp_id, "object": "response", "created_at": created,
            "model": model, "status": "in_progress", "output": []}
    done_item = dict(item, status="completed")
    text = item.get("arguments") or item.get("input") or "".join(
        c.get("text", "") for c in item.get("content", []))
    final = dict(base, status="completed", output=[done_item],
                 usage=usage_for(body, text))
    ev = []
    seq = iter(range(1 << 30))
    if mode == "minimal":
        return [sse("response.output_item.done", {"output_index": 0, "item": done_item}),
                sse("response.completed", {"response": final})]
    ev.append(sse("response.created", {"sequence_number": next(seq), "response": base}))
    ev.append(sse("response.in_progress", {"sequence_number": next(seq), "response": base}))
    if item["type"] == "message":
        added = dict(item, status="in_progress", content=[])
        ev.append(sse("response.output_item.added",
                      {"sequence_number": next(seq), "output_index": 0, "item": added}))
        part = {"type": "output_text", "text": "", "annotations": []}
        loc = {"item_id": item["id"], "output_index": 0, "content_index": 0}
        ev.append(sse("response.content_part.added",
                      dict(loc, sequence_number=next(seq), part=part)))
        full = item["content"][0]["text"]
        for chunk in [full[i:i + 64] for i in range(0, len(full), 64)] or [""]:
            ev.append(sse("response.output_text.delta",
                          dict(loc, sequence_number=next(seq), delta=chunk)))
        ev.append(sse("response.output_text.done",
                      dict(loc, sequence_number=next(seq), text=full)))
        ev.append(sse("response.content_part.done",
                      dict(loc, sequence_number=next(seq), part=dict(part, text=full))))
    elif item["type"] == "custom_tool_call":
        added = dict(item, status="in_progress", input="")
        ev.append(sse("response.output_item.added",
                      {"sequence_number": next(seq), "output_index": 0, "item": added}))
        loc = {"item_id": item["id"], "output_index": 0}
        ev.append(sse("response.custom_tool_call_input.delta",
                      dict(loc, sequence_number=next(seq), delta=item["input"])))
        ev.append(sse("response.custom_tool_call_input.done",
                      dict(loc, sequence_number=next(seq), input=item["input"])))
    else:
        added = dict(item, status="in_progress", arguments="")
        ev.append(sse("response.output_item.added",
                      {"sequence_number": next(seq), "output_index": 0, "item": added}))
        loc = {"item_id": item["id"], "output_index": 0}
        ev.append(sse("response.function_call_arguments.delta",
                      dict(loc, sequence_number=next(seq), delta=item["arguments"])))
        ev.append(sse("response.function_call_arguments.done",
                      dict(loc, sequence_number=next(seq), arguments=item["arguments"])))
    ev.append(sse("response.output_item.done",
                  {"sequence_number": next(seq), "output_index": 0, "item": done_item}))
    if mode != "no_completed":
        ev.append(sse("response.completed", {"sequence_number": next(seq), "response": final}))
    return ev


def message_item(text):
    return {"id": new_id("msg"), "type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def call_item(name, args, call_id, custom=False):
    if custom:
        # Freeform tools (apply_patch in the gpt-5.5-derived catalog) take raw text.
        text = args if isinstance(args, str) else args.get("input", "")
        return {"id": new_id("ctc"), "type": "custom_tool_call", "call_id": call_id,
                "name": name, "input": text}
    return {"id": new_id("fc"), "type": "function_call", "call_id": call_id,
            "name": name, "arguments": json.dumps(args)}


# --------------------------------------------------------------------------
# Log


class Log:
    """Every event goes to memory (GET /_log) and, if asked, a JSONL file."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.entries = []
        self.seen = set()                 # (session, call_id) already recorded
        self.fh = open(path, "a", encoding="utf-8") if path else None

    def add(self, entry):
        entry = dict(entry, ts=round(time.time(), 6))
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            self.entries.append(entry)
            if self.fh:
                self.fh.write(line + "\n")
                self.fh.flush()

    def first_time(self, key):
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            return True

    def snapshot(self, event=None):
        with self.lock:
            return [e for e in self.entries if event is None or e.get("event") == event]

    def clear(self):
        with self.lock:
            self.entries = []
            self.seen = set()


# --------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "codex-mock/1"

    # quiet: the JSONL log is the record
    def log_message(self, fmt, *args):
        if self.server.cfg.verbose:
            sys.stderr.write("mock: %s - %s\n" % (self.address_string(), fmt % args))

    # -- helpers ----------------------------------------------------------

    def send_json(self, code, obj, extra_headers=()):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error_json(self, code, message, etype="invalid_request_error", ecode=None):
        self.send_json(code, {"error": {"message": message, "type": etype,
                                        "param": None, "code": ecode}})

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            raw = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
                if len(raw) > MAX_BODY:
                    raise ValueError("body too large")
        else:
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                raise ValueError("body too large")
            raw = self.rfile.read(n) if n else b""
        enc = (self.headers.get("Content-Encoding") or "identity").lower()
        if enc == "gzip":
            raw = gzip.decompress(raw)
        elif enc == "deflate":
            raw = zlib.decompress(raw)
        elif enc not in ("identity", ""):
            raise ValueError("unsupported Content-Encoding %r (stdlib server)" % enc)
        return bytes(raw)

    def authorized(self):
        token = self.server.cfg.auth_token
        if not token:
            return True
        return self.headers.get("Authorization", "") == "Bearer " + token

    def log_request_entry(self, body, raw_len):
        self.server.log.add({
            "event": "request", "method": self.command, "path": self.path,
            "client": self.client_address[0],
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_bytes": raw_len, "body": body,
        })

    # -- routes -----------------------------------------------------------

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        if path == "/_health":
            return self.send_json(200, {"ok": True, "port": self.server.server_address[1]})
        if path == "/_log":
            ev = parse_qs(url.query).get("event", [None])[0]
            return self.send_json(200, self.server.log.snapshot(ev))
        if path == "/_script":
            turns, opts = self.server.script.get()
            return self.send_json(200, {"turns": turns, **opts})
        self.log_request_entry(None, 0)
        if path.rstrip("/").endswith("/models") and self.server.cfg.models:
            if not self.authorized():
                return self.send_error_json(401, "Incorrect API key provided (mock).",
                                            ecode="invalid_api_key")
            return self.send_json(200, models_doc(self.server.cfg))
        if path.rstrip("/").endswith("/responses"):
            # Websocket upgrade attempts (built-in openai provider): refuse fast.
            return self.send_error_json(426, "mock speaks HTTP+SSE only")
        self.send_error_json(404, "no route for GET %s" % path)

    def do_DELETE(self):
        if urlsplit(self.path).path == "/_log":
            self.server.log.clear()
            return self.send_json(200, {"ok": True})
        self.send_error_json(404, "no route")

    def do_POST(self):
        path = urlsplit(self.path).path
        try:
            raw = self.read_body()
        except (ValueError, OSError, EOFError, zlib.error) as e:
            self.log_request_entry({"_error": str(e)}, 0)
            return self.send_error_json(400, "cannot read body: %s" % e)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as e:
            self.log_request_entry({"_raw": raw[:4096].decode("utf-8", "replace")}, len(raw))
            return self.send_error_json(400, "body is not JSON: %s" % e)

        if path == "/_script":
            try:
                self.server.script.replace(body)
            except ScriptError as e:
                return self.send_error_json(400, str(e))
            if "keep_log" not in urlsplit(self.path).query:
                self.server.log.clear()
            return self.send_json(200, {"ok": True})
        if path == "/_reset":
            self.server.log.clear()
            return self.send_json(200, {"ok": True})

        self.log_request_entry(body, len(raw))
        if not path.rstrip("/").endswith("/responses"):
            return self.send_error_json(404, "no route for POST %s" % path)
        if not self.authorized():
            self.server.log.add({"event": "auth_rejected", "path": path,
                                 "authorization": self.headers.get("Authorization")})
            return self.send_error_json(401, "Incorrect API key provided (mock).",
                                        ecode="invalid_api_key")
        if not isinstance(body, dict):
            return self.send_error_json(400, "body must be a JSON object")
        self.answer_responses(body)

    # -- the model --------------------------------------------------------

    def answer_responses(self, body):
        log = self.server.log
        turns, opts = self.server.script.get()
        items = body.get("input") if isinstance(body.get("input"), list) else []
        session = (self.headers.get("session-id") or self.headers.get("thread-id")
                   or body.get("prompt_cache_key") or "-")
        model = body.get("model") or "mock-model"
        tools = offered_tools(body)

        if is_title_request(self.headers, body):
            log.add({"event": "response", "kind": "title", "session": session})
            return self.stream(model, body, message_item(opts.get("title_json") or
                               json.dumps({"title": opts.get("title", "Mock task")},
                                          separators=(",", ":"))), {})

        turn, step, last = locate(items)
        self.record_tool_outputs(items, turns, session)

        steps = turns[turn] if turn < len(turns) else None
        if steps is None:
            kind, st = "done", {"say": opts.get("done", DONE_TEXT)}
        elif step < len(steps):
            st = steps[step]
            kind = "call" if "call" in st else ("error" if "error" in st else "say")
        else:
            # The turn's steps ran out without a say: finish the turn.
            kind, st = "done", {"say": opts.get("done", DONE_TEXT)}

        entry = {"event": "response", "kind": kind, "turn": turn, "step": step,
                 "session": session, "tools": tools}
        if kind == "error":
            err = st["error"] if isinstance(st["error"], dict) else {"status": st["error"]}
            entry["error"] = err
            log.add(entry)
            if err.get("delay_ms"):
                time.sleep(err["delay_ms"] / 1000.0)
            return self.send_error_json(int(err.get("status", 500)),
                                        err.get("message", "mock error"),
                                        etype=err.get("type", "server_error"))
        if kind == "call":
            name, args = shell_call(st, tools)
            call_id = "call_mock_t%d_s%d" % (turn, step)
            entry.update(name=name, arguments=args, call_id=call_id)
            log.add(entry)
            custom = tools.get(name) == "custom"
            return self.stream(model, body, call_item(name, args, call_id, custom), st)
        entry["text"] = st["say"]
        log.add(entry)
        self.stream(model, body, message_item(st["say"]), st)

    def record_tool_outputs(self, items, turns, session):
        """Log each function_call_output once per session, and check expectations."""
        log = self.server.log
        names = {}
        for it in items:
            if not isinstance(it, dict):
                continue
            if it.get("type") in ("function_call", "custom_tool_call"):
                names[it.get("call_id")] = it.get("name")
            if it.get("type") not in ("function_call_output", "custom_tool_call_output"):
                continue
            call_id = it.get("call_id")
            if not log.first_time((session, call_id)):
                continue
            out = output_text(it.get("output"))
            ev = {"event": "tool_output", "session": session, "call_id": call_id,
                  "name": names.get(call_id), "output": out}
            m = re.fullmatch(r"call_mock_t(\d+)_s(\d+)", call_id or "")
            if m:
                t, s = int(m.group(1)), int(m.group(2))
                ev.update(turn=t, step=s)
                code = re.search(r"(?:Process exited with code|Exit code:) (-?\d+)", out)
                if code:
                    ev["exit_code"] = int(code.group(1))
                mm = re.search(r"\nOutput:\n(.*)\Z", out, re.S)
                if mm:
                    ev["stdout"] = mm.group(1)
            log.add(ev)
            if m and t < len(turns) and s < len(turns[t]):
                for want in turns[t][s].get("_expects", []):
                    log.add({"event": "expect", "session": session, "call_id": call_id,
                             "turn": t, "step": s, "expect_output_contains": want,
                             "pass": want in out})

    def stream(self, model, body, item, step):
        mode = step.get("sse", self.server.cfg.sse_mode)
        delay = float(step.get("delay_ms", 0)) / 1000.0
        events = build_stream(model, body, item, mode)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", new_id("req"))
        self.end_headers()
        try:
            for i, ev in enumerate(events):
                if delay and i:
                    time.sleep(delay)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.server.log.add({"event": "client_gone", "model": model})
            self.close_connection = True


def models_doc(cfg):
    return {"object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": "mock"}
                     for m in cfg.model_ids]}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            # "::" serves IPv4 too, so a name resolving to either family works.
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="0.0.0.0",
                    help="address to bind (default 0.0.0.0; '::' = dual stack)")
    ap.add_argument("--port", type=int, default=8080, help="port (0 = ephemeral)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--script", help="JSON script file (see README.md)")
    ap.add_argument("--log", help="append JSONL log of requests and events here")
    ap.add_argument("--auth-token", help="require 'Authorization: Bearer TOKEN'")
    ap.add_argument("--models", action="store_true", help="answer GET .../models")
    ap.add_argument("--model-id", action="append", dest="model_ids",
                    help="model id listed by --models (repeatable; default mock-model)")
    ap.add_argument("--sse-mode", choices=("full", "minimal", "no_completed"),
                    default="full", help="SSE event sequence (default full)")
    ap.add_argument("-v", "--verbose", action="store_true", help="access log on stderr")
    cfg = ap.parse_args(argv)
    cfg.model_ids = cfg.model_ids or ["mock-model"]

    doc = []
    if cfg.script:
        with open(cfg.script, encoding="utf-8") as f:
            doc = json.load(f)
    try:
        script = Script(doc)
    except ScriptError as e:
        ap.error("--script: %s" % e)

    Server.address_family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
    httpd = Server((cfg.host, cfg.port), Handler)
    httpd.cfg, httpd.script, httpd.log = cfg, script, Log(cfg.log)
    port = httpd.server_address[1]
    if cfg.port_file:
        tmp = cfg.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, cfg.port_file)   # readers never see a half-written file
    sys.stderr.write("mock: listening on %s:%d\n" % (cfg.host, port))
    sys.stderr.flush()

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
