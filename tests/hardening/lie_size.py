#!/usr/bin/env python3
"""lie_size.py IN OUT EXTRA: copy a fatbin, adding EXTRA bytes to the size
its container header claims (u64 at offset 8, after magic, version and
header size), so the image says it is larger than it really is."""
import struct
import sys

src, dst, extra = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
data = bytearray(open(src, "rb").read())
magic, = struct.unpack_from("<I", data, 0)
if magic != 0xBA55ED50:
    sys.exit("%s: not a fatbin container (magic %#x)" % (src, magic))
size, = struct.unpack_from("<Q", data, 8)
struct.pack_into("<Q", data, 8, size + extra)
open(dst, "wb").write(bytes(data))
