#!/usr/bin/env python3
"""A package-registry stand-in for the tests: serves ROOT read-only over
HTTP and appends every request path to LOG, so a test can prove a second
run came from the cache (no request at all).

    fixture_http.py ROOT LOG [PORT]

Paths without an extension are JSON (npm packuments, Go .info files are
served by extension); a directory serves its index.html (PEP 503 pages).
"""
import http.server
import os
import sys

ROOT, LOG = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 80


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        "": "application/json", ".json": "application/json", ".info": "application/json",
        ".tgz": "application/octet-stream", ".zip": "application/zip",
        ".mod": "text/plain; charset=utf-8", ".html": "text/html", ".whl": "application/octet-stream",
    }

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=ROOT, **kw)

    def guess_type(self, path):
        base, ext = os.path.splitext(path)
        if os.path.isdir(path):
            return "text/html"
        return self.extensions_map.get(ext, "application/octet-stream")

    def do_GET(self):
        with open(LOG, "a") as f:
            f.write(self.path + "\n")
        super().do_GET()

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("", PORT), Handler).serve_forever()
