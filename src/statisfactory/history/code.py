"""Code fingerprints: what identifies the code a craft runs.

A craft's fingerprint is its function's source plus its module's source without the other
crafts' definitions, so that editing one craft does not invalidate its neighbours while editing
a helper or a constant of the module invalidates them all. A craft whose source cannot be read
(a lambda, a notebook cell, a function built with ``exec``) has no fingerprint.

Fingerprints are kept per code object and module file version for the life of the process, and
a module file is looked at (``stat``) once per run, so a run of many crafts reads no file and
parses no source for each of them.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statisfactory import syntax
from statisfactory.history.digests import bytes_digest
from statisfactory.pipeline.craft import Craft
from statisfactory.protocols import DigestStore

RACY_SECONDS = 2.0  # a module younger than this may change again within its modification time


@dataclass(frozen=True, slots=True)
class Code:
    """A craft's code fingerprint; ``problem`` says why there is none."""

    digest: str | None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class _ModuleSource:
    rest: str  # digest of the module without its crafts' definitions
    crafts: Mapping[str, str]  # top-level craft name -> digest of its definition


_FileKey = tuple[str, int, int]  # path, modification time (ns), size
_modules: dict[_FileKey, _ModuleSource] = {}
_codes: dict[tuple[Any, _FileKey], Code] = {}
_lock = threading.Lock()


class CodeFingerprints:
    """The code fingerprints of one run's crafts; ``store`` (a history store) remembers
    modules' fingerprints across processes."""

    def __init__(self, store: DigestStore | None = None) -> None:
        self.store = store
        self._files: dict[str, tuple[_FileKey, Any] | Code] = {}  # module name -> file or problem

    def of(self, craft: Any) -> Code:
        """The fingerprint of ``craft``'s function and of the module around it."""
        function = craft.function
        if hasattr(function, "__wrapped__"):  # decorated under @Craft: the user's own function
            function = inspect.unwrap(function)
        if function.__name__ == "<lambda>":
            return Code(None, "it is a lambda, whose source cannot be told apart from its line")
        found = self._file(function.__module__)
        if isinstance(found, Code):
            return found
        key, module = found
        cached = _codes.get((function.__code__, key))
        if cached is None:
            cached = self._compute(craft, function, module, key)
            with _lock:
                _codes[function.__code__, key] = cached
        return cached

    def _file(self, module_name: str) -> tuple[_FileKey, Any] | Code:
        found = self._files.get(module_name)
        if found is None:
            found = self._files[module_name] = _module_file(module_name)
        return found

    def _compute(self, craft: Any, function: Any, module: Any, key: _FileKey) -> Code:
        try:
            source = _module_source(key, module, self.store)
        except (OSError, SyntaxError, ValueError) as error:
            return Code(None, f"its module's source {key[0]} cannot be read ({error})")
        own = source.crafts.get(function.__name__)
        if own is None or getattr(module, function.__name__, None) is not craft:
            try:  # not a top-level definition of its module: a factory, a nested function
                own = bytes_digest(inspect.getsource(function).encode())
            except (OSError, TypeError) as error:
                return Code(None, f"inspect.getsource cannot read it ({error})")
        return Code(bytes_digest(f"{own}\n{source.rest}".encode()))


def _module_file(module_name: str) -> tuple[_FileKey, Any] | Code:
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    try:
        info = os.stat(filename) if filename else None
    except OSError:
        info = None
    if not filename or info is None or not stat.S_ISREG(info.st_mode):
        return Code(
            None,
            f"its module {module_name!r} has no source file (defined in a notebook "
            "cell or interactively); compile notebook crafts with `statisfactory compile`",
        )
    return (filename, info.st_mtime_ns, info.st_size), module


def _module_source(key: _FileKey, module: Any, store: DigestStore | None) -> _ModuleSource:
    cached = _modules.get(key)
    if cached is not None:
        return cached
    filename, mtime_ns, size = key
    remembered = store.known_digest(f"{filename}#crafts", size, mtime_ns) if store else None
    if remembered is not None:
        rest, crafts = json.loads(remembered)
        source = _ModuleSource(rest, crafts)
    else:
        source = _parse(filename, module)
        if store is not None and time.time() - mtime_ns / 1e9 > RACY_SECONDS:
            payload = json.dumps([source.rest, dict(source.crafts)])
            store.remember_digest(f"{filename}#crafts", size, mtime_ns, payload)
    with _lock:
        _modules[key] = source
    return source


def _parse(filename: str, module: Any) -> _ModuleSource:
    """The module's source split into its top-level crafts' definitions and the rest."""
    text = Path(filename).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    crafts: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for node in syntax.parse(text, filename).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not _is_craft(getattr(module, node.name, None)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        spans.append((first, node.end_lineno or node.lineno))
        crafts[node.name] = bytes_digest("".join(lines[first : node.end_lineno]).encode())
    kept = list(lines)
    for first, last in spans:
        kept[first:last] = [""] * (last - first)
    return _ModuleSource(rest=bytes_digest("".join(kept).encode()), crafts=crafts)


def _is_craft(value: Any) -> bool:
    return isinstance(value, Craft)
