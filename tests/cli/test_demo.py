"""The demo project, end to end through the command line, on a copy in a temporary folder."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from shop_project import statisfactory

REPOSITORY = Path(__file__).resolve().parents[2]
DEMO = REPOSITORY / "demo"
GENERATED = ("data", "reports", "jupyter", "manifest.json", "__pycache__")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns(*GENERATED))
    return copy


def test_demo_end_to_end(demo: Path) -> None:
    def ok(*args: str) -> str:
        result = statisfactory(*args, cwd=demo)
        assert result.returncode == 0, f"statisfactory {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    assert "Compiled 1 notebook(s), 1 craft(s)" in ok("compile")
    assert (demo / "lib/jupyter/ingest.py").is_file()
    assert (demo / "manifest.json").is_file()
    assert {"prepare", "train", "full", "report"} <= {
        line.split()[0] for line in ok("pipelines", "ls").splitlines()[2:]
    }
    assert "!{model}" in ok("artifacts", "ls")

    ok("run", "prepare", "base")
    for model in ("ridge_strong", "forest"):
        ok("run", "train", model)
    ok("run", "report", "comparison", "--param", "models=[ridge_strong, forest]")
    ok("viz", "full", "-o", "reports/pipeline.html")

    assert (demo / "data/models/ridge_strong.pkl").is_file()  # paths from !{model}
    assert (demo / "data/models/forest.pkl").is_file()
    with (demo / "reports/metrics.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert {row["model"] for row in rows} == {"ridge_strong", "forest"}
    for row in rows:
        assert 0.3 < float(row["r2"]) < 0.7  # what these models reach on this data set
        assert 40 < float(row["rmse"]) < 70
        assert int(row["n_test"]) == 111  # 25 % of 442 patients
    assert float(rows[0]["rmse"]) <= float(rows[1]["rmse"])  # ranked, best first

    report = (demo / "reports/report.html").read_text()
    assert '<img alt="RMSE by model' in report and "data:image/png;base64," in report
    assert "ridge_strong" in report and "forest" in report
    metrics = json.loads((demo / "data/metrics/forest.json").read_text())
    assert metrics["estimator"] == "RandomForestRegressor"
    assert "diabetes.models.evaluate" in (demo / "reports/pipeline.html").read_text()


def test_ridge_strong_inherits_from_ridge(demo: Path) -> None:
    import yaml

    result = statisfactory("configurations", "describe", "ridge_strong", cwd=demo)

    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {
        "seed": 42,
        "test_size": 0.25,
        "model": "ridge_strong",
        "diabetes.models.fit": {"estimator": "ridge", "hyperparameters": {"alpha": 50.0}},
    }


def test_demo_script_is_valid_bash() -> None:
    script = REPOSITORY / "scripts" / "demo"
    assert script.stat().st_mode & 0o111, "scripts/demo must be executable"
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_the_demo_notebook_runs_in_ipython(demo: Path) -> None:
    code = (
        "import json\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "notebook = json.load(open('01 - Ingest.ipynb', encoding='utf-8'))\n"
        "for cell in notebook['cells']:\n"
        "    if cell['cell_type'] == 'code':\n"
        "        result = shell.run_cell(''.join(cell['source']))\n"
        "        assert result.success, result.error_in_exec\n"
        "print('ROWS', len(shell.user_ns['raw']), shell.user_ns['session'].config.project_slug)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=demo / "scripts",
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ROWS 442 diabetes-demo" in result.stdout


def sweep_of_the_demo(demo: Path, *runner: str) -> list[dict]:
    """``run full models`` (the five models as one sweep), checked in the history: the ingest
    and the split ran once for the five members; returns ``runs compare`` as JSON."""
    import sqlite3

    assert statisfactory("compile", cwd=demo).returncode == 0
    ran = statisfactory("run", "full", "models", *runner, cwd=demo, timeout=600)
    assert ran.returncode == 0, ran.stderr
    assert "5 member(s), 12 craft(s) run for 20" in ran.stdout
    history = sqlite3.connect(demo / ".statisfactory/history.db")
    statuses = history.execute(
        "SELECT craft, status, COUNT(*) FROM executions GROUP BY craft, status ORDER BY craft, status"
    ).fetchall()
    history.close()
    assert statuses == [
        ("diabetes.data.split", "ran", 1),
        ("diabetes.data.split", "shared", 4),
        ("diabetes.models.evaluate", "ran", 5),
        ("diabetes.models.fit", "ran", 5),
        ("jupyter.ingest.ingest", "ran", 1),
        ("jupyter.ingest.ingest", "shared", 4),
    ]
    compared = statisfactory("runs", "compare", "--sweep", "last", "--format", "csv", cwd=demo)
    assert compared.returncode == 0, compared.stderr
    header, *rows = list(csv.reader(compared.stdout.splitlines()))
    assert header == [
        "run_id",
        "pipeline",
        "configuration",
        "status",
        "started",
        "model",  # the swept keys first, as the sweep declares them
        "diabetes.models.fit.estimator",
        "diabetes.models.fit.hyperparameters.alpha",
        "diabetes.models.fit.hyperparameters.max_depth",
        "diabetes.models.fit.hyperparameters.min_samples_leaf",
        "diabetes.models.fit.hyperparameters.n_estimators",
        "diabetes.models.fit.hyperparameters.learning_rate",
        "mae",
        "n_test",
        "r2",
        "rmse",
    ]
    # EXPECTED_COMPARISON lists the estimator and alpha before the model
    assert [[*row[1:4], row[6], row[7], row[5], *row[8:]] for row in rows] == EXPECTED_COMPARISON
    listed = statisfactory("runs", "compare", "--sort", "-r2", "--format", "json", cwd=demo)
    return json.loads(listed.stdout)


def _member(model: str, estimator: str, hyperparameters: str) -> str:
    return f"models[model={model},estimator={estimator},hyperparameters={hyperparameters}]"


# The test-set scores of the five models (seed 42, 25 % held out), as `runs compare` shows them.
EXPECTED_COMPARISON = [
    [
        "full",
        _member("ridge", "ridge", '{"alpha": 1.0}'),
        "succeeded",
        "ridge",
        "1.0",
        "ridge",
        "",
        "",
        "",
        "",
        "41.51",
        "111.0",
        "0.4859",
        "53.32",
    ],
    [
        "full",
        _member("ridge_strong", "ridge", '{"alpha": 50.0}'),
        "succeeded",
        "ridge",
        "50.0",
        "ridge_strong",
        "",
        "",
        "",
        "",
        "41.6",
        "111.0",
        "0.4919",
        "53.01",
    ],
    [
        "full",
        _member("lasso", "lasso", '{"alpha": 0.5}'),
        "succeeded",
        "lasso",
        "0.5",
        "lasso",
        "",
        "",
        "",
        "",
        "41.42",
        "111.0",
        "0.4912",
        "53.04",
    ],
    [
        "full",
        _member(
            "forest",
            "random_forest",
            '{"n_estimators": 200, "max_depth": 6, "min_samples_leaf": 3}',
        ),
        "succeeded",
        "random_forest",
        "",
        "forest",
        "6.0",
        "3.0",
        "200.0",
        "",
        "42.63",
        "111.0",
        "0.4786",
        "53.7",
    ],
    [
        "full",
        _member(
            "boosting",
            "gradient_boosting",
            '{"n_estimators": 150, "max_depth": 2, "learning_rate": 0.05}',
        ),
        "succeeded",
        "gradient_boosting",
        "",
        "boosting",
        "2.0",
        "",
        "150.0",
        "0.05",
        "43.05",
        "111.0",
        "0.4557",
        "54.86",
    ],
]


def test_the_five_models_as_one_sweep(demo: Path) -> None:
    ranked = sweep_of_the_demo(demo, "--runner", "processes", "--workers", "2")
    assert [row["model"] for row in ranked] == [
        "ridge_strong",
        "lasso",
        "ridge",
        "forest",
        "boosting",
    ]
    again = statisfactory("run", "full", "models", "--incremental", cwd=demo, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "5 member(s), 0 craft(s) run for 20" in again.stdout


@pytest.mark.service
def test_the_five_models_as_one_sweep_on_a_dask_cluster(demo: Path) -> None:
    from distributed import LocalCluster

    from service_guard import service_unavailable

    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    except Exception as error:
        service_unavailable(f"Dask LocalCluster did not start: {error}")
    with cluster:
        ranked = sweep_of_the_demo(demo, "--address", cluster.scheduler_address)
    assert ranked[0]["model"] == "ridge_strong"
