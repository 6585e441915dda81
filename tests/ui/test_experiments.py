"""The Experiments page over a recorded sweep: differing parameters and metrics, from the run
history's comparison, and the runs list filtered by sweep."""

from __future__ import annotations

import pytest
from ui_project import make_project, run_pipeline, ui_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = make_project(tmp_path_factory.mktemp("ui-sweep") / "lab")
    run_pipeline(root, "tune", "alphas")
    with ui_server(root) as running:
        yield running


def test_the_latest_sweep_is_compared_by_parameters_and_metrics(server) -> None:
    with server.client() as client:
        table = client.get("/api/experiments").json()
        page = client.get("/experiments").text

    assert table["problems"] == []
    assert table["params"] == ["alpha"]
    assert set(table["metrics"]) == {"slope", "loss"}
    column = table["columns"].index
    assert sorted(row[column("alpha")] for row in table["rows"]) == [0.5, 1.0, 2.0]
    losses = {row[column("alpha")]: row[column("loss")] for row in table["rows"]}
    assert losses == {0.5: 0.5, 1.0: 0.0, 2.0: 1.0}
    assert 'class="metric"' in page and 'class="param"' in page
    assert "No metrics recorded" not in page


def test_a_sweep_is_chosen_by_its_id_and_filters_the_runs_list(server) -> None:
    with server.client() as client:
        runs = client.get("/api/runs").json()["runs"]
        sweep = runs[0]["sweep"]
        chosen = client.get("/api/experiments", params={"sweep": sweep}).json()
        listed = client.get("/api/runs", params={"sweep": sweep}).json()
        unknown = client.get("/api/experiments", params={"sweep": "nope"}).json()
        none = client.get("/api/runs", params={"sweep": "nope"}).json()

    assert sweep and len(runs) == 3
    assert len(chosen["rows"]) == 3 and listed["total"] == 3
    assert unknown["rows"] == [] and "no recorded sweep 'nope'" in unknown["problems"][0]
    assert none["total"] == 0


def test_cells_become_json_values() -> None:
    import numpy as np
    import pandas as pd

    from statisfactory.ui.experiments import _plain

    assert [_plain(v) for v in (pd.NaT, pd.NA, np.float64("nan"), None)] == [None] * 4
    assert _plain(pd.Timestamp(60, unit="s", tz="UTC")) == 60.0
    assert _plain(np.int64(3)) == 3 and isinstance(_plain(np.int64(3)), int)
    assert _plain([1, 2]) == "[1, 2]" and _plain({"a": 1}) == "{'a': 1}"
