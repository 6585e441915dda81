"""Which installed distributions provide a top-level module (``sklearn`` → ``scikit-learn``).

Reading the map scans every installed distribution: a large part of a first run of a small
pipeline. It is read once per process and kept in the run history across processes, as long as
the distributions' metadata folders on the import path are the same ones: installing, upgrading
or removing a distribution adds, renames (``name-version.dist-info``) or removes one, so the map
is read again. A distribution's version is read from the metadata file
``importlib.metadata`` would read (the first metadata folder of its name on the import path, as
found by :func:`statisfactory.plugins.entry_points.metadata_folders`), without building its
distribution objects. The scan itself reads what ``importlib.metadata.packages_distributions``
reads — each distribution's ``Name``, its ``top_level.txt``, else the files its ``RECORD`` lists —
straight from the metadata folders, without parsing whole metadata files (about 5× faster); a
distribution it cannot read so (an ``.egg-info`` without ``top_level.txt``, a zipped path entry)
makes it ask ``importlib.metadata`` for the whole map.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from statisfactory.hashing import RACY_SECONDS
from statisfactory.history.digests import bytes_digest

STORE_KEY = "#distributions"  # its row in the store's file digests (see path_state)

_known: tuple[tuple[int, int], Mapping[str, list[str]]] | None = None  # (path state, map)
_versions: dict[str, str] = {}  # distribution -> its version, for the path state of _known
_folders: dict[str, str] | None = None  # normalised distribution -> its metadata folder


def installed(store: Any = None) -> Mapping[str, list[str]]:
    """The distributions providing each top-level module (none for the project's own modules
    and the standard library); ``store`` (a history store) keeps the map across processes."""
    global _known
    state, youngest = _path_state()
    if _known is None or _known[0] != state:
        _known = state, _read(state, youngest, store)
        _versions.clear()
    return _known[1]


def version(distribution: str) -> str:
    """The installed version of ``distribution`` ("unknown" when it is not installed), read
    from its metadata once while the distributions stay as :func:`installed` last found them
    (the runs of a sweep each ask for the same ones)."""
    found = _versions.get(distribution)
    if found is None:
        found = _versions[distribution] = _declared_version(distribution) or _metadata_version(
            distribution
        )
    return found


def _declared_version(distribution: str) -> str | None:
    """The ``Version`` of the distribution's metadata, read from the folder (and file)
    ``importlib.metadata`` would read; None when there is none (then it is asked)."""
    from statisfactory.plugins.entry_points import normalised

    if _folders is None:
        _path_state()
    folder = (_folders or {}).get(normalised(distribution))
    if folder is None:
        return None
    return _metadata_header(folder, "version")


def _metadata_version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def forget() -> None:
    """Drop the map read in this process (the next call reads it again)."""
    global _known, _folders
    _known = _folders = None
    _versions.clear()


def path_state() -> tuple[int, int]:
    """The installed distributions' state, as the ``(size, mtime_ns)`` of the map's row in the
    store: how many there are, and a digest of where each is, its name and version (its
    ``.dist-info`` folder's name) and when its folder was written."""
    return _path_state()[0]


def _path_state() -> tuple[tuple[int, int], float]:
    """The distributions' state and the modification time of the youngest of their folders.

    Only the metadata folders count, not the folders of the path: a project's own folder on
    the path changes at every edit, and says nothing of what is installed."""
    from statisfactory.plugins.entry_points import metadata_folders

    global _folders
    lines, youngest = [], 0.0
    folders = metadata_folders(sys.path)
    for folder in folders.values():
        try:
            written = os.stat(folder).st_mtime_ns
        except OSError:  # removed meanwhile
            continue
        lines.append(f"{folder} {written}")
        youngest = max(youngest, written / 1e9)
    _folders = folders
    digest = bytes_digest("\n".join(sorted(lines)).encode()).partition(":")[2]
    return (len(lines), int(digest[:15], 16)), youngest


def _scan(folders: Mapping[str, str]) -> Mapping[str, list[str]]:
    """The distributions providing each top-level module, as ``packages_distributions`` gives
    them, for the distributions whose metadata folders are ``folders``."""
    if any(os.path.isfile(entry) for entry in sys.path if entry):  # zip files, eggs
        return _scanned_by_importlib()
    found: dict[str, list[str]] = {}
    for folder in folders.values():
        name = _metadata_header(folder, "name")
        modules = _top_level(folder)
        if name is None or modules is None:  # only importlib.metadata can tell
            return _scanned_by_importlib()
        for module in modules:
            found.setdefault(module, []).append(name)
    return found


def _scanned_by_importlib() -> Mapping[str, list[str]]:
    from importlib import metadata

    return metadata.packages_distributions()


def _top_level(folder: str) -> list[str] | None:
    """The importable top-level names a distribution declares (``top_level.txt``), else those
    of the files it installed (its ``RECORD``): ``pkg/x.py`` gives ``pkg``, ``mod.py`` gives
    ``mod``, an extension module ``ext.cpython-311-x86_64-linux-gnu.so`` gives ``ext``; names
    with a dot (``x.dist-info``, ``..``) and ``__pycache__`` are not modules. (Python 3.11's
    ``packages_distributions`` infers names from ``.py`` files only: this finds those and the
    extension modules and stubs it misses.) None when neither file can be read here."""
    try:
        with open(os.path.join(folder, "top_level.txt"), encoding="utf-8") as handle:
            declared = handle.read().split()
    except FileNotFoundError:
        declared = []
    except (OSError, UnicodeDecodeError):
        return None
    if declared:
        return list(dict.fromkeys(declared))
    if not folder.endswith(".dist-info"):
        return None
    try:
        with open(os.path.join(folder, "RECORD"), encoding="utf-8", newline="") as handle:
            paths = [row[0] for row in csv.reader(handle) if row]
    except FileNotFoundError:
        return []  # no files known: packages_distributions gives none either
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    names = dict.fromkeys(_top_name(path) for path in paths)
    return [name for name in names if "." not in name and name != "__pycache__"]


def _top_name(path: str) -> str:
    from inspect import getmodulename

    top, _, rest = path.partition("/")
    if rest:
        return top
    return getmodulename(path) or path


def _metadata_header(folder: str, header: str) -> str | None:
    """The first ``header:`` of a distribution's metadata file (its headers only); None when
    there is no such file."""
    if os.path.isfile(folder):  # an old .egg-info file: the metadata itself
        files = [folder]
    else:
        files = [os.path.join(folder, "METADATA"), os.path.join(folder, "PKG-INFO")]
    prefix = header + ":"
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():  # the end of the headers
                        return None
                    if line.lower().startswith(prefix):
                        return line[len(prefix) :].strip() or None
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            return None
        return None
    return None


def _read(state: tuple[int, int], youngest: float, store: Any) -> Mapping[str, list[str]]:
    remembered = store.known_digest(STORE_KEY, *state) if store is not None else None
    if remembered is not None:
        try:
            loaded = json.loads(remembered)
        except ValueError:  # a damaged row: read the environment again
            loaded = None
        if isinstance(loaded, dict):
            return loaded
    found = _scan(_folders or {})
    if store is not None and time.time() - youngest > RACY_SECONDS:
        store.remember_digest(STORE_KEY, *state, json.dumps(found, sort_keys=True))
    return found
