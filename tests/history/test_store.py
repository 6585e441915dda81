"""The run-history store: what a run records, where, and how it copes with faults."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.history.digests import file_digest
from statisfactory.history.store import open_store, store_for


def run_lab(root: Path, params: dict | None = None, **options) -> Session:
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["lab"].run(params or {"n": 5}, **options)
    store_for(session).flush()
    return session


def test_a_run_its_crafts_and_its_writes_are_recorded(lab) -> None:
    root = lab()
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["lab"].run({"n": 5}, configuration="small")
    store = store_for(session)
    store.flush()

    (run,) = store.runs()
    assert run["pipeline"] == "lab"
    assert run["configuration"] == "small"
    assert run["status"] == "succeeded"
    assert run["params"] == {"n": 5}
    assert run["user_name"] and run["host"]
    assert run["ended"] >= run["started"]
    assert run["counts"] == {"ran": 4}
    assert (root / ".statisfactory/history.db").is_file()

    executions = store.executions(run["run_id"])
    assert [row["craft"] for row in executions] == [
        "lab.models.simulate",
        "lab.models.fit",
        "lab.models.keep",
        "lab.models.summarise",
    ]
    assert all(row["duration"] >= 0 and row["code_fp"] for row in executions)
    assert executions[1]["params"] == {"alpha": 1.0, "n": 5}  # n locates its input

    writes = {row["name"]: row for row in store.writes(run["run_id"])}
    assert set(writes) == {"samples", "coefficients", "summary"}
    samples = root / "data/samples_5.json"
    assert writes["samples"]["location"] == str(samples)
    assert writes["samples"]["fingerprint"] == file_digest(samples)
    assert writes["samples"]["context"] == {"n": 5}
    assert writes["samples"]["craft"] == "lab.models.simulate"


def test_a_failed_run_is_recorded_with_its_error(lab) -> None:
    root = lab()
    session = Session(root_folder=root)
    with session, pytest.raises(Exception, match="division by zero"):
        session.pipelines_definitions["lab"].run({"n": 0})
    store = store_for(session)
    store.flush()

    (run,) = store.runs()
    assert run["status"] == "failed"
    assert "division by zero" in run["error"]
    failed = [row for row in store.executions(run["run_id"]) if row["status"] == "failed"]
    assert [row["craft"] for row in failed] == ["lab.models.fit"]
    assert "ZeroDivisionError" in failed[0]["error"]


def test_the_git_commit_and_dirty_flag_are_recorded(lab) -> None:
    pygit2 = pytest.importorskip("pygit2")
    root = lab()
    repository = pygit2.init_repository(str(root))
    repository.index.add_all()
    repository.index.write()
    signature = pygit2.Signature("Ada", "ada@example.org")
    tree = repository.index.write_tree()
    commit = repository.create_commit("HEAD", signature, signature, "first", tree, [])

    session = run_lab(root)
    (run,) = store_for(session).runs()
    assert run["git_commit"] == str(commit)
    assert run["git_dirty"] == 0

    (root / "lib/lab/models.py").write_text((root / "lib/lab/models.py").read_text() + "\n# edit\n")
    session = run_lab(root)
    assert store_for(session).runs(limit=1)[0]["git_dirty"] == 1


def test_a_corrupt_store_is_moved_aside_and_recreated(lab, caplog) -> None:
    root = lab()
    store_file = root / ".statisfactory/history.db"
    store_file.parent.mkdir()
    store_file.write_bytes(b"this is not a database, " * 100)

    with caplog.at_level(logging.WARNING, logger="statisfactory"):
        session = run_lab(root)

    assert "damaged" in caplog.text and "moved to" in caplog.text
    (aside,) = root.glob(".statisfactory/history.db.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    assert store_for(session).runs()[0]["status"] == "succeeded"
    assert (root / "data/summary.txt").read_text() == "mean=2.00"


def test_a_store_that_cannot_open_never_blocks_a_run(lab, caplog) -> None:
    root = lab(
        {"conf/locals.yaml": 'history_url: "postgresql+psycopg://ada:pg-Secret-77@127.0.0.1:1/x"\n'}
    )
    with caplog.at_level(logging.WARNING, logger="statisfactory"):
        run_lab(root)

    assert (root / "data/summary.txt").read_text() == "mean=2.00"
    assert "run history at" in caplog.text and "not recorded" in caplog.text
    assert "pg-Secret-77" not in caplog.text


def test_an_unwritable_store_folder_never_blocks_a_run(lab, caplog) -> None:
    root = lab()
    (root / ".statisfactory").write_text("a file where the store's folder should be")

    with caplog.at_level(logging.WARNING, logger="statisfactory"):
        run_lab(root)

    assert (root / "data/summary.txt").read_text() == "mean=2.00"
    assert "cannot be opened" in caplog.text


def test_history_url_takes_any_sqlalchemy_database(lab, tmp_path: Path) -> None:
    database = tmp_path / "team-history.db"
    root = lab({"conf/globals.yaml": f'history_url: "sqlite:///{database}"\n'})

    session = run_lab(root, incremental=True)

    assert database.is_file()
    assert not (root / ".statisfactory/history.db").exists()
    (run,) = store_for(session).runs()
    assert run["counts"] == {"ran": 4}
    assert run_lab(root, incremental=True) is not None
    assert store_for(Session(root_folder=root)).runs(limit=1)[0]["counts"] == {"skipped": 4}


@pytest.mark.service
def test_history_on_a_postgresql_server(lab, postgres_server) -> None:
    root = lab({"conf/locals.yaml": f'history_url: "{postgres_server.url()}"\n'})

    run_lab(root, incremental=True)
    session = run_lab(root, incremental=True)

    runs = store_for(session).runs(pipeline="lab")
    assert [run["counts"] for run in runs[:2]] == [{"skipped": 4}, {"ran": 4}]


def test_a_run_while_another_connection_holds_the_lock_is_recorded_once_free(lab) -> None:
    root = lab()
    run_lab(root)  # creates the store
    holder = sqlite3.connect(
        root / ".statisfactory/history.db", isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(1.5, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        session = run_lab(root, {"n": 6})
    finally:
        release.join()
        holder.close()

    runs = store_for(session).runs()
    assert [run["counts"] for run in runs] == [{"ran": 4}, {"ran": 4}]
    assert runs[0]["status"] == "succeeded"


CONCURRENT_RUN = """
import sys
from statisfactory import Session
from statisfactory.history.store import store_for

session = Session(root_folder=sys.argv[1])
with session:
    for n in range(int(sys.argv[2]), int(sys.argv[2]) + 15):
        session.pipelines_definitions["lab"].run({"n": n}, incremental=True)
assert store_for(session).flush()
"""


def test_two_runs_at_once_share_the_store(lab) -> None:
    root = lab()
    run_lab(root)  # both processes then open an existing store
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_RUN, str(root), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for start in (10, 30)
    ]
    outputs = [process.communicate(timeout=180) for process in processes]

    for process, (_, errors) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, errors
        assert "cannot" not in errors, errors  # no write was dropped
    store = store_for(Session(root_folder=root))
    runs = store.runs(limit=100)
    assert len(runs) == 31
    assert all(run["status"] == "succeeded" for run in runs)
    assert all(sum(run["counts"].values()) == 4 for run in runs)
    writes = store.query("SELECT COUNT(*) AS n FROM writes")[0]["n"]
    writers = store.query(
        "SELECT COUNT(*) AS n FROM executions WHERE status = 'ran' AND craft <> 'lab.models.fit'"
    )[0]["n"]
    assert writes == writers  # every craft that ran had its artifact's write recorded


def test_a_new_store_starts_empty_and_answers_queries(tmp_path: Path) -> None:
    store = open_store(tmp_path)

    assert store.enabled
    assert store.runs() == [] and store.find_runs("last") == []
    assert store.latest_write(name="nothing") is None
    store.close()
    with sqlite3.connect(tmp_path / ".statisfactory/history.db") as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_history_false_turns_recording_off(lab) -> None:
    root = lab({"conf/globals.yaml": "history: false\n"})
    run_lab(root)

    assert not (root / ".statisfactory/history.db").exists()
    assert textwrap.dedent((root / "data/summary.txt").read_text()) == "mean=2.00"


def test_a_deleted_store_is_recreated_with_a_warning_and_every_craft_runs(lab, caplog) -> None:
    root = lab()
    run_lab(root, incremental=True)
    for leftover in (root / ".statisfactory").glob("history.db*"):
        leftover.unlink()

    with caplog.at_level(logging.WARNING, logger="statisfactory"):
        session = run_lab(root, incremental=True)

    assert "no run history was found, so every craft runs" in caplog.text
    assert store_for(session).runs()[0]["counts"] == {"ran": 4}
    assert (root / ".statisfactory/history.db").is_file()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_a_fork_waits_for_a_history_write_and_the_child_can_use_sqlite(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    driver = store._driver
    inside, forked = threading.Event(), threading.Event()

    def rows():  # a write that is still going when the main thread forks
        inside.set()
        forked.wait(0.5)
        yield {"path": "a", "size": 1, "mtime_ns": 1, "digest": "d"}

    insert = (
        "INSERT INTO file_digests (path, size, mtime_ns, digest) "
        "VALUES (:path, :size, :mtime_ns, :digest)"
    )
    writer = threading.Thread(target=driver.write, args=([(insert, rows())],))
    writer.start()
    inside.wait(5)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: SQLite must answer, and the write must be whole
        signal.alarm(10)  # a hang ends the child instead of the test run
        count = open_store(tmp_path).query("SELECT COUNT(*) AS n FROM file_digests")[0]["n"]
        os.write(write, str(count).encode())
        os._exit(0)
    forked.set()
    writer.join()
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.read(read, 16) == b"1"


EXITING_RUN = """
import sys
from statisfactory import Session

session = Session(root_folder=sys.argv[1])
with session:
    session.pipelines_definitions["lab"].run({"n": 5})
del session  # its store lets its writer go; the process then ends at once
"""


def test_what_a_run_queued_is_written_before_the_process_ends(lab) -> None:
    root = lab()
    done = subprocess.run(
        [sys.executable, "-c", EXITING_RUN, str(root)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr

    (run,) = store_for(Session(root_folder=root)).runs()
    assert run["status"] == "succeeded" and run["counts"] == {"ran": 4}
    assert run["user_name"]  # the run's details, computed by the writer after the crafts


def test_a_store_kept_by_its_caller_outlives_its_session(lab) -> None:
    root = lab()
    session = run_lab(root)
    store = store_for(session)
    del session
    gc.collect()  # the session's finalizer lets the store's writer go

    assert len(store.runs()) == 1
    store.remember_digest("somewhere", 1, 1, "digest")  # a new writer takes over
    assert store.known_digest("somewhere", 1, 1) == "digest"


NESTED = {
    "lib/nested_runs.py": """
        from statisfactory import Artifact, Craft, Pipeline, Volatile


        @Craft()
        def inner_make() -> Artifact("inner_out"):
            return "made by the inner run"


        @Craft()
        def outer_make() -> Artifact("outer_out"):
            return "made by the outer run"


        @Craft()
        def wrapper() -> Volatile("inner_state"):
            return Pipeline(inner_make, name="inner").run()
    """,
    "catalog/catalog.yaml": """
        - {name: inner_out, type: text, extra: {path: data/inner.txt}}
        - {name: outer_out, type: text, extra: {path: data/outer.txt}}
    """,
}


@pytest.mark.parametrize("runner", ["sequential", "threads"])
def test_a_save_belongs_to_the_run_whose_craft_made_it(project_factory, runner) -> None:
    session = Session(root_folder=project_factory(NESTED))
    from nested_runs import outer_make, wrapper

    from statisfactory import Pipeline

    with session:
        Pipeline(wrapper, outer_make, name="outer").run(runner=runner, max_workers=2)
    store = store_for(session)
    runs = {run["pipeline"]: run["run_id"] for run in store.runs()}

    outer = [(w["name"], w["craft"]) for w in store.writes(runs["outer"])]
    inner = [(w["name"], w["craft"]) for w in store.writes(runs["inner"])]
    assert outer == [("outer_out", "nested_runs.outer_make")]
    assert inner == [("inner_out", "nested_runs.inner_make")]
