"""The MLflow plugin: a pipeline run is an MLflow run, read back with MLflow's own client, in the
project's embedded store and on a real tracking server; a server that is down never fails a run."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from statisfactory.errors import ConfigurationError
from statisfactory.history.mlflow_tracking import default_tracking_uri

pytest.importorskip("mlflow")

PARAM_SECRET = "param-Tok-2718"
SETTING_SECRET = "pw-Settings-9981"

PROJECT = {
    "lib/steps.py": """
        import mlflow

        from statisfactory import Artifact, Craft, Volatile


        @Craft()
        def prepare(rows: int, api_token: str) -> Artifact("table"):
            mlflow.log_metric("prepared_rows", rows)  # the craft sees the run's MLflow run
            return {"rows": rows}


        @Craft()
        def fit(table: Artifact, alpha: float, rows: int) -> Volatile("score"):
            active = mlflow.active_run()
            mlflow.log_metric("alpha_seen", alpha)
            return active.info.run_id if active else None
    """,
    "catalog/catalog.yaml": """
        - name: table
          type: json
          extra: {path: data/table.json}
    """,
    "pipelines/definitions/p.yaml": "train:\n  +operators: [steps.prepare, steps.fit]\n",
    "conf/locals.yaml": f"warehouse_password: {SETTING_SECRET}\n",
}

PARAMS = {"rows": 3, "api_token": PARAM_SECRET, "fit": {"alpha": 0.5}}


def with_mlflow(setting: str) -> dict[str, str]:
    return {**PROJECT, "conf/globals.yaml": f"mlflow: {setting}\n"}


def mlflow_runs(uri: str, experiment: str = "demo") -> list:
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment} at {uri}"
    return client.search_runs([found.experiment_id])


def history_links(root: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(root / ".statisfactory/history.db") as connection:
        return connection.execute("SELECT run_id, mlflow_run_id FROM runs").fetchall()


@pytest.mark.parametrize("runner", ["sequential", "threads"])
def test_a_run_is_an_mlflow_run_in_the_embedded_store(
    session_factory: Callable[..., object], runner: str
) -> None:
    session = session_factory(with_mlflow("{enabled: true}"))
    with session:
        result = session.pipelines_definitions["train"].run(PARAMS, runner=runner)
    session.history_store.flush()

    (tracked,) = mlflow_runs(default_tracking_uri(session.root))
    assert tracked.info.status == "FINISHED"
    assert tracked.data.params == {"rows": "3", "fit.alpha": "0.5"}  # no api_token
    assert tracked.data.metrics == {"prepared_rows": 3.0, "alpha_seen": 0.5}
    tags = tracked.data.tags
    assert tags["statisfactory.run_id"] == result.run_id
    assert tags["statisfactory.pipeline"] == "train"
    assert result["score"] == tracked.info.run_id  # the active run inside the craft
    assert history_links(session.root) == [(result.run_id, tracked.info.run_id)]
    stored = (session.root / ".statisfactory/mlflow.db").read_bytes()
    assert PARAM_SECRET.encode() not in stored and SETTING_SECRET.encode() not in stored


def test_a_run_on_a_tracking_server_logs_its_artifacts(
    session_factory: Callable[..., object], mlflow_server
) -> None:
    setting = (
        f"{{enabled: true, tracking_uri: '{mlflow_server.uri}', experiment: served, "
        "log_artifacts: [table]}"
    )
    session = session_factory(with_mlflow(setting))
    with session:
        result = session.pipelines_definitions["train"].run(PARAMS)

    from mlflow import MlflowClient

    (tracked,) = mlflow_runs(mlflow_server.uri, "served")
    assert tracked.data.tags["statisfactory.run_id"] == result.run_id
    assert tracked.data.params["fit.alpha"] == "0.5"
    client = MlflowClient(mlflow_server.uri)
    (folder,) = client.list_artifacts(tracked.info.run_id)
    assert folder.path == "table"
    assert [f.path for f in client.list_artifacts(tracked.info.run_id, "table")] == [
        "table/table.json"
    ]
    assert not (session.root / ".statisfactory/mlflow.db").exists()


def test_a_run_nests_in_the_callers_active_mlflow_run(
    session_factory: Callable[..., object],
) -> None:
    import mlflow

    session = session_factory(with_mlflow("{enabled: true}"))
    uri = default_tracking_uri(session.root)
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.set_experiment("outer")
    try:
        with mlflow.start_run() as outer, session:
            session.pipelines_definitions["train"].run(PARAMS)
            assert mlflow.active_run().info.run_id == outer.info.run_id  # given back
    finally:
        mlflow.set_tracking_uri(None)
    (tracked,) = mlflow_runs(uri)
    assert tracked.data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert experiment.name == "outer"


def test_a_server_that_is_down_warns_once_and_the_run_goes_on(
    session_factory: Callable[..., object], caplog: pytest.LogCaptureFixture
) -> None:
    from _servers import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    session = session_factory(with_mlflow(f"{{enabled: true, tracking_uri: '{dead}'}}"))
    # Crafts that log nothing themselves: their own MLflow calls are theirs to guard.
    (session.root / "lib/steps.py").write_text(
        "from statisfactory import Artifact, Craft\n\n\n"
        "@Craft()\n"
        "def prepare(rows: int) -> Artifact('table'):\n"
        "    return {'rows': rows}\n\n\n"
        "@Craft()\n"
        "def fit(table: Artifact) -> None:\n"
        "    pass\n"
    )
    with caplog.at_level(logging.WARNING, logger="statisfactory"), session:
        result = session.pipelines_definitions["train"].run({"rows": 1})

    assert (session.root / "data/table.json").exists()
    warnings = [r.getMessage() for r in caplog.records if "mlflow" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert dead in warnings[0] and result.run_id in warnings[0]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("{enabled: true, experimnt: x}", r"mlflow\.experimnt: Extra inputs"),
        ("{enabled: true, log_artifacts: [tabel]}", r"log_artifacts' names 'tabel', not in"),
        ("[enabled]", r"must be a mapping"),
    ],
)
def test_a_wrong_setting_stops_the_run_naming_it(
    session_factory: Callable[..., object], setting: str, message: str
) -> None:
    session = session_factory(with_mlflow(setting))
    with session, pytest.raises(ConfigurationError, match=message):
        session.pipelines_definitions["train"].run(PARAMS)
    assert not (session.root / "data/table.json").exists()


def test_the_members_of_a_sweep_are_children_of_one_mlflow_run(
    session_factory: Callable[..., object],
) -> None:
    session = session_factory(with_mlflow("{enabled: true}"))
    members = [(f"alpha={a}", {**PARAMS, "fit": {"alpha": a}}) for a in (0.1, 0.2)]
    with session:
        session.pipelines_definitions["train"].sweep(members)  # one graph, side by side

    runs = mlflow_runs(default_tracking_uri(session.root))
    (parent,) = [r for r in runs if "statisfactory.sweep" in r.data.tags]
    # (the crafts' own mlflow.log_metric calls, with no active run, start runs of their own)
    children = [r for r in runs if "statisfactory.run_id" in r.data.tags]
    assert sorted(r.data.params["fit.alpha"] for r in children) == ["0.1", "0.2"]
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
    assert {r.data.tags["statisfactory.sweep_id"] for r in children} == {
        parent.data.tags["statisfactory.sweep"]
    }
    assert {r.info.status for r in [parent, *children]} == {"FINISHED"}


def test_a_sweep_leaves_no_mlflow_run_open_in_the_callers_process(
    session_factory: Callable[..., object], tmp_path: Path
) -> None:
    """A craft's ``mlflow.log_metric`` in a sweep's member starts a run of its own: the run ends
    it, so the caller's thread has no active run afterwards and the process's exit writes no
    MLflow store in its working folder."""
    session = session_factory(with_mlflow("{enabled: true}"))
    script = f"""
import mlflow
from statisfactory import Session

session = Session(root_folder={str(session.root)!r})
members = [(f"alpha={{a}}", {{**{PARAMS!r}, "fit": {{"alpha": a}}}}) for a in (0.1, 0.2)]
with session:
    session.pipelines_definitions["train"].sweep(members)
left = mlflow.active_run()
assert left is None, f"run {{left.info.run_id}} is still active"
"""
    elsewhere = tmp_path / "working-folder"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in elsewhere.iterdir()) == []

    from mlflow import MlflowClient

    client = MlflowClient(default_tracking_uri(session.root))
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert len(runs) >= 3  # the sweep's, its two members', and the crafts' own
    assert {r.info.status for r in runs} == {"FINISHED"}


def test_the_runs_metrics_reach_its_mlflow_run(session_factory: Callable[..., object]) -> None:
    session = session_factory(
        {
            **with_mlflow("{enabled: true}"),
            "lib/scored.py": """
                from statisfactory import Craft, Metrics


                @Craft()
                def score(alpha: float) -> Metrics("scores"):
                    return {"r2": 0.75, "rmse": alpha * 2}
            """,
            "pipelines/definitions/p.yaml": "scored:\n  +operators: [scored.score]\n",
        }
    )
    with session:
        result = session.pipelines_definitions["scored"].run({"alpha": 1.5})
    (tracked,) = mlflow_runs(default_tracking_uri(session.root))
    assert tracked.data.tags["statisfactory.run_id"] == result.run_id
    assert {k: v for k, v in tracked.data.metrics.items() if "r2" in k or "rmse" in k} == {
        name: value
        for name, value in session.history_store.metrics_of([result.run_id])[result.run_id].items()
    }
    assert sorted(tracked.data.metrics.values()) == [0.75, 3.0]


def test_a_model_the_run_writes_is_logged_to_its_mlflow_run(
    session_factory: Callable[..., object], mlflow_server
) -> None:
    pytest.importorskip("sklearn")
    setting = f"{{enabled: true, tracking_uri: '{mlflow_server.uri}', experiment: models}}"
    session = session_factory(
        {
            **with_mlflow(setting),
            "lib/train.py": """
                from sklearn.linear_model import LinearRegression

                from statisfactory import Artifact, Craft


                @Craft()
                def fit(rows: int) -> Artifact("model"):
                    x = [[float(i), float(i * i)] for i in range(rows)]
                    return LinearRegression().fit(x, [a + 2 * b for a, b in x])
            """,
            "catalog/catalog.yaml": """
                - name: model
                  type: mlflow.sklearn
                  extra: {path: models/linear}
            """,
            "pipelines/definitions/p.yaml": "train:\n  +operators: [train.fit]\n",
        }
    )
    with session:
        result = session.pipelines_definitions["train"].run({"rows": 5})

    import mlflow

    (tracked,) = mlflow_runs(mlflow_server.uri, "models")
    assert tracked.data.tags["statisfactory.run_id"] == result.run_id
    mlflow.set_tracking_uri(mlflow_server.uri)
    try:
        model = mlflow.sklearn.load_model(f"runs:/{tracked.info.run_id}/model")
    finally:
        mlflow.set_tracking_uri(None)
    assert model.predict([[1.0, 1.0]])[0] == pytest.approx(3.0)
