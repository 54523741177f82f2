#!/usr/bin/python3
"""Tiny HTTP servers for tests/integration/firewall-netns.sh: one listener
per ADDR argument on port 80 (IPv4 or IPv6), each answering GET with its own
address as the body, so a probe can tell which host it reached."""
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.server.server_address[0].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(addr):
    cls = V6Server if ":" in addr else ThreadingHTTPServer
    cls((addr, 80), Handler).serve_forever()


for a in sys.argv[1:]:
    threading.Thread(target=serve, args=(a,), daemon=True).start()
threading.Event().wait()
