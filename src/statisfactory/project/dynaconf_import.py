"""Import dynaconf without Flask and Jinja, which its package imports for features we never use.

``import dynaconf`` imports ``dynaconf.contrib``, whose Flask extension imports all of Flask and
Werkzeug when Flask is installed (MLflow brings it): about half the cost of a ``Session()``; and
``dynaconf.utils.parse_conf`` builds a Jinja environment for its ``@jinja`` settings, about a
tenth of it, though a project's own templating imports Jinja only when a file uses it.
:func:`import_dynaconf` imports dynaconf with both hidden from that one import, in this thread
only, then forgets the extension built without Flask, so that a program of the same process
using ``dynaconf.FlaskDynaconf`` (or ``dynaconf.contrib``) imports the real one on first use,
and gives ``@jinja`` an environment that dynaconf's own module builds on first use.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

_EXTENSION = "dynaconf.contrib.flask_dynaconf"
_CONTRIB = "dynaconf.contrib"
_LAZY_NAMES = ("FlaskDynaconf", "contrib")  # what ``dynaconf`` gets from the extension
_PARSE_CONF = "dynaconf.utils.parse_conf"  # where dynaconf keeps its Jinja environment


class _Hidden:
    """A meta-path finder that makes top-level packages unimportable, for one thread only."""

    def __init__(self, *packages: str) -> None:
        self.packages = packages
        self.thread = threading.get_ident()

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] in self.packages and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def import_dynaconf() -> ModuleType:
    """The ``dynaconf`` package, imported without Flask and Jinja, unless something imported
    them first."""
    module = sys.modules.get("dynaconf")
    if module is not None:
        return module
    # What was imported already is paid for: dynaconf may as well use the real one.
    hidden = [package for package in ("flask", "jinja2") if package not in sys.modules]
    if not hidden:
        return importlib.import_module("dynaconf")
    finder = _Hidden(*hidden)
    sys.meta_path.insert(0, finder)
    try:
        module = importlib.import_module("dynaconf")
    finally:
        sys.meta_path.remove(finder)
    if "flask" in hidden:
        _forget_extension(module)
    if "jinja2" in hidden:
        _defer_jinja()
    return module


def _forget_extension(dynaconf: ModuleType) -> None:
    """Drop the Flask extension built without Flask; ``dynaconf`` imports it again when asked."""
    if _EXTENSION not in sys.modules:  # a dynaconf that no longer imports it eagerly
        return
    for name in (_EXTENSION, _CONTRIB):
        sys.modules.pop(name, None)
    for name in _LAZY_NAMES:
        dynaconf.__dict__.pop(name, None)
    if "__getattr__" not in dynaconf.__dict__:
        vars(dynaconf)["__getattr__"] = _extension_attribute  # PEP 562: looked up there


def _extension_attribute(name: str) -> object:
    """``dynaconf.FlaskDynaconf`` / ``dynaconf.contrib``, imported (with Flask) on first use."""
    if name not in _LAZY_NAMES:
        raise AttributeError(f"module 'dynaconf' has no attribute {name!r}")
    contrib = importlib.import_module(_CONTRIB)
    value = contrib if name == "contrib" else getattr(contrib, name)
    sys.modules["dynaconf"].__dict__[name] = value
    return value


def _defer_jinja() -> None:
    """Give dynaconf's ``@jinja`` formatter an environment made when a setting first uses it."""
    parse_conf = sys.modules.get(_PARSE_CONF)
    if parse_conf is None or getattr(parse_conf, "jinja_env", False) is not None:
        return  # a dynaconf that keeps no environment there: nothing to stand in for
    parse_conf.jinja_env = _DeferredJinja(parse_conf)  # type: ignore[attr-defined]


class _DeferredJinja:
    """Stands for dynaconf's Jinja environment until first used: then dynaconf's module is run
    once more, apart, with Jinja importable, and the environment it builds (with its sandbox
    and filters) replaces this one; dynaconf's other objects stay the ones already in use."""

    def __init__(self, parse_conf: ModuleType) -> None:
        self._parse_conf = parse_conf
        self._built: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._built is None:  # built once, even for a caller holding on to this object
            self._built = self._environment()
        return getattr(self._built, name)

    def _environment(self) -> Any:
        spec = self._parse_conf.__spec__
        assert spec is not None and spec.loader is not None  # imported from its file
        fresh = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fresh)
        environment = getattr(fresh, "jinja_env", None)
        if environment is None:
            raise ImportError("jinja2 must be installed to enable '@jinja' settings in dynaconf")
        for name in ("jinja2", "jinja_env"):  # what its @jinja formatter looks up
            setattr(self._parse_conf, name, getattr(fresh, name))
        return environment
