"""The SQLite driver: rows written as many-row statements come back as they were given."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from statisfactory.history.schema import TABLES, TEXT
from statisfactory.history.sqlite_store import SqliteDriver
from statisfactory.history.store import Rows, _insert_rows, open_store


@pytest.mark.parametrize("count", [1, 2, 75, 76, 77, 1_000])
def test_inserted_rows_come_back_in_order_with_their_values(tmp_path: Path, count: int) -> None:
    """An INSERT of many rows runs as statements of many rows each (76 rows of the 13 columns
    of ``executions`` bind 988 values, under SQLite's limit of 999): every row is written once,
    in order, each value where its column is, the last partial statement included."""
    driver = SqliteDriver(tmp_path / "history.db")
    columns = [name for name, _ in TABLES["executions"]]
    rows = [
        tuple(
            f"{column}-{index}" if kind == TEXT else index for column, kind in TABLES["executions"]
        )
        for index in range(count)
    ]
    driver.write([_insert_rows("executions", rows)])
    driver.close()

    with sqlite3.connect(tmp_path / "history.db") as connection:
        stored = connection.execute(
            f"SELECT {', '.join(columns)} FROM executions ORDER BY rowid"
        ).fetchall()
    assert stored == rows


def test_other_statements_of_many_rows_run_once_per_row(tmp_path: Path) -> None:
    driver = SqliteDriver(tmp_path / "history.db")
    rows = [
        tuple(
            f"{column}-{index}" if kind == TEXT else index for column, kind in TABLES["executions"]
        )
        for index in range(5)
    ]
    driver.write([_insert_rows("executions", rows)])
    driver.write(
        [
            (
                "DELETE FROM executions WHERE run_id = :run_id",
                Rows(("run_id",), [("run_id-1",), ("run_id-3",)]),
            )
        ]
    )
    driver.close()

    with sqlite3.connect(tmp_path / "history.db") as connection:
        left = [row[0] for row in connection.execute("SELECT position FROM executions")]
    assert left == [0, 2, 4]


def _large_rows(count: int) -> list[tuple]:
    """``executions`` rows of about 1 KB each."""
    return [
        tuple(
            f"{column}-{index}-" + "x" * 1_000
            if column == "inputs"
            else (f"{column}-{index}" if kind == TEXT else index)
            for column, kind in TABLES["executions"]
        )
        for index in range(count)
    ]


def test_a_commit_leaves_the_checkpoint_to_the_writers_idle_moment(tmp_path: Path) -> None:
    """SQLite copies its WAL back into the database inside the commit that takes the WAL past
    1,000 pages, while the run (or the end of a command) waits for that commit. The driver's
    commit copies nothing back; ``idle()``, which the writer calls once nobody waits, does."""
    path, wal = tmp_path / "history.db", tmp_path / "history.db-wal"
    driver = SqliteDriver(path)
    driver.idle()
    before = path.stat().st_size

    driver.write([_insert_rows("executions", _large_rows(5_000))])
    assert path.stat().st_size == before, "the commit checkpointed"
    assert wal.stat().st_size > 5_000_000

    driver.idle()
    assert path.stat().st_size > before + 5_000_000
    with sqlite3.connect(path) as connection:  # and every row is there
        assert connection.execute("SELECT COUNT(*) FROM executions").fetchone() == (5_000,)
    driver.close()


_RUN_AND_END = """
import sys
sys.path.insert(0, sys.argv[2])
from test_sqlite_store import _large_rows
import statisfactory.cli.main  # ends as the command does: the heap frozen, connections open
from statisfactory.history.store import _insert_rows, open_store
store = open_store(sys.argv[1])
store.submit(_insert_rows("executions", _large_rows(1)))  # a run begins
assert store.flush()
store.submit(_insert_rows("executions", _large_rows(5_000)))  # its crafts, as it ends
"""  # and the process ends at once: the rows are written by the flush at exit


def test_a_command_leaves_its_checkpoint_to_the_next_process(tmp_path: Path) -> None:
    """A process that ends right after its last write (a command) does not checkpoint on its
    way out; the next process's writer does, in the background, after its first write."""
    path = tmp_path / ".statisfactory" / "history.db"
    subprocess.run(
        [sys.executable, "-c", _RUN_AND_END, str(tmp_path), str(Path(__file__).parent)],
        check=True,
        timeout=120,
    )
    left = path.stat().st_size
    assert left < 1_000_000, "the ending process checkpointed"
    assert path.with_name("history.db-wal").stat().st_size > 5_000_000

    store = open_store(tmp_path)
    try:
        store.submit(_insert_rows("executions", _large_rows(1)))
        assert store.flush()
        _wait_for_size(path, left + 5_000_000)
        assert store.query("SELECT COUNT(*) AS n FROM executions") == [{"n": 5_002}]
    finally:
        store.close()


def test_a_long_lived_process_checkpoints_once_its_writer_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / ".statisfactory" / "history.db"
    store = open_store(tmp_path)
    try:
        store.submit(_insert_rows("executions", _large_rows(1)))
        assert store.flush()
        left = path.stat().st_size
        store.submit(_insert_rows("executions", _large_rows(5_000)))
        assert store.flush()
        _wait_for_size(path, left + 5_000_000)
    finally:
        store.close()


def _wait_for_size(path: Path, size: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while path.stat().st_size < size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size >= size, f"{path} was not checkpointed"


def test_the_wal_of_a_writer_that_is_never_idle_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long run's writer may never be quiet long enough to checkpoint: past its limit, the
    commit that crosses it does, so that the WAL does not grow with the run (by about 16 KB a
    craft)."""
    from statisfactory.history import sqlite_store

    monkeypatch.setattr(sqlite_store, "WAL_LIMIT_PAGES", 500, raising=False)  # about 2 MB
    path = tmp_path / "history.db"
    driver = SqliteDriver(path)
    for start in range(0, 20_000, 1_000):  # about 20 MB in all, 1 MB a commit
        rows = [(f"run-{start + i}", *row[1:]) for i, row in enumerate(_large_rows(1_000))]
        driver.write([_insert_rows("executions", rows)])
    page = driver._connection().execute("PRAGMA page_size").fetchone()[0]
    assert path.with_name("history.db-wal").stat().st_size < 2 * 500 * page + 2_000_000
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM executions").fetchone() == (20_000,)
    driver.close()


def test_records_that_come_one_by_one_are_committed_together(tmp_path: Path) -> None:
    """A run's crafts report their records one at a time: the writer lingers a moment for more
    before a transaction, unless someone waits for the writes (a flush, a read)."""
    store = open_store(tmp_path)
    commits = []
    write = store._live.write
    store._live.write = lambda operations: commits.append(len(operations)) or write(operations)
    try:
        for _ in range(50):  # a craft done every millisecond
            store.submit(_insert_rows("executions", _large_rows(1)))
            time.sleep(0.001)
        assert store.flush()
        assert sum(commits) == 50
        assert len(commits) <= 10, commits
        started = time.monotonic()
        store.submit(_insert_rows("executions", _large_rows(1)))
        assert store.query("SELECT COUNT(*) AS n FROM executions") == [{"n": 51}]
        assert time.monotonic() - started < 0.5  # the read did not wait for more to come
    finally:
        store.close()
