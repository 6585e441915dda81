"""Comparing recorded runs: metrics and sweeps in the store, ``compare_runs``, ``diff_runs``
and ``session.runs``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.errors import HistoryError
from statisfactory.history.compare import compare_runs, diff_runs, render
from statisfactory.history.store import open_store


def a_run(run_id: str, started: float, params: dict, **columns) -> dict:
    return {
        "run_id": run_id,
        "pipeline": "lab",
        "configuration": columns.pop("configuration", "grid"),
        "params": json.dumps(params),
        "started": started,
        "status": "succeeded",
        **columns,
    }


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(tmp_path)
    store.begin_run(a_run("r1", 1.0, {"n": 5, "fit": {"alpha": 0.1}}, sweep_id="s1"))
    store.begin_run(a_run("r2", 2.0, {"n": 5, "fit": {"alpha": 1.0}}, sweep_id="s1"))
    store.begin_run(a_run("r3", 3.0, {"n": 5, "fit": {"alpha": 9.0}}, sweep_id="s2"))
    store.begin_run(a_run("r4", 4.0, {"n": 6}, configuration=None))
    store.record_metrics("r1", {"r2": 0.5, "mse": 3.0}, "scores")
    store.record_metrics("r2", {"r2": 0.7, "mse": 2.0}, "scores")
    store.record_metrics("r3", {"r2": 0.6}, None)
    store.record_metrics("r1", {"r2": 0.55}, "scores")  # recorded again: replaces
    assert store.flush()
    yield store
    store.close()


def test_metrics_and_sweeps_are_recorded_and_read_back(store) -> None:
    assert store.metrics_of(["r1", "r3", "nope"]) == {
        "r1": {"mse": 3.0, "r2": 0.55},
        "r3": {"r2": 0.6},
        "nope": {},
    }
    assert store.runs_of_sweep("s1") == ["r1", "r2"]
    assert store.runs_of_sweep("s9") == []
    assert store.last_sweep_id() == "s2"
    rows = store.query("SELECT artifact FROM metrics WHERE run_id = 'r1' AND name = 'r2'")
    assert rows == [{"artifact": "scores"}]


def test_a_comparison_has_metadata_differing_parameters_then_metrics(store) -> None:
    comparison = compare_runs(store, ["r1", "r2", "r3"])
    assert comparison.differing_params == ["fit.alpha"]  # n is the same everywhere
    assert comparison.metric_names == ["mse", "r2"]
    frame = comparison.frame
    assert frame.index.name == "run_id" and list(frame.index) == ["r1", "r2", "r3"]
    assert list(frame.columns) == [
        "pipeline",
        "configuration",
        "status",
        "started",
        "fit.alpha",
        "mse",
        "r2",
    ]
    assert frame["fit.alpha"].tolist() == [0.1, 1.0, 9.0]
    assert frame.loc["r3", "mse"] != frame.loc["r3", "mse"]  # NaN: not recorded
    assert frame["r2"].tolist() == [0.55, 0.7, 0.6]


def test_a_parameter_absent_from_some_runs_differs(store) -> None:
    comparison = compare_runs(store, ["r3", "r4"])
    assert comparison.differing_params == ["n", "fit.alpha"]
    assert compare_runs(store, ["r4", "r3"]).differing_params == ["n", "fit.alpha"]
    assert comparison.frame["fit.alpha"].isna().tolist() == [False, True]


def test_the_renderings_are_exact(store) -> None:
    frame = compare_runs(store, ["r1", "r2"]).frame.drop(columns=["started"])
    assert render(frame, "markdown") == (
        "| run | pipeline | configuration | status | fit.alpha | mse | r2 |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| r1 | lab | grid | succeeded | 0.1 | 3 | 0.55 |\n"
        "| r2 | lab | grid | succeeded | 1 | 2 | 0.7 |\n"
    )
    records = json.loads(render(compare_runs(store, ["r1"]).frame, "json"))
    assert records[0]["run_id"] == "r1" and records[0]["r2"] == 0.55
    assert records[0]["started"].startswith("1970-01-01T00:00:01")
    csv = render(compare_runs(store, ["r1", "r2"]).frame, "csv").splitlines()
    assert csv[0] == "run_id,pipeline,configuration,status,started,fit.alpha,mse,r2"
    assert csv[1] == "r1,lab,grid,succeeded,1970-01-01 00:00:01,0.1,3.0,0.55"
    with pytest.raises(HistoryError, match="use one of table, csv, json, markdown"):
        render(frame, "xml")


def test_a_diff_names_what_differs(store) -> None:
    diff = diff_runs(store, "r1", "r2")
    assert diff.params == [("fit.alpha", 0.1, 1.0)]
    assert diff.metrics == [("r2", 0.55, 0.7), ("mse", 3.0, 2.0)] or diff.metrics == [
        ("mse", 3.0, 2.0),
        ("r2", 0.55, 0.7),
    ]
    assert not diff.same and diff_runs(store, "r1", "r1").same


def test_session_runs_compares_the_latest_sweep_and_sorts(lab) -> None:
    root = lab()
    session = Session(root_folder=root)
    store = session.history_store
    store.begin_run(a_run("20250101-000001-aaaaaa", 1.0, {"alpha": 2}, sweep_id="sw"))
    store.begin_run(a_run("20250101-000002-bbbbbb", 2.0, {"alpha": 1}, sweep_id="sw"))
    store.record_metrics("20250101-000001-aaaaaa", {"r2": 0.2}, None)
    store.record_metrics("20250101-000002-bbbbbb", {"r2": 0.9}, None)
    frame = session.runs.compare(sort="-r2")
    assert list(frame.index) == ["20250101-000002-bbbbbb", "20250101-000001-aaaaaa"]
    assert session.runs.compare(sweep="last", sort="alpha")["alpha"].tolist() == [1, 2]
    assert list(session.runs.compare(runs=["20250101-000001"]).index) == ["20250101-000001-aaaaaa"]
    with pytest.raises(HistoryError, match="cannot sort by 'rmse'.*r2"):
        session.runs.compare(sort="rmse")
    with pytest.raises(HistoryError, match="matches several runs"):
        session.runs.compare(runs=["2025"])
    with pytest.raises(HistoryError, match="sweep 'nope' is not recorded"):
        session.runs.compare(sweep="nope")
    assert session.runs.diff("20250101-000001", "20250101-000002").params == [("alpha", 2, 1)]


def test_no_sweep_recorded_is_a_clear_error(tmp_path: Path) -> None:
    from statisfactory.history.runs import sweep_runs

    store = open_store(tmp_path)
    with pytest.raises(HistoryError, match="no sweep is recorded"):
        sweep_runs(store, "last")
    store.close()
