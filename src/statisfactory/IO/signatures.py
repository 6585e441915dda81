"""Pass a function only the keyword arguments its signature accepts (signatures inspected once)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple


class Accepted(NamedTuple):
    """What a callable's signature accepts by keyword."""

    names: frozenset[str]  # parameters that can be given by keyword
    any_keyword: bool  # it has **kwargs
    order: tuple[str, ...]  # parameters that can be given positionally, in order
    positional_only: frozenset[str]  # their names may still land in **kwargs


@functools.cache
def _accepted(function: Callable[..., Any]) -> Accepted:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature: give them nothing
        return Accepted(frozenset(), False, (), frozenset())
    parameters = list(signature.parameters.values())
    names = frozenset(
        p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
    order = tuple(
        p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    positional_only = frozenset(p.name for p in parameters if p.kind is p.POSITIONAL_ONLY)
    return Accepted(names, any(p.kind is p.VAR_KEYWORD for p in parameters), order, positional_only)


def accepted(function: Callable[..., Any]) -> tuple[Accepted, int]:
    """The keyword arguments ``function`` accepts, and how many leading parameters are already
    bound (1 for a bound method's ``self``); cached per underlying function."""
    underlying = getattr(function, "__func__", None)
    if underlying is not None and inspect.ismethod(function):
        return _accepted(underlying), 1
    return _accepted(function), 0


def select(
    function: Callable[..., Any],
    values: Mapping[str, Any],
    *,
    into_var_keyword: bool = True,
    positional: int = 0,
) -> tuple[dict[str, Any], list[str]]:
    """Split ``values`` into those ``function`` accepts and the names of those it does not.

    With ``into_var_keyword=False`` a ``**kwargs`` catch-all does not count: only parameters
    the function names explicitly receive the values. The first ``positional`` parameters (after
    a bound method's ``self``) are never offered: the caller passes them positionally, and a
    keyword of the same name would clash.
    """
    accepts, bound = accepted(function)
    taken = frozenset(accepts.order[: bound + positional]) - accepts.positional_only
    if accepts.any_keyword and into_var_keyword:
        kept = {name: value for name, value in values.items() if name not in taken}
    else:
        names = accepts.names - taken
        kept = {name: value for name, value in values.items() if name in names}
    return kept, [name for name in values if name not in kept]
