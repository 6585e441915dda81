"""Sweeps: a parameter set whose ``+grid`` / ``+zip`` expand it into many member sets.

```yaml
models_grid:
  +from: [base]
  +grid: {model: [ridge, lasso], diabetes.models.fit: {alpha: [0.1, 1.0]}}
seeds:
  +zip: {seed: [1, 2, 3], split.test_size: [0.2, 0.25, 0.3]}
```

``+grid`` is the Cartesian product of its lists, ``+zip`` pairs its lists element-wise (all of
one length); with both, every grid member takes every zipped tuple. A mapping in either
reaches into a craft's own keys (``diabetes.models.fit: {alpha: [...]}``). Each member is the
set's own parameters with one value of every axis, named after them in declaration order:
``models_grid[model=ridge,alpha=0.1]``, an axis named by its last key unless two axes share it.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from statisfactory.errors import SweepError

GRID, ZIP = "+grid", "+zip"
MAX_MEMBERS = 10_000  # a larger sweep runs only when asked to (``--yes``)


@dataclass(frozen=True)
class Axis:
    """One swept key: its path (a top-level key, then keys inside it) and its values."""

    path: tuple[str, ...]
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Sweep:
    """The axes of a sweep set: the grid's, multiplied; the zip's, paired."""

    grid: tuple[Axis, ...]
    zipped: tuple[Axis, ...]

    @property
    def size(self) -> int:
        zipped = len(self.zipped[0].values) if self.zipped else 1
        return math.prod(len(axis.values) for axis in self.grid) * zipped

    @property
    def axes(self) -> tuple[Axis, ...]:
        return (*self.grid, *self.zipped)

    def labels(self) -> list[str]:
        """Each axis's name in member names: its last key, its whole path when ambiguous."""
        lasts = [axis.path[-1] for axis in self.axes]
        return [
            axis.path[-1] if lasts.count(axis.path[-1]) == 1 else ".".join(axis.path)
            for axis in self.axes
        ]

    def members(self, set_name: str) -> Iterator[tuple[str, tuple[tuple[Axis, Any], ...]]]:
        """``(member name, ((axis, value), …))`` of every member, in order."""
        labels = self.labels()
        zipped = list(zip(*(axis.values for axis in self.zipped), strict=True)) or [()]
        for chosen in itertools.product(*(axis.values for axis in self.grid), zipped):
            values = (*chosen[:-1], *chosen[-1])
            shown = ",".join(
                f"{label}={_shown(v)}" for label, v in zip(labels, values, strict=True)
            )
            yield f"{set_name}[{shown}]", tuple(zip(self.axes, values, strict=True))


def parse_sweep(body: Mapping[str, Any], where: str) -> Sweep | None:
    """The sweep a set's body declares, or None; a malformed one is a :class:`SweepError`
    naming ``where`` (the file and set) and the key."""
    if GRID not in body and ZIP not in body:
        return None
    grid = _axes(body.get(GRID), GRID, where)
    zipped = _axes(body.get(ZIP), ZIP, where)
    in_both = {axis.path for axis in grid} & {axis.path for axis in zipped}
    if in_both:
        key = ".".join(sorted(in_both)[0])
        raise SweepError(
            f"{where}: key '{key}' is in both +grid and +zip; sweep it in one of them",
            key=key,
        )
    lengths = {".".join(axis.path): len(axis.values) for axis in zipped}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{key}: {n}" for key, n in lengths.items())
        raise SweepError(
            f"{where}: the +zip lists must have one length, to be paired ({shown}); make them "
            "equally long, or use +grid for every combination",
            key=next(iter(lengths)),
        )
    if not grid and not zipped:
        raise SweepError(f"{where}: +grid / +zip sweeps no key: give each key a list of values")
    return Sweep(grid, zipped)


def _axes(spec: Any, directive: str, where: str, prefix: tuple[str, ...] = ()) -> tuple[Axis, ...]:
    if spec is None and not prefix:
        return ()
    if not isinstance(spec, Mapping):  # only the directive's own value can be anything else
        raise SweepError(
            f"{where}: {directive} must be a mapping of key -> list of values, got {spec!r}",
            key=directive,
        )
    axes: list[Axis] = []
    for key, value in spec.items():
        path = (*prefix, str(key))
        dotted = ".".join(path)
        if isinstance(value, Mapping):
            axes.extend(_axes(value, directive, where, path))
        elif isinstance(value, list):
            if not value:
                raise SweepError(
                    f"{where}: {directive} key '{dotted}' has an empty list: give it at least "
                    "one value, or remove it",
                    key=dotted,
                )
            axes.append(Axis(path, tuple(value)))
        else:
            raise SweepError(
                f"{where}: {directive} key '{dotted}' must be a list of values, got {value!r}: "
                f"write {dotted}: [{value!r}] for one value",
                key=dotted,
            )
    return tuple(axes)


def member_values(base: Mapping[str, Any], chosen: tuple[tuple[Axis, Any], ...]) -> dict:
    """``base`` with each axis's path set to its chosen value (nested mappings created)."""
    values = copy.deepcopy(dict(base))
    for axis, value in chosen:
        target = values
        for key in axis.path[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[axis.path[-1]] = copy.deepcopy(value)
    return values


def set_of_member(name: str) -> str | None:
    """``models_grid`` for ``models_grid[model=ridge]``; None for a name that is no member's."""
    if name.endswith("]") and "[" in name:
        return name.split("[", 1)[0]
    return None


def member_labels(name: str) -> list[str]:
    """The axis labels in a member's name, in declaration order: ``["model", "alpha"]`` for
    ``grid[model=ridge,alpha=0.1]``; none for a name that is no member's (a value holding
    ``,key=`` may add a label: they only order columns)."""
    if set_of_member(name) is None:
        return []
    import re

    return re.findall(r"(?:^|,)([^=,\[\]]+)=", name[name.index("[") + 1 : -1])


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
