#!/usr/bin/env python3
"""Network probes run *inside* a sandbox by the integration tests.

    python3 sandbox_probe.py "http web.test 80" "resolve other.test" ...

Each argument is one check; each prints one line:
    <check> => ok <detail> (<ms> ms)      or      <check> => fail <reason> (<ms> ms)

Checks:
    http HOST PORT [v4|v6]   GET / (resolving HOST through the sandbox's resolver)
    resolve NAME [A|AAAA]    getaddrinfo
    udpdns SERVER NAME       a raw DNS query over UDP to SERVER:53
    tcpdns SERVER NAME       the same over TCP
    netfilter                open a NETLINK_NETFILTER socket (nft's channel)
    write PATH               try to append to PATH
    sleep SECONDS
"""
import errno
import socket
import struct
import sys
import time


def reason(e):
    if isinstance(e, socket.gaierror):
        return "gaierror %s" % e.args[1]
    if isinstance(e, socket.timeout):
        return "timeout"
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def http(host, port, fam="any"):
    family = {"v4": socket.AF_INET, "v6": socket.AF_INET6}.get(fam, 0)
    infos = socket.getaddrinfo(host, int(port), family, socket.SOCK_STREAM)
    last = None
    for af, st, pr, _, addr in infos:
        s = socket.socket(af, st, pr)
        s.settimeout(3)
        try:
            s.connect(addr)
            s.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
            return "%s %s" % (addr[0], body)
        except OSError as e:
            last = e
        finally:
            s.close()
    raise last


def resolve(name, rtype="any"):
    family = {"A": socket.AF_INET, "AAAA": socket.AF_INET6}.get(rtype, 0)
    infos = socket.getaddrinfo(name, 80, family, socket.SOCK_STREAM)
    return " ".join(sorted({i[4][0] for i in infos}))


def query(name):
    hdr = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return hdr + qn + struct.pack(">HH", 1, 1)


def udpdns(server, name):
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    s.sendto(query(name), (server, 53))
    d = s.recv(1500)
    return "answer rcode=%d ancount=%d" % (d[3] & 15, struct.unpack(">H", d[6:8])[0])


def tcpdns(server, name):
    s = socket.create_connection((server, 53), timeout=1.5)
    q = query(name)
    s.sendall(struct.pack(">H", len(q)) + q)
    d = s.recv(1500)
    return "answer %d bytes" % len(d)


def netfilter():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
    s.close()
    return "opened"


def write(path):
    with open(path, "a") as f:
        f.write("tampered\n")
    return "written"


def main():
    for check in sys.argv[1:]:
        parts = check.split()
        t0 = time.monotonic()
        try:
            fn = {"http": http, "resolve": resolve, "udpdns": udpdns, "tcpdns": tcpdns,
                  "netfilter": netfilter, "write": write,
                  "sleep": lambda s: time.sleep(float(s)) or "slept"}[parts[0]]
            res = "ok " + str(fn(*parts[1:]))
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            res = "fail " + reason(e)
        ms = int((time.monotonic() - t0) * 1000)
        print("%s => %s (%d ms)" % (check, res, ms), flush=True)


if __name__ == "__main__":
    main()
