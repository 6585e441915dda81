"""Which installed distributions provide a top-level module (``sklearn`` → ``scikit-learn``).

Reading the map scans every installed distribution (``packages_distributions``): a large part of
a first run of a small pipeline. It is read once per process and kept in the run history across
processes, as long as the folders of the import path are unchanged: installing or removing a
distribution adds or removes entries of its folder, which changes the folder's modification
time, so the map is read again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from statisfactory.history.digests import bytes_digest

RACY_SECONDS = 2.0  # a folder younger than this may change again within its modification time
STORE_KEY = "#distributions"  # its row in the store's file digests (see path_state)

_known: tuple[tuple[int, int], Mapping[str, list[str]]] | None = None  # (path state, map)


def distributions_of(top: str, store: Any = None) -> list[str]:
    """The distributions providing the top-level module ``top`` (none for the project's own
    modules and the standard library); ``store`` (a history store) keeps the map across
    processes."""
    global _known
    state, youngest = _path_state()
    if _known is None or _known[0] != state:
        _known = state, _read(state, youngest, store)
    return list(_known[1].get(top, []))


def forget() -> None:
    """Drop the map read in this process (the next call reads it again)."""
    global _known
    _known = None


def path_state() -> tuple[int, int]:
    """The import path's state, as the ``(size, mtime_ns)`` of the map's row in the store:
    the number of its folders and a digest of their paths and modification times."""
    return _path_state()[0]


def _path_state() -> tuple[tuple[int, int], float]:
    """The path's state and the modification time of its youngest folder."""
    lines, youngest = [], 0.0
    for entry in sys.path:
        try:
            info = os.stat(entry or ".")
        except OSError:
            lines.append(f"{entry} -")
            continue
        lines.append(f"{entry} {info.st_mtime_ns}")
        youngest = max(youngest, info.st_mtime_ns / 1e9)
    digest = bytes_digest("\n".join(lines).encode()).partition(":")[2]
    return (len(lines), int(digest[:15], 16)), youngest


def _read(state: tuple[int, int], youngest: float, store: Any) -> Mapping[str, list[str]]:
    remembered = store.known_digest(STORE_KEY, *state) if store is not None else None
    if remembered is not None:
        try:
            loaded = json.loads(remembered)
        except ValueError:  # a damaged row: read the environment again
            loaded = None
        if isinstance(loaded, dict):
            return loaded
    from importlib import metadata

    found = metadata.packages_distributions()
    if store is not None and time.time() - youngest > RACY_SECONDS:
        store.remember_digest(STORE_KEY, *state, json.dumps(found, sort_keys=True))
    return found
