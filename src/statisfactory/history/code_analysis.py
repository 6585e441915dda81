"""What one module defines and what each of its definitions refers to, from its normalised code.

A module is parsed once per file version. Each top-level function, class and assigned name
gets the digest of its normalised syntax tree (docstrings removed, dumped without positions,
so comments, docstrings, blank lines and formatting never change it) and the names and dotted
attribute chains it loads. Code the analysis cannot follow name by name (``from x import *``,
``getattr`` with a computed name, ``importlib.import_module``, ``exec``, ``eval``,
``globals()``…) is reported, so that the module is then fingerprinted whole.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from statisfactory import syntax
from statisfactory.history.digests import bytes_digest

# Calls whose effect on which names are reached cannot be read from the code.
_DYNAMIC_CALLS = frozenset({"exec", "eval", "globals", "locals", "vars", "__import__"})
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_WITH_DOCSTRING = frozenset({ast.Module, *_DEFINITIONS})
_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True, slots=True)
class Definition:
    """One top-level name: the digest of what binds it, and what that code loads."""

    digest: str
    names: tuple[str, ...]  # names loaded as values (bodies, decorators, bases, defaults)
    chains: tuple[tuple[str, ...], ...]  # dotted chains ``a.b.c`` starting at a bare name


@dataclass(frozen=True, slots=True)
class ModuleCode:
    """The analysis of one module file; see the module docstring."""

    whole: str  # digest of the whole normalised module
    preamble: str  # digest of the statements run at import that bind no name ("" if none)
    definitions: Mapping[str, Definition]
    imports: Mapping[str, tuple[tuple[str, str | None], ...]]  # name -> (module, attribute)
    stars: tuple[str, ...]  # modules imported with ``*``
    dynamic: str  # why its names cannot be followed one by one ("" when they can)

    def to_json(self) -> str:
        definitions = {n: [d.digest, d.names, d.chains] for n, d in self.definitions.items()}
        imports = {n: [list(t) for t in ts] for n, ts in self.imports.items()}
        fields = [self.whole, self.preamble, definitions, imports, self.stars, self.dynamic]
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> ModuleCode:
        whole, preamble, definitions, imports, stars, dynamic = json.loads(text)
        return cls(
            whole,
            preamble,
            {
                name: Definition(digest, tuple(names), tuple(tuple(c) for c in chains))
                for name, (digest, names, chains) in definitions.items()
            },
            {name: tuple((m, a) for m, a in targets) for name, targets in imports.items()},
            tuple(stars),
            dynamic,
        )


def analyse(text: str, filename: str, package: str | None) -> ModuleCode:
    """The analysis of module source ``text``; ``package`` resolves its relative imports.

    Raises :class:`SyntaxError` when the text is not Python. Each top-level statement is
    dumped and walked once (a module of thousands of crafts is analysed in one pass).
    """
    tree = syntax.parse(text, filename)
    _drop_docstring(tree)
    imports: dict[str, list[tuple[str, str | None]]] = {}
    stars: list[str] = []
    dynamic = ""
    dumps: list[str] = []
    preamble: list[str] = []
    bound: dict[str, list[tuple[str, _Scan]]] = {}
    for statement in tree.body:
        scan = _scan(statement, package, imports, stars)  # first: it drops docstrings
        dumped = ast.dump(statement)
        dumps.append(dumped)
        dynamic = dynamic or scan.dynamic
        if isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        names = _bound_names(statement)
        if not names:
            preamble.append(dumped)
        for name in names:
            bound.setdefault(name, []).append((dumped, scan))
    return ModuleCode(
        whole=bytes_digest("\n".join(dumps).encode()),
        preamble=bytes_digest("\n".join(preamble).encode()) if preamble else "",
        definitions={name: _definition(entries) for name, entries in bound.items()},
        imports={name: tuple(targets) for name, targets in imports.items()},
        stars=tuple(stars),
        dynamic=dynamic or ("it uses `from x import *`" if stars else ""),
    )


@dataclass(slots=True)
class _Scan:
    names: dict[str, None]
    chains: dict[tuple[str, ...], None]
    dynamic: str


def _scan(
    statement: ast.AST,
    package: str | None,
    imports: dict[str, list[tuple[str, str | None]]],
    stars: list[str],
) -> _Scan:
    """One walk of ``statement``: the names and chains it loads, whether it is dynamic; the
    imports it makes (a function's own imports count too) are added to ``imports``/``stars``."""
    scan = _Scan({}, {}, "")
    heads: set[int] = set()  # names used as `name.attribute`: their chains say what they reach
    for node in ast.walk(statement):  # breadth first: an attribute comes before its name
        kind = type(node)
        # `type(...) is` rather than isinstance: this loop visits every node of the project
        if kind is ast.Name:
            name = cast(ast.Name, node)
            if id(node) not in heads and isinstance(name.ctx, ast.Load):
                scan.names[name.id] = None
        elif kind is ast.Attribute:
            attribute = cast(ast.Attribute, node)
            chain = _chain(attribute)
            if chain:
                scan.chains[chain] = None
            if type(attribute.value) is ast.Name:
                heads.add(id(attribute.value))
        elif kind in _WITH_DOCSTRING:
            _drop_docstring(cast(_Documented, node))
        elif kind is ast.Call:
            scan.dynamic = scan.dynamic or _dynamic(cast(ast.Call, node))
        elif kind is ast.Import:
            for alias in cast(ast.Import, node).names:
                if alias.asname:
                    imports.setdefault(alias.asname, []).append((alias.name, None))
                else:  # `import a.b` binds `a`
                    top = alias.name.split(".")[0]
                    imports.setdefault(top, []).append((top, None))
        elif kind is ast.ImportFrom:
            imported = cast(ast.ImportFrom, node)
            module = _absolute(imported, package)
            for alias in imported.names:
                if alias.name == "*":
                    stars.append(module)
                else:
                    imports.setdefault(alias.asname or alias.name, []).append((module, alias.name))
    return scan


def normalised_digest(text: str, filename: str) -> str:
    """The digest of source ``text`` (a function's, dedented) as normalised code."""
    tree = syntax.parse(text, filename)
    _drop_docstrings(tree)
    return bytes_digest(ast.dump(tree).encode())


def _drop_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if type(node) in _WITH_DOCSTRING:
            _drop_docstring(cast(_Documented, node))


_Documented = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _drop_docstring(
    node: _Documented,
) -> None:
    body = node.body
    first = body[0].value if body and isinstance(body[0], ast.Expr) else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        node.body = body[1:] or [ast.Pass()]


def _absolute(node: ast.ImportFrom, package: str | None) -> str:
    if not node.level:
        return node.module or ""
    relative = "." * node.level + (node.module or "")
    try:
        return importlib.util.resolve_name(relative, package)
    except (ImportError, ValueError):  # a relative import outside a package: never found
        return relative


def _dynamic(node: ast.Call) -> str:
    """Why the call reaches names the analysis cannot see, or ""."""
    function = node.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
    if name in _DYNAMIC_CALLS:
        return f"it calls `{name}()`"
    if name == "import_module":
        return "it calls `importlib.import_module()`"
    computed = len(node.args) < 2 or not isinstance(node.args[1], ast.Constant)
    if name == "getattr" and isinstance(function, ast.Name) and computed:
        return "it calls `getattr()` with a computed name"
    return ""


def _bound_names(statement: ast.stmt) -> list[str]:
    """The top-level names ``statement`` binds (a compound statement's body's too, not the
    locals of its functions or comprehensions)."""
    if isinstance(statement, _DEFINITIONS):
        return [statement.name]
    names: dict[str, None] = {}
    pending = list(ast.iter_child_nodes(statement))
    while pending:
        node = pending.pop()
        if isinstance(node, _DEFINITIONS):
            names[node.name] = None
            continue
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names[node.id] = None
        pending.extend(ast.iter_child_nodes(node))
    return list(names)


def _definition(entries: list[tuple[str, _Scan]]) -> Definition:
    names: dict[str, None] = {}
    chains: dict[tuple[str, ...], None] = {}
    for _, scan in entries:
        names.update(scan.names)
        chains.update(scan.chains)
    dumped = "\n".join(dumped for dumped, _ in entries)
    return Definition(bytes_digest(dumped.encode()), tuple(names), tuple(chains))


def _chain(node: ast.Attribute) -> tuple[str, ...]:
    parts: list[str] = []
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return ()
    parts.append(current.id)
    return tuple(reversed(parts))
