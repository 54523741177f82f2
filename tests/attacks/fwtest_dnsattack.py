#!/usr/bin/python3
"""Helpers for tests/attacks/20-dns-conntrack.sh.  Each command prints one
line and exits 0; the shell decides what was expected.

  sweep SERVER PORT MARKER LO HI [PORT...]
        one UDP DNS query for MARKER-<srcport>.exfil.test from every source
        port LO..HI (and the extra PORTs) to SERVER:PORT; prints
        "tried=T sent=S eperm=E busy=B other=O" (T = S + E + O)
  query SERVER PORT SRCPORT NAME
        one UDP query from SRCPORT, wait for the answer: "OK" or "FAIL why"
  tcp SERVER PORT NAME
        a DNS query over TCP: "OK" (answered) or "FAIL why"
  listen ADDR LOG PORT...
        UDP and TCP listeners on ADDR:PORT; every datagram and connection is
        appended to LOG as "udp|tcp PORT SRC:SRCPORT"; runs until killed
"""
import errno
import os
import random
import select
import socket
import struct
import sys


def dns_query(name):
    head = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return head + q + struct.pack(">HH", 1, 1)


def sweep(server, port, marker, lo, hi, extra):
    sent = eperm = busy = other = 0
    ports = list(range(lo, hi + 1)) + [p for p in extra if not lo <= p <= hi]
    for sp in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", sp))
        except OSError:
            busy += 1
            s.close()
            continue
        try:
            s.sendto(dns_query("%s-%d.exfil.test" % (marker, sp)), (server, port))
            sent += 1
        except OSError as e:
            if e.errno == errno.EPERM:
                eperm += 1
            else:
                other += 1
        s.close()
    print("tried=%d sent=%d eperm=%d busy=%d other=%d" % (sent + eperm + other, sent, eperm, busy, other))


def query(server, port, srcport, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.bind(("0.0.0.0", srcport))
        s.sendto(dns_query(name), (server, port))
        s.recvfrom(4096)
        print("OK")
    except OSError as e:
        print("FAIL %s" % errno.errorcode.get(e.errno or 0, type(e).__name__))


def tcp(server, port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((server, port))
        q = dns_query(name)
        s.sendall(struct.pack(">H", len(q)) + q)
        if len(s.recv(2)) != 2:
            raise OSError(errno.ECONNRESET, "no answer")
        print("OK")
    except OSError as e:
        print("FAIL %s" % errno.errorcode.get(e.errno or 0, type(e).__name__))


def listen(addr, log, ports):
    out = open(log, "a", buffering=1)
    socks = {}
    for p in ports:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((addr, p))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, p))
        t.listen(16)
        socks[u] = ("udp", p)
        socks[t] = ("tcp", p)
    out.write("listening\n")
    while True:
        r, _, _ = select.select(list(socks), [], [])
        for s in r:
            kind, p = socks[s]
            if kind == "udp":
                _, src = s.recvfrom(65536)
            else:
                c, src = s.accept()
                c.close()
            out.write("%s %d %s:%d\n" % (kind, p, src[0], src[1]))


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "sweep":
        sweep(a[0], int(a[1]), a[2], int(a[3]), int(a[4]), [int(x) for x in a[5:]])
    elif cmd == "query":
        query(a[0], int(a[1]), int(a[2]), a[3])
    elif cmd == "tcp":
        tcp(a[0], int(a[1]), a[2])
    elif cmd == "listen":
        listen(a[0], a[1], [int(x) for x in a[2:]])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
