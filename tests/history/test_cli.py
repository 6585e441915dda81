"""The command line of the run history: run --incremental/--explain, runs, artifacts lineage."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from lock_holder import hold_lock

from project_files import statisfactory


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return statisfactory(*args, cwd=cwd, env={"COLUMNS": "250"})  # the widest tables whole


def test_incremental_runs_explain_and_history_from_the_command_line(lab) -> None:
    root = lab()
    first = cli("run", "lab", "small", "--incremental", cwd=root)
    assert first.returncode == 0, first.stderr

    again = cli("run", "lab", "small", "--explain", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "Pipeline 'lab': 0 craft(s) will run, 4 will be skipped" in again.stdout
    assert "Run of lab with small: 4 craft(s), 4 skipped as unchanged" in again.stdout
    assert "4 of 4 craft(s) skipped (-v or --explain for each one's reason)" in again.stderr
    assert "craft lab.models.fit skipped" not in again.stderr  # one line per skip: DEBUG only

    changed = cli("run", "lab", "strong", "--explain", cwd=root)
    assert changed.returncode == 0, changed.stderr
    explanation = changed.stdout.split("Run of", 1)[0]
    assert "skip      lab.models.simulate" in explanation
    assert "run       lab.models.fit" in explanation
    assert "parameters changed since run" in explanation and "alpha (1.0 -> 9.0)" in explanation
    assert "may skip  lab.models.keep" in explanation
    assert "1 skipped as unchanged" in changed.stdout

    listed = cli("runs", "ls", cwd=root)
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines() if " lab " in line]
    assert len(rows) == 3
    assert "strong" in rows[0] and "3/1/0" in rows[0]
    assert "small" in rows[1] and "0/4/0" in rows[1]

    shown = cli("runs", "show", "last", cwd=root)
    assert shown.returncode == 0, shown.stderr
    assert "configuration: strong" in shown.stdout
    assert re.search(r"lab\.models\.simulate +skipped", shown.stdout)
    assert re.search(r"coefficients +lab\.models\.keep", shown.stdout)

    verbose = cli("-v", "run", "lab", "strong", "--incremental", cwd=root)
    assert "craft lab.models.fit skipped: unchanged since run" in verbose.stderr


def test_runs_show_names_an_unknown_run(lab) -> None:
    root = lab()
    cli("run", "lab", "small", cwd=root)

    result = cli("runs", "show", "19990101", cwd=root)

    assert result.returncode == 2
    assert "matches no recorded run" in result.stderr and "runs ls" in result.stderr


def test_artifacts_lineage_prints_the_tree(lab) -> None:
    root = lab()
    assert cli("run", "lab", "small", cwd=root).returncode == 0

    result = cli("artifacts", "lineage", "samples", "--param", "n=5", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("artifact samples  data/samples_5.json  xxh3:")
    assert "written by craft lab.models.simulate" in result.stdout

    tree = cli("artifacts", "lineage", "summary", cwd=root)
    assert tree.returncode == 0, tree.stderr
    assert "└── artifact coefficients" in tree.stdout
    assert "produced by craft lab.models.fit" in tree.stdout

    unknown = cli("artifacts", "lineage", "summry", cwd=root)
    assert unknown.returncode == 2
    assert "did you mean 'summary'" in unknown.stderr


def test_a_project_that_never_ran_has_no_history_and_gets_none(lab) -> None:
    root = lab()

    result = cli("runs", "ls", cwd=root)

    assert result.returncode == 2
    assert "no run history at" in result.stderr and "first `statisfactory run`" in result.stderr
    assert not (root / ".statisfactory/history.db").exists()


def timed_cli(*args: str, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    done = cli(*args, cwd=cwd)
    return time.monotonic() - started, done


def test_a_run_while_another_process_locks_the_history_is_not_slowed(lab) -> None:
    root = lab()
    assert cli("run", "lab", "small", cwd=root).returncode == 0  # creates the store
    free, _ = timed_cli("run", "lab", "small", "--incremental", cwd=root)
    holder = hold_lock(root / ".statisfactory/history.db", 60)
    try:
        locked, done = timed_cli("run", "lab", "small", "--incremental", cwd=root)
    finally:
        holder.kill()
        holder.wait()

    assert done.returncode == 0, done.stderr
    assert locked - free < 10  # 60 s and more when recording waited for the lock
    warnings = [line for line in done.stderr.splitlines() if "run history" in line]
    assert len(warnings) == 1, done.stderr
    assert "busy" in warnings[0] and "not recorded" in warnings[0]
    listing = cli("runs", "ls", cwd=root)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.count(" lab ") == 2  # the locked run's records were dropped, as said


DYING = {
    "lib/lab/dying.py": """
        import os
        import signal
        import sqlite3
        import time

        from statisfactory import Artifact, Craft


        @Craft()
        def die() -> Artifact("summary"):
            store = ".statisfactory/history.db"
            for _ in range(400):  # until this run's row is written, then die without a word
                try:
                    running = sqlite3.connect(store).execute(
                        "SELECT COUNT(*) FROM runs WHERE status = 'running'"
                    ).fetchone()[0]
                except sqlite3.Error:
                    running = 0
                if running:
                    break
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGKILL)
    """,
    "pipelines/definitions/dying.yaml": """
        dying:
          +operators: [lab.dying.die]
    """,
}


def test_a_run_whose_process_was_killed_is_shown_as_died(lab) -> None:
    root = lab(DYING)
    assert cli("run", "lab", "small", cwd=root).returncode == 0
    killed = cli("run", "dying", cwd=root)
    assert killed.returncode == -9, killed.stderr

    listing = cli("runs", "ls", cwd=root)
    assert listing.returncode == 0, listing.stderr
    (line,) = [line for line in listing.stdout.splitlines() if " dying " in line]
    assert " died " in line
    shown = cli("runs", "show", "last", cwd=root)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Run ") and ": died" in shown.stdout.splitlines()[0]
    assert "ended without recording" in shown.stdout


def test_the_next_run_records_that_a_killed_run_died(lab) -> None:
    root = lab(DYING)
    assert cli("run", "dying", cwd=root).returncode == -9
    assert cli("run", "lab", "small", cwd=root).returncode == 0

    stored = sqlite3.connect(root / ".statisfactory/history.db").execute(
        "SELECT status FROM runs WHERE pipeline = 'dying'"
    )
    assert stored.fetchall() == [("died",)]


def test_a_run_on_another_host_is_said_to_be_unchecked(lab) -> None:
    from statisfactory.history.store import open_store

    root = lab()
    assert cli("run", "lab", "small", cwd=root).returncode == 0
    store = open_store(root)
    store.begin_run(
        {"run_id": "20200101-000000-abcdef", "pipeline": "far", "started": 1.0,
         "status": "running", "host": "another-host", "pid": 1, "process_started": "x"}
    )  # fmt: skip
    store.close()

    listing = cli("runs", "ls", cwd=root)
    (line,) = [line for line in listing.stdout.splitlines() if " far " in line]
    assert " running? " in line
    assert "running?: recorded on another host" in listing.stdout
    shown = cli("runs", "show", "20200101", cwd=root)
    assert "running (recorded on another host" in shown.stdout.splitlines()[0]


@pytest.mark.parametrize("key", ["history", "volatile_cache", "incremental_environment"])
def test_a_yes_no_history_setting_with_another_value_is_one_clear_error(lab, key) -> None:
    root = lab({"conf/locals.yaml": f"{key}: maybe\n"})

    result = cli("run", "lab", "small", "--incremental", cwd=root)

    assert result.returncode == 2, result.stderr
    assert f"setting {key}: 'maybe' is neither yes nor no" in result.stderr
    assert "Traceback" not in result.stderr


def test_history_off_as_text_keeps_no_history(lab) -> None:
    root = lab({"conf/locals.yaml": 'history: "off"\n'})

    result = cli("run", "lab", "small", cwd=root)

    assert result.returncode == 0, result.stderr
    assert not (root / ".statisfactory/history.db").exists()
