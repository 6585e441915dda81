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
import time
from pathlib import Path

import pytest
from lock_holder import hold_lock

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


def test_a_run_while_another_process_holds_the_lock_is_recorded_once_free(lab, caplog) -> None:
    root = lab()
    run_lab(root)  # creates the store
    holder = hold_lock(root / ".statisfactory/history.db", 4)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="statisfactory"):
        session = Session(root_folder=root)
        with session:
            session.pipelines_definitions["lab"].run({"n": 6}, incremental=True)
        assert not store_for(session).flush()  # busy: the run does not wait
    waited = time.monotonic() - started
    holder.wait()

    assert waited < 3.5  # the lock is held 4 s; a run used to wait 30 s per read and at exit
    assert caplog.text.count("is busy") == 1, caplog.text
    assert store_for(session).flush(patience=30)  # kept meanwhile, written once free
    runs = store_for(session).runs()
    assert [run["counts"] for run in runs] == [{"ran": 4}, {"ran": 4}]
    assert runs[0]["status"] == "succeeded"


def test_an_incremental_run_with_an_unreadable_store_runs_every_craft(lab, caplog) -> None:
    root = lab()
    (root / ".statisfactory").write_text("a file where the store's folder should be")

    with caplog.at_level(logging.WARNING, logger="statisfactory"):
        run_lab(root, incremental=True)

    assert (root / "data/summary.txt").read_text() == "mean=2.00"
    assert "cannot be opened" in caplog.text and "every craft runs" in caplog.text


@pytest.mark.service
def test_a_locked_postgresql_history_does_not_hold_up_a_run(lab, postgres_server, caplog) -> None:
    import sqlalchemy as sa

    root = lab({"conf/locals.yaml": f'history_url: "{postgres_server.url()}"\n'})
    run_lab(root)  # creates the tables
    engine = sa.create_engine(postgres_server.url())
    with engine.connect() as holder:
        holder.execute(sa.text("LOCK TABLE runs, executions, writes, craft_state"))
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="statisfactory"):
            session = Session(root_folder=root)
            with session:
                session.pipelines_definitions["lab"].run({"n": 7}, incremental=True)
            assert not store_for(session).flush()
        waited = time.monotonic() - started
        holder.rollback()
    engine.dispose()

    assert waited < 10  # lock and statement timeouts: the run never waits for the lock
    assert (root / "data/samples_7.json").exists()
    assert caplog.text.count("is busy") == 1, caplog.text
    assert postgres_server.password not in caplog.text
    assert store_for(session).flush(patience=30)
    assert store_for(session).runs(limit=1)[0]["params"] == {"n": 7}


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


def a_run(run_id: str, **columns) -> dict:
    return {"run_id": run_id, "pipeline": "lab", "started": 1.0, "status": "running", **columns}


def test_a_running_run_is_judged_by_its_host_pid_and_process_start(tmp_path: Path) -> None:
    from statisfactory.processes import this_process

    me = this_process()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store = open_store(tmp_path)
    store.begin_run(a_run("1-alive", host=me.host, pid=me.pid, process_started=me.started))
    store.begin_run(a_run("2-gone", host=me.host, pid=gone.pid, process_started="x"))
    store.begin_run(a_run("3-reused", host=me.host, pid=me.pid, process_started="other:1"))
    store.begin_run(a_run("4-elsewhere", host="another-host", pid=me.pid, process_started="y"))
    store.begin_run(a_run("5-old", host=None))  # recorded by an earlier version
    assert store.flush()

    runs = {run["run_id"]: run for run in store.runs()}
    assert {key: run["status"] for key, run in runs.items()} == {
        "1-alive": "running",
        "2-gone": "died",
        "3-reused": "died",
        "4-elsewhere": "running",
        "5-old": "running",
    }
    assert {key for key, run in runs.items() if run.get("unchecked")} == {"4-elsewhere", "5-old"}
    assert f"pid {gone.pid}" in runs["2-gone"]["error"]
    store.begin_run(a_run("6-next", host=me.host, pid=me.pid, process_started=me.started))
    stored = dict(
        (row["run_id"], row["status"]) for row in store.query("SELECT run_id, status FROM runs")
    )
    assert stored["2-gone"] == "died" and stored["3-reused"] == "died"  # marked by the next run
    assert stored["1-alive"] == "running" and stored["4-elsewhere"] == "running"
    store.close()


VERSION_1_RUNS = (
    "CREATE TABLE runs (run_id TEXT, pipeline TEXT, configuration TEXT, params TEXT, "
    "incremental INTEGER, git_commit TEXT, git_dirty INTEGER, user_name TEXT, host TEXT, "
    "started REAL, ended REAL, status TEXT, error TEXT, PRIMARY KEY (run_id))"
)


def test_a_store_of_the_first_schema_is_upgraded_and_keeps_its_runs(lab) -> None:
    root = lab()
    (root / ".statisfactory").mkdir()
    old = sqlite3.connect(root / ".statisfactory/history.db")
    old.execute("PRAGMA journal_mode = WAL")
    old.execute(VERSION_1_RUNS)
    old.execute(
        "INSERT INTO runs (run_id, pipeline, started, status) VALUES ('0-old', 'lab', 1, 'running')"
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()

    session = run_lab(root)

    runs = store_for(session).runs()
    assert [(run["run_id"], run["status"]) for run in runs][1:] == [("0-old", "running")]
    assert runs[0]["status"] == "succeeded" and runs[0]["pid"] == os.getpid()
    assert runs[1]["unchecked"]


def test_a_store_of_schema_4_gets_the_file_identity_columns_and_keeps_its_digests(
    lab, caplog
) -> None:
    root = lab()
    (root / ".statisfactory").mkdir()
    old = sqlite3.connect(root / ".statisfactory/history.db")
    old.execute("PRAGMA journal_mode = WAL")
    old.execute(
        "CREATE TABLE file_digests (path TEXT, size BIGINT, mtime_ns BIGINT, digest TEXT, "
        "PRIMARY KEY (path))"
    )
    old.execute("INSERT INTO file_digests VALUES ('module.py:analysis', 1, 2, 'kept')")
    old.execute("PRAGMA user_version = 4")
    old.commit()
    old.close()

    with caplog.at_level(logging.WARNING):
        session = run_lab(root, incremental=True)

    store = store_for(session)
    assert store.known_digest("module.py:analysis", 1, 2) == "kept"
    assert "module.py:analysis" not in store.file_digests()  # no file identity: not trusted
    assert not [r for r in caplog.records if "run history" in r.getMessage()]


@pytest.mark.service
def test_a_postgresql_store_of_the_first_schema_is_upgraded(
    tmp_path: Path, postgres_server
) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS history_v1"))
        connection.execute(sa.text("CREATE DATABASE history_v1"))
    admin.dispose()
    url = postgres_server.url().rsplit("/", 1)[0] + "/history_v1"
    old = sa.create_engine(url)
    with old.begin() as connection:
        connection.execute(sa.text(VERSION_1_RUNS.replace("REAL", "DOUBLE PRECISION")))
        connection.execute(
            sa.text(
                "INSERT INTO runs (run_id, pipeline, started, status) VALUES ('0', 'p', 1, 'x')"
            )
        )
    old.dispose()

    store = open_store(tmp_path, url)
    store.begin_run({**a_run("1"), "host": "h", "pid": 42, "process_started": "s"})
    assert store.flush()

    rows = store.query("SELECT run_id, pid FROM runs ORDER BY run_id")
    assert rows == [{"run_id": "0", "pid": None}, {"run_id": "1", "pid": 42}]
    store.close()


def test_a_hand_edited_process_column_leaves_the_run_as_recorded(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.begin_run(a_run("1", host="h", pid="not a pid"))
    assert store.flush()
    (run,) = store.runs()
    assert run["status"] == "running" and run["unchecked"]
    store.close()


def test_a_locked_history_url_database_does_not_hold_up_a_run(lab, tmp_path: Path, caplog) -> None:
    # Not in WAL mode: the lock keeps even readers out, so the store cannot be opened at all.
    database = tmp_path / "team-history.db"
    root = lab({"conf/globals.yaml": f'history_url: "sqlite:///{database}"\n'})
    run_lab(root)  # creates the tables
    holder = hold_lock(database, 60)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="statisfactory"):
            run_lab(root, {"n": 8})
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()

    assert waited < 10
    assert (root / "data/samples_8.json").exists()
    (warning,) = [r.message for r in caplog.records if r.levelno >= logging.WARNING]
    assert "database is locked" in warning and "this run is not recorded" in warning
    assert [run["params"] for run in store_for(Session(root_folder=root)).runs()] == [{"n": 5}]


def test_the_ui_reads_give_absolute_locations_like_every_read(lab) -> None:
    root = lab()
    store = store_for(run_lab(root))
    (run,) = store.runs()
    samples = str(root / "data/samples_5.json")
    simulate, fit = store.executions(run["run_id"])[:2]

    (write,) = store.writes_of("samples")
    (execution,) = store.executions_of("lab.models.simulate")
    (reader,) = store.readers_of(write["fingerprint"])

    assert write["location"] == samples
    assert execution["outputs"] == simulate["outputs"]
    assert execution["outputs"]["samples"]["location"] == samples
    assert (
        reader["inputs"]["samples"]["location"] == samples == fit["inputs"]["samples"]["location"]
    )


# A few rounds by default; more with STATISFACTORY_TEST_LONG=1.
ROUNDS = 40 if os.environ.get("STATISFACTORY_TEST_LONG") else 3


def test_a_session_after_another_in_one_process_sees_its_run(lab) -> None:
    root = lab()
    run_lab(root, {"n": 1})  # creates the store
    for round_ in range(ROUNDS):
        params = {"n": 2 + round_}  # a new input each round: the first session runs it
        first, second = Session(root_folder=root), Session(root_folder=root)
        # Another process's lock holds the first session's writes back until after its run.
        holder = hold_lock(root / ".statisfactory/history.db", 0.5)
        with first:
            first.pipelines_definitions["lab"].run(params, incremental=True)
        holder.wait()
        with second:  # its reads wait for what the first session still writes
            result = second.pipelines_definitions["lab"].run(params, incremental=True)

        assert set(result.statuses.values()) == {"skipped"}, round_


def test_the_states_of_many_crafts_are_those_asked_for_whatever_the_table_holds(
    tmp_path: Path,
) -> None:
    """More crafts than one query takes: read in one query of the whole table when it holds
    few others, else in several; either way exactly the states asked for, decoded."""
    store = open_store(tmp_path)
    store.states(["x"])  # the schema exists

    def add(crafts: list[str]) -> None:
        with sqlite3.connect(tmp_path / ".statisfactory/history.db") as connection:
            connection.executemany(
                "INSERT INTO craft_state (craft, state_key, run_id, code_fp, params, inputs, "
                "outputs, recorded, code_parts) VALUES (?, 'k', 'r1', 'c', '{}', ?, ?, 1.0, '')",
                [(craft, f'{{"in": "{craft}"}}', '{"out": "o"}') for craft in crafts],
            )

    asked = [f"lib.step_{i}" for i in range(700)]
    add(asked + [f"lib.other_{i}" for i in range(300)])
    expected = {craft: {"in": craft} for craft in asked}
    found = store.states(asked)
    assert {row["craft"]: row["inputs"] for row in found} == expected
    assert len(found) == len(asked) and all(row["outputs"] == {"out": "o"} for row in found)
    add([f"lib.more_{i}" for i in range(2000)])  # now mostly other crafts' states
    found = store.states(asked)
    assert {row["craft"]: row["inputs"] for row in found} == expected and len(found) == 700
    store.close()
