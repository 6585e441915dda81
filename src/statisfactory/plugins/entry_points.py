"""The entry-point groups through which installed packages extend Statisfactory.

One group per kind of plugin; a package declares, in its ``pyproject.toml``::

    [project.entry-points."statisfactory.interactors"]
    toml = "my_package.formats:TomlInteractor"      # a catalog type
    [project.entry-points."statisfactory.backends"]
    memory = "my_package.storage:MemoryBackend"     # a URL scheme
    [project.entry-points."statisfactory.runners"]
    ray = "my_package.runner:RayRunner"             # a runner name
    [project.entry-points."statisfactory.hooks"]
    timings = "my_package.hooks:timings"            # a hook plugin (see statisfactory.hookspecs)

The installed distributions are read only when a name is not built in (or, for hook plugins,
when a session first needs its plugins), and a plugin's module is imported only when its name
is used. They are read by listing the folders of the import path and reading each metadata
folder's ``entry_points.txt`` (``importlib.metadata`` builds a distribution object for each of
them, twenty times slower); only a distribution that declares one of these groups is handed to
``importlib.metadata``. What is read is kept while the import path's folders keep their
modification times: installing or removing a package changes its folder's, so a later session
sees it.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PluginError
from statisfactory.hashing import RACY_SECONDS

if TYPE_CHECKING:
    from importlib.metadata import Distribution, EntryPoint

KINDS: dict[str, str] = {
    "interactors": "statisfactory.interactors",
    "backends": "statisfactory.backends",
    "runners": "statisfactory.runners",
    "hooks": "statisfactory.hooks",
}


@dataclass(frozen=True)
class InstalledPlugin:
    """One entry point of one of the groups."""

    kind: str
    name: str
    value: str  # "module:attribute"
    distribution: str


_GROUP_PREFIX = "[statisfactory."  # how a declaring entry_points.txt names one of the groups
_METADATA = (".dist-info", ".egg-info")
_SEPARATORS = re.compile(r"[-_.]+")
# The entry points of every group, for the import path's state they were read in.
_known: tuple[tuple[tuple[str, int], ...], dict[str, dict[str, EntryPoint]]] | None = None


def _entry_points(kind: str) -> dict[str, EntryPoint]:
    """The entry points of group ``kind`` by name, read again when the import path changed."""
    global _known
    state, youngest = _path_state()
    if _known is None or _known[0] != state:
        groups = _read_groups()
        # A folder changed within the last RACY_SECONDS may change again within the same
        # modification time: what was read in it is not kept.
        _known = (state, groups) if time.time() - youngest > RACY_SECONDS else None
        return groups[kind]
    return _known[1][kind]


def _path_state() -> tuple[tuple[tuple[str, int], ...], float]:
    """The import path's folders with their modification times (a package installed in one,
    or removed from it, changes its time), and the youngest of these times."""
    state, youngest = [], 0
    for entry in sys.path:
        try:
            written = os.stat(entry or ".").st_mtime_ns
        except OSError:  # gone, or never there: it holds nothing
            written = -1
        state.append((entry, written))
        youngest = max(youngest, written)
    return tuple(state), youngest / 1e9


def _read_groups() -> dict[str, dict[str, EntryPoint]]:
    """Every group's entry points; as ``importlib.metadata.entry_points``, the first
    distribution of a name on the import path hides the later ones."""
    groups: dict[str, dict[str, EntryPoint]] = {kind: {} for kind in KINDS}
    kinds = {group: kind for kind, group in KINDS.items()}
    for distribution in _declaring():
        for entry in distribution.entry_points:
            kind = kinds.get(entry.group)
            if kind is not None:
                groups[kind].setdefault(entry.name, entry)
    return groups


def _declaring() -> list[Distribution]:
    """The distributions that declare an entry point of one of the groups, in import path
    order, one per distribution name."""
    found: list[Distribution] = []
    seen: set[str] = set()
    for entry in sys.path:
        if os.path.isfile(entry):  # a zip file: rare, left to importlib.metadata
            found += _zipped(entry, seen)
            continue
        for folder in metadata_folders([entry], seen).values():
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
                    declares = _GROUP_PREFIX in handle.read()
            except (OSError, UnicodeDecodeError):  # it declares no entry point
                continue
            if declares:
                from importlib.metadata import Distribution

                found.append(Distribution.at(folder))
    return found


def metadata_folders(path: Iterable[str], seen: set[str] | None = None) -> dict[str, str]:
    """The metadata folders (``.dist-info``, ``.egg-info``) of the distributions installed in
    the folders of ``path``, by normalised distribution name, as ``importlib.metadata`` finds
    them: the first of a name on the path hides the later ones (and those in ``seen``, which
    gets the names found)."""
    seen = set() if seen is None else seen
    found: dict[str, str] = {}
    for entry in path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [item.name for item in listing if item.name.lower().endswith(_METADATA)]
        except OSError:  # not a folder (a zip file), or gone
            continue
        for name in names:
            key = normalised(name.lower().rpartition(".")[0].partition("-")[0])
            if key not in seen:
                seen.add(key)
                found[key] = os.path.join(entry or ".", name)
    return found


def _zipped(entry: str, seen: set[str]) -> list[Distribution]:
    """The declaring distributions inside a zip file of the import path."""
    from importlib.metadata import distributions

    found = []
    for distribution in distributions(path=[entry]):
        name = normalised(distribution.metadata["Name"] or "")
        if name in seen:
            continue
        seen.add(name)
        if any(point.group in KINDS.values() for point in distribution.entry_points):
            found.append(distribution)
    return found


def normalised(name: str) -> str:
    """A distribution's name as ``importlib.metadata`` compares them (``PyYAML``: ``pyyaml``)."""
    return _SEPARATORS.sub("_", name).lower()


def installed(kind: str) -> list[InstalledPlugin]:
    """The entry points of group ``kind`` (one of :data:`KINDS`), by name."""
    return [
        InstalledPlugin(kind, name, entry.value, _distribution(entry))
        for name, entry in sorted(_entry_points(kind).items())
    ]


def names(kind: str) -> list[str]:
    """The names installed packages give in group ``kind``; nothing is imported."""
    return sorted(_entry_points(kind))


def load(kind: str, name: str) -> Any | None:
    """The object entry point ``name`` of group ``kind`` names (None when none is installed).

    An entry point that cannot be imported is a :class:`PluginError` naming its package.
    """
    entry = _entry_points(kind).get(name)
    if entry is None:
        return None
    try:
        return entry.load()
    except Exception as error:
        raise PluginError(
            f"The {kind[:-1]} plugin '{name}' of package {_distribution(entry)} "
            f"({KINDS[kind]} entry point {entry.value!r}) cannot be loaded: "
            f"{type(error).__name__}: {error}. Reinstall or upgrade that package, or uninstall "
            "it."
        ) from error


def forget_installed() -> None:
    """Read the installed distributions again on next use (after installing a package)."""
    global _known
    _known = None


def _distribution(entry: EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return "?"
    return f"{dist.metadata['Name']} {dist.version}"
