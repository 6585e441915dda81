"""The default run-history database: one SQLite file, shared safely by concurrent runs.

WAL mode lets readers work while a run writes; a short busy timeout lets two runs write at
once, and a write that finds the database locked for longer is reported busy, for the store to
retry later rather than hold up the run. A file that is not a database, or a damaged one, is moved aside (``history.db.corrupt-
<time>``) and a new store is created, with a warning.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statisfactory.history.schema import SCHEMA_VERSION, TABLES, missing_columns, sqlite_ddl
from statisfactory.history.store import Rows
from statisfactory.logger import get_logger

if TYPE_CHECKING:
    from statisfactory.history.store import Operation

_logger = get_logger("history")

BUSY_TIMEOUT_SECONDS = 0.2  # the store retries a busy write later, in the background
READ_ATTEMPTS = 3  # a read is waited for: a checkpoint may hold the file for a moment
# Rows written since the last checkpoint after which the writer, once idle, copies the WAL
# back into the database file (about SQLite's own default of 1,000 pages).
CHECKPOINT_ROWS = 4_000
# The WAL's size, in pages, past which the commit that crosses it checkpoints (SQLite's
# wal_autocheckpoint): far above what a command's last commit brings (a 10,000-craft no-op
# writes about 3,000 pages), it bounds the WAL of a long run whose writer is never idle.
WAL_LIMIT_PAGES = 10_000
# SQLite's result codes meaning "this file is damaged" rather than "busy, try again".
_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB

# A process that forks (the processes runner's pool) while another of its threads is inside
# SQLite gives the child SQLite's internal mutexes locked forever: the child's first use of
# SQLite (an inner pipeline's history, an sql artifact) would hang. Every call into SQLite
# holds this lock, and a fork waits for it.
_outside_sqlite = threading.RLock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_outside_sqlite.acquire,
        after_in_parent=_outside_sqlite.release,
        after_in_child=_outside_sqlite.release,
    )


class SqliteDriver:
    """SQL on ``path``, one connection per thread; damaged files are replaced on first sight."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        """``create=False`` (a read-only command): a missing file is not made; until a run
        makes it, reads answer nothing and writes (caches only, then) are dropped."""
        self.path = Path(path)
        self.description = str(self.path)
        self.created = not self.path.exists()  # a first run, or a store deleted since
        self._local = threading.local()
        self._generation = 0  # bumped when the file is replaced: threads then reconnect
        self._lock = threading.Lock()
        self._may_create = create
        self._opened = False
        # Due at the first idle moment after this process writes: a process that ended
        # right after its last write (a command) left its WAL to the next one.
        self._since_checkpoint = CHECKPOINT_ROWS
        self._opening = threading.Lock()  # not _lock: opening may replace a damaged file
        self._open()

    def _open(self) -> bool:
        """Open the file (made first when allowed); False while it is missing and may not be
        made."""
        if self._opened:
            return True
        with self._opening:
            if not self._opened and (self._may_create or self.path.exists()):
                with _outside_sqlite:
                    try:
                        self._create()
                    except sqlite3.DatabaseError as error:
                        if not is_damaged(error):
                            raise
                        self._replace_damaged(error, self._generation)
                self._opened = True
        return self._opened

    # --- the driver contract ----------------------------------------------------------------
    def query(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if not self._open():
            return []  # no store yet: nothing recorded
        for attempt in range(READ_ATTEMPTS):
            generation = self._generation
            with _outside_sqlite:
                try:
                    return self._query(sql, params)
                except sqlite3.DatabaseError as error:
                    if is_damaged(error):
                        self._replace_damaged(error, generation)
                        return self._query(sql, params)
                    if not is_busy(error) or attempt == READ_ATTEMPTS - 1:
                        raise
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def write(self, operations: Sequence[Operation]) -> None:
        """One transaction; raises a busy error when the lock stays taken (see is_busy)."""
        if not self._open():
            return  # a read-only command's cache of a store no run made yet: not kept
        for _ in range(2):  # a second time after replacing a damaged file
            generation = self._generation
            with _outside_sqlite:
                connection = self._connection()
                try:
                    self._transaction(connection, operations)
                    self._since_checkpoint += sum(map(_row_count, operations))
                    return
                except sqlite3.DatabaseError as error:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    if not is_damaged(error):
                        raise
                    self._replace_damaged(error, generation)
        raise sqlite3.DatabaseError(f"{self.path} is damaged again after being replaced")

    def idle(self) -> None:
        """Checkpoint the WAL when enough was written since the last time. PASSIVE: it copies
        what no reader still needs and never waits for a lock."""
        if self._since_checkpoint < CHECKPOINT_ROWS or not self._opened:
            return
        self._since_checkpoint = 0
        with _outside_sqlite:
            self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def is_busy(self, error: Exception) -> bool:
        return isinstance(error, sqlite3.OperationalError) and is_busy(error)

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            with _outside_sqlite:
                connection.close()
            self._local.connection = None

    @staticmethod
    def _transaction(connection: sqlite3.Connection, operations: Sequence[Operation]) -> None:
        connection.execute("BEGIN IMMEDIATE")
        for sql, params in operations:
            if isinstance(params, Mapping):
                connection.execute(sql, params)
            elif isinstance(params, Rows):  # bound by position: no mapping per row
                _execute_rows(connection, sql, params)
            else:
                connection.executemany(sql, params)
        connection.execute("COMMIT")

    # --- connections --------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "connection", None) is None or local.generation != self._generation:
            local.connection = self._connect()
            local.generation = self._generation
        return local.connection

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE … COMMIT)
            check_same_thread=False,
        )
        connection.execute("PRAGMA synchronous = NORMAL")  # durable across crashes in WAL mode
        # Not inside a commit, where SQLite checkpoints past 1,000 pages by default (about 70 ms
        # a 10,000-craft run's records here, spent while the run or the process's end waits for
        # the commit): the writer checkpoints when it has nothing queued (idle()), and a commit
        # only past WAL_LIMIT_PAGES.
        connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_LIMIT_PAGES}")
        return connection

    def _query(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        cursor = self._connection().execute(sql, params)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connection()
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version >= SCHEMA_VERSION:
            return
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(sqlite_ddl())
        connection.execute("BEGIN IMMEDIATE")  # one process upgrades; the others then see it
        try:
            existing = {
                table: [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
                for table in TABLES
            }
            for statement in missing_columns(existing):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _replace_damaged(self, error: sqlite3.DatabaseError, seen: int) -> None:
        with self._lock:
            if self._generation != seen:
                return  # another thread already replaced it
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            self.close()
            for suffix in ("", "-wal", "-shm"):
                source = self.path.with_name(self.path.name + suffix)
                if source.exists():
                    source.replace(aside.with_name(aside.name + suffix))
            self._generation += 1
            _logger.warning(
                "the run history %s is damaged (%s); it was moved to %s and a new, empty "
                "history is started. Runs recorded before are in the moved file",
                self.path,
                error,
                aside,
            )
            self._create()


_MARK = re.compile(r":(\w+)")
# The most values one statement binds when it inserts many rows: SQLite's lowest limit (999,
# before version 3.32). A statement of many rows costs SQLite less than a statement per row.
_MAX_BOUND = 999


def _execute_rows(connection: sqlite3.Connection, sql: str, rows: Rows) -> None:
    """Run ``sql`` for each of ``rows``; an INSERT inserts them many rows per statement."""
    statement = _positional(sql, rows.columns)
    values = rows.values
    width = len(rows.columns)
    if not statement.startswith("INSERT ") or len(values) < 2 or width > _MAX_BOUND:
        connection.executemany(statement, values)
        return
    size = _MAX_BOUND // width
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        connection.execute(_many_rows(statement, width, len(chunk)), [v for r in chunk for v in r])


@functools.cache
def _many_rows(statement: str, width: int, count: int) -> str:
    """``INSERT … VALUES (?, …)`` with ``count`` rows of ``width`` values."""
    head, separator, _ = statement.rpartition(" VALUES ")
    assert separator, statement  # an INSERT of one row of marks, as _positional gives
    row = "(" + ", ".join("?" * width) + ")"
    return f"{head} VALUES " + ", ".join([row] * count)


@functools.cache
def _positional(sql: str, columns: tuple[str, ...]) -> str:
    """``sql`` with its ``:name`` marks as ``?``; they must name ``columns``, in order."""
    if tuple(_MARK.findall(sql)) != columns:
        raise ValueError(f"the marks of {sql!r} are not {columns}")
    return _MARK.sub("?", sql)


def _row_count(operation: Operation) -> int:
    """How many rows one operation writes (at most: an UPDATE may match fewer)."""
    params = operation[1]
    return 1 if isinstance(params, Mapping) else len(params)


def is_busy(error: Exception) -> bool:
    """Whether another connection holds the lock (retry) rather than a real failure."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


def is_damaged(error: sqlite3.DatabaseError) -> bool:
    """Whether ``error`` says the file is not a database or is corrupt."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGED
    text = str(error).lower()
    return "not a database" in text or "malformed" in text
