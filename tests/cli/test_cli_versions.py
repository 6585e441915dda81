"""``artifacts versions`` and ``artifacts restore`` on a project's versioned artifacts."""

from __future__ import annotations

import json
import re

from shop_project import statisfactory

from versions_project import TRAIN


def version_rows(project) -> list[str]:
    listed = statisfactory("artifacts", "versions", "model", cwd=project)
    assert listed.returncode == 0, listed.stderr
    return [line for line in listed.stdout.splitlines() if line.strip()[:2] == "20"]


def test_versions_name_their_run_craft_and_parameters_and_restore_brings_one_back(
    project_factory,
) -> None:
    project = project_factory(TRAIN, name="train")
    for configuration in ("ridge", "lasso"):
        ran = statisfactory("run", "train", configuration, cwd=project)
        assert ran.returncode == 0, ran.stderr

    ridge, lasso = version_rows(project)
    assert "models.crafts.train" in ridge and "alpha=1.0" in ridge and " * " not in ridge
    assert "alpha=2.0" in lasso and " * " in lasso  # the current one
    runs = statisfactory("runs", "ls", cwd=project).stdout
    (run,) = re.findall(r"\b\d{8}-\d{6}-[0-9a-f]{6}\b", ridge)
    assert run in runs  # the run that wrote it

    ridge_version = ridge.split()[0]
    restored = statisfactory("artifacts", "restore", "model", ridge_version[-10:], cwd=project)
    assert restored.returncode == 0, restored.stderr
    assert f"Restored model to version {ridge_version}" in restored.stdout
    assert json.loads((project / "data/model.json").read_text())["alpha"] == 1.0
    ridge, lasso = version_rows(project)
    assert " * " in ridge and " * " not in lasso

    # The restored version's lineage is the run that wrote it.
    lineage = statisfactory("artifacts", "lineage", "model", cwd=project)
    assert "alpha=1.0" in lineage.stdout, lineage.stdout


def test_a_missing_version_is_one_message_listing_those_that_exist(project_factory) -> None:
    project = project_factory(TRAIN, name="train")
    assert statisfactory("run", "train", "ridge", cwd=project).returncode == 0
    (row,) = version_rows(project)
    missing = statisfactory("artifacts", "restore", "model", "19990101", cwd=project)
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert "'model'" in missing.stderr and "'19990101'" in missing.stderr
    assert row.split()[0] in missing.stderr
    none = statisfactory("artifacts", "versions", "metrics", "--param", "x=1", cwd=project)
    assert none.returncode == 0 and "metrics" in none.stdout


def test_train_ridge_lasso_ridge_runs_no_craft_the_third_time(project_factory, tmp_path) -> None:
    project = project_factory(TRAIN, name="train")
    log = tmp_path / "executed.log"
    for configuration in ("ridge", "lasso", "ridge"):
        ran = statisfactory(
            "run", "train", configuration, "--incremental", cwd=project, env={"TRAIN_LOG": str(log)}
        )
        assert ran.returncode == 0, ran.stderr
    assert log.read_text().split() == ["train", "evaluate"] * 2
    assert "restored" in ran.stdout + ran.stderr
    assert json.loads((project / "data/model.json").read_text())["alpha"] == 1.0
