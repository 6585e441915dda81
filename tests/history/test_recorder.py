"""Building the rows of a run's craft records: in order, secrets masked, and the records let go
of as their rows are built (a large run's records and rows are never all in memory at once)."""

from __future__ import annotations

import os
import subprocess
import sys

from statisfactory.history.recorder import _craft_rows, _flat, _flat_params
from statisfactory.secrets import Secrets


def record(position: int, token: str) -> tuple:
    inputs = {"source": {"kind": "artifact", "location": f"s3://b/{token}/x", "fingerprint": "f"}}
    outputs = {"v": {"kind": "volatile", "fingerprint": None}}
    return (
        position,
        f"lab.step_{position}",
        "ran",
        "",
        "code",
        "key",
        _flat_params({"token": token}),
        _flat(inputs),
        _flat(outputs),
        1.0,
        0.5,
        "",
        True,
        "{}",
    )


def test_rows_follow_the_records_and_the_records_are_emptied() -> None:
    secrets = Secrets(["hunter2"])
    records = [record(i, "hunter2") for i in range(3)]
    executions, states = _craft_rows("run", records, secrets)
    assert records == []
    assert [row["position"] for row in executions] == [0, 1, 2]
    assert [row["craft"] for row in states] == ["lab.step_0", "lab.step_1", "lab.step_2"]
    first = executions[0]
    assert "hunter2" not in repr(executions) + repr(states)
    assert first["inputs"]["source"]["kind"] == "artifact"
    assert first["outputs"] == {"v": {"kind": "volatile", "fingerprint": None}}
    assert states[0]["inputs"] == {"source": "f"}


RUN_OUTSIDE_GIT = """
import sys
from statisfactory import Session
from statisfactory.history.store import store_for

session = Session(root_folder=sys.argv[1])
with session:
    session.pipelines_definitions["lab"].run({"n": 5})
(run,) = store_for(session).runs()
print(run["status"], run.get("git_commit"), "pygit2" in sys.modules)
print("statisfactory.history.mlflow_tracking" in sys.modules)
"""


def test_a_run_outside_git_records_without_importing_pygit2(lab) -> None:
    root = lab()
    assert not any((folder / ".git").exists() for folder in (root, *root.parents))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    result = subprocess.run(
        [sys.executable, "-c", RUN_OUTSIDE_GIT, str(root)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["succeeded", "None", "False"]


def test_a_run_without_the_mlflow_setting_imports_no_mlflow_plugin(lab) -> None:
    """A project that does not track pays nothing for the plugin's module and its imports."""
    root = lab()
    result = subprocess.run(
        [sys.executable, "-c", RUN_OUTSIDE_GIT, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[3:] == ["False"]
