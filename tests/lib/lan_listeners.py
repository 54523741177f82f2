#!/usr/bin/env python3
"""Real listeners at the addresses the sandbox must never reach (the
"LAN" of tests/lib/world.sh): for each ADDR, HTTP on port 80 answering
"lan-ADDR", and a DNS server on UDP 53 answering every query with an empty
NOERROR reply.  A negative probe against them means "blocked", not "nothing
there": the same probe succeeds from a container without the firewall.

    lan_listeners.py READY-FILE ADDR...   (READY-FILE appears once all listen)
"""
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("lan-" + self.server.server_address[0]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def dns(sock):
    while True:
        q, peer = sock.recvfrom(512)
        if len(q) < 12:
            continue
        # same id and question; QR=1, RA=1, rcode 0, no answers
        r = q[:2] + bytes([0x80 | (q[2] & 0x79), 0x80]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:]
        sock.sendto(r, peer)


def main():
    ready, addrs = sys.argv[1], sys.argv[2:]
    for a in addrs:
        srv = ThreadingHTTPServer((a, 80), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((a, 53))
        threading.Thread(target=dns, args=(u,), daemon=True).start()
    tmp = ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("listening\n")
    os.rename(tmp, ready)
    threading.Event().wait()


if __name__ == "__main__":
    main()
