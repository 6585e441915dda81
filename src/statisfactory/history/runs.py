"""``session.runs``: the recorded runs from Python — find one, compare several, diff two."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.errors import HistoryError
from statisfactory.history.compare import (
    Comparison,
    RunDiff,
    compare_runs,
    diff_runs,
    sorted_frame,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_LIMIT = 20  # runs compared when neither runs nor a sweep is given, and no sweep exists


def find_run(store: Any, reference: str) -> dict[str, Any]:
    """The run ``reference`` names: its id, a unique prefix of it, or ``last``."""
    found = store.find_runs(reference)
    if len({run["run_id"] for run in found}) == 1:
        return dict(found[0])
    if not found:
        raise HistoryError(
            f"run {reference!r} matches no recorded run in {store.description}: see "
            "`statisfactory runs ls` for the runs' ids",
            key=reference,
        )
    raise HistoryError(
        f"run {reference!r} matches several runs in {store.description}: give a longer "
        "prefix, or see `statisfactory runs ls`",
        key=reference,
    )


def sweep_runs(store: Any, sweep: str) -> list[str]:
    """The run ids of sweep ``sweep`` (its id, or ``last``)."""
    sweep_id = _sweep_of(store, sweep)
    if sweep_id is None:
        raise HistoryError(
            f"no sweep is recorded in {store.description}: run one with "
            "`statisfactory run PIPELINE SWEEP_SET`",
            key=sweep,
        )
    run_ids = store.runs_of_sweep(sweep_id)
    if not run_ids:
        raise HistoryError(
            f"sweep {sweep_id!r} is not recorded in {store.description}: see "
            "`statisfactory runs ls` (its column sweep), or use --sweep last",
            key=sweep_id,
        )
    return list(run_ids)


def _sweep_of(store: Any, sweep: str) -> str | None:
    return store.last_sweep_id() if sweep in ("last", "latest") else sweep


def selected_runs(store: Any, runs: Sequence[str] | None, sweep: str | None) -> list[str]:
    """The ids of the runs named (ids, prefixes, ``last``) and of the sweep; neither given: the
    latest sweep, else the latest runs."""
    chosen: list[str] = []
    if sweep is not None:
        chosen += sweep_runs(store, sweep)
    for reference in runs or ():
        chosen.append(find_run(store, reference)["run_id"])
    if runs is None and sweep is None:
        if store.last_sweep_id() is not None:
            chosen = sweep_runs(store, "last")
        else:
            chosen = [run["run_id"] for run in store.runs(limit=DEFAULT_LIMIT)][::-1]
    return list(dict.fromkeys(chosen))


class Runs:
    """The run history of a session: ``session.runs.compare(sweep="last", sort="-r2")``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def compare(
        self,
        runs: Sequence[str] | None = None,
        sweep: str | None = None,
        sort: str | None = None,
    ) -> pd.DataFrame:
        """One row per run (index ``run_id``): pipeline, configuration, status, started, the
        parameters that differ between the runs, then their metrics. ``runs`` are ids, unique
        prefixes or ``last``; ``sweep`` is a sweep id or ``last``; with neither, the latest
        sweep (or the latest runs). ``sort`` names a column, ``-NAME`` for descending."""
        return self.comparison(runs, sweep, sort).frame

    def comparison(
        self,
        runs: Sequence[str] | None = None,
        sweep: str | None = None,
        sort: str | None = None,
    ) -> Comparison:
        """:meth:`compare`'s frame, with which parameters differ and which are metrics."""
        if isinstance(runs, str):
            runs = [runs]
        chosen = selected_runs(self.store, runs, sweep)
        # The runs of one sweep alone are read by their sweep's id: one query, not a long list.
        sweep_id = _sweep_of(self.store, sweep) if sweep is not None and not runs else None
        comparison = compare_runs(self.store, chosen, sweep_id=sweep_id)
        comparison.frame = sorted_frame(comparison.frame, sort)
        return comparison

    def diff(self, a: str, b: str) -> RunDiff:
        """What differs between two runs: parameters, code fingerprints, inputs, metrics."""
        return diff_runs(
            self.store, find_run(self.store, a)["run_id"], find_run(self.store, b)["run_id"]
        )

    def __repr__(self) -> str:
        return f"<Runs in {self.store.description}>"
