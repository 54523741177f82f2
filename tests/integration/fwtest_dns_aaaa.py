#!/usr/bin/python3
"""An upstream resolver that will not do AAAA, for tests/integration/41-dns-aaaa.sh.

  serve ADDR LOG            UDP port 53 on ADDR: every A question gets
                            198.51.100.10 (TTL 300); AAAA gets REFUSED, or
                            SERVFAIL / NOTIMP when the first label is
                            "servfail" / "notimp"; other types NOTIMP.
                            One line per question in LOG: "TYPE NAME RCODE".
  query SERVER NAME TYPE    one UDP query (TYPE 1 or 28) to SERVER:53; prints
                            "rcode=N qd=N an=N qname=NAME" or "FAIL reason".
"""
import random
import socket
import struct
import sys


def parse_question(msg):
    """(name, qtype, end offset) of the first question; plain labels only."""
    off, labels = 12, []
    while True:
        n = msg[off]
        if n == 0 or n >= 0x40:
            break
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    if msg[off] != 0:
        raise ValueError("compressed question")
    off += 1
    qtype, _ = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels), qtype, off + 4


def serve(addr, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    out = open(log, "a", buffering=1)
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 12:
            continue
        qid, flags = struct.unpack("!HH", msg[:4])
        try:
            name, qtype, end = parse_question(msg)
        except (ValueError, IndexError):
            continue
        question = msg[12:end]
        first = name.split(".")[0].lower()
        answers = b""
        if qtype == 1:
            rcode, an = 0, 1
            answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton("198.51.100.10")
        elif qtype == 28:
            rcode, an = {"servfail": 2, "notimp": 4}.get(first, 5), 0
        else:
            rcode, an = 4, 0
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode
        s.sendto(struct.pack("!HHHHHH", qid, rflags, 1, an, 0, 0) + question + answers, peer)
        out.write("%s %s %d\n" % ({1: "A", 28: "AAAA"}.get(qtype, str(qtype)), name, rcode))


def query(server, name, qtype):
    qid = random.randint(0, 65535)
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(msg, (server, 53))
        r, _ = s.recvfrom(4096)
    except OSError as e:
        print("FAIL %s" % type(e).__name__)
        return
    rid, flags, qd, an = struct.unpack("!HHHH", r[:8])
    if rid != qid:
        print("FAIL wrong id")
        return
    qname = parse_question(r)[0] if qd else ""
    print("rcode=%d qd=%d an=%d qname=%s" % (flags & 0xF, qd, an, qname))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        query(sys.argv[2], sys.argv[3], int(sys.argv[4]))
