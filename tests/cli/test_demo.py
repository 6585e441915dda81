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
