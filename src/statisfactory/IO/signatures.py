"""Pass a function only the keyword arguments its signature accepts (signatures inspected once)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple


class Accepted(NamedTuple):
    """What a callable's signature accepts by keyword."""

    names: frozenset[str]
    any_keyword: bool  # it has **kwargs
    order: tuple[str, ...]  # every parameter, in order (callers fill the first positionally)


@functools.cache
def _accepted(function: Callable[..., Any], bound: bool) -> Accepted:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature: give them nothing
        return Accepted(frozenset(), False, ())
    parameters = list(signature.parameters.values())[1 if bound else 0 :]
    names = frozenset(
        p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
    order = tuple(p.name for p in parameters)
    return Accepted(names, any(p.kind is p.VAR_KEYWORD for p in parameters), order)


def accepted(function: Callable[..., Any]) -> Accepted:
    """The keyword arguments ``function`` accepts; cached per underlying function."""
    underlying = getattr(function, "__func__", None)
    if underlying is not None and inspect.ismethod(function):
        return _accepted(underlying, True)
    return _accepted(function, False)


def select(
    function: Callable[..., Any],
    values: Mapping[str, Any],
    *,
    into_var_keyword: bool = True,
    positional: int = 0,
) -> tuple[dict[str, Any], list[str]]:
    """Split ``values`` into those ``function`` accepts and the names of those it does not.

    With ``into_var_keyword=False`` a ``**kwargs`` catch-all does not count: only parameters
    the function names explicitly receive the values. The first ``positional`` parameters are
    never offered: the caller passes them positionally.
    """
    accepts = accepted(function)
    skipped = accepts.order[:positional]
    if accepts.any_keyword and into_var_keyword:
        kept = {name: value for name, value in values.items() if name not in skipped}
    else:
        kept = {
            name: value
            for name, value in values.items()
            if name in accepts.names and name not in skipped
        }
    return kept, [name for name in values if name not in kept]
