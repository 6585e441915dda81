"""Code fingerprints: what identifies the code a craft runs.

A craft's fingerprint covers what its function reaches: the function itself and, transitively,
every function, class (with its bases and decorators) and module-level name it refers to in
any module of the project (a file under the project root or ``sources``), through
``from x import f``, ``import x`` then ``x.f``, re-exports and relative imports. Each is
fingerprinted as normalised code (see :mod:`statisfactory.history.code_analysis`), so comments,
docstrings and formatting never count, nor do the definitions the craft does not reach (nor
module-level names spelled like a function's own parameters and locals). A module
whose names cannot be followed one by one (``from x import *``, ``getattr`` with a computed
name, ``exec``…) counts whole. With the environment on (the default; setting
``incremental_environment: false`` turns it off), the versions of the distributions of the
third-party modules the reached code imports, and the Python version, count too.

The fingerprint is the digest of its parts, each named relative to the project root
(``lib/chain/steps.py::scale``, ``package:scikit-learn``), so a moved or cloned project keeps
its fingerprints, and ``--explain`` can say which part changed. A module that cannot be read
or parsed makes a fingerprint that never matches: the craft always runs, and says why.

A module file is looked at (``stat``) once per run and parsed once per file version (kept for
the life of the process, and in the history store across processes), whatever the number of
its crafts. Within a run, what the crafts of one module loading the same names reach (or, for
crafts that are not top-level definitions, what their module reaches) is followed, sorted and
kept once: each craft's fingerprint then adds only its own definition. A file changed within
the last two seconds may change again within the same modification time: its stored analysis
carries the digest of its text, and is used only after the file is read again and found the
same.
"""

from __future__ import annotations

import bisect
import inspect
import os
import stat
import sys
import textwrap
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statisfactory.hashing import RACY_SECONDS
from statisfactory.history.code_analysis import Definition, ModuleCode, analyse, normalised_digest
from statisfactory.history.digests import bytes_digest
from statisfactory.history.distributions import installed, version
from statisfactory.project.settings import flag

UNREADABLE = "unreadable: "  # the value of a part that cannot be fingerprinted
PACKAGE, PYTHON = "package:", "python"
# platform.python_version() (its first word), without importing platform for it
_PYTHON_VERSION = sys.version.split()[0]
_STORE_SUFFIX = "#code3"  # the key of a module's analysis in the store's file digests (its format)
_RACY = "text:"  # an analysis remembered with the digest of its text, to be checked before use


@dataclass(frozen=True, slots=True)
class Code:
    """A craft's code fingerprint; ``problem`` says why there is none; ``parts`` names what
    the digest covers (see the module docstring)."""

    digest: str | None
    problem: str = ""
    parts: Mapping[str, str] = field(default_factory=dict, compare=False)


_FileKey = tuple[str, int, int]  # path, modification time (ns), size
_Node = tuple[str, str, str]  # ("def", module, name) or ("module", module, "")
_SharedKey = tuple[str, str, Any]  # see CodeFingerprints._shared


class _Shared:
    """The parts that crafts share, everything but their own definition, with what their
    digest needs computed once: the parts' lines in order, the first unreadable part."""

    __slots__ = ("code", "keys", "lines", "parts")

    def __init__(self, parts: dict[str, str]) -> None:
        self.parts = parts
        self.keys = sorted(parts)
        self.lines = [f"{key} {parts[key]}" for key in self.keys]
        self.code = _code(parts, self.lines)

    def with_part(self, key: str, value: str) -> Code:
        """The fingerprint of these parts and ``key``: the digest of the parts' sorted
        lines, as :func:`_code` takes it, the new line put in its place."""
        if self.code.digest is None:
            return _code({key: value, **self.parts})
        known = self.parts.get(key)
        if known is not None:  # it reaches itself (recursion), or a name its own shadows
            return self.code if known == value else _code({**self.parts, key: value})
        at = bisect.bisect(self.keys, key)
        lines = self.lines
        text = "\n".join([*lines[:at], f"{key} {value}", *lines[at:]])
        return Code(bytes_digest(text.encode()), parts={**self.parts, key: value})


def _code(parts: dict[str, str], lines: list[str] | None = None) -> Code:
    """The fingerprint of ``parts``: the digest of their lines sorted, none when one of
    them could not be read (the first found says why)."""
    for key, value in parts.items():
        if value.startswith(UNREADABLE):
            return Code(None, f"{key} {value.removeprefix(UNREADABLE)}", parts)
    if lines is None:
        lines = [f"{key} {value}" for key, value in sorted(parts.items())]
    return Code(bytes_digest("\n".join(lines).encode()), parts=parts)


_modules: dict[tuple[_FileKey, str | None], ModuleCode] = {}
_lock = threading.Lock()


@dataclass(slots=True)
class _Module:
    name: str
    label: str  # its path relative to the project root
    code: ModuleCode | None
    problem: str = ""

    @property
    def analysed(self) -> ModuleCode:
        """Its analysis: only modules that were read without a problem are followed."""
        if self.code is None:
            raise RuntimeError(f"module {self.label} was not analysed: {self.problem}")
        return self.code


class CodeFingerprints:
    """The code fingerprints of one run's crafts.

    ``roots`` are the project's folders (its root and ``sources``): modules found there are
    followed; ``store`` (a history store) remembers modules' analyses across processes;
    ``environment`` adds third-party versions and the Python version.
    """

    def __init__(
        self, store: Any = None, *, roots: Iterable[Path] = (), environment: bool = True
    ) -> None:
        self.store = store
        self.roots = [Path(root).resolve() for root in roots]
        self.environment = environment
        self._found: dict[str, _Module | None] = {}  # module name -> module, None if not ours
        self._memo: dict[_Node, tuple[dict[str, str], list[_Node]]] = {}  # node -> edges
        self._packages: dict[str, dict[str, str]] = {}  # top-level module -> its parts
        self._distributions: Mapping[str, list[str]] | None = None  # read once per run
        self._own: dict[Any, str] = {}  # code object -> digest of its source (nested functions)
        self._reach: dict[_SharedKey, _Shared] = {}  # see _shared

    @classmethod
    def of_session(cls, session: Any, store: Any = None) -> CodeFingerprints:
        """The fingerprints of a session's project, as its settings ask."""
        config = session.config
        environment = flag(session.settings, "incremental_environment", default=True)
        return cls(store, roots=(config.root, config.sources), environment=environment)

    def of(self, craft: Any) -> Code:
        """The fingerprint of what ``craft``'s function reaches."""
        function = craft.function
        if hasattr(function, "__wrapped__"):  # decorated under @Craft: the user's own function
            function = inspect.unwrap(function)
        if function.__name__ == "<lambda>":
            return Code(None, "it is a lambda, whose source cannot be told apart from its line")
        module = self._module(function.__module__, always=True)
        if module is None or (module.code is None and not module.problem):
            return Code(
                None,
                f"its module {function.__module__!r} has no source file (defined in a notebook "
                "cell or interactively); compile notebook crafts with `statisfactory compile`",
            )
        if module.problem:
            return Code(None, f"its module {module.label} {module.problem}")
        name = function.__name__
        owner = sys.modules.get(module.name)
        code = module.analysed
        definition = code.definitions.get(name)
        if definition is not None and getattr(owner, name, None) is craft:
            if code.dynamic:  # followed whole: the same fingerprint for every craft of it
                return self._shared(("module", module.name, "")).code
            # What the definition reaches besides itself depends only on the names it loads:
            # crafts of one module loading the same names share it (see _Shared).
            loads = (definition.names, definition.chains)
            shared = self._shared(("loads", module.name, loads))
            return shared.with_part(f"{module.label}::{name}", definition.digest)
        # Not a top-level definition of its module: a factory, a nested function.
        own = self._own.get(function.__code__)  # the crafts one factory made share it
        if own is None:
            try:
                source = textwrap.dedent(inspect.getsource(function))
                own = self._own[function.__code__] = normalised_digest(source, module.label)
            except (OSError, TypeError, SyntaxError) as error:
                return Code(None, f"inspect.getsource cannot read it ({error})")
        shared = self._shared(("module", module.name, ""))  # the same for the whole module
        return shared.with_part(f"{module.label}::{function.__qualname__}", own)

    def _shared(self, key: _SharedKey) -> _Shared:
        """What crafts reach besides their own definition, computed once per run: a module
        followed whole (``("module", name, "")``), or what the names and chains loaded by a
        definition of module ``name`` reach (``("loads", name, (names, chains))``)."""
        found = self._reach.get(key)
        if found is not None:
            return found
        kind, module_name, loads = key
        if kind == "module":
            parts = self._closure(key)
        else:
            module = self._module(module_name)
            assert module is not None and module.code is not None  # a craft's module, analysed
            direct: dict[str, str] = {}
            children: list[_Node] = []
            if module.code.preamble:
                direct[f"{module.label}::"] = module.code.preamble
            self._references(module, Definition("", *loads), direct, children)
            parts = self._closure(None, (direct, children))
        if self.environment:
            parts[PYTHON] = _PYTHON_VERSION
        found = self._reach[key] = _Shared(parts)
        return found

    # --- what a definition reaches --------------------------------------------------------
    def _closure(
        self, root: _Node | None, start: tuple[dict[str, str], list[_Node]] | None = None
    ) -> dict[str, str]:
        """The parts of every node ``root`` reaches (each node's own edges found once), or,
        without a root, of the edges ``start`` and every node they reach."""
        parts: dict[str, str] = {}
        seen: set[_Node | None] = {root}
        pending: list[_Node | None] = [root]
        while pending:
            node = pending.pop()
            if node is None:
                assert start is not None  # the root's edges are given
                edges = start
            else:
                edges = self._memo.get(node)  # type: ignore[assignment]
                if edges is None:
                    edges = self._memo[node] = self._direct(node)
            parts.update(edges[0])
            for child in edges[1]:
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
        return parts

    def _direct(self, node: _Node) -> tuple[dict[str, str], list[_Node]]:
        """The parts of ``node`` itself, and the nodes it refers to."""
        kind, module_name, name = node
        module = self._module(module_name)
        assert module is not None and module.code is not None  # nodes are made for ours only
        code = module.code
        parts: dict[str, str] = {}
        children: list[_Node] = []
        if code.preamble:
            parts[f"{module.label}::"] = code.preamble
        if kind == "module" or code.dynamic:
            parts[module.label] = code.whole
            definitions: Iterable[Definition] = code.definitions.values()
            for star in code.stars:
                self._target(star, None, True, parts, children)
            for targets in code.imports.values():
                for target_module, attribute in targets:
                    self._target(target_module, attribute, True, parts, children)
        else:
            definitions = [code.definitions[name]]
            parts[f"{module.label}::{name}"] = code.definitions[name].digest
        for definition in definitions:
            self._references(module, definition, parts, children)
        return parts, children

    def _references(
        self, module: _Module, definition: Definition, parts: dict[str, str], children: list
    ) -> None:
        code = module.analysed
        for bare in definition.names:
            self._name(module, bare, True, parts, children)
        for chain in definition.chains:
            first = chain[0]
            if first in code.definitions:  # an attribute of one of the module's own objects
                children.append(("def", module.name, first))
                continue
            for target_module, attribute in code.imports.get(first, ()):
                if attribute is not None:
                    if self._module(f"{target_module}.{attribute}") is None:
                        continue  # an imported object: reached by its name
                    target_module = f"{target_module}.{attribute}"
                self._chain(target_module, chain[1:], parts, children)

    def _name(
        self, module: _Module, name: str, bare: bool, parts: dict[str, str], children: list
    ) -> None:
        code = module.analysed
        if name in code.definitions:
            children.append(("def", module.name, name))
            return
        for target_module, attribute in code.imports.get(name, ()):
            self._target(target_module, attribute, bare, parts, children)

    def _target(
        self,
        module_name: str,
        attribute: str | None,
        bare: bool,
        parts: dict[str, str],
        children: list,
    ) -> None:
        """What an import of ``attribute`` (or of the module, when None) from ``module_name``
        reaches; ``bare`` when the name is used as a value, not only as ``name.attribute``."""
        module = self._module(module_name)
        if module is None:
            self._package(module_name, parts)
            return
        if module.code is None:
            parts[module.label] = UNREADABLE + module.problem
            return
        if attribute is None:
            if bare:  # the module object itself is used: all of it may be reached
                children.append(("module", module_name, ""))
            return
        code = module.code
        if attribute in code.definitions:
            children.append(("def", module_name, attribute))
        elif attribute in code.imports:  # a re-export
            for target_module, target_attribute in code.imports[attribute]:
                if (target_module, target_attribute) != (module_name, attribute):
                    self._target(target_module, target_attribute, bare, parts, children)
        elif self._module(f"{module_name}.{attribute}") is not None:
            self._target(f"{module_name}.{attribute}", None, bare, parts, children)
        else:  # a name the analysis does not see defined there (a star import…): all of it
            children.append(("module", module_name, ""))

    def _chain(
        self, module_name: str, chain: tuple[str, ...], parts: dict[str, str], children: list
    ) -> None:
        """What ``module.a.b…`` reaches, ``module_name`` being imported."""
        for index, attribute in enumerate(chain):
            module = self._module(module_name)
            if module is None or module.code is None:
                self._target(module_name, None, False, parts, children)
                return
            sub = f"{module_name}.{attribute}"
            if attribute not in module.code.definitions and self._module(sub) is not None:
                module_name = sub  # a submodule: go on along the chain
                continue
            self._target(module_name, attribute, index == len(chain) - 1, parts, children)
            return
        self._target(module_name, None, False, parts, children)

    # --- third-party distributions --------------------------------------------------------
    def _package(self, module_name: str, parts: dict[str, str]) -> None:
        if not self.environment:
            return
        top = module_name.partition(".")[0]
        found = self._packages.get(top)
        if found is None:  # once per top-level module and run, whatever its importers
            found = self._packages[top] = self._package_parts(top)
        parts.update(found)

    def _package_parts(self, top: str) -> dict[str, str]:
        if not top or top in sys.stdlib_module_names or top in sys.builtin_module_names:
            return {}
        if self._distributions is None:  # read once per run
            self._distributions = installed(self.store)
        return {PACKAGE + name: version(name) for name in self._distributions.get(top, ())}

    # --- modules of the project -----------------------------------------------------------
    def _module(self, name: str, *, always: bool = False) -> _Module | None:
        """The project's module ``name`` analysed, or None when it is not the project's;
        ``always`` takes it wherever its file is (a craft's own module)."""
        if name in self._found and not (always and self._found[name] is None):
            return self._found[name]
        found = self._found[name] = self._find(name, always)
        return found

    def _find(self, name: str, always: bool) -> _Module | None:
        loaded = sys.modules.get(name)
        if loaded is not None:
            filename = getattr(loaded, "__file__", None)
            package = getattr(loaded, "__package__", None)
        else:
            filename, package = self._search(name), None
        if not filename or not (always or self._is_ours(filename)):
            return None
        if package is None:
            package = name if Path(filename).name == "__init__.py" else name.rpartition(".")[0]
        label = self._label(filename)
        try:
            info = os.stat(filename)
        except OSError as error:
            return _Module(name, label, None, f"cannot be read ({error.strerror})")
        if not stat.S_ISREG(info.st_mode):
            return None if not always else _Module(name, label, None, "is not a file")
        key = (filename, info.st_mtime_ns, info.st_size)
        try:
            return _Module(name, label, _analysed(key, package, self.store))
        except (OSError, UnicodeDecodeError) as error:
            return _Module(name, label, None, f"cannot be read ({error})")
        except SyntaxError as error:
            return _Module(
                name, label, None, f"cannot be parsed ({error.msg}, line {error.lineno})"
            )

    def _search(self, name: str) -> str | None:
        """The file of module ``name`` not imported yet, on the project's import path."""
        parts = name.split(".")
        for entry in sys.path:
            if not entry or not self._is_ours(entry):
                continue
            base = Path(entry, *parts)
            for candidate in (base.parent / f"{base.name}.py", base / "__init__.py"):
                if candidate.is_file():
                    return str(candidate)
        return None

    def _is_ours(self, filename: str) -> bool:
        path = Path(filename).resolve()
        if "site-packages" in path.parts or "dist-packages" in path.parts:
            return False
        if path.is_relative_to(Path(sys.prefix).resolve()):
            return False  # the project's own virtualenv
        return any(path.is_relative_to(root) for root in self.roots)

    def _label(self, filename: str) -> str:
        path = Path(filename).resolve()
        for root in self.roots:
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
        return path.as_posix()


def _analysed(key: _FileKey, package: str | None, store: Any) -> ModuleCode:
    cached = _modules.get((key, package))
    if cached is not None:
        return cached
    filename, mtime_ns, size = key
    stored_key = f"{filename}{_STORE_SUFFIX}:{package}"
    remembered = store.known_digest(stored_key, size, mtime_ns) if store else None
    text = None
    if remembered is not None and remembered.startswith(_RACY):
        # Analysed within RACY_SECONDS of a change: the file may have changed again since
        # within the same modification time, so the analysis holds only for the same text.
        content, _, remembered = remembered.removeprefix(_RACY).partition("\n")
        text = Path(filename).read_text(encoding="utf-8")
        if bytes_digest(text.encode()) != content:
            remembered = None
    if remembered is not None:
        code = ModuleCode.from_json(remembered)
    else:
        text = Path(filename).read_text(encoding="utf-8") if text is None else text
        code = analyse(text, filename, package)
    racy = time.time() - mtime_ns / 1e9 <= RACY_SECONDS
    if store is not None and (remembered is None or (text is not None and not racy)):
        value = code.to_json()
        if racy:
            assert text is not None  # read above, to be analysed
            value = f"{_RACY}{bytes_digest(text.encode())}\n{value}"
        store.remember_digest(stored_key, size, mtime_ns, value)
    with _lock:
        _modules[key, package] = code
    return code


def describe_change(before: Mapping[str, str], now: Mapping[str, str]) -> str:
    """What differs between two fingerprints' parts, for a person: "helper `features.scale`
    (lib/features.py) changed", "scikit-learn 1.5.1 → 1.6.0"."""
    changes = list(_changes(before, now))
    if not changes:
        return ""
    shown = "; ".join(changes[:3])
    return shown + (f" (and {len(changes) - 3} more)" if len(changes) > 3 else "")


def _changes(before: Mapping[str, str], now: Mapping[str, str]) -> Iterator[str]:
    for key in sorted(set(before) | set(now), key=_order):
        old, new = before.get(key), now.get(key)
        if old == new:
            continue
        if key == PYTHON:
            yield f"Python {old or '?'} → {new or '?'}"
        elif key.startswith(PACKAGE):
            name = key.removeprefix(PACKAGE)
            if old is None:
                yield f"now imports {name} {new}"
            elif new is None:
                yield f"no longer imports {name} {old}"
            else:
                yield f"{name} {old} → {new}"
        else:
            what = _what(key)
            if old is None:
                yield f"now reaches {what}"
            elif new is None:
                yield f"no longer reaches {what}"
            else:
                yield f"{what} changed"


def _order(key: str) -> tuple[int, str]:
    return (1 if key.startswith(PACKAGE) or key == PYTHON else 0, key)


def _what(key: str) -> str:
    path, _, name = key.partition("::")
    stem = Path(path).stem if Path(path).name != "__init__.py" else Path(path).parent.name
    if "::" not in key:
        return f"module {path} (followed whole)"
    if not name:
        return f"the module-level statements of {path}"
    return f"helper `{stem}.{name}` ({path})"
