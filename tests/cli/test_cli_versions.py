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


def test_gc_keeps_the_policy_the_current_version_and_kept_runs(project_factory) -> None:
    files = {**TRAIN, "conf/globals.yaml": "versions: {keep: 1}"}
    project = project_factory(files, name="train")
    for alpha in (1, 2, 3, 4):
        ran = statisfactory("run", "train", "--param", f"alpha={alpha}", cwd=project)
        assert ran.returncode == 0, ran.stderr
    first_run = statisfactory("runs", "ls", cwd=project).stdout.splitlines()[-1].split()[0]
    kept = statisfactory("runs", "keep", first_run, cwd=project)
    assert kept.returncode == 0, kept.stderr
    ridge = version_rows(project)[0].split()[0]
    assert (
        statisfactory(
            "artifacts", "restore", "model", version_rows(project)[1].split()[0], cwd=project
        ).returncode
        == 0
    )

    dry = statisfactory("artifacts", "gc", "--dry-run", cwd=project)
    assert dry.returncode == 0, dry.stderr
    assert "would delete" in dry.stdout and len(version_rows(project)) == 4
    done = statisfactory("artifacts", "gc", cwd=project)
    assert done.returncode == 0, done.stderr
    rows = version_rows(project)
    # Kept: the first (a kept run wrote it), the second (current), the newest (keep: 1).
    assert len(rows) == 3 and rows[0].split()[0] == ridge and " * " in rows[1]
    assert "3 version(s) deleted" in done.stdout  # one of the models, two of the metrics


def test_reproduce_reruns_with_the_recorded_parameters_and_compares_outputs(
    project_factory,
) -> None:
    project = project_factory(TRAIN, name="train")
    first = statisfactory("run", "train", "ridge", "--param", "alpha=5", cwd=project)
    assert first.returncode == 0, first.stderr
    assert statisfactory("run", "train", "lasso", cwd=project).returncode == 0
    run_id = statisfactory("runs", "ls", cwd=project).stdout.splitlines()[-1].split()[0]

    reproduced = statisfactory("runs", "reproduce", run_id, cwd=project)
    assert reproduced.returncode == 0, reproduced.stderr
    assert "2 of 2 output(s) byte-identical" in reproduced.stdout
    assert json.loads((project / "data/model.json").read_text())["alpha"] == 5

    crafts = project / "lib/models/crafts.py"
    crafts.write_text(crafts.read_text().replace("alpha * 2", "alpha * 3"))
    refused = statisfactory("runs", "reproduce", run_id, cwd=project)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "models.crafts.train" in refused.stderr and "--allow-code-change" in refused.stderr
    allowed = statisfactory("runs", "reproduce", run_id, "--allow-code-change", cwd=project)
    assert allowed.returncode == 0, allowed.stderr
    assert "0 of 2 output(s) byte-identical" in allowed.stdout
    assert "differs from run" in allowed.stdout
