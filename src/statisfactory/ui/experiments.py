"""The comparison of runs: their differing parameters and metrics, from
:func:`statisfactory.history.compare.compare_runs` when the history records metrics; without
it, the runs' own columns (pipeline, configuration, status, start, duration)."""

from __future__ import annotations

import importlib
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
    if not sweep:
        last = getattr(store, "last_sweep_id", None)
        sweep = (last() or "") if callable(last) else ""
    if sweep:
        of_sweep = getattr(store, "runs_of_sweep", None)
        if not callable(of_sweep):
            return [], [f"no sweep {sweep!r}: this run history records no sweeps"]
        found = list(of_sweep(sweep))[:MAX_RUNS]
        return found, [] if found else [f"no recorded sweep {sweep!r}"]
    return [run["run_id"] for run in runs_page(store, {})["runs"]], []


def comparison(store: Any, run_ids: Sequence[str]) -> dict[str, Any]:
    """``columns``, ``rows`` (one per run, ``run_id`` first), ``params`` and ``metrics`` (the
    names of the differing-parameter and metric columns); ``metrics_recorded`` says whether
    the history keeps metrics at all."""
    compare = _compare_runs()
    if compare is not None and run_ids:
        result = compare(store, list(run_ids))
        frame = result.frame.reset_index()
        columns = [str(column) for column in frame.columns]
        rows = [[_plain(value) for value in row] for row in frame.itertuples(index=False)]
        return {
            "columns": columns,
            "rows": rows,
            "params": list(result.differing_params),
            "metrics": list(result.metric_names),
            "metrics_recorded": True,
        }
    page = store.search_runs(run_ids=list(run_ids), limit=MAX_RUNS)[0] if run_ids else []
    columns = ["run_id", "pipeline", "configuration", "status", "started", "duration"]
    rows = [
        [
            run["run_id"],
            run.get("pipeline"),
            run.get("configuration"),
            run.get("status"),
            run.get("started"),
            (run["ended"] - run["started"]) if run.get("ended") and run.get("started") else None,
        ]
        for run in page
    ]
    return {
        "columns": columns,
        "rows": rows,
        "params": [],
        "metrics": [],
        "metrics_recorded": compare is not None,
    }


def _compare_runs() -> Any:
    """``compare_runs`` when this version of the history has it."""
    try:
        return importlib.import_module("statisfactory.history.compare").compare_runs
    except (ImportError, AttributeError):
        return None


def _plain(value: Any) -> Any:
    """A cell as JSON: numbers stay numbers, NaN is empty, anything else is text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if hasattr(value, "item"):
        return _plain(value.item())
    return str(value)
