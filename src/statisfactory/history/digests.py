"""Content digests: files streamed through a fast hash, values through a canonical encoding.

Files go through xxHash (XXH3, 128 bits) when the ``xxhash`` package is installed, else through
BLAKE2b with :func:`hashlib.file_digest`; the algorithm is the prefix of every digest
(``xxh3:…``, ``blake2b:…``), so digests made with one are never mistaken for the other's.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from statisfactory.errors import UnhashableValueError

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
    hasher = new_hasher()
    with open(path, "rb", buffering=0) as handle:
        if os.fstat(handle.fileno()).st_size <= CHUNK:  # most artifacts: one read, no buffer
            hasher.update(handle.read())
        else:
            buffer = bytearray(CHUNK)
            view = memoryview(buffer)
            while read := handle.readinto(buffer):
                hasher.update(view[:read])
    return f"{ALGORITHM}:{hasher.hexdigest()}"


def folder_digest(path: Path) -> str:
    """The digest of a folder: every file's relative path and digest, in sorted order."""
    lines = [
        f"{item.relative_to(path).as_posix()} {file_digest(item)}"
        for item in sorted(path.rglob("*"))
        if item.is_file()
    ]
    return bytes_digest("\n".join(lines).encode())


def value_digest(value: Any) -> str | None:
    """The digest of a parameter value, or None when it has none (see :func:`canonical_json`)."""
    try:
        return bytes_digest(canonical_json(value).encode())
    except (UnhashableValueError, ValueError, TypeError):
        return None


def canonical_json(value: Any) -> str:
    """``value`` as key-sorted compact JSON; another object becomes the digest of its pickle.

    Mappings are key-sorted, so ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` agree. An object
    that cannot be pickled raises :class:`UnhashableValueError`.
    """
    return _CANONICAL.encode(value)


def _encode_other(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, Path):
        return str(value)
    payload = pickled(value)
    if payload is None:
        raise UnhashableValueError(f"{type(value).__name__} can be neither JSON nor pickled")
    return {"pickle": bytes_digest(payload)}


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_encode_other)


def pickled(value: Any) -> bytes | None:
    """``value``'s pickle, or None when it cannot be pickled."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
