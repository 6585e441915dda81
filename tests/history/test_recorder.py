"""Building the rows of a run's craft records: in order, secrets masked, and the records let go
of as their rows are built (a large run's records and rows are never all in memory at once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import statisfactory.history.recorder as recorder_module
from statisfactory.history.recorder import (
    BATCH_RECORDS,
    RunRecorder,
    _craft_rows,
    _entries,
    _entries_json,
    _flat,
    _flat_params,
)
from statisfactory.history.schema import TABLES
from statisfactory.history.store import to_json
from statisfactory.secrets import Secrets

EXECUTION = [name for name, _ in TABLES["executions"]]
STATE = [name for name, _ in TABLES["craft_state"]]


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
        {"lab.py::step": "abc"},
    )


def test_rows_follow_the_records_and_the_records_are_emptied() -> None:
    secrets = Secrets(["hunter2"])
    records = [record(i, "hunter2") for i in range(3)]
    executions, states = _craft_rows("run", records, secrets)
    assert records == []
    rows = [dict(zip(EXECUTION, row, strict=True)) for row in executions]
    kept = [dict(zip(STATE, row, strict=True)) for row in states]
    assert [row["position"] for row in rows] == [0, 1, 2]
    assert [row["craft"] for row in kept] == ["lab.step_0", "lab.step_1", "lab.step_2"]
    assert "hunter2" not in repr(executions) + repr(states)
    first = rows[0]
    assert json.loads(first["inputs"])["source"]["kind"] == "artifact"
    assert json.loads(first["outputs"]) == {"v": {"kind": "volatile", "fingerprint": None}}
    assert json.loads(first["params"]) == {"token": "***"}
    assert json.loads(kept[0]["inputs"]) == {"source": "f"}
    assert kept[0]["params"] == first["params"]
    assert json.loads(kept[0]["code_parts"]) == {"lab.py::step": "abc"}
    assert kept[0]["recorded"] == 1.5


def test_locations_are_stored_as_the_store_keeps_them() -> None:
    (row,), _ = _craft_rows("run", [record(0, "t")], Secrets(), lambda text: text.upper())
    inputs = json.loads(dict(zip(EXECUTION, row, strict=True))["inputs"])
    assert inputs["source"]["location"] == "S3://B/T/X"


ENTRIES = [
    {},
    {"v": {"kind": "volatile", "fingerprint": None}},
    {"v": {"kind": "volatile", "fingerprint": "d" * 64, "producer": "lab.step"}},
    {"v": {"kind": "volatile", "fingerprint": "default"}, "w": {"kind": "volatile"}},
    {'é "x"': {"kind": "artifact", "location": "/tmp/ü/a b", "fingerprint": "f"}},
    {"a": {"kind": "artifact", "location": "", "fingerprint": None, "problem": "missing"}},
    {"a": {"kind": "artifact", "location": "s3://u:pw@b/k?token=abc", "fingerprint": "f"}},
    {"n": {"kind": "artifact", "location": "x", "fingerprint": 3}},  # not text: the slow way
    {1: {"kind": "volatile", "fingerprint": "f"}},
]


@pytest.mark.parametrize("entries", ENTRIES)
def test_entries_are_written_as_the_json_encoder_writes_them(entries: dict) -> None:
    """The JSON written directly is the encoder's text of the entries as mappings, masked."""
    secrets = Secrets(["hunter2", "abc"])
    flat = _flat(entries)
    text, fingerprints = _entries_json(flat, secrets.mask, str.upper)
    as_mappings = _entries(flat, secrets.mask, str.upper)
    assert text == to_json(as_mappings)
    assert fingerprints == to_json({n: e.get("fingerprint") for n, e in as_mappings.items()})
    assert "pw@" not in text and "abc" not in text


class Batches:
    """A store that builds the rows of each batch of craft records it is handed."""

    def __init__(self) -> None:
        self.batches: list[list[tuple]] = []

    def add_crafts(self, rows) -> None:
        self.batches.append(rows(str)[0])


def _recorder(store: Batches) -> RunRecorder:
    return RunRecorder(
        store,  # type: ignore[arg-type]
        None,
        run_id="run",
        pipeline="p",
        configuration=None,
        params={},
        incremental=False,
        producers={},
        fingerprints=None,
    )


def _record_quick_crafts(recorder: RunRecorder, count: int) -> None:
    for position in range(count):
        recorder.execution(
            position=position,
            craft=f"lab.step_{position}",
            status="ran",
            reason="",
            code_fp="code",
            state_key="key",
            params={},
            inputs={},
            outputs={"v": {"kind": "volatile", "fingerprint": "f"}},
            started=1.0,
            duration=0.5,
        )


def test_records_go_to_the_store_a_batch_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of many quick crafts hands its records over every BATCH_RECORDS crafts, not all
    at its end: the records held at once stay bounded."""
    monkeypatch.setattr(recorder_module, "BATCH_SECONDS", 3600.0)  # the count alone decides
    store = Batches()
    recorder = _recorder(store)
    _record_quick_crafts(recorder, 2 * BATCH_RECORDS + 5)
    assert [len(batch) for batch in store.batches] == [BATCH_RECORDS, BATCH_RECORDS]
    recorder._send_crafts()  # as the run's end does
    assert [len(batch) for batch in store.batches] == [BATCH_RECORDS, BATCH_RECORDS, 5]
    assert [row[1] for batch in store.batches for row in batch] == list(
        range(2 * BATCH_RECORDS + 5)
    )


def test_a_run_shorter_than_the_batch_time_hands_its_records_over_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thousands of quick crafts within BATCH_SECONDS go to the store in one batch, at the
    run's end: a writer working meanwhile would slow every file-system call of the run."""
    monkeypatch.setattr(recorder_module, "BATCH_SECONDS", 3600.0)  # however slow the machine
    store = Batches()
    recorder = _recorder(store)
    _record_quick_crafts(recorder, 5_000)
    assert store.batches == []
    recorder._send_crafts()  # as the run's end does
    assert [len(batch) for batch in store.batches] == [5_000]


def test_records_waiting_for_the_batch_time_go_with_the_next_craft(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once BATCH_SECONDS have passed, the next record sends the batch (a long run's records
    reach the store while it goes on)."""
    monkeypatch.setattr(recorder_module, "BATCH_SECONDS", 0.0)
    store = Batches()
    _record_quick_crafts(_recorder(store), 3)
    assert [len(batch) for batch in store.batches] == [1, 1, 1]


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
