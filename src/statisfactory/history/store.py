"""The run-history store: reads answer at once, writes go to a background thread.

A store is a :class:`HistoryStore` over a driver that runs SQL text with ``:name`` parameters:
SQLite through the standard library (the default, ``<root>/.statisfactory/history.db``) or any
database SQLAlchemy reaches (the ``history_url`` setting). Recording never stops a run: a
failing read answers "nothing recorded", a failing write is dropped, each with one warning; a
busy or unreachable database is waited for :data:`PATIENCE` seconds at most, its writes kept
and retried in the background meanwhile. Local locations under the project root are kept relative
to it (:mod:`statisfactory.history.locations`): rows are read back with absolute locations.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from statisfactory.history.locations import Locations
from statisfactory.history.schema import TABLES
from statisfactory.logger import get_logger
from statisfactory.processes import Liveness, Owner, host_name, liveness
from statisfactory.secrets import redact

_logger = get_logger("history")

STORE_FOLDER = ".statisfactory"
SQLITE_NAME = "history.db"
FLUSH_TIMEOUT = 30.0  # the longest wait for writes that go on (a large batch)
# The longest a process waits, in all, for a database that stays busy (another process holds
# its lock) or unreachable: its writes are then kept and retried in the background.
PATIENCE = 1.5
STUCK_AFTER = 0.25  # a write taking longer waits for the database: waiting for it uses patience
WAIT_STEP = 0.05
RETRY_SECONDS, MAX_RETRY_SECONDS = 0.1, 0.5
READ_AGAIN_SECONDS = 5.0  # a store found busy, once out of patience, is read again this often
BATCH = 500  # operations written in one transaction at most
# How long the writer waits for more operations before a transaction, unless someone waits for
# it (a flush, a read): a run whose crafts each report a record then commits every few dozen
# crafts instead of each one (a commit rewrites the pages of every table and index it touches,
# about 16 KB of WAL).
LINGER_SECONDS = 0.02
# The writer's upkeep (Driver.idle) comes after its first write in a process (a run starting,
# whose crafts go on meanwhile), then once nothing has come for this long: never between a
# command's last write and its end, which waits for that write alone.
QUIET_SECONDS = 0.5


class Rows:
    """Parameters of one statement run once per row, as tuples in ``columns`` order (the
    order of the statement's ``:name`` marks): a driver binding by position takes them as
    they are, another as mappings (:meth:`mappings`)."""

    __slots__ = ("columns", "values")

    def __init__(self, columns: Sequence[str], values: Sequence[tuple]) -> None:
        self.columns = tuple(columns)
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def mappings(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.values]


# SQL text and its parameters: one mapping, or a list of them or Rows (one execution each).
Operation = tuple[str, Mapping[str, Any] | Sequence[Mapping[str, Any]] | Rows]


class Driver(Protocol):
    """Runs SQL text with ``:name`` parameters against one database."""

    description: str  # where the store is, for messages (no secret)

    def query(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    def write(self, operations: Sequence[Operation]) -> None: ...

    def close(self) -> None: ...

    def is_busy(self, error: Exception) -> bool:
        """Whether ``error`` means "locked or unreachable, try later" (the write is kept)."""
        ...

    def idle(self) -> None:
        """Upkeep no caller waits for, done by the writer once everything queued is written
        and its waiters are released (SQLite checkpoints its WAL)."""
        ...


class HistoryStore:
    """Runs, craft executions, artifact writes and craft states, in one database."""

    def __init__(
        self, driver: Driver | None, *, broken: bool = False, root: Path | None = None
    ) -> None:
        self._driver = driver
        self.broken = broken  # history is on, but the store could not be opened
        self.locations = Locations(root)  # local locations are kept relative to the root
        self._pid = os.getpid()  # a forked child inherits the object, not the writer thread
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._warned: set[str] = set()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._submitted = 0  # writes queued, and handled by the writer: reads wait for both
        self._handled = 0
        self._backlog = 0  # operations the writer holds because the database is busy
        self._stalled_since: float | None = None  # when a write last found the database busy
        self._attempt_since: float | None = None  # when the writer's current write began
        self._patience = PATIENCE
        self._read_again = 0.0  # reads of a busy store answer nothing until then
        self._abandon = False
        self._exiting = False  # the process ends once its writes are done: no upkeep
        self._written_before = False  # by this process

    @property
    def enabled(self) -> bool:
        """False for the store standing in when no history is kept, and in a forked child."""
        return self._driver is not None and os.getpid() == self._pid

    def take_created(self) -> bool:
        """Whether this store was just created (answered True once)."""
        created = bool(getattr(self._driver, "created", False))
        if created:
            # Only the SQLite driver has ``created`` (it makes a file); not part of Driver.
            self._driver.created = False  # type: ignore[union-attr]
        return created

    @property
    def _live(self) -> Driver:
        """The driver, for the methods that only run for an enabled store (one with a driver)."""
        assert self._driver is not None, "a disabled history store has no driver"
        return self._driver

    @property
    def description(self) -> str:
        return self._driver.description if self._driver is not None else "no run history"

    # --- writing ------------------------------------------------------------------------------
    def submit(self, operation: Operation | Callable[[], Iterable[Operation]]) -> None:
        """Queue a write; a callable is called in the writer thread and returns operations."""
        if not self.enabled:
            return
        with self._writer_lock:  # saves report from several threads; the writer may be leaving
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_forever, name="statisfactory-history", daemon=True
                )
                self._writer.start()
            self._submitted += 1
            self._pending.put(operation)

    def flush(self, timeout: float = FLUSH_TIMEOUT, *, patience: float | None = None) -> bool:
        """Wait until every queued write is done (or dropped); False when ``timeout`` passed,
        or when the database stayed busy longer than ``patience`` seconds (by default what is
        left of :data:`PATIENCE`, shared by every wait until the database is free again)."""
        if not self.enabled:
            return True
        done = threading.Event()
        with self._writer_lock:
            if self._writer is None:
                return True  # a writer leaves only once nothing is queued
            self._pending.put(done)
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while not done.wait(WAIT_STEP):
            now = time.monotonic()
            if self._stuck(now):
                if patience is None:
                    self._patience -= now - last
                    out_of_patience = self._patience <= 0
                else:
                    patience -= now - last
                    out_of_patience = patience <= 0
                if out_of_patience:
                    self._warn_busy()
                    return False
            last = now
            if now >= deadline:
                self._warn(
                    "flush",
                    "the run history at %s is still being written after %.0f s; the last "
                    "records may be missing",
                    self.description,
                    timeout,
                )
                return False
        return True

    def _stuck(self, now: float) -> bool:
        """Whether the writer waits for the database rather than writes to it."""
        attempt = self._attempt_since
        return self._stalled_since is not None or (
            attempt is not None and now - attempt > STUCK_AFTER
        )

    def _warn_busy(self) -> None:
        self._warn(
            "busy",
            "the run history at %s is busy (another process holds its lock) or unreachable; "
            "the run does not wait for it (an incremental run reruns what it cannot check): "
            "its records are kept and written when the history is free, and are not recorded "
            "if this process ends before",
            self.description,
        )

    def retire(self) -> None:
        """Let the writer write what is queued, then leave; returns at once, so it is safe in a
        finalizer (a later write starts a new writer)."""
        if self._writer is not None:
            self._pending.put(None)  # SimpleQueue.put may be called from a finalizer

    def close(self) -> None:
        """Write what is queued (waiting for a busy database no longer than the patience
        left), then release the database."""
        if not self.enabled:
            return
        if not self.flush():
            self._abandon = True  # the writer drops what it holds and leaves
        writer = self._writer
        self.retire()
        if writer is not None:
            writer.join(timeout=5)
        self._live.close()

    def _write_forever(self) -> None:
        backlog: list[Operation] = []  # kept while the database is busy, written once free
        waiting: list[threading.Event] = []
        stopping = False
        delay = RETRY_SECONDS
        quiet: float | None = None  # upkeep once nothing has come for this long
        while True:
            try:
                items = [self._pending.get(timeout=delay if backlog else quiet)]
            except queue.Empty:
                items = []  # time to try the backlog again, or for upkeep
                if not backlog:
                    self._upkeep()
                    quiet = None
                    continue
            if items:
                self._gather(items)
            for item in items:
                if item is None:
                    stopping = True
                elif isinstance(item, threading.Event):
                    waiting.append(item)
                elif callable(item):
                    backlog.extend(self._guarded("build", item, ()))
                else:
                    backlog.append(item)
            if self._abandon:
                self._drop(backlog)
            wrote = bool(backlog) and self._attempt(backlog)
            if wrote:
                backlog, delay = [], RETRY_SECONDS
            elif backlog:
                delay = min(delay * 2, MAX_RETRY_SECONDS)
            self._backlog = len(backlog)
            self._handled += sum(
                1 for item in items if item is not None and not isinstance(item, threading.Event)
            )
            if not backlog:
                for event in waiting:
                    event.set()
                waiting = []
                if wrote and not self._written_before:  # the process's first write: a run
                    self._written_before = True  # starts, upkeep left by an earlier one now
                    self._upkeep()
                elif wrote:  # later, once quiet: not while a process about to end waits
                    quiet = QUIET_SECONDS
                if stopping and self._leave():
                    return
                stopping = False

    def _gather(self, items: list[Any]) -> None:
        """Add to ``items`` what comes within :data:`LINGER_SECONDS`, up to :data:`BATCH`;
        at once when someone waits (a flush) or the writer is to stop."""
        deadline = time.monotonic() + LINGER_SECONDS
        while len(items) < BATCH and not _awaited(items[-1]):
            try:
                items.append(self._pending.get_nowait())
            except queue.Empty:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                try:
                    items.append(self._pending.get(timeout=left))
                except queue.Empty:
                    return

    def _upkeep(self) -> None:
        if not self._exiting:
            self._guarded("idle", self._live.idle, None)

    def _attempt(self, operations: list[Operation]) -> bool:
        """Write ``operations``; False when the database is busy (they are to be retried)."""
        self._attempt_since = time.monotonic()
        try:
            self._live.write(operations)
        except Exception as error:
            if self._is_busy(error):
                if self._stalled_since is None:
                    self._stalled_since = time.monotonic()
                _logger.debug(
                    "run history busy (%s); %d operations kept", _redacted(error), len(operations)
                )
                return False
            self._guarded("write", _raise, None, error)  # the one warning; the records go
        finally:
            self._attempt_since = None
        if self._stalled_since is not None:
            self._stalled_since = None
            self._patience = PATIENCE  # free again: a later busy spell gets its own wait
        return True

    def _drop(self, backlog: list[Operation]) -> None:
        if backlog:
            _logger.debug("run history busy: %d operations not recorded", len(backlog))
            backlog.clear()

    def _leave(self) -> bool:
        """Stop being the writer, unless writes came in meanwhile (they are queued under the
        lock, so none can come between this check and leaving)."""
        with self._writer_lock:
            if not self._pending.empty():
                return False
            self._writer = None
        self._guarded("close", self._live.close, None)  # this thread's connection
        return True

    # --- reading ------------------------------------------------------------------------------
    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Rows as dicts, the queued writes done first; on failure a warning and no rows."""
        if not self.enabled:
            return []
        for store in (self, *_stores_of(self.description)):  # and other sessions' of it
            if store._writing():
                store.flush()
        started = time.monotonic()
        if self._stalled_since is not None and self._patience <= 0 and started < self._read_again:
            return []  # busy, and waited for long enough: answered "nothing recorded"
        try:
            return self._live.query(sql, params)
        except Exception as error:
            if not self._is_busy(error):
                return self._guarded("read", _raise, [], error)
            if self._stalled_since is None:
                self._stalled_since = time.monotonic()  # cleared by the next write that passes
            self._patience -= time.monotonic() - started
            self._read_again = time.monotonic() + READ_AGAIN_SECONDS
            self._warn_busy()
            return []

    def _writing(self) -> bool:
        """Whether writes are queued, or held while the database is busy."""
        return self._handled != self._submitted or bool(self._backlog)

    def _is_busy(self, error: Exception) -> bool:
        is_busy = getattr(self._driver, "is_busy", None)
        return is_busy is not None and bool(is_busy(error))

    def _guarded(self, what: str, function: Callable, fallback: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except Exception as error:
            self._warn(
                what,
                "run history at %s: cannot %s (%s: %s); the run goes on without it",
                self.description,
                what,
                type(error).__name__,
                error,
            )
            return fallback

    def _warn(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:  # once per kind of failure, not once per craft
            self._warned.add(key)
            _logger.warning(message, *args)

    # --- runs ---------------------------------------------------------------------------------
    def begin_run(self, run: Mapping[str, Any]) -> None:
        """Record a run that starts (and that earlier runs of this host whose process is gone
        died)."""
        self.submit(_insert("runs", run))
        self.mark_died()

    def mark_died(self) -> None:
        """Record that the runs of this host still ``running`` whose process is gone died."""
        self.submit(self._mark_died)

    def _mark_died(self) -> list[Operation]:
        """In the writer: the runs still ``running`` whose process no longer runs, marked so."""
        try:
            rows = self._live.query(
                "SELECT * FROM runs WHERE status = 'running' AND host = :host AND pid IS NOT NULL",
                {"host": host_name()},
            )
        except Exception as error:
            if self._is_busy(error):
                return []  # another time
            raise
        dead = [
            {"run_id": row["run_id"], "error": died_error(row), "died": DIED}
            for row in rows
            if run_liveness(row) == "dead"
        ]
        update = (
            "UPDATE runs SET status = :died, error = :error "
            "WHERE run_id = :run_id AND status = 'running'"
        )
        return [(update, dead)] if dead else []

    def end_run(
        self,
        run_id: str,
        *,
        status: str,
        ended: float,
        error: str = "",
        details: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Record how a run ended; ``details()`` (git, user…) is computed by the writer, after
        the crafts, so that it never competes with them."""

        def build() -> list[Operation]:
            row = {"status": status, "ended": ended, "error": error}
            row.update(_safely(details) if details is not None else {})
            assignments = ", ".join(f"{column} = :{column}" for column in row)
            return [
                (f"UPDATE runs SET {assignments} WHERE run_id = :run_id", {**row, "run_id": run_id})
            ]

        self.submit(build)

    def link_mlflow_run(self, run_id: str, mlflow_run_id: str) -> None:
        """Record the MLflow run that tracks the run ``run_id`` (its ``begin_run`` came first)."""
        self.submit(
            (
                "UPDATE runs SET mlflow_run_id = :mlflow_run_id WHERE run_id = :run_id",
                {"run_id": run_id, "mlflow_run_id": mlflow_run_id},
            )
        )

    def add_write(self, row: Mapping[str, Any]) -> None:
        """Record an artifact write (encoded by the writer: ``row`` must not change after)."""
        self.submit(lambda: [_insert("writes", _encoded(self._relative(row)))])

    def add_crafts(
        self, rows: Callable[[Callable[[str], str]], tuple[Sequence[tuple], Sequence[tuple]]]
    ) -> None:
        """Record craft executions and replace the states of ``(craft, state_key)``, in one
        transaction; ``rows(stored)``, called by the writer with the translation of a location
        to its stored form, gives ``(executions, states)``: tuples in the order of the tables'
        columns, their JSON columns encoded, their locations translated."""

        def build() -> list[Operation]:
            executions, states = rows(self.locations.stored)
            operations = []
            if executions:
                operations.append(_insert_rows("executions", executions))
            latest = {row[:2]: row for row in states}  # (craft, state_key): the last one wins
            if latest:
                keys = Rows(("craft", "state_key"), list(latest))
                operations.append(
                    (
                        "DELETE FROM craft_state WHERE craft = :craft AND state_key = :state_key",
                        keys,
                    )
                )
                operations.append(_insert_rows("craft_state", list(latest.values())))
            return operations

        self.submit(build)

    def add_restore(self, row: Mapping[str, Any]) -> None:
        """Record that a version of an artifact was made current again."""
        self.submit(lambda: [_insert("restores", _encoded(self._relative(row)))])

    def keep_run(self, run_id: str, kept: bool = True) -> None:
        """Mark a run as kept: ``artifacts gc`` never deletes the versions it wrote."""
        self.submit(
            (
                "UPDATE runs SET kept = :kept WHERE run_id = :run_id",
                {"kept": int(kept), "run_id": run_id},
            )
        )

    def record_metrics(
        self, run_id: str, metrics: Mapping[str, float], artifact: str | None
    ) -> None:
        """Record a run's named numbers (a metric recorded again for the run replaces the
        earlier value); ``artifact`` is where they came from."""
        rows = [
            {"run_id": run_id, "name": str(name), "value": float(value), "artifact": artifact}
            for name, value in metrics.items()
        ]
        if not rows:
            return
        names = [{"run_id": run_id, "name": row["name"]} for row in rows]
        self.submit(
            lambda: [
                ("DELETE FROM metrics WHERE run_id = :run_id AND name = :name", names),
                _insert("metrics", *rows),
            ]
        )

    def remember_digest(
        self,
        path: str,
        size: int,
        mtime_ns: int,
        digest: str,
        *,
        inode: int | None = None,
        ctime_ns: int | None = None,
    ) -> None:
        row = {
            "path": path,
            "size": size,
            "mtime_ns": mtime_ns,
            "digest": digest,
            "inode": inode,
            "ctime_ns": ctime_ns,
        }
        self.submit(
            lambda: [
                ("DELETE FROM file_digests WHERE path = :path", {"path": path}),
                _insert("file_digests", row),
            ]
        )

    # --- queries ------------------------------------------------------------------------------
    def states(self, crafts: Sequence[str]) -> list[dict[str, Any]]:
        """Every recorded state of these crafts (each parameter set they ran with), as an
        incremental run compares them: inputs and outputs decoded, parameters left as JSON
        text and code parts out (:meth:`code_parts`), which only explanations read."""
        rows: list[dict[str, Any]] = []
        if len(crafts) > BATCH:  # several queries: reading the whole table may cost less
            count = self.query("SELECT COUNT(*) AS n FROM craft_state")
            if count and count[0]["n"] <= 2 * len(crafts):
                wanted = set(crafts)
                rows = self.query(f"SELECT {_STATE_COLUMNS} FROM craft_state")
                return [_compared(row) for row in rows if row["craft"] in wanted]
        for start in range(0, len(crafts), BATCH):
            chunk = list(crafts[start : start + BATCH])
            names = {f"c{i}": craft for i, craft in enumerate(chunk)}
            marks = ", ".join(f":{key}" for key in names)
            rows += self.query(
                f"SELECT {_STATE_COLUMNS} FROM craft_state WHERE craft IN ({marks})", **names
            )
        return [_compared(row) for row in rows]

    def code_parts(self, craft: str, state_key: str) -> str | None:
        """The JSON of what the code fingerprint of a recorded state covered (see
        :meth:`states`), None when it has none."""
        rows = self.query(
            "SELECT code_parts FROM craft_state WHERE craft = :craft AND state_key = :key",
            craft=craft,
            key=state_key,
        )
        return rows[0]["code_parts"] if rows else None

    def file_digests(self) -> dict[str, tuple[int, int, int, int, str]]:
        """Every remembered digest of a local file, by path: ``(size, mtime_ns, inode,
        ctime_ns, digest)``, in one query."""
        rows = self.query(
            "SELECT path, size, mtime_ns, inode, ctime_ns, digest FROM file_digests "
            "WHERE inode IS NOT NULL AND ctime_ns IS NOT NULL"
        )
        return {
            row["path"]: (
                row["size"],
                row["mtime_ns"],
                row["inode"],
                row["ctime_ns"],
                row["digest"],
            )
            for row in rows
        }

    def known_digest(self, path: str, size: int, mtime_ns: int) -> str | None:
        rows = self.query(
            "SELECT digest FROM file_digests WHERE path = :path AND size = :size "
            "AND mtime_ns = :mtime_ns",
            path=path,
            size=size,
            mtime_ns=mtime_ns,
        )
        return rows[0]["digest"] if rows else None

    def runs(self, limit: int = 20, pipeline: str | None = None) -> list[dict[str, Any]]:
        """The latest runs, newest first, with how many crafts ran, were skipped or failed."""
        where, params = (
            ("WHERE pipeline = :pipeline ", {"pipeline": pipeline}) if pipeline else ("", {})
        )
        rows = self.query(
            f"SELECT * FROM runs {where}ORDER BY started DESC LIMIT :limit", limit=limit, **params
        )
        return self._with_counts(rows)

    def _with_counts(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run rows decoded and checked, with how many crafts ran, were skipped or failed."""
        for row in rows:
            counts = self.query(_FINAL_STATUS_COUNTS, run_id=row["run_id"])
            row["counts"] = {count["status"]: count["n"] for count in counts}
        return [_checked(_decoded(row)) for row in rows]

    def search_runs(
        self,
        *,
        filters: Mapping[str, str] | None = None,
        run_ids: Sequence[str] | None = None,
        text: str = "",
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of runs, newest first, and how many match in all: ``filters`` are equal
        columns (``pipeline``, ``configuration``, ``status``), ``run_ids`` a set to keep,
        ``text`` a run id prefix or part of the pipeline, configuration or user name."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        for column, value in (filters or {}).items():
            if column not in SEARCHABLE or not value:
                continue
            clauses.append(f"{column} = :{column}")
            params[column] = value
        if run_ids is not None:
            marks = [f":r{i}" for i in range(len(run_ids))] or ["NULL"]
            clauses.append(f"run_id IN ({', '.join(marks)})")
            params.update({f"r{i}": run_id for i, run_id in enumerate(run_ids)})
        if text:
            clauses.append(
                "(substr(run_id, 1, :length) = :text OR pipeline LIKE :part ESCAPE '\\' "
                "OR configuration LIKE :part ESCAPE '\\' OR user_name LIKE :part ESCAPE '\\')"
            )
            params.update(text=text, length=len(text), part=_containing(text))
        for bound, operator, column in ((since, ">=", "since"), (until, "<", "until")):
            if bound is not None:
                clauses.append(f"started {operator} :{column}")
                params[column] = bound
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        total = self.query(f"SELECT COUNT(*) AS n FROM runs {where}", **params)
        rows = self.query(
            f"SELECT * FROM runs {where}ORDER BY started DESC LIMIT :limit OFFSET :offset",
            limit=limit,
            offset=offset,
            **params,
        )
        return self._with_counts(rows), int(total[0]["n"]) if total else 0

    def find_runs(self, reference: str) -> list[dict[str, Any]]:
        """Runs whose id starts with ``reference`` (``last`` is the latest run)."""
        if reference in ("last", "latest", "-1"):
            rows = self.query("SELECT * FROM runs ORDER BY started DESC LIMIT 1")
        else:
            rows = self.query(
                "SELECT * FROM runs WHERE substr(run_id, 1, :length) = :prefix "
                "ORDER BY started DESC LIMIT 10",
                prefix=reference,
                length=len(reference),
            )
        return [_checked(_decoded(row)) for row in rows]

    def executions(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM executions WHERE run_id = :run_id ORDER BY position, started",
            run_id=run_id,
        )
        return [self._resolved(_decoded(row)) for row in rows]

    def writes(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM writes WHERE run_id = :run_id ORDER BY written", run_id=run_id
        )
        return [self._resolved(_decoded(row)) for row in rows]

    def latest_write(
        self,
        *,
        location: str | None = None,
        name: str | None = None,
        fingerprint: str | None = None,
        before: float | None = None,
    ) -> dict[str, Any] | None:
        """The newest write matching every given field (written before ``before``), or None."""
        given: dict[str, Any] = {"name": name, "fingerprint": fingerprint}
        given = {key: value for key, value in given.items() if value is not None}
        conditions = [f"{key} = :{key}" for key in given]
        if location is not None:  # in any form it may be stored in
            forms = {f"l{i}": form for i, form in enumerate(self.locations.matching(location))}
            conditions.append(f"location IN ({', '.join(f':{key}' for key in forms)})")
            given.update(forms)
        if before is not None:
            conditions.append("written <= :before")
            given["before"] = before
        where = " AND ".join(conditions) or "1 = 1"
        rows = self.query(
            f"SELECT * FROM writes WHERE {where} ORDER BY written DESC LIMIT 1", **given
        )
        return self._resolved(_decoded(rows[0])) if rows else None

    def variants(self, name: str) -> list[dict[str, Any]]:
        """Each location artifact ``name`` was written at, with its ``!{}`` values and the
        latest run writing there, newest first."""
        rows = self.query(
            "SELECT location, context, run_id, written FROM writes WHERE name = :name "
            "ORDER BY written DESC",
            name=name,
        )
        seen: dict[str, dict[str, Any]] = {}
        for row in rows:  # an old store may hold one place in two forms: one variant each
            resolved = self._resolved(_decoded(row))
            seen.setdefault(resolved["location"], resolved)
        return list(seen.values())

    def version_writes(self, name: str) -> list[dict[str, Any]]:
        """The writes of artifact ``name`` that stored a version, oldest first, each with the
        commit of its run and the parameters of the craft's execution."""
        rows = self.query(_VERSION_WRITES, name=name)
        return [self._resolved(_decoded(row)) for row in rows]

    def successful_executions(
        self, craft: str, state_key: str, code_fp: str
    ) -> list[dict[str, Any]]:
        """Every execution of ``craft`` that ran with these parameters and code, newest first
        (the run cache of an incremental run: any of them, not only the last, may match)."""
        rows = self.query(
            "SELECT run_id, inputs, outputs FROM executions WHERE craft = :craft AND "
            "state_key = :state_key AND code_fp = :code_fp AND status = 'ran' "
            "ORDER BY started DESC LIMIT 100",
            craft=craft,
            state_key=state_key,
            code_fp=code_fp,
        )
        return [self._resolved(_decoded(row)) for row in rows]

    def version_written(self, name: str, fingerprint: str) -> str | None:
        """The version of artifact ``name`` stored by the newest write with ``fingerprint``."""
        rows = self.query(
            "SELECT version FROM writes WHERE name = :name AND fingerprint = :fingerprint "
            "AND version IS NOT NULL ORDER BY written DESC LIMIT 1",
            name=name,
            fingerprint=fingerprint,
        )
        return rows[0]["version"] if rows else None

    def kept_runs(self) -> set[str]:
        """The runs marked kept (``runs keep``)."""
        return {row["run_id"] for row in self.query("SELECT run_id FROM runs WHERE kept = 1")}

    def restores(self, name: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT * FROM restores WHERE name = :name ORDER BY restored", name=name)
        return [self._resolved(_decoded(row)) for row in rows]

    def executions_of(self, craft: str, limit: int = 10) -> list[dict[str, Any]]:
        """The latest executions of ``craft``, newest first, across runs."""
        rows = self.query(
            "SELECT * FROM executions WHERE craft = :craft ORDER BY started DESC LIMIT :limit",
            craft=craft,
            limit=limit,
        )
        return [self._resolved(_decoded(row)) for row in rows]

    def writes_of(self, name: str, limit: int = 20) -> list[dict[str, Any]]:
        """The latest recorded writes of artifact ``name``, newest first."""
        rows = self.query(
            "SELECT * FROM writes WHERE name = :name ORDER BY written DESC LIMIT :limit",
            name=name,
            limit=limit,
        )
        return [self._resolved(_decoded(row)) for row in rows]

    def readers_of(self, fingerprint: str, limit: int = 50) -> list[dict[str, Any]]:
        """Executions that read an input with this content ``fingerprint``, newest first."""
        rows = self.query(
            "SELECT * FROM executions WHERE inputs LIKE :pattern ESCAPE '\\' "
            "ORDER BY started DESC LIMIT :limit",
            pattern=_containing(fingerprint),
            limit=limit,
        )
        found = [_decoded(row) for row in rows]
        return [
            self._resolved(row)
            for row in found
            if any(
                isinstance(entry, Mapping) and entry.get("fingerprint") == fingerprint
                for entry in (row.get("inputs") or {}).values()
            )
        ]

    def execution(self, run_id: str, craft: str) -> dict[str, Any] | None:
        """The execution of ``craft`` in ``run_id`` that produced something (not a skip)."""
        rows = self.query(
            "SELECT * FROM executions WHERE run_id = :run_id AND craft = :craft "
            "ORDER BY started DESC",
            run_id=run_id,
            craft=craft,
        )
        rows = [row for row in rows if row["status"] == "ran"] or rows
        return self._resolved(_decoded(rows[0])) if rows else None

    # --- locations ----------------------------------------------------------------------------
    def _relative(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``row`` with its locations (a write's, an execution's inputs and outputs) as the
        store keeps them."""
        return _with_locations(row, self.locations.stored)

    def _resolved(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` (decoded) with its locations resolved against this project's root."""
        return _with_locations(row, self.locations.resolved)

    def metrics_of(
        self, run_ids: Sequence[str], *, sweep_id: str | None = None
    ) -> dict[str, dict[str, float]]:
        """The metrics of each run (name -> value, by name), for every run given; ``sweep_id``:
        the runs are among that sweep's, read in one query."""
        found: dict[str, dict[str, float]] = {run_id: {} for run_id in run_ids}
        if sweep_id is not None:
            rows = self.query(
                "SELECT m.run_id, m.name, m.value FROM metrics m JOIN runs r "
                "ON r.run_id = m.run_id WHERE r.sweep_id = :s ORDER BY m.name",
                s=sweep_id,
            )
        else:
            rows = []
            for chunk in _chunks(list(run_ids)):
                marks, names = _marks(chunk)
                rows += self.query(
                    f"SELECT run_id, name, value FROM metrics WHERE run_id IN ({marks}) "
                    "ORDER BY name",
                    **names,
                )
        for row in rows:
            values = found.get(row["run_id"])
            if values is not None:
                values[row["name"]] = row["value"]
        return found

    def runs_of_sweep(self, sweep_id: str) -> list[str]:
        """The ids of the runs of sweep ``sweep_id``, in the order they started."""
        rows = self.query(
            "SELECT run_id FROM runs WHERE sweep_id = :sweep_id ORDER BY started, run_id",
            sweep_id=sweep_id,
        )
        return [row["run_id"] for row in rows]

    def last_sweep_id(self) -> str | None:
        """The id of the latest sweep, or None when no sweep was recorded."""
        rows = self.query(
            "SELECT sweep_id FROM runs WHERE sweep_id IS NOT NULL ORDER BY started DESC LIMIT 1"
        )
        return rows[0]["sweep_id"] if rows else None

    def runs_by_id(
        self,
        run_ids: Sequence[str],
        columns: Sequence[str] | None = None,
        *,
        sweep_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The rows of these runs (decoded; only ``columns`` when given, with the run's id and
        process), in the order given; unknown ids are left out. ``sweep_id``: the runs are
        among that sweep's, read in one query."""
        by_id: dict[str, dict[str, Any]] = {}
        wanted = "*"
        if columns is not None:
            known = {name for name, _ in TABLES["runs"]}
            chosen = ["run_id", "status", "host", "pid", "process_started", *columns]
            wanted = ", ".join(dict.fromkeys(name for name in chosen if name in known))
        if sweep_id is not None:
            found = self.query(f"SELECT {wanted} FROM runs WHERE sweep_id = :s", s=sweep_id)
        else:
            found = []
            for chunk in _chunks(list(run_ids)):
                marks, names = _marks(chunk)
                found += self.query(f"SELECT {wanted} FROM runs WHERE run_id IN ({marks})", **names)
        for row in found:
            by_id[row["run_id"]] = _checked(_decoded(row))
        return [by_id[run_id] for run_id in run_ids if run_id in by_id]


IN_LIST = 500  # values in one ``IN (…)`` list (SQLite finds a named value by a linear scan)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), IN_LIST):
        yield items[start : start + IN_LIST]


def _marks(chunk: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The ``:v0, :v1…`` placeholders of an ``IN (…)`` list, and their values."""
    names = {f"v{i}": value for i, value in enumerate(chunk)}
    return ", ".join(f":{key}" for key in names), names


def _containing(text: str) -> str:
    """A LIKE pattern (``ESCAPE '\\'``) matching values that contain ``text`` literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


SEARCHABLE = ("pipeline", "configuration", "status")  # the columns search_runs filters on

# How many crafts ran, were skipped or failed: a skipped craft that then ran again to provide a
# volatile counts once, as it ended.
_FINAL_STATUS_COUNTS = """
    SELECT status, COUNT(*) AS n FROM executions e WHERE run_id = :run_id AND NOT (
        status = 'skipped' AND EXISTS (SELECT 1 FROM executions f WHERE f.run_id = e.run_id
                                       AND f.craft = e.craft AND f.status <> 'skipped'))
    GROUP BY status
"""


_VERSION_WRITES = """
    SELECT w.run_id, w.craft, w.name, w.context, w.location, w.fingerprint, w.written, w.version,
           r.git_commit, r.git_dirty, e.params
    FROM writes w
    LEFT JOIN runs r ON r.run_id = w.run_id
    LEFT JOIN executions e ON e.run_id = w.run_id AND e.craft = w.craft AND e.status = 'ran'
    WHERE w.name = :name AND w.version IS NOT NULL
    ORDER BY w.written
"""


# --- runs whose process died -------------------------------------------------------------------
DIED = "died"


def run_liveness(run: Mapping[str, Any]) -> Liveness:
    """Whether the process of a run still runs; ``unknown`` on another host, or for a run
    recorded without its process (by an earlier version)."""
    try:
        pid = int(run.get("pid") or 0)
    except (TypeError, ValueError):  # a hand-edited row
        return "unknown"
    if not pid or not run.get("host"):
        return "unknown"
    return liveness(Owner(str(run["host"]), pid, str(run.get("process_started") or "")))


def died_error(run: Mapping[str, Any]) -> str:
    return (
        f"its process (pid {run.get('pid')} on {run.get('host')}) ended without recording how "
        "the run ended: killed, or the machine stopped"
    )


def _checked(run: dict[str, Any]) -> dict[str, Any]:
    """A run recorded ``running`` shown as it is: ``died`` when its process is gone, and
    marked ``unchecked`` when that cannot be told from here."""
    if run.get("status") == "running":
        state = run_liveness(run)
        if state == "dead":
            run["status"], run["error"] = DIED, run.get("error") or died_error(run)
        run["unchecked"] = state == "unknown"
    return run


# --- rows ---------------------------------------------------------------------------------------
_JSON_COLUMNS = ("params", "inputs", "outputs", "context")


to_json = json.JSONEncoder(default=str).encode  # the JSON columns' text; built once


def _insert(table: str, row: Mapping[str, Any], *more: Mapping[str, Any]) -> Operation:
    """The INSERT of ``row``, or of every row given (all with the same columns)."""
    columns = ", ".join(row)
    marks = ", ".join(f":{column}" for column in row)
    params = [row, *more] if more else dict(row)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", params


def _insert_rows(table: str, rows: Sequence[tuple]) -> Operation:
    """The INSERT of ``rows``: tuples of every column of ``table``, in the schema's order."""
    columns = [name for name, _ in TABLES[table]]
    marks = ", ".join(f":{column}" for column in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", Rows(columns, rows)


def _encoded(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: to_json(value) if key in _JSON_COLUMNS else value for key, value in row.items()}


_from_json = json.JSONDecoder().decode  # built once: rows are many


# What an incremental run compares of a recorded state (see HistoryStore.states).
_STATE_COLUMNS = "craft, state_key, run_id, code_fp, params, inputs, outputs, recorded"


def _compared(row: dict[str, Any]) -> dict[str, Any]:
    """A state row (fresh from a query, so changed in place) with its inputs and outputs
    decoded."""
    return _decode_columns(row, ("inputs", "outputs"))


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    return _decode_columns(dict(row), _JSON_COLUMNS)


def _decode_columns(row: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """``row`` with the JSON text of ``columns`` decoded in place."""
    for key in columns:
        text = row.get(key)
        if isinstance(text, str):
            try:
                row[key] = _from_json(text)
            except ValueError:  # an old or hand-edited row: kept as text
                continue
    return row


def _with_locations(row: Mapping[str, Any], translate: Callable[[str], str]) -> dict[str, Any]:
    changed = dict(row)
    location = changed.get("location")
    if isinstance(location, str):
        changed["location"] = translate(location)
    for column in ("inputs", "outputs"):
        entries = changed.get(column)
        if isinstance(entries, Mapping):
            changed[column] = _entries_with_locations(entries, translate)
    return changed


def _entries_with_locations(
    entries: Mapping[str, Any], translate: Callable[[str], str]
) -> Mapping[str, Any]:
    """``entries`` (name -> fields), copied only where a location changes."""
    copied: dict[str, Any] | None = None
    for name, entry in entries.items():
        location = entry.get("location") if isinstance(entry, Mapping) else None
        if isinstance(location, str):
            translated = translate(location)
            if translated != location:
                copied = dict(entries) if copied is None else copied
                copied[name] = {**entry, "location": translated}
    return entries if copied is None else copied


def _redacted(error: Exception) -> str:
    return redact(str(error))


def _awaited(item: Any) -> bool:
    """Whether a queued item is a flush's event or the writer's stop (None)."""
    return item is None or isinstance(item, threading.Event)


def _raise(error: Exception) -> None:
    raise error


def _safely(details: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    try:
        return details()
    except Exception as error:  # git or the user name unknown: the run is recorded without them
        _logger.debug("run details unavailable: %s", error)
        return {}


# --- opening ------------------------------------------------------------------------------------
def store_for(session: Any) -> HistoryStore:
    """The session's store: ``session.history_store`` (see there for the settings)."""
    return session.history_store


_open_stores: weakref.WeakSet[HistoryStore] = weakref.WeakSet()


def _stores_of(description: str) -> list[HistoryStore]:
    """This process's open stores of one database: a read waits for all of their writes (an
    earlier session's run is then seen by the next one)."""
    return [store for store in list(_open_stores) if store.description == description]


@atexit.register
def _flush_at_exit() -> None:
    """Writers are daemon threads: what they have queued is written before the process ends
    (and their upkeep left to the next process)."""
    for store in list(_open_stores):
        store._exiting = True
        store.flush()  # a busy database is waited for no longer than the patience left


def open_store(
    root: Path, url: str | None = None, enabled: bool = True, *, create: bool = True
) -> HistoryStore:
    """A store for the project at ``root`` (``enabled``: the ``history`` setting); a store that
    cannot open warns and keeps nothing. ``create=False``: a read-only command's store, which
    makes no SQLite file (see :class:`SqliteDriver`)."""
    if not enabled:
        return HistoryStore(None)
    try:
        if url:
            from statisfactory.history.sqlalchemy_store import SqlAlchemyDriver

            driver: Driver = SqlAlchemyDriver(str(url))
        else:
            from statisfactory.history.sqlite_store import SqliteDriver

            driver = SqliteDriver(Path(root) / STORE_FOLDER / SQLITE_NAME, create=create)
    except Exception as error:
        where = redact(str(url)) if url else str(Path(root) / STORE_FOLDER / SQLITE_NAME)
        _logger.warning(
            "run history at %s cannot be opened (%s: %s); this run is not recorded. Fix the "
            "history_url setting, or set history: false to stop recording",
            where,
            type(error).__name__,
            redact(str(error)),
        )
        return HistoryStore(None, broken=True)
    store = HistoryStore(driver, root=Path(root))
    _open_stores.add(store)
    return store


def _setting(session: Any, key: str) -> Any:
    settings = getattr(session, "settings", None)
    return settings.get(key) if settings is not None else None
