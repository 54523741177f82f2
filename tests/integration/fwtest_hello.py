#!/usr/bin/python3
"""Client probes for tests/integration/46-one-name.sh (run as an
unprivileged uid in the sandbox's namespace).  One line each:

  hello ADDR NAME PAD CHUNK [WAIT]
                              (after connecting, WAIT seconds of silence first)
                              a hand-made TLS ClientHello with server_name
                              NAME and PAD bytes of padding, sent CHUNK bytes
                              per TCP segment (TCP_NODELAY, 5 ms apart: the
                              whole hello goes out within the initial window
                              and before the first retransmission timeout,
                              as a real client's single write does):
                              "answered N" (the server read it and replied),
                              "reset", "closed" or "timeout"
  udp ADDR                    one datagram to ADDR:443: "echo", "refused",
                              "timeout"
  setup ADDR HOST N           N fresh HTTP/1.0 connections to ADDR:80 with
                              Host HOST: "median_ms X" (connect to first byte)
"""
import os
import socket
import statistics
import struct
import sys
import time


def ext(kind, data):
    return struct.pack("!HH", kind, len(data)) + data


def client_hello(name, pad):
    sni = name.encode()
    exts = ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni)
    exts += ext(10, struct.pack("!HHH", 4, 0x001d, 0x0017))            # x25519, P-256
    exts += ext(11, b"\x01\x00")                                        # point formats
    exts += ext(13, struct.pack("!HHHH", 6, 0x0804, 0x0401, 0x0403))    # signature algorithms
    exts += ext(21, b"\0" * pad)                                        # padding
    suites = struct.pack("!HHHH", 6, 0xc02f, 0xc030, 0x009c)
    body = b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32) + suites + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def hello(addr, name, pad, chunk, wait=0.0):
    data = client_hello(name, pad)
    s = socket.create_connection((addr, 443), timeout=5)
    time.sleep(wait)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for i in range(0, len(data), chunk):
            s.sendall(data[i:i + chunk])
            time.sleep(0.005)   # its own segment, all within the first RTO
        got = s.recv(65536)
        return "answered %d" % len(got) if got else "closed"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"


def udp(addr):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((addr, 443))
    try:
        s.send(b"\xc0quic-ish")
        s.recv(2048)
        return "echo"
    except (ConnectionRefusedError, PermissionError):
        return "refused"     # the ICMP error, or EPERM: dropped on the way out
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error_%s" % e.errno


def setup(addr, host, n):
    times = []
    req = ("GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host).encode()
    for _ in range(n):
        t0 = time.perf_counter()
        s = socket.create_connection((addr, 80), timeout=5)
        s.sendall(req)
        if not s.recv(1):
            return "closed"
        times.append((time.perf_counter() - t0) * 1000)
        s.close()
    return "median_ms %.3f" % statistics.median(times)


def main():
    cmd = sys.argv[1]
    try:
        if cmd == "hello":
            wait = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
            print(hello(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), wait))
        elif cmd == "udp":
            print(udp(sys.argv[2]))
        elif cmd == "setup":
            print(setup(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    except ConnectionResetError:
        print("reset")
    except OSError as e:
        print("error_%s" % type(e).__name__)


main()
