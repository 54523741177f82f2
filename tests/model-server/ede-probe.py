#!/usr/bin/env python3
"""ede-probe.py NAME [UDP-SIZE [SERVER]]: what `dig +edns NAME` shows about a
refused name, for images without dig.  One A query with an EDNS OPT
advertising UDP-SIZE (default 1232) to SERVER (default: the resolver of
/etc/resolv.conf); prints
  rcode=NXDOMAIN size=N ede=15 text=...
(ede=none when the answer carries no Extended DNS Error)."""
import random, socket, struct, sys

RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def resolver():
    for line in open("/etc/resolv.conf"):
        w = line.split()
        if len(w) >= 2 and w[0] == "nameserver":
            return w[1]
    return "127.0.0.1"


def query(name, size):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    q += b"\0" + struct.pack(">HHIH", 41, size, 0, 0)
    return qid, q


def skip_name(msg, off):
    while msg[off]:
        if msg[off] & 0xC0 == 0xC0:
            return off + 2
        off += 1 + msg[off]
    return off + 1


def main():
    name = sys.argv[1]
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1232
    qid, q = query(name, size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, (sys.argv[3] if len(sys.argv) > 3 else resolver(), 53))
    msg, _ = s.recvfrom(65535)
    _, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    for _ in range(an + ns):
        off = skip_name(msg, off) + 8
        off += 2 + struct.unpack(">H", msg[off:off + 2])[0]
    ede, text = "none", ""
    for _ in range(ar):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        end = off + rdlen
        while rtype == 41 and off + 4 <= end:
            code, olen = struct.unpack(">HH", msg[off:off + 4])
            if code == 15 and olen >= 2:
                ede = struct.unpack(">H", msg[off + 4:off + 6])[0]
                text = msg[off + 6:off + 4 + olen].decode("utf-8", "replace")
            off += 4 + olen
        off = end
    print("rcode=%s size=%d ede=%s text=%s" % (RCODES.get(flags & 15, flags & 15), len(msg), ede, text))


main()
