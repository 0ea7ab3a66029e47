"""Reading a PNG without drawing it: every chunk's CRC checked, the size, the text chunks."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(data: bytes) -> tuple[int, int, dict[str, str]]:
    """(width, height, text chunks); AssertionError if it is not a whole, valid PNG."""
    assert data[:8] == SIGNATURE, "not a PNG"
    pos, texts, size, chunks = 8, {}, None, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append(kind)
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    assert size is not None
    return size[0], size[1], texts


def png_data(data: bytes) -> tuple[tuple[int, int], dict[str, Any]]:
    """(size, the Sisyphus-Data drawn into it)."""
    width, height, texts = read_png(data)
    return (width, height), json.loads(texts["Sisyphus-Data"])
