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
is used.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PluginError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

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


@functools.cache
def _entry_points(kind: str) -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points

    return {entry.name: entry for entry in entry_points(group=KINDS[kind])}


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
    _entry_points.cache_clear()


def _distribution(entry: EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return "?"
    return f"{dist.metadata['Name']} {dist.version}"
