"""Content digests of bytes, files and streams, through a fast hash.

Bytes go through xxHash (XXH3, 128 bits) when the ``xxhash`` package is installed, else through
BLAKE2b; the algorithm is the prefix of every digest (``xxh3:…``, ``blake2b:…``), so digests
made with one are never mistaken for the other's. The run history's fingerprints and the
version store's content hashes are both these digests.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1024 * 1024
NOTED_LIMIT = 4096  # digests of files this process wrote, kept for their readers
# A file or folder changed less than this long ago may change again within the same
# modification time: what was read from it is not remembered by its stat alone.
RACY_SECONDS = 2.0


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


# Digests of files this process just wrote and hashed (a versioned save's bytes), by the file's
# identity after the write: device, inode, size, modification and change times. Any later write,
# rename over it or ``os.utime`` changes one of them, so a match is the same bytes; the run
# history's fingerprint of the save then reads nothing again.
_noted: dict[tuple[int, int, int, int, int], str] = {}
_noted_lock = threading.Lock()


def _identity(info: os.stat_result) -> tuple[int, int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def note_digest(path: Path | str, digest: str) -> None:
    """``digest`` is the content of the file at ``path`` as it is now (just written)."""
    try:
        key = _identity(os.stat(path))
    except OSError:
        return
    with _noted_lock:
        _noted[key] = digest
        if len(_noted) > NOTED_LIMIT:  # the oldest first: a save's reader comes soon after it
            del _noted[next(iter(_noted))]


def noted_digest(info: os.stat_result) -> str | None:
    """The digest noted for the file ``info`` describes, if it is unchanged since."""
    with _noted_lock:
        return _noted.get(_identity(info))
