"""The integrations: MLflow tracking of a run, and Spark artifacts through the catalog.

* MLflow: the 200-craft chain of ``bench_incremental`` (each craft reading the previous craft's
  small parquet artifact), run inside a session with the run history, without and with the
  MLflow plugin (the project's embedded SQLite tracking store). MLflow is imported, and its
  store created, by one untimed run first: the figure is what tracking adds to each run. Runs
  alternate between off and on; each keeps the best of REPEAT, in CPU and wall time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from _measure import run_snippet
from _table import Row
from bench_incremental import write_project

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "integrations"
REPEAT = 5
MLFLOW_TARGET = 0.10

MLFLOW = """
import json, sys, time
from statisfactory import Session

root, repeat = sys.argv[1], int(sys.argv[2])
session = Session(root_folder=root)
pipeline = session.pipelines_definitions["chain"]
_ = pipeline.plan, session.catalog
import pandas, pyarrow.parquet  # what the first craft would import: not the framework's cost

def timed(tracked):
    session.settings.set("mlflow", {"enabled": tracked})
    wall, cpu = time.perf_counter(), time.process_time()
    with session:
        pipeline.run({"rows": 50})
    return time.perf_counter() - wall, time.process_time() - cpu

timed(True)  # imports MLflow and creates its store and experiment
best = {False: [float("inf")] * 2, True: [float("inf")] * 2}
for _ in range(repeat):
    for tracked in (False, True):
        best[tracked] = [min(a, b) for a, b in zip(best[tracked], timed(tracked))]
from mlflow import MlflowClient
from statisfactory.history.mlflow_tracking import default_tracking_uri
client = MlflowClient(default_tracking_uri(session.root))
runs = client.search_runs([client.get_experiment_by_name("bench").experiment_id])
print("RESULT " + json.dumps({"off": best[False], "on": best[True], "runs": len(runs)}))
"""


def mlflow_rows() -> list[Row]:
    root = WORK / "mlflow"
    write_project(root)
    try:
        result = run_snippet(MLFLOW, root, REPEAT)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result["runs"] == REPEAT + 1, result  # every tracked run reached MLflow
    (off_wall, off_cpu), (on_wall, on_cpu) = result["off"], result["on"]
    # Judged on CPU time: on 2 shared cores the wall time of a 3 s run moves by more than 10 %.
    overhead = on_cpu / off_cpu - 1
    return [
        Row(
            "integrations",
            "MLflow plugin: 200-craft run, tracked vs untracked (CPU; wall)",
            f"{on_cpu:.2f} s CPU; {on_wall:.2f} s",
            peer=f"untracked {off_cpu:.2f} s CPU; {off_wall:.2f} s",
            ratio=f"{overhead:+.1%} CPU; {on_wall / off_wall - 1:+.1%} wall",
            target=f"≤ +{MLFLOW_TARGET:.0%}",
            ok=overhead <= MLFLOW_TARGET,
        )
    ]


def run() -> list[Row]:
    return mlflow_rows()
