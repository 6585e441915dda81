"""What one module defines and what each of its definitions refers to, from its normalised code.

A module is parsed once per file version. Each top-level function, class and assigned name
gets the digest of its normalised syntax tree (docstrings removed, serialised without
positions, so comments, docstrings, blank lines and formatting never change it) and the names
and dotted attribute chains it loads. Code the analysis cannot follow name by name (``from x import *``,
``getattr`` with a computed name, ``importlib.import_module``, ``exec``, ``eval``,
``globals()``…) is reported, so that the module is then fingerprinted whole.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from statisfactory import syntax
from statisfactory.collector import collector_paused
from statisfactory.history.digests import bytes_digest

# Calls whose effect on which names are reached cannot be read from the code.
_DYNAMIC_CALLS = frozenset({"exec", "eval", "globals", "locals", "vars", "__import__"})
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_WITH_DOCSTRING = frozenset({ast.Module, *_DEFINITIONS})
_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_NESTED = frozenset({*_DEFINITIONS, *_SCOPES})  # the nodes that open a scope of their own


class _Mark(ast.AST):
    """A mark the walk puts on its stack between nodes; never a node of the tree."""


_LEAVE = _Mark()  # after a nested scope's nodes: the walk leaves it
_OUTSIDE, _INSIDE = _Mark(), _Mark()  # around what a function's definition runs where it is

# Nodes without fields (contexts, operators), about a third of a tree's nodes, by their token:
# the walk puts the token on its stack in their place and does not visit them.
_LEAVES: dict[type, str] = {
    kind: kind.__name__
    for base in (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
    for kind in base.__subclasses__()
}


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
        one: dict[tuple, tuple] = {}  # definitions loading the same names share one tuple
        return cls(
            whole,
            preamble,
            {
                name: Definition(
                    digest,
                    one.setdefault(loaded := tuple(names), loaded),
                    one.setdefault(key := tuple(tuple(c) for c in chains), key),
                )
                for name, (digest, names, chains) in definitions.items()
            },
            {name: tuple((m, a) for m, a in targets) for name, targets in imports.items()},
            tuple(stars),
            dynamic,
        )


def analyse(text: str, filename: str, package: str | None) -> ModuleCode:
    """The analysis of module source ``text``; ``package`` resolves its relative imports.

    Raises :class:`SyntaxError` when the text is not Python. Each top-level statement is
    walked once, serialised and scanned in the same pass (a module of thousands of crafts is
    analysed in one pass, in time proportional to its size), and a long module is parsed a
    slice at a time (:func:`_sliced`), so its whole tree is never in memory.
    """
    with collector_paused():  # the tree is millions of objects, none of them garbage
        return _analysed(text, filename, package)


def _analysed(text: str, filename: str, package: str | None) -> ModuleCode:
    try:
        return _analysed_tree(_sliced(text, filename), package)
    except SyntaxError:  # a cut fell where no statement starts, or the text is not Python
        return _analysed_tree(syntax.parse(text, filename).body, package)


# A module longer than this is parsed a slice at a time, so that a module of thousands of crafts
# never has its whole syntax tree in memory (it is many times the size of its text).
SLICE_CHARS = 64_000
# Where a slice may end: before a definition (or its decorator) at column 0 after a blank line.
_CUT = re.compile(r"\n[ \t\r\f]*\n(?=def |async def |class |@)")


def _sliced(text: str, filename: str) -> Iterator[ast.stmt]:
    """The top-level statements of ``text``, parsed one slice after the other.

    Raises :class:`SyntaxError` when a slice is not whole Python: the cut fell inside a string
    or before code continuing a statement (the caller then parses the text whole). A slice that
    parses ends where the tokenizer is back at the start of a line, outside any bracket or
    string, so the next slice starts where the whole text's next statement does.
    """
    start = 0
    while start < len(text):
        cut = _CUT.search(text, start + SLICE_CHARS) if len(text) - start > SLICE_CHARS else None
        end = cut.end() if cut else len(text)
        yield from syntax.parse(text[start:end], filename).body
        start = end


def _analysed_tree(statements: Iterable[ast.stmt], package: str | None) -> ModuleCode:
    """The analysis of a module's top-level ``statements``; each is dropped once scanned."""
    imports: dict[str, list[tuple[str, str | None]]] = {}
    stars: list[str] = []
    dynamic = ""
    dumps: list[str] = []
    preamble: list[str] = []
    bound: dict[str, list[tuple[str, _Scan]]] = {}
    shared: dict[tuple, tuple] = {}  # definitions loading the same names share one tuple
    documented = False
    for position, statement in enumerate(statements):
        if position == 0 and _is_docstring(statement):
            documented = True  # the module's docstring: its statements are walked one by one
            continue
        scan = _scan(statement, package, imports, stars)
        dumped = scan.code
        dumps.append(dumped)
        dynamic = dynamic or scan.dynamic
        if isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        names = _bound_names(statement)
        if not names:
            preamble.append(dumped)
        for name in names:
            bound.setdefault(name, []).append((dumped, scan))
    if documented and not dumps:  # a module that is only a docstring reads as `pass`
        dumps.append(_scan(ast.Pass(), package, imports, stars).code)
        preamble.append(dumps[0])
    return ModuleCode(
        whole=bytes_digest("\n".join(dumps).encode()),
        preamble=bytes_digest("\n".join(preamble).encode()) if preamble else "",
        definitions={name: _definition(entries, shared) for name, entries in bound.items()},
        imports={name: tuple(targets) for name, targets in imports.items()},
        stars=tuple(stars),
        dynamic=dynamic or ("it uses `from x import *`" if stars else ""),
    )


@dataclass(slots=True)
class _Scan:
    names: dict[str, None]
    chains: dict[tuple[str, ...], None]
    dynamic: str
    code: str = ""  # the normalised serialisation of the statement
    own: set[str] = field(default_factory=set)  # bound in the statement's own scope
    nested: set[str] = field(default_factory=set)  # bound in a scope nested in it
    declared: set[str] = field(default_factory=set)  # named by a `global` or `nonlocal`
    outside: set[str] = field(default_factory=set)  # in a function's decorators, defaults…


def _scan(
    statement: ast.AST,
    package: str | None,
    imports: dict[str, list[tuple[str, str | None]]],
    stars: list[str],
) -> _Scan:
    """One walk of ``statement``: its normalised code, the names and chains it loads, whether
    it is dynamic; the imports it makes (a function's own imports count too) are added to
    ``imports``/``stars``.

    The code is the tree depth first, each node as its type then one token per field: ``*``
    for a node (serialised after it, in order), ``[n`` then the items of a list, else the
    value's ``repr`` — positions are attributes, not fields, so they are left out. Docstrings
    are dropped as their definition is reached.
    """
    scan = _Scan({}, {}, "")
    heads: set[int] = set()  # names used as `name.attribute`: their chains say what they reach
    tokens: list[str] = []
    pending: list[ast.AST | str] = [statement]
    depth = 0  # how many scopes nested in the statement's the walk is in
    outside = False  # in what a top-level function's definition runs (decorators, defaults…)
    append, pop, leaves = tokens.append, pending.pop, _LEAVES
    node: Any  # a node or a leaf's token; no cast() in this loop: a call per node
    while pending:
        node = pop()  # depth first, parents first: an attribute comes before its name
        kind = type(node)
        # `type(...) is` rather than isinstance: this loop visits every node of the project
        if kind is str:  # a leaf's token
            append(node)
            continue
        if kind is ast.Name:  # the commonest node, whole here: `Name`, its id, its context
            if outside:
                scan.outside.add(node.id)
            if type(node.ctx) is not ast.Load:  # stored or deleted: a name of that scope
                (scan.nested if depth else scan.own).add(node.id)
            elif id(node) not in heads:
                scan.names[node.id] = None
            tokens.extend(("Name", repr(node.id), "*", leaves[type(node.ctx)]))
            continue
        if kind is ast.Constant:  # a leaf too, but for its fields' values
            tokens.extend(("Constant", repr(node.value), repr(node.kind)))
            continue
        if kind is _Mark:
            if node is _LEAVE:
                depth -= 1
            else:
                outside = node is _OUTSIDE
            continue
        if kind is ast.arg:
            (scan.nested if depth else scan.own).add(cast(ast.arg, node).arg)
        elif kind is ast.Global or kind is ast.Nonlocal:
            scan.declared.update(cast(ast.Global, node).names)
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
        append(kind.__name__)
        children: list[ast.AST | str] = []
        for field_name in kind._fields:
            value = getattr(node, field_name, None)
            if isinstance(value, ast.AST):
                append("*")
                children.append(leaves.get(type(value), value))
            elif type(value) is list:
                append(f"[{len(value)}")
                for item in value:
                    if isinstance(item, ast.AST):
                        append("*")
                        children.append(leaves.get(type(item), item))
                    else:  # the names of `global`, a `None` key of `{**d}`…
                        append(repr(item))
            else:
                append(repr(value))
        if kind in _NESTED and node is not statement:
            if depth == 0 and kind in _DEFINITIONS:  # its name is bound where it is defined
                scan.own.add(cast(ast.FunctionDef, node).name)
            depth += 1
            pending.append(_LEAVE)
        elif node is statement and kind in _FUNCTIONS:
            children = _marking_outside(cast(ast.FunctionDef, node), children)
        pending.extend(reversed(children))
    scan.code = "\x00".join(tokens)  # a repr never holds a raw NUL: tokens stay apart
    if isinstance(statement, _FUNCTIONS):
        _drop_locals(scan)
    return scan


def _marking_outside(
    function: ast.FunctionDef, children: list[ast.AST | str]
) -> list[ast.AST | str]:
    """``function``'s children, marks put around those run where it is defined."""
    outside = {id(function.args), id(function.returns), *map(id, function.decorator_list)}
    return [
        part
        for child in children
        for part in ((_OUTSIDE, child, _INSIDE) if id(child) in outside else (child,))
    ]


def _drop_locals(scan: _Scan) -> None:
    """Leave out of what the scanned top-level function loads the names that are its locals.

    A parameter, or a name assigned in the function's own body, is local to all of it: a load
    of it there or in a scope nested in it never reaches the module's name of the same
    spelling. Kept, as a load may reach the module's: a name also bound in a nested scope (a
    class body may read it from the module first), one a ``global`` names, and one loaded by
    what runs where the function is defined (decorators, defaults, annotations).
    """
    local = scan.own - scan.nested - scan.declared - scan.outside
    if not local:
        return
    scan.names = {name: None for name in scan.names if name not in local}
    scan.chains = {chain: None for chain in scan.chains if chain[0] not in local}


def normalised_digest(text: str, filename: str) -> str:
    """The digest of source ``text`` (a function's, dedented) as normalised code."""
    tree = syntax.parse(text, filename)
    return bytes_digest(_scan(tree, None, {}, []).code.encode())


_Documented = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _drop_docstring(
    node: _Documented,
) -> None:
    body = node.body
    if body and _is_docstring(body[0]):
        node.body = body[1:] or [ast.Pass()]


def _is_docstring(statement: ast.stmt) -> bool:
    value = statement.value if isinstance(statement, ast.Expr) else None
    return isinstance(value, ast.Constant) and isinstance(value.value, str)


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


def _definition(entries: list[tuple[str, _Scan]], shared: dict[tuple, tuple]) -> Definition:
    names: dict[str, None] = {}
    chains: dict[tuple[str, ...], None] = {}
    for _, scan in entries:
        names.update(scan.names)
        chains.update(scan.chains)
    dumped = "\n".join(dumped for dumped, _ in entries)
    loaded, reached = tuple(names), tuple(chains)
    return Definition(
        bytes_digest(dumped.encode()),
        shared.setdefault(loaded, loaded),
        shared.setdefault(reached, reached),
    )


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
