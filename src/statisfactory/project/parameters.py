"""Parameter sets: named mappings of run parameters, declared in YAML, with inheritance.

```yaml
base:
  shared_param: 1              # shared with every craft
  models.fit: {alpha: 0.5}     # only for the craft models.fit
ridge_strong:
  +from: [base]                # inherit, in order, then apply own keys
  +merge: recursive_merge      # or override (the original spelling overide too)
  +precedence: 0               # same name in several files: the lowest number wins (default 10)
  +tags: [ridge]
  models.fit: {alpha: 5}
```

Keys starting with ``+`` steer the loading and never reach crafts; tags are kept apart.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statisfactory.errors import ParametersError, UnknownParameterSetError
from statisfactory.project.names import named_entries, names, unknown

MERGE_STRATEGIES = ("recursive_merge", "override")
_MERGE_ALIASES = {"overide": "override"}  # the original's spelling
DEFAULT_PRECEDENCE = 10  # the original's documented default
DIRECTIVES = ("+from", "+merge", "+precedence", "+tags")
_SHAPE = "a parameters file is a mapping of set name -> parameters"


@dataclass(frozen=True)
class _Declared:
    name: str
    source: Path
    values: dict[str, Any]
    parents: tuple[str, ...] = ()
    merge: str = "recursive_merge"
    precedence: int = DEFAULT_PRECEDENCE
    tags: tuple[str, ...] = field(default=())


class ParameterSets(Mapping[str, dict[str, Any]]):
    """Name -> resolved parameters (a fresh copy on each access); ``tags(name)`` apart."""

    def __init__(self, resolved: Mapping[str, dict[str, Any]], declared: Mapping[str, _Declared]):
        self._resolved = dict(resolved)
        self._declared = dict(declared)

    def __getitem__(self, name: str) -> dict[str, Any]:
        try:
            return copy.deepcopy(self._resolved[name])
        except KeyError:
            raise UnknownParameterSetError(unknown(name, "parameter set", self._resolved)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved)

    def __len__(self) -> int:
        return len(self._resolved)

    def names(self) -> list[str]:
        """The set names, in declaration order."""
        return list(self._resolved)

    def tags(self, name: str) -> tuple[str, ...]:
        """The ``+tags`` of set ``name``."""
        return self._declaration(name).tags

    def source(self, name: str) -> Path:
        """The file that declares set ``name``."""
        return self._declaration(name).source

    def __repr__(self) -> str:
        return f"ParameterSets({self.names()})"

    def _declaration(self, name: str) -> _Declared:
        if name not in self._declared:
            raise UnknownParameterSetError(unknown(name, "parameter set", self._declared))
        return self._declared[name]


def load_parameters(path: Path | None, variables: Mapping[str, Any]) -> ParameterSets:
    """Read the parameter sets of a YAML file or folder (Jinja-rendered with ``variables``).

    ``None`` (not configured) gives no sets. Errors name the file and the set.
    """
    if path is None:
        return ParameterSets({}, {})
    chosen = _choose(_declarations(Path(path), variables))
    resolved: dict[str, dict[str, Any]] = {}
    for name in chosen:
        _resolve(name, chosen, resolved, ())
    return ParameterSets(resolved, chosen)


# --- reading ------------------------------------------------------------------------------
def _declarations(path: Path, variables: Mapping[str, Any]) -> list[_Declared]:
    found = named_entries(path, variables, _SHAPE, ParametersError)
    return [_declare(file, name, body) for file, name, body in found]


def _declare(file: Path, name: Any, body: Any) -> _Declared:
    where = f"{file}: parameter set '{name}'"
    if not isinstance(name, str):
        raise ParametersError(f"{file}: parameter set names are strings, got {name!r}")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ParametersError(
            f"{where} must be a mapping of parameter -> value, got a {type(body).__name__}"
        )
    unknown = [k for k in body if isinstance(k, str) and k.startswith("+") and k not in DIRECTIVES]
    if unknown:
        raise ParametersError(f"{where}: unknown key(s) {unknown}; known: {', '.join(DIRECTIVES)}")
    merge = body.get("+merge", "recursive_merge")
    merge = _MERGE_ALIASES.get(merge, merge) if isinstance(merge, str) else merge
    if merge not in MERGE_STRATEGIES:
        raise ParametersError(
            f"{where}: +merge is {merge!r}; use one of {', '.join(MERGE_STRATEGIES)}"
        )
    precedence = body.get("+precedence", DEFAULT_PRECEDENCE)
    if not isinstance(precedence, int) or isinstance(precedence, bool):
        raise ParametersError(f"{where}: +precedence must be an integer, got {precedence!r}")
    return _Declared(
        name=name,
        source=file,
        values={k: v for k, v in body.items() if k not in DIRECTIVES},
        parents=names(body.get("+from", ()), "+from", where, ParametersError),
        merge=merge,
        precedence=precedence,
        tags=names(body.get("+tags", ()), "+tags", where, ParametersError),
    )


def _choose(declared: list[_Declared]) -> dict[str, _Declared]:
    """Keep, for each name, the declaration with the lowest ``+precedence``."""
    chosen: dict[str, _Declared] = {}
    for candidate in declared:
        current = chosen.get(candidate.name)
        if current is None or candidate.precedence < current.precedence:
            chosen[candidate.name] = candidate
    for candidate in declared:
        winner = chosen[candidate.name]
        if candidate is not winner and candidate.precedence == winner.precedence:
            raise ParametersError(
                f"Parameter set '{candidate.name}' is declared in {winner.source} and in "
                f"{candidate.source} with the same +precedence ({winner.precedence}): rename "
                "one, or give the one to use a lower +precedence"
            )
    return chosen


# --- inheritance --------------------------------------------------------------------------
def _resolve(
    name: str,
    chosen: Mapping[str, _Declared],
    resolved: dict[str, dict[str, Any]],
    chain: tuple[str, ...],
) -> dict[str, Any]:
    if name in resolved:
        return resolved[name]
    declared = chosen[name]
    if name in chain:
        cycle = " -> ".join((*chain[chain.index(name) :], name))
        raise ParametersError(
            f"{declared.source}: parameter set '{name}' inherits from itself through +from: "
            f"{cycle}. Remove one of these +from references"
        )
    result: dict[str, Any] = {}
    for parent in declared.parents:
        if parent not in chosen:
            raise ParametersError(
                f"{declared.source}: parameter set '{name}' has +from '{parent}', which is not "
                f"declared. {unknown(parent, 'set', chosen)}"
            )
        result = _merge(result, _resolve(parent, chosen, resolved, (*chain, name)), declared.merge)
    resolved[name] = _merge(result, declared.values, declared.merge)
    return resolved[name]


def _merge(base: dict[str, Any], extra: Mapping[str, Any], strategy: str) -> dict[str, Any]:
    """A new mapping: ``extra`` over ``base``; ``recursive_merge`` also merges nested mappings."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if (
            strategy == "recursive_merge"
            and isinstance(merged.get(key), dict)
            and isinstance(value, Mapping)
        ):
            merged[key] = _merge(merged[key], value, strategy)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
