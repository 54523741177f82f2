#!/usr/bin/env python3
"""An engine stand-in with Docker Engine 29's API version policy.

A proxy on a Unix socket in front of the real engine of this machine
(Engine 20.10, API 1.41).  It behaves, at the API, like Engine 29:

- /_ping and /version advertise API 1.52 as the newest and 1.44 as the
  oldest version (ApiVersion, MinAPIVersion, the API-Version header);
- a path below /v1.44 gets the engine's own answer: HTTP 400,
  {"message":"client version 1.41 is too old. Minimum supported API version
  is 1.44, please upgrade your client to a newer version"}; above /v1.52 the
  "too new" answer;
- every other request goes to the real engine with the version prefix
  rewritten to the real engine's (1.41), streaming both ways, hijacked
  attach/exec streams included;
- HostConfig.ConsoleSize (API >= 1.42) is honoured as Engine 23+ does: the
  real engine ignores it, so the stand-in sizes the TTY right after start
  (Engine 29 does it just before; the sandbox's init waits for a size).

For the rootless tests it can also claim SecurityOptions in /info
(--security-options JSON) and listen as another uid (--owner-uid), which is
what SO_PEERCRED shows a client of a rootless engine: the engine's owner.

Every request line is appended to --log as "METHOD TARGET" (the target as
the client sent it), so a test can check which versions a client used; a
create adds "create User=U:G" and, when it carried ConsoleSize,
"console-size ROWS COLS".
"""
import argparse
import json
import os
import re
import socket
import socketserver
import sys
import threading
import time

HEAD_MAX = 65536
BODY_MAX = 8 << 20
VERSIONED = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")

args = None
log_lock = threading.Lock()
console = {}            # container id -> (rows, cols), from creates with ConsoleSize
console_lock = threading.Lock()


def log(line):
    with log_lock, open(args.log, "a") as f:
        f.write(line + "\n")


def vtuple(text):
    a, b = text.split(".")
    return int(a), int(b)


def read_head(sock, first=b""):
    """Bytes up to the blank line that ends an HTTP head, and what followed."""
    data = first
    while b"\r\n\r\n" not in data:
        if len(data) > HEAD_MAX:
            raise ValueError("head too large")
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def headers_of(lines):
    h = {}
    for line in lines:
        if ":" in line:
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
    return h


def respond(sock, status, reason, body, ctype="application/json", extra=()):
    head = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + ctype,
            "Content-Length: %d" % len(body), "Api-Version: " + args.max,
            "Docker-Experimental: false", "Ostype: linux",
            "Server: Docker/%s (linux)" % args.engine_version, "Connection: close"]
    head.extend(extra)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def refuse(sock, message):
    respond(sock, 400, "Bad Request", json.dumps({"message": message}, separators=(",", ":")).encode() + b"\n")


def upstream_conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(args.upstream)
    return s


def dechunk(body):
    out, i = b"", 0
    while True:
        j = body.index(b"\r\n", i)
        n = int(body[i:j].split(b";")[0], 16)
        if n == 0:
            return out
        out += body[j + 2:j + 2 + n]
        i = j + 2 + n + 2


def upstream_call(method, path, body=b"", ctype=None):
    """One buffered request to the real engine: (status, reason, body)."""
    s = upstream_conn()
    try:
        head = ["%s %s HTTP/1.1" % (method, path), "Host: docker", "Connection: close",
                "Content-Length: %d" % len(body)]
        if ctype:
            head.append("Content-Type: " + ctype)
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > BODY_MAX:
                raise ValueError("answer too large")
    finally:
        s.close()
    rhead, rbody = data.split(b"\r\n\r\n", 1)
    lines = rhead.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    h = headers_of(lines[1:])
    if h.get("transfer-encoding", "").lower() == "chunked":
        rbody = dechunk(rbody)
    return int(parts[1]), parts[2] if len(parts) > 2 else "", rbody


def pump(src, dst, done):
    """Copy until EOF, then half-close DST's writing side."""
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    done.set()


def relay(client, method, up_path, lines, rest, upgrade):
    """Stream the request to the real engine and its answer back."""
    up = upstream_conn()
    head = ["%s %s %s" % (method, up_path, lines[0].split(" ")[2])]
    for line in lines[1:]:
        if not upgrade and line.lower().startswith("connection:"):
            continue
        head.append(line)
    if not upgrade:
        head.append("Connection: close")     # one request per connection
    up.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + rest)
    up_done, down_done = threading.Event(), threading.Event()
    if not upgrade:
        # A body (a build context) may have to flow before any answer.
        threading.Thread(target=pump, args=(client, up, up_done), daemon=True).start()
    # The answer's head: keep-alive off unless the stream was upgraded.
    rhead, rrest = read_head(up)
    rlines = rhead.split("\r\n")
    status = int(rlines[0].split(" ")[1])
    out = [rlines[0]]
    for line in rlines[1:]:
        if status != 101 and line.lower().startswith("connection:"):
            continue
        out.append(line)
    if status != 101:
        out.append("Connection: close")
    client.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rrest)
    if upgrade:
        threading.Thread(target=pump, args=(client, up, up_done), daemon=True).start()
    pump(up, client, down_done)
    # The engine has finished answering; the client's side may still be
    # open (attach without stdin), which closing ends.
    up_done.wait(2)
    up.close()


def read_body(sock, h, rest):
    n = int(h.get("content-length", "0"))
    if n > BODY_MAX:
        raise ValueError("body too large")
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        rest += chunk
    return rest[:n]


def size_console(cid):
    with console_lock:
        size = console.pop(cid, None)
    if not size:
        return
    for _ in range(50):
        st, _, _ = upstream_call("POST", "/v%s/containers/%s/resize?h=%d&w=%d"
                                 % (args.upstream_version, cid, size[0], size[1]))
        if st == 200:
            return
        time.sleep(0.02)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.serve(self.request)
        except (EOFError, OSError, ValueError):
            pass

    def serve(self, client):
        head, rest = read_head(client)
        lines = head.split("\r\n")
        method, target = lines[0].split(" ")[0:2]
        h = headers_of(lines[1:])
        log("%s %s" % (method, target))
        m = VERSIONED.match(target)
        rel = target
        if m:
            v = "%s.%s" % (m.group(1), m.group(2))
            if vtuple(v) < vtuple(args.min):
                return refuse(client, "client version %s is too old. Minimum supported API version "
                              "is %s, please upgrade your client to a newer version" % (v, args.min))
            if vtuple(v) > vtuple(args.max):
                return refuse(client, "client version %s is too new. Maximum supported API version "
                              "is %s" % (v, args.max))
            rel = m.group(3)
        up_path = "/v%s%s" % (args.upstream_version, rel)
        route = rel.split("?")[0]
        if route == "/_ping" and method in ("GET", "HEAD"):
            return respond(client, 200, "OK", b"OK" if method == "GET" else b"", "text/plain; charset=utf-8",
                           ["Builder-Version: 1", "Cache-Control: no-cache, no-store, must-revalidate"])
        if route in ("/version", "/info") and method == "GET":
            st, reason, body = upstream_call("GET", up_path)
            if st == 200:
                j = json.loads(body)
                if route == "/version":
                    j["ApiVersion"], j["MinAPIVersion"] = args.max, args.min
                    j["Version"] = args.engine_version
                elif args.security_options is not None:
                    j["SecurityOptions"] = json.loads(args.security_options)
                body = json.dumps(j).encode() + b"\n"
            return respond(client, st, reason, body)
        if route == "/containers/create" and method == "POST":
            req = read_body(client, h, rest)
            size = None
            try:
                log("create User=%s" % json.loads(req).get("User"))
                cs = (json.loads(req).get("HostConfig") or {}).get("ConsoleSize")
                if cs and len(cs) == 2 and cs[0] and cs[1] and vtuple(v if m else args.max) >= (1, 42):
                    size = (int(cs[0]), int(cs[1]))
                    log("console-size %d %d" % size)
            except (ValueError, AttributeError, TypeError):
                pass
            st, reason, body = upstream_call("POST", up_path, req, h.get("content-type"))
            if st == 201 and size:
                with console_lock:
                    console[json.loads(body)["Id"]] = size
            return respond(client, st, reason, body)
        sm = re.match(r"^/containers/([0-9a-f]{64})/start$", route)
        if sm and method == "POST":
            req = read_body(client, h, rest)
            st, reason, body = upstream_call("POST", up_path, req, h.get("content-type"))
            if st < 300:
                size_console(sm.group(1))
            return respond(client, st, reason, body, "text/plain" if not body else "application/json")
        upgrade = h.get("upgrade", "").lower() == "tcp"
        relay(client, method, up_path, lines, rest, upgrade)


class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", default="/var/run/docker.sock")
    ap.add_argument("--upstream-version", default="1.41")
    ap.add_argument("--log", required=True)
    ap.add_argument("--max", default="1.52")
    ap.add_argument("--min", default="1.44")
    ap.add_argument("--engine-version", default="29.0.0-standin")
    ap.add_argument("--security-options", default=None, help="JSON array for /info")
    ap.add_argument("--owner-uid", type=int, default=None)
    args = ap.parse_args()
    try:
        os.unlink(args.listen)
    except FileNotFoundError:
        pass
    srv = Server(args.listen, Handler, bind_and_activate=False)
    srv.server_bind()
    if args.owner_uid is not None:
        # A rootless engine's socket: owned by, and listened on as, its
        # user; SO_PEERCRED reports the euid at listen().
        os.chown(args.listen, args.owner_uid, args.owner_uid)
        os.seteuid(args.owner_uid)
        srv.server_activate()
        os.seteuid(0)
    else:
        srv.server_activate()
    os.chmod(args.listen, 0o666)
    log("# listening")
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
