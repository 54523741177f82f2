#!/usr/bin/env python3
"""Query the model server's log (a JSONL file or a running server's GET /_log).

  mocklog.py SOURCE [--event E] [--where KEY=VALUE]... [--contains KEY=TEXT]...
             [--field KEY] [--count] [--min N] [-q]

SOURCE is a log file written with --log, or the server's root URL
(http://model.test:8080), whose /_log is fetched.  KEY may be dotted
(headers.authorization, body.model).  Prints the matching entries (or just
--field of each) as JSON lines, or the number of matches with --count.
Exit status 0 when at least --min (default 1) entries match, else 1.

  mocklog.py log.jsonl --event tool_output --contains output=hello
  mocklog.py http://model.test:8080 --event request --field headers.authorization
"""

import argparse
import json
import signal
import sys
import urllib.request


def load(source):
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source.rstrip("/") + "/_log", timeout=10) as r:
            return json.load(r)
    with open(source, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def get(entry, key):
    cur = entry
    for part in key.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


def as_text(v):
    return v if isinstance(v, str) else json.dumps(v)


def main(argv=None):
    ap = argparse.ArgumentParser(usage=__doc__.strip().splitlines()[2].strip())
    ap.add_argument("source")
    ap.add_argument("--event")
    ap.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                    help="field equals VALUE (compared as text; JSON for non-strings)")
    ap.add_argument("--contains", action="append", default=[], metavar="KEY=TEXT",
                    help="field's text contains TEXT")
    ap.add_argument("--field")
    ap.add_argument("--count", action="store_true")
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing; status only")
    a = ap.parse_args(argv)

    out = []
    for e in load(a.source):
        if a.event and e.get("event") != a.event:
            continue
        if any(as_text(get(e, k)) != v for k, _, v in (w.partition("=") for w in a.where)):
            continue
        if any(get(e, k) is None or v not in as_text(get(e, k))
               for k, _, v in (c.partition("=") for c in a.contains)):
            continue
        out.append(e)
    if a.quiet:
        pass
    elif a.count:
        print(len(out))
    else:
        for e in out:
            v = get(e, a.field) if a.field else e
            print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
    return 0 if len(out) >= a.min else 1


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `| head` is fine
    sys.exit(main())
