"""Metrics: ``+tags: [metrics]`` artifacts and ``Metrics`` outputs recorded per run."""

from __future__ import annotations

import logging

from statisfactory import Session
from statisfactory.history.store import store_for
from statisfactory.hookspecs import hookimpl

SCORES = {
    "lib/scored/__init__.py": "",
    "lib/scored/crafts.py": """
        import pandas as pd

        from statisfactory import Artifact, Craft, Metrics, Volatile


        @Craft()
        def fit(alpha: float = 1.0) -> [Artifact("scores"), Metrics("quality"), Volatile("m")]:
            return {"model": "ridge", "r2": 1 - alpha / 10, "n": 3, "ok": True}, alpha * 2, alpha


        @Craft()
        def tabulate(m: Volatile) -> [Artifact("table"), Artifact("long"), Metrics("more")]:
            one = pd.DataFrame({"mae": [m], "label": ["x"]})
            return one, pd.DataFrame({"mae": [1, 2]}), {"rmse": m + 1, "name": "y"}
    """,
    "catalog/catalog.yaml": """
        - name: scores
          type: json
          extra: {path: "data/scores_!{alpha}.json"}
          +tags: [metrics]
        - name: table
          type: csv
          extra: {path: data/table.csv}
          +tags: [report, metrics]
        - name: long
          type: csv
          extra: {path: data/long.csv}
          +tags: [metrics]
    """,
    "pipelines/definitions/pipelines.yaml": """
        scored:
          +operators: [scored.crafts.fit, scored.crafts.tabulate]
    """,
}


class Heard:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def after_metrics(self, run, craft, metrics) -> None:
        self.calls.append((craft.name, dict(metrics)))


def test_metrics_artifacts_and_outputs_are_recorded(project_factory, caplog) -> None:
    root = project_factory(SCORES, name="scored")
    session = Session(root_folder=root)
    heard = Heard()
    with session, caplog.at_level(logging.WARNING, logger="statisfactory"):
        result = session.pipelines_definitions["scored"].run({"alpha": 2.0}, plugins=[heard])
    store = store_for(session)
    assert store.metrics_of([result.run_id]) == {
        result.run_id: {"r2": 0.8, "n": 3.0, "quality": 4.0, "mae": 2.0, "rmse": 3.0}
    }
    sources = store.query("SELECT name, artifact FROM metrics ORDER BY name")
    assert {row["name"]: row["artifact"] for row in sources} == {
        "mae": "table",
        "n": "scores",
        "quality": "quality",
        "r2": "scores",
        "rmse": "more",
    }
    assert ("fit", {"r2": 0.8, "n": 3.0}) in heard.calls and len(heard.calls) == 4
    assert "metrics 'long' of craft 'scored.crafts.tabulate' is a DataFrame" in caplog.text
    assert result["m"] == 2.0  # a Metrics output is a volatile too


def test_a_craft_without_metrics_records_none(lab) -> None:
    session = Session(root_folder=lab())
    with session:
        result = session.pipelines_definitions["lab"].run({"n": 5})
    assert store_for(session).metrics_of([result.run_id]) == {result.run_id: {}}
