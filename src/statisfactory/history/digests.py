"""Content digests: files streamed through a fast hash (:mod:`statisfactory.hashing`), values
through a canonical encoding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from statisfactory.errors import UnhashableValueError
from statisfactory.hashing import ALGORITHM, CHUNK, bytes_digest, file_digest, new_hasher

__all__ = [
    "ALGORITHM",
    "CHUNK",
    "bytes_digest",
    "canonical_json",
    "file_digest",
    "folder_digest",
    "new_hasher",
    "pickled",
    "value_digest",
]


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
    import pickle  # a run of artifacts alone never pickles

    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
