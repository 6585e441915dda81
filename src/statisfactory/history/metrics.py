"""Metrics: the named numbers a craft reports, recorded per run after its saves.

Two ways to report them: an artifact tagged ``+tags: [metrics]`` in the catalog (a JSON
mapping, or a table of one row: each number is a metric), or a craft output
``Metrics("name")`` (a mapping of names to numbers, or one number, the metric ``name``).
Values that are not numbers (a model's name beside its scores) are left out; a table of several
rows is refused with a warning, as it holds no single value per metric.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from statisfactory.logger import get_logger
from statisfactory.pipeline.markers import Metrics

if TYPE_CHECKING:
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run

METRICS_TAG = "metrics"
_logger = get_logger("history")


def numbers_of(value: Any, name: str) -> dict[str, float] | None:
    """The metrics ``value`` holds; None when it holds none in a form metrics take."""
    if _is_number(value):
        return {name: float(value)}
    if isinstance(value, Mapping):
        return {str(key): float(item) for key, item in value.items() if _is_number(item)}
    columns = getattr(value, "columns", None)
    if columns is not None and hasattr(value, "iloc"):  # a data frame: one row of numbers
        if len(value) != 1:
            return None
        row = value.iloc[0]
        return {str(column): float(row[column]) for column in columns if _is_number(row[column])}
    return None


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def craft_metrics(
    run: Run, craft: Craft, context: Mapping[str, Any], volatiles: Mapping[str, Any]
) -> list[tuple[str, dict[str, float]]]:
    """``(source, metrics)`` of each metrics output of ``craft``, which just succeeded (or was
    skipped as unchanged: its metrics artifacts are read as stored)."""
    found: list[tuple[str, dict[str, float]]] = []
    catalog = run.catalog
    for output in craft.signature.outputs:
        name = output.name
        if isinstance(output, Metrics):
            if name not in volatiles:  # a skipped craft: its volatiles are not computed
                continue
            value = volatiles[name]
        elif (
            output.kind == "artifact"
            and catalog is not None
            and METRICS_TAG in catalog.artifacts[name].tags
        ):
            try:
                value = catalog.load(name, **context)
            except Exception as error:  # saved, but not readable back: the run goes on
                _warn(craft, name, f"cannot be read back ({type(error).__name__}: {error})")
                continue
        else:
            continue
        metrics = numbers_of(value, name)
        if metrics is None:
            _warn(
                craft,
                name,
                f"is a {type(value).__name__}; metrics are a mapping of numbers, one number or "
                "a table of one row",
            )
        elif metrics:
            found.append((name, metrics))
    return found


def _warn(craft: Craft, name: str, problem: str) -> None:
    _logger.warning("metrics '%s' of craft '%s' %s: not recorded", name, craft.fqname, problem)
