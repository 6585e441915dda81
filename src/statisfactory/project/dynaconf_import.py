"""Import dynaconf without loading Flask, which its package imports for an extension we never use.

``import dynaconf`` imports ``dynaconf.contrib``, whose Flask extension imports all of Flask and
Werkzeug when Flask is installed (MLflow brings it): about half the cost of a ``Session()``.
:func:`import_dynaconf` imports dynaconf with Flask hidden from that one import, in this thread
only, then forgets the extension built without Flask, so that a program of the same process
using ``dynaconf.FlaskDynaconf`` (or ``dynaconf.contrib``) imports the real one on first use.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

_EXTENSION = "dynaconf.contrib.flask_dynaconf"
_CONTRIB = "dynaconf.contrib"
_LAZY_NAMES = ("FlaskDynaconf", "contrib")  # what ``dynaconf`` gets from the extension


class _FlaskHidden:
    """A meta-path finder that makes ``flask`` unimportable, for one thread's import only."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] == "flask" and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def import_dynaconf() -> ModuleType:
    """The ``dynaconf`` package, imported without Flask unless something imported Flask first."""
    module = sys.modules.get("dynaconf")
    if module is not None:
        return module
    if "flask" in sys.modules:  # already paid for: dynaconf's extension may as well be real
        return importlib.import_module("dynaconf")
    finder = _FlaskHidden()
    sys.meta_path.insert(0, finder)
    try:
        module = importlib.import_module("dynaconf")
    finally:
        sys.meta_path.remove(finder)
    _forget_extension(module)
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
