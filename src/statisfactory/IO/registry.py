"""Classes by name, filled as subclasses are defined: artifact types and storage schemes.

Built-in classes are listed by module and imported on first lookup, so that building a catalog
imports neither pandas nor boto3. A user class registers when its module is imported; a class of
an installed package, through its entry point (:mod:`statisfactory.plugins.entry_points`), when
its name is first looked up.
"""

from __future__ import annotations

import enum
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any


def qualified_name(cls: type) -> str:
    """``module.QualName`` of a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


class ConstructorForm(enum.Enum):
    """How the catalog builds an extension class, read once from its ``__init__``."""

    CURRENT = "current"  # takes the keyword the catalog passes (``catalog=``, ``root=``)
    ORIGINAL = "original"  # the original's form: given ``session=`` (and, for types, the context)


def constructor_form(init: Callable[..., Any], keyword: str) -> ConstructorForm:
    """``CURRENT`` when ``init`` names ``keyword``, else ``ORIGINAL``."""
    try:
        parameters = inspect.signature(init).parameters
    except (TypeError, ValueError):
        return ConstructorForm.CURRENT
    return ConstructorForm.CURRENT if keyword in parameters else ConstructorForm.ORIGINAL


class Registry:
    """Name -> class; ``builtins`` maps the built-in names to their module inside ``package``.

    ``conflict(name, known, new)`` builds the error raised when another class claims a name.
    """

    def __init__(
        self,
        package: str,
        builtins: Mapping[str, str],
        conflict: Callable[[str, type, type], Exception],
        plugin_kind: str,
    ) -> None:
        self._package = package
        self._builtins = builtins
        self._conflict = conflict
        self._plugin_kind = plugin_kind  # the entry-point group of installed classes
        self._classes: dict[str, Any] = {}

    def add(self, name: str, cls: type) -> None:
        known = self._classes.get(name)
        # The same class imported again (a reloaded module) replaces itself; another one is refused.
        if known is not None and qualified_name(known) != qualified_name(cls):
            raise self._conflict(name, known, cls)
        self._classes[name] = cls

    def get(self, name: str) -> Any:
        """The class of ``name``, importing its built-in module on first use; ``None`` if none."""
        cls = self._classes.get(name)
        if cls is None and name in self._builtins:
            importlib.import_module(f"{self._package}.{self._builtins[name]}")
            cls = self._classes.get(name)
        if cls is None:
            cls = self._installed(name)
        return cls

    def _installed(self, name: str) -> Any:
        """The class an installed package gives as ``name``, registered under it."""
        from statisfactory.plugins import entry_points

        loaded = entry_points.load(self._plugin_kind, name)  # importing it may register it
        if loaded is None:
            return None
        if name not in self._classes:
            self.add(name, loaded)
        return self._classes[name]

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered, built in or installed (imports nothing)."""
        if name in self._classes or name in self._builtins:
            return True
        from statisfactory.plugins import entry_points

        return name in entry_points.names(self._plugin_kind)

    def names(self) -> list[str]:
        from statisfactory.plugins import entry_points

        installed = entry_points.names(self._plugin_kind)
        return sorted(set(self._classes) | set(self._builtins) | set(installed))

    def classes(self) -> dict[str, Any]:
        """Every name with its class, importing the built-in modules not imported yet."""
        return {name: self.get(name) for name in self.names()}
