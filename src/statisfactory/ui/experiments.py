"""The comparison of runs: their differing parameters and metrics, as ``runs compare`` has it
(:func:`statisfactory.history.compare.compare_runs`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from statisfactory.ui.runs import runs_page

MAX_RUNS = 500  # a comparison of more runs than this is not read on one page


def selected_runs(store: Any, run_ids: Sequence[str], sweep: str) -> tuple[list[str], list[str]]:
    """The runs to compare, and what was not understood: those named (unambiguous prefixes
    allowed), else a sweep's, else the latest sweep's, else the latest runs."""
    if run_ids:
        chosen, problems = [], []
        for reference in run_ids:
            found = store.find_runs(reference)
            exact = [row for row in found if row["run_id"] == reference]
            if exact or len(found) == 1:
                chosen.append((exact or found)[0]["run_id"])
            elif found:
                problems.append(
                    f"run {reference!r} is ambiguous ({len(found)} runs start with it): give "
                    "more characters"
                )
            else:
                problems.append(f"no recorded run {reference!r}")
        return chosen, problems
    sweep = sweep or store.last_sweep_id() or ""
    if sweep:
        found = store.runs_of_sweep(sweep)[:MAX_RUNS]
        return found, [] if found else [f"no recorded sweep {sweep!r}"]
    return [run["run_id"] for run in runs_page(store, {})["runs"]], []


def comparison(store: Any, run_ids: Sequence[str]) -> dict[str, Any]:
    """``columns``, ``rows`` (one per run, ``run_id`` first), ``params`` and ``metrics`` (the
    names of the differing-parameter and metric columns)."""
    if not run_ids:
        return {"columns": ["run_id"], "rows": [], "params": [], "metrics": []}
    from statisfactory.history.compare import compare_runs  # pandas: only for this page

    result = compare_runs(store, list(run_ids))
    frame = result.frame.reset_index()
    return {
        "columns": [str(column) for column in frame.columns],
        "rows": [[_plain(value) for value in row] for row in frame.itertuples(index=False)],
        "params": list(result.differing_params),
        "metrics": list(result.metric_names),
    }


def _plain(value: Any) -> Any:
    """A cell as JSON: numbers stay numbers, NaN is empty, times are seconds, the rest text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if _missing(value):  # pandas' NaT and NA: nothing recorded
        return None
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if hasattr(value, "item"):
        return _plain(value.item())
    return str(value)


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or a mapping: a value, not a missing one
        return False
