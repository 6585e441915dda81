"""The YAML loader of every file the project reads, and of ``--param`` values.

PyYAML's safe loader (its C version when available), with three refusals:

- a key twice in one mapping, at any depth (YAML would silently keep the last one);
- nesting deeper than :data:`DEPTH_LIMIT` collections (later recursive steps would overflow);
- aliases that repeat more than :data:`EXPANSION_LIMIT` characters (a "billion laughs": a few
  hundred bytes of nested ``&anchor``/``*alias`` stand for billions of values).

Each refusal is a :class:`RefusedYaml` saying where; :func:`parse_yaml` names the file.

Most files (plain mappings, lists and scalars, no anchor, no explicit tag) are built straight
from the C parser's events (:mod:`yaml_events`), without PyYAML's nodes; any other file, or one
the event builder meets something unusual in, is read from nodes, with every check below.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from statisfactory.collector import collector_paused
from statisfactory.errors import RefusedYaml

DEPTH_LIMIT = 100
EXPANSION_LIMIT = 10_000_000
MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"

# An anchor (``&name``) starts a node: after a line start, a space or a flow indicator. A
# ``&`` elsewhere (``?a=1&b=2``) only costs the slower, alias-aware check.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:])&", re.MULTILINE)
if TYPE_CHECKING:  # the C loader has the same interface; the stubs only know the Python one
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data of one YAML document, refusing duplicate keys, deep nesting and alias bombs."""
    anchored = "&" in text and _ANCHOR.search(text) is not None  # the plain test: 20× cheaper
    if not anchored and _Base is not yaml.SafeLoader:
        from statisfactory.project.yaml_events import UNSURE, build_from_events

        with collector_paused():
            value = build_from_events(BoundedLoader(text))
        if value is not UNSURE:
            return value
    return _load_from_nodes(text, anchored=anchored)


def _load_from_nodes(text: str, *, anchored: bool) -> Any:
    """:func:`load_yaml` through PyYAML's nodes: every file the event builder leaves."""
    loader = BoundedLoader(text)
    # A file's nodes and values form no cycles (an alias that would is refused): the cyclic
    # collector would only rescan them, for more than half of a large file's parse.
    with collector_paused():
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if anchored:
                check_expansion(node)
                return loader.construct_document(node)
            # Without anchors, no aliases: a tree, where only the depth matters.
            check_depth(node, len(text))
            return construct_tree(loader, node)
        finally:
            loader.dispose()


class BoundedLoader(_Base):
    """The safe loader, refusing a key written twice in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # A plain scalar's tag depends on its text alone; keys and types repeat in every entry.
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # Called from the C parser for every node: the safe loader's rule without its
        # generality (path resolvers, which it has none of), for a third of the parse time.
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        if kind is ScalarNode:
            if implicit[0]:  # plain: a number, boolean, null, date... when its text says so
                known = self._plain_tags.get(value)
                if known is not None:
                    return known
                self._plain_tags[value] = tag = self._plain_tag(value)
                return tag
            return self.DEFAULT_SCALAR_TAG
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        return self.DEFAULT_MAPPING_TAG

    def _plain_tag(self, value: str) -> str:
        resolvers = self.yaml_implicit_resolvers
        for tag, regexp in (*resolvers.get(value[:1], ()), *resolvers.get(None, ())):
            if regexp.match(value):
                return tag
        return self.DEFAULT_SCALAR_TAG

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        written = list(node.value) if isinstance(node, MappingNode) else []
        mapping = super().construct_mapping(node, deep=deep)  # merges ``<<`` keys into node
        if len(mapping) != len(written):  # fewer: a key came twice; more: ``<<`` merged some
            self._refuse_duplicates(written)
        return mapping

    def _refuse_duplicates(self, written: list[tuple[Node, Node]]) -> None:
        seen: dict[Any, Node] = {}
        for key_node, _ in written:
            if key_node.tag == MERGE_TAG:  # keys merged in are meant to be overridden
                continue
            key = self.construct_object(key_node)  # already built: returned from the cache
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                shown = repr(key) if len(repr(key)) <= 80 else repr(key)[:77] + "..."
                raise RefusedYaml(
                    _both_places(first, key_node),
                    f"the key {shown} is written twice in the same mapping (YAML would keep "
                    f"only the last one); rename or remove one",
                )


def construct_tree(loader: BoundedLoader, node: Node) -> Any:
    """The value of ``node``, a tree without aliases (nested at most :data:`DEPTH_LIMIT` deep).

    Strings, lists and mappings with string keys, most of any file, are built here directly:
    PyYAML's generic constructor costs several times more per node. Every other node (numbers,
    dates, merge keys, explicit tags) goes through the loader, with the same checks and errors.
    """
    kind = node.__class__
    if kind is ScalarNode and node.tag == _STR_TAG:
        return node.value
    if kind is SequenceNode and node.tag == _SEQ_TAG:
        return [construct_tree(loader, child) for child in node.value]
    if kind is MappingNode and node.tag == _MAP_TAG:
        pairs = node.value
        mapping = {}
        for key, value in pairs:
            if key.__class__ is not ScalarNode or key.tag != _STR_TAG:
                return loader.construct_object(node, deep=True)
            mapping[key.value] = construct_tree(loader, value)
        if len(mapping) != len(pairs):
            loader._refuse_duplicates(pairs)
        return mapping
    return loader.construct_object(node, deep=True)


def _reporting_line(tag: str, what: str) -> None:
    """Make the constructor of ``tag`` report a value it cannot build (a 5,000-digit int,
    month 13) with its line, instead of a bare ``ValueError``."""
    construct = BoundedLoader.yaml_constructors[tag]

    def checked(loader: BoundedLoader, node: Node) -> Any:
        try:
            return construct(loader, node)
        except ValueError as error:
            shown = node.value if len(node.value) <= 40 else f"{node.value[:37]}..."
            raise RefusedYaml(
                f"line {_line(node)}",
                f"{shown!r} cannot be read as {what} ({error}); quote it to keep it as text",
            ) from error

    BoundedLoader.add_constructor(tag, checked)


_reporting_line("tag:yaml.org,2002:int", "an integer")
_reporting_line("tag:yaml.org,2002:timestamp", "a date")


def check_depth(root: Node, length: int) -> None:
    """Refuse a tree of nodes nested deeper than :data:`DEPTH_LIMIT` collections.

    A tree parsed from ``length`` characters holds fewer collections than that (each takes at
    least one); meeting more means aliases after all: :func:`check_expansion` then decides.
    """
    stack = [(root, 1)] if root.__class__ is not ScalarNode else []
    while stack:
        node, depth = stack.pop()
        if depth > DEPTH_LIMIT:
            raise _too_deep(node)
        length -= 1
        if length < 0:
            return check_expansion(root)
        depth += 1
        if node.__class__ is MappingNode:  # the hot loop of every file: kept plain
            for key, value in node.value:
                if value.__class__ is not ScalarNode:
                    stack.append((value, depth))
                if key.__class__ is not ScalarNode:
                    stack.append((key, depth))
        else:
            stack.extend(
                (child, depth) for child in node.value if child.__class__ is not ScalarNode
            )


def check_expansion(root: Node) -> None:
    """Refuse nodes whose aliases repeat more than :data:`EXPANSION_LIMIT` characters, nest
    deeper than :data:`DEPTH_LIMIT`, or contain themselves.

    The size of a value is its text's length (at least 1), a collection's the sum of its own
    (1) and its children's; each distinct collection is measured once, so this is linear in
    the file, however much its aliases stand for.
    """
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
    opened: set[int] = set()
    scalars: set[int] = set()
    written = 0  # the size without repetition: each node counted once
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in measured:
            stack.pop()
            continue
        children = _children(node)
        if id(node) not in opened:
            opened.add(id(node))
            for child in children:
                if child.__class__ is ScalarNode or id(child) in measured:
                    continue
                if id(child) in opened:  # opened and not measured: an ancestor of itself
                    raise RefusedYaml(
                        f"line {_line(child)}",
                        "an alias refers to the collection that contains it; such a value "
                        "never ends: copy the values instead",
                    )
                stack.append(child)
            continue
        stack.pop()
        size, height = 1, 1
        written += 1
        for child in children:
            if child.__class__ is ScalarNode:
                length = max(len(child.value), 1)
                size += length
                if id(child) not in scalars:  # an aliased string is written once
                    scalars.add(id(child))
                    written += length
            else:
                child_size, child_height = measured[id(child)]
                size += child_size
                height = max(height, child_height + 1)
        if height > DEPTH_LIMIT:
            raise _too_deep(node)
        if size - written > EXPANSION_LIMIT:
            raise RefusedYaml(
                f"line {_line(node)}",
                f"its aliases (*name) repeat more than {EXPANSION_LIMIT:,} characters of "
                f"values, which would exhaust time and memory; repeat fewer values, or write "
                f"them out",
            )
        measured[id(node)] = (size, height)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, ScalarNode):
        return []
    return node.value


def _too_deep(node: Node) -> RefusedYaml:
    return RefusedYaml(
        f"line {_line(node)}",
        f"values nested more than {DEPTH_LIMIT} levels deep; flatten the structure",
    )


def _both_places(first: Node, second: Node) -> str:
    if _line(first) != _line(second):
        return f"lines {_line(first)} and {_line(second)}"
    columns = (first.start_mark.column + 1, second.start_mark.column + 1)
    return f"line {_line(first)}, columns {columns[0]} and {columns[1]}"


def _line(node: Node) -> int:
    return node.start_mark.line + 1
