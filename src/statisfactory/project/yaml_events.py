"""Building a YAML document's values straight from the C parser's events.

PyYAML's C loader first builds a node per value (a Python object, and a tag resolved by a Python
call), then a value per node: for a large catalog, most of the read. Here the parser's events
become values directly, with the loader's own tag resolution and scalar constructors, for the
documents made of plain collections and scalars. Anything else (an anchor or alias, an explicit
tag, a merge key, a key written twice, nesting past the depth limit, a value its constructor
refuses, a second document) returns :data:`UNSURE` at once: the caller then reads the text from
nodes, where every check and error message lives (``yaml_loader.py``), so those stay one rule in
one place.
"""

from __future__ import annotations

import datetime
from typing import Any

from yaml.events import (
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from statisfactory.errors import NodeReadingNeeded

UNSURE: Any = object()
"""Returned when the document needs the node-level reading."""

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_IMMUTABLE = (int, float, bool, type(None), str, datetime.date)  # a datetime is a date


def build_from_events(loader: Any) -> Any:
    """The value of ``loader``'s single document, or :data:`UNSURE`.

    ``loader`` is a ``BoundedLoader`` on the C parser (``get_event``, ``resolve``,
    ``yaml_constructors``); it is disposed of here.
    """
    from statisfactory.project.yaml_loader import DEPTH_LIMIT

    try:
        return _build(loader, DEPTH_LIMIT)
    except NodeReadingNeeded:
        return UNSURE
    finally:
        loader.dispose()


def _build(loader: Any, depth_limit: int) -> Any:
    get_event = loader.get_event
    get_event()  # the stream's start
    event = get_event()
    if event.__class__ is StreamEndEvent:
        return None
    scalars = _ScalarValues(loader)
    plain = scalars.known
    # Each open collection: [its value, whether a mapping, its key waiting for a value].
    stack: list[list[Any]] = []
    root: Any = None
    while True:
        event = get_event()
        kind = event.__class__
        if kind is ScalarEvent:  # the hot path of every file: kept inline
            if event.anchor is not None:
                raise NodeReadingNeeded
            if event.tag is not None and event.tag != "!":
                raise NodeReadingNeeded  # an explicit tag: PyYAML's constructors and their errors
            if event.implicit[0]:  # plain (even tagged ``!``, as PyYAML reads it): by its text
                value = (plain.get(event.value) or scalars.plain(event))[0]
            else:  # quoted
                value = event.value
            if not stack:  # a document that is one scalar
                root = value
                continue
            top = stack[-1]
            if not top[1]:
                top[0].append(value)
            elif top[2] is _NO_KEY:
                top[2] = value
            else:
                _set(top, value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag not in (None, "!"):
                raise NodeReadingNeeded
            if len(stack) >= depth_limit:
                raise NodeReadingNeeded
            value = {} if kind is MappingStartEvent else []
            if not stack:
                root = value
            elif not stack[-1][1]:
                stack[-1][0].append(value)
            elif stack[-1][2] is _NO_KEY:
                raise NodeReadingNeeded  # a collection as a key: left to PyYAML's constructor
            else:
                _set(stack[-1], value)
            stack.append([value, kind is MappingStartEvent, _NO_KEY])
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
        elif kind is DocumentEndEvent and not stack:
            if get_event().__class__ is not StreamEndEvent:
                raise NodeReadingNeeded  # a second document: the node-level reading refuses it
            return root
        else:  # an alias
            raise NodeReadingNeeded


_NO_KEY: Any = object()


def _set(top: list[Any], value: Any) -> None:
    """Give the key waiting in the open mapping ``top`` its value."""
    mapping = top[0]
    size = len(mapping)
    mapping[top[2]] = value
    if len(mapping) == size:  # a key written twice: the node-level reading names both places
        raise NodeReadingNeeded
    top[2] = _NO_KEY


class _ScalarValues:
    """Plain scalars' values, by the loader's tag resolution and constructors."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        # A plain scalar's value depends on its text alone; keys and types repeat. Each is kept
        # in a 1-tuple, true even for a false value (0, null), for one ``or`` in the hot loop.
        self.known: dict[str, tuple[Any]] = {}

    def plain(self, event: Any) -> tuple[Any]:  # the C parser's event: its marks are its own
        """A plain scalar seen for the first time: resolved, built, remembered."""
        text = event.value
        tag = self.loader.resolve(ScalarNode, text, event.implicit)
        if tag == _MERGE_TAG:  # ``<<``: merged by the nodes' constructor, or refused there
            raise NodeReadingNeeded
        if tag == _STR_TAG:
            self.known[text] = (text,)
            return (text,)
        node = ScalarNode(tag, text, event.start_mark, event.end_mark)
        try:
            value = self.loader.yaml_constructors[tag](self.loader, node)
        except Exception as error:  # its refusal, with its message, comes from the nodes
            raise NodeReadingNeeded from error
        if not isinstance(value, _IMMUTABLE):  # shared by every equal text: must not change
            raise NodeReadingNeeded
        self.known[text] = (value,)
        return (value,)
