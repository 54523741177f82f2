#!/usr/bin/python3
"""Servers for tests/integration/46-one-name.sh, the shared address of a
CDN: on each ADDR argument, port 443 speaks TLS with one certificate for
ANY server name (like a CDN's edge), port 80 speaks HTTP, and UDP 443
echoes (a QUIC stand-in).  Every answer names the Host (or SNI) it was asked
for, so a probe can tell what the server saw.  GET /big?mb=N sends N MiB.

  fwtest_tls.py CERT KEY ADDR...
"""
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = b"\0" * (1 << 20)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/big"):
            mb = int(self.path.split("mb=", 1)[1]) if "mb=" in self.path else 1
            self.send_response(200)
            self.send_header("Content-Length", str(mb << 20))
            self.end_headers()
            for _ in range(mb):
                self.wfile.write(CHUNK)
            return
        sni = getattr(self.connection, "sni", None) if hasattr(self.connection, "version") else None
        body = ("host=%s sni=%s\n" % (self.headers.get("Host"), sni)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass        # refused flows are reset mid-handshake: expected here


def tcp_server(addr, port, ctx):
    cls = type("S", (Server,), {"address_family": socket.AF_INET6 if ":" in addr else socket.AF_INET})
    srv = cls((addr, port), Handler)
    if ctx:
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        orig = srv.get_request

        def get_request():
            conn, peer = orig()
            conn.settimeout(10)
            return conn, peer
        srv.get_request = get_request
    srv.serve_forever()


def udp_echo(addr):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 443))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def main():
    cert, key, addrs = sys.argv[1], sys.argv[2], sys.argv[3:]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def remember_sni(sock, name, _ctx):
        sock.sni = name
    ctx.sni_callback = remember_sni
    for a in addrs:
        threading.Thread(target=tcp_server, args=(a, 443, ctx), daemon=True).start()
        threading.Thread(target=tcp_server, args=(a, 80, None), daemon=True).start()
        threading.Thread(target=udp_echo, args=(a,), daemon=True).start()
    threading.Event().wait()


main()
