#!/usr/bin/env python3
"""Watch directories for any access (open, read, write, create, delete,
attribute change) and print one line per event, flushed.  Used by the
attack tests as the canary: a host file outside the project that anything
opens or changes shows up here.  Prints "ready" once every watch is set.

    inotify-watch.py OUTFILE DIR... """
import ctypes
import os
import struct
import sys

IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x1, 0x2, 0x4, 0x8
IN_OPEN, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x20, 0x40, 0x80, 0x100, 0x200
MASK = (IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_OPEN | IN_MOVED_FROM
        | IN_MOVED_TO | IN_CREATE | IN_DELETE)

libc = ctypes.CDLL(None, use_errno=True)
out = open(sys.argv[1], "a", buffering=1)
fd = libc.inotify_init1(0)
if fd < 0:
    raise SystemExit("inotify_init1: %s" % os.strerror(ctypes.get_errno()))
dirs = {}
for d in sys.argv[2:]:
    wd = libc.inotify_add_watch(fd, d.encode(), MASK)
    if wd < 0:
        raise SystemExit("inotify_add_watch %s: %s" % (d, os.strerror(ctypes.get_errno())))
    dirs[wd] = d
out.write("ready\n")
while True:
    buf = os.read(fd, 65536)
    off = 0
    while off + 16 <= len(buf):
        wd, mask, _cookie, ln = struct.unpack_from("iIII", buf, off)
        name = buf[off + 16:off + 16 + ln].rstrip(b"\0").decode(errors="replace")
        off += 16 + ln
        out.write("%s/%s 0x%x\n" % (dirs.get(wd, "?"), name, mask))
