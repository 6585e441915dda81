"""Python source parsed with :mod:`ast`, one thread at a time.

CPython 3.11's ``ast`` keeps one recursion counter per interpreter while it turns a parse into
Python objects; two threads doing so at once can fail with ``SystemError: AST constructor
recursion depth mismatch`` (CPython gh-106905). Crafts run in threads (the threads runner), and
fingerprinting and interpolation parse text while they run, so every parse of the package goes
through this module's lock.

The cyclic garbage collector is paused while a text is parsed (:func:`collector_paused`, also
for walking a parsed tree): a large module's parse makes millions of objects, none of them
garbage, and the collections they trigger make it take about twice as long.
"""

from __future__ import annotations

import ast
import threading
from typing import Any, Literal, overload

from statisfactory.collector import collector_paused

_lock = threading.Lock()


@overload
def parse(source: str, filename: str = ..., mode: Literal["exec"] = ...) -> ast.Module: ...
@overload
def parse(source: str, filename: str = ..., *, mode: Literal["eval"]) -> ast.Expression: ...
@overload
def parse(source: str, filename: str, mode: Literal["eval"]) -> ast.Expression: ...
@overload
def parse(source: str, filename: str = ..., mode: str = ...) -> ast.AST: ...


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    """:func:`ast.parse` of ``source``, serialised with every other parse of the package."""
    with _lock, collector_paused():
        return ast.parse(source, filename, mode)


def literal_eval(node_or_text: str | ast.AST) -> Any:
    """:func:`ast.literal_eval`; text is parsed under the same lock as :func:`parse`."""
    if isinstance(node_or_text, str):
        node_or_text = parse(node_or_text.lstrip(" \t"), mode="eval")
    return ast.literal_eval(node_or_text)
