#!/usr/bin/env python3
"""Run inside a sandbox by tests/integration/47-live-allow.sh: can the
sandbox reach its firewall's control channel?  One line per check."""
import socket


def check(name, fn):
    try:
        print("%s => ok %s" % (name, fn()))
    except Exception as e:  # the failure is the result
        print("%s => fail %s %s" % (name, type(e).__name__, getattr(e, "errno", "")))


def by_path():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/run/codex-firewall/control.sock")
    return "connected"


def abstract_names():
    names = []
    with open("/proc/net/unix") as f:
        for line in f.read().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 8 and parts[-1].startswith("@"):
                names.append(parts[-1])
    for n in names:   # try each: none may be the firewall's
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(1)
        try:
            s.connect("\0" + n[1:])
            s.send(b"\1" + b"\0" * 263)
            if s.recv(300):
                return "answered by %s" % n
        except OSError:
            pass
    return "none answers (%d abstract)" % len(names)


def listening_tcp():
    ports = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                for line in f.read().splitlines()[1:]:
                    p = line.split()
                    addr, port = p[1].split(":")
                    # Docker's embedded resolver (127.0.0.11, user-defined
                    # networks) listens in this namespace too: not ours
                    if p[3] == "0A" and addr != "0B00007F":
                        ip = ".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)) \
                            if len(addr) == 8 else "[%s]" % addr
                        ports.add("%s:%d" % (ip, int(port, 16)))
        except OSError:
            pass
    return " ".join(sorted(ports))


check("control by path", by_path)
check("control abstract", abstract_names)
check("listening tcp", listening_tcp)
