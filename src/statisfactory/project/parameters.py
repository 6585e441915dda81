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
models_grid:
  +from: [base]
  +grid: {models.fit: {alpha: [0.1, 1.0]}}   # a sweep: one member set per value
```

Keys starting with ``+`` steer the loading and never reach crafts; tags are kept apart. A set
with ``+grid`` / ``+zip`` is a sweep (:mod:`statisfactory.project.sweeps`): its members are sets
too, named ``models_grid[alpha=0.1]``.

A set is resolved when it is used: a broken one (a bad directive, an unknown or circular
``+from``, two declarations of one precedence) is an error only when it, or a set inheriting
from it, is used; the others work, and :meth:`ParameterSets.error` says what is wrong.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from statisfactory.errors import ParametersError, UnknownParameterSetError
from statisfactory.project.names import named_entries, names, unknown
from statisfactory.project.sweeps import GRID, ZIP, Sweep, member_values, parse_sweep, set_of_member

MERGE_STRATEGIES = ("recursive_merge", "override")
_MERGE_ALIASES = {"overide": "override"}  # the original's spelling
DEFAULT_PRECEDENCE = 10  # the original's documented default
DIRECTIVES = ("+from", "+merge", "+precedence", "+tags", GRID, ZIP)
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
    sweep: Sweep | None = None
    error: ParametersError | None = None  # what makes this declaration unusable


class ParameterSets(Mapping[str, dict[str, Any]]):
    """Name -> resolved parameters (a fresh copy on each access); ``tags(name)`` apart.

    Each set is resolved on first use; a broken set raises its :class:`ParametersError` then.
    """

    def __init__(self, declared: Mapping[str, _Declared]):
        self._declared = dict(declared)
        self._resolved: dict[str, dict[str, Any]] = {}
        self._members: dict[str, dict[str, tuple]] = {}  # sweep -> member name -> its values

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name not in self._declared:
            owner = set_of_member(name)
            if owner is not None and owner in self._declared and self.sweep(owner) is not None:
                chosen = self._member_choices(owner).get(name)
                if chosen is not None:
                    return member_values(self[owner], chosen)
                raise UnknownParameterSetError(
                    f"Parameter set '{name}' is no member of sweep '{owner}': see "
                    f"`statisfactory configurations describe {owner}` for its members"
                )
            raise UnknownParameterSetError(unknown(name, "parameter set", self._declared))
        return copy.deepcopy(_resolve(name, self._declared, self._resolved, ()))

    # --- sweeps -------------------------------------------------------------------------------
    def sweep(self, name: str) -> Sweep | None:
        """The sweep set ``name`` declares (``+grid`` / ``+zip``), or None for a plain set."""
        declared = self._declaration(name)
        if declared.error is not None:
            raise declared.error
        return declared.sweep

    def members(self, name: str, limit: int | None = None) -> list[str]:
        """The names of the members of sweep ``name``, in order (none for a plain set); the
        first ``limit`` only when given (the others are not computed)."""
        sweep = self.sweep(name)
        if sweep is None:
            return []
        if limit is not None and name not in self._members:
            return [member for member, _ in itertools.islice(sweep.members(name), limit)]
        return list(self._member_choices(name))[:limit]

    def _member_choices(self, name: str) -> dict[str, tuple]:
        if name not in self._members:
            sweep = self.sweep(name)
            assert sweep is not None  # asked only of sweeps
            self._members[name] = dict(sweep.members(name))
        return self._members[name]

    def error(self, name: str) -> ParametersError | None:
        """What makes set ``name`` unusable, or None when it resolves."""
        try:
            self[name]
        except UnknownParameterSetError:
            raise
        except ParametersError as error:
            return error
        return None

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def names(self) -> list[str]:
        """The set names, in declaration order."""
        return list(self._declared)

    def tags(self, name: str) -> tuple[str, ...]:
        """The ``+tags`` of set ``name``."""
        return self._declaration(name).tags

    def source(self, name: str) -> Path:
        """The file that declares set ``name``."""
        return self._declaration(name).source

    def __repr__(self) -> str:
        return f"ParameterSets({self.names()})"

    def _declaration(self, name: str) -> _Declared:
        name = name if name in self._declared else set_of_member(name) or name
        if name not in self._declared:
            raise UnknownParameterSetError(unknown(name, "parameter set", self._declared))
        return self._declared[name]


def load_parameters(path: Path | None, variables: Mapping[str, Any]) -> ParameterSets:
    """Read the parameter sets of a YAML file or folder (Jinja-rendered with ``variables``).

    ``None`` (not configured) gives no sets. Errors name the file and the set.
    """
    if path is None:
        return ParameterSets({})
    return ParameterSets(_choose(_declarations(Path(path), variables)))


# --- reading ------------------------------------------------------------------------------
def _declarations(path: Path, variables: Mapping[str, Any]) -> list[_Declared]:
    found = named_entries(path, variables, _SHAPE, ParametersError)
    return [_declare_or_broken(file, name, body) for file, name, body in found]


def _declare_or_broken(file: Path, name: Any, body: Any) -> _Declared:
    """The declaration; a broken one is kept with its error, raised when the set is used."""
    try:
        return _declare(file, name, body)
    except ParametersError as error:
        return _Declared(name=str(name), source=file, values={}, error=error)


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
        sweep=parse_sweep(body, where),
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
            chosen[candidate.name] = winner = replace(
                winner,
                error=ParametersError(
                    f"Parameter set '{candidate.name}' is declared in {winner.source} and in "
                    f"{candidate.source} with the same +precedence ({winner.precedence}): "
                    "rename one, or give the one to use a lower +precedence"
                ),
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
    if declared.error is not None:
        raise declared.error
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
