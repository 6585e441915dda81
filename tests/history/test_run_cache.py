"""The run cache: a craft that ran before exactly as now is restored from its stored versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.history.store import store_for
from versions_project import TRAIN


def train(root: Path, configuration: str, *, incremental: bool = True):
    session = Session(root_folder=root)
    with session:
        params = dict(session.parameters[configuration])
        result = session.pipelines_definitions["train"].run(
            params, incremental=incremental, configuration=configuration
        )
    store_for(session).flush()  # the next run, in another session, reads what this one wrote
    return session, result


@pytest.fixture
def log(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "executed.log"
    monkeypatch.setenv("TRAIN_LOG", str(path))
    return path


def executed(log: Path) -> list[str]:
    names = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return names


def test_switching_back_to_a_parameter_set_executes_nothing(project_factory, log) -> None:
    root = project_factory(TRAIN, name="train")
    train(root, "ridge", incremental=False)
    train(root, "lasso")
    assert executed(log) == ["train", "evaluate", "train", "evaluate"]

    session, _ = train(root, "ridge")
    assert executed(log) == []  # the same paths for both sets, yet nothing recomputed
    assert json.loads((root / "data/model.json").read_text())["alpha"] == 1.0
    assert json.loads((root / "data/metrics.json").read_text()) == {"score": 3.0}
    store = store_for(session)
    run = store.runs(limit=1)[0]
    reasons = {row["craft"]: row for row in store.executions(run["run_id"])}
    assert all(row["status"] == "skipped" for row in reasons.values())
    assert all(row["reason"].startswith("restored:") for row in reasons.values())
    # The versions made current again are recorded as restores.
    assert [row["name"] for row in store.restores("model")] == ["model"]

    train(root, "lasso")
    assert executed(log) == []
    assert json.loads((root / "data/model.json").read_text())["alpha"] == 2.0


def test_a_version_deleted_since_makes_the_craft_run(project_factory, log) -> None:
    root = project_factory(TRAIN, name="train")
    train(root, "ridge")
    train(root, "lasso")
    executed(log)
    session = Session(root_folder=root)
    ridge = session.catalog.versions("model")[0]
    assert not ridge.current
    (root / ".statisfactory/versions/data/model.json" / f"{ridge.version}.json").unlink()
    train(root, "ridge")
    assert executed(log) == ["train"]  # evaluate's version of its output is still stored


def test_unversioned_outputs_are_never_restored(project_factory, log) -> None:
    files = {
        **TRAIN,
        "catalog/catalog.yaml": """
            - {name: model, type: json, extra: {path: data/model.json}}
            - {name: metrics, type: json, extra: {path: data/metrics.json}}
        """,
    }
    root = project_factory(files, name="train")
    for configuration in ("ridge", "lasso", "ridge"):
        train(root, configuration)
    assert executed(log) == ["train", "evaluate"] * 3
