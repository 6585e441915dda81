"""Content digests of bytes, files and streams, through a fast hash.

Bytes go through xxHash (XXH3, 128 bits) when the ``xxhash`` package is installed, else through
BLAKE2b; the algorithm is the prefix of every digest (``xxh3:…``, ``blake2b:…``), so digests
made with one are never mistaken for the other's. The run history's fingerprints and the
version store's content hashes are both these digests.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1024 * 1024


def _hasher_factory() -> tuple[str, Callable[[], Any]]:
    try:
        import xxhash
    except ImportError:
        return "blake2b", lambda: hashlib.blake2b(digest_size=16)
    return "xxh3", xxhash.xxh3_128


ALGORITHM, new_hasher = _hasher_factory()


def bytes_digest(data: bytes) -> str:
    """The digest of ``data``."""
    hasher = new_hasher()
    hasher.update(data)
    return f"{ALGORITHM}:{hasher.hexdigest()}"


def file_digest(path: Path | str) -> str:
    """The digest of a file's bytes, read in chunks (never the whole file in memory)."""
    with open(path, "rb", buffering=0) as handle:
        if os.fstat(handle.fileno()).st_size <= CHUNK:  # most artifacts: one read, no buffer
            hasher = new_hasher()
            hasher.update(handle.read())
            return f"{ALGORITHM}:{hasher.hexdigest()}"
        return stream_digest(handle)


def stream_digest(handle: BinaryIO) -> str:
    """The digest of what is left to read in a binary file object, read in chunks."""
    hasher = new_hasher()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    readinto = getattr(handle, "readinto", None)
    if readinto is None:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    else:
        while read := readinto(buffer):
            hasher.update(view[:read])
    return f"{ALGORITHM}:{hasher.hexdigest()}"
