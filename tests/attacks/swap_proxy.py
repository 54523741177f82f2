#!/usr/bin/env python3
"""A relay in front of the engine's socket that swaps a checked directory
for a link at the worst moment: right after the runner pinned its bind
sources (the create request of the sandbox carries CODEX_SANDBOX_MOUNT_PINS)
and before the engine mounts them.

  swap_proxy.py LISTEN_SOCK ENGINE_SOCK PATH_A PATH_B [--no-swap]

PATH_A and PATH_B are exchanged atomically (renameat2 RENAME_EXCHANGE) once
per sandbox create.  Each swap is logged to stdout as "SWAPPED <n>"."""
import ctypes
import os
import socket
import sys
import threading

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_EXCHANGE = 2
MARK = b"CODEX_SANDBOX_MOUNT_PINS"


def exchange(a, b):
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Relay:
    def __init__(self, engine, a, b, swap):
        self.engine, self.a, self.b, self.swap = engine, a, b, swap
        self.swaps = 0
        self.lock = threading.Lock()

    def pump(self, src, dst, inspect):
        tail = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if inspect:
                    window = tail + data
                    if MARK in window and self.swap:
                        with self.lock:
                            exchange(self.a, self.b)
                            self.swaps += 1
                            print("SWAPPED", self.swaps, flush=True)
                    tail = window[-len(MARK):]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            # Half-close only: stdin's EOF must not cut the output stream.
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def serve(self, client):
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(self.engine)
        threading.Thread(target=self.pump, args=(up, client, False), daemon=True).start()
        self.pump(client, up, True)


def main():
    listen, engine, a, b = sys.argv[1:5]
    swap = "--no-swap" not in sys.argv[5:]
    relay = Relay(engine, a, b, swap)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(listen):
        os.unlink(listen)
    srv.bind(listen)
    srv.listen(64)
    print("READY", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=relay.serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
