#!/usr/bin/python3
"""Client probes for tests/integration/firewall-netns.sh (run as an
unprivileged uid inside the sandbox netns).  Each command prints one line:
"OK <detail> <seconds>" or "FAIL <reason> <seconds>" and exits 0 either way
(the shell decides what was expected).

  resolve NAME [4|6]            getaddrinfo through resolv.conf
  get HOST [PORT] [4|6]         resolve, connect, HTTP GET /, print the body
  rawdns SERVER NAME udp|tcp    a DNS query straight to SERVER:53
  hold HOST PORT SECONDS        connect, wait, then GET over the same connection
  flood NAME COUNT              COUNT sequential A queries to 127.0.0.1, print q/s
"""
import os
import random
import socket
import struct
import sys
import time

T0 = time.monotonic()


def done(ok, detail):
    print("%s %s %.3f" % ("OK" if ok else "FAIL", detail, time.monotonic() - T0))
    sys.exit(0)


def errname(e):
    import errno
    return errno.errorcode.get(getattr(e, "errno", None) or 0, type(e).__name__)


def resolve(name, fam=None):
    family = {None: socket.AF_UNSPEC, "4": socket.AF_INET, "6": socket.AF_INET6}[fam]
    infos = socket.getaddrinfo(name, 80, family, socket.SOCK_STREAM)
    return infos


def http_get(sock, host):
    # the Host names the host asked for: the firewall's first-bytes check
    # lets port 80 of a DNS-learned address serve only the names that
    # resolved there (REQUIREMENTS R5.20)
    if ":" in host:
        host = "[%s]" % host
    sock.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode())
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    return body


def query(name, qtype=1):
    qid = random.randint(0, 65535)
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return hdr + q + struct.pack("!HH", qtype, 1)


def main():
    cmd = sys.argv[1]
    try:
        if cmd == "resolve":
            infos = resolve(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
            done(True, ",".join(sorted({i[4][0] for i in infos})))
        elif cmd == "get":
            host = sys.argv[2]
            port = int(sys.argv[3]) if len(sys.argv) > 3 else 80
            fam = sys.argv[4] if len(sys.argv) > 4 else None
            try:
                infos = resolve(host, fam)
            except socket.gaierror as e:
                done(False, "resolve:%s" % (e.args[1].replace(" ", "_")))
            af, _, _, _, sa = infos[0]
            s = socket.socket(af, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect((sa[0], port))
            done(True, http_get(s, host))
        elif cmd == "rawdns":
            server, name, proto = sys.argv[2], sys.argv[3], sys.argv[4]
            pkt = query(name)
            if proto == "udp":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(2)
                s.sendto(pkt, (server, 53))
                data, _ = s.recvfrom(4096)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(2)
                s.connect((server, 53))
                s.sendall(struct.pack("!H", len(pkt)) + pkt)
                data = s.recv(4096)
            done(True, "answered:%d_bytes" % len(data))
        elif cmd == "hold":
            host, port, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
            infos = resolve(host, "4")
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect((infos[0][4][0], port))
            time.sleep(secs)
            done(True, http_get(s, host))
        elif cmd == "flood":
            name, count = sys.argv[2], int(sys.argv[3])
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            server = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
            t = time.monotonic()
            lat = []
            for _ in range(count):
                t1 = time.monotonic()
                s.sendto(query(name), (server, 53))
                s.recvfrom(4096)
                lat.append(time.monotonic() - t1)
            el = time.monotonic() - t
            lat.sort()
            done(True, "qps=%.0f median_us=%.0f" % (count / el, lat[len(lat) // 2] * 1e6))
        else:
            done(False, "unknown-command")
    except SystemExit:
        raise
    except Exception as e:  # report every failure as one line
        done(False, errname(e))


if __name__ == "__main__":
    main()
