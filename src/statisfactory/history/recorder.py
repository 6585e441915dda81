"""Recording one run: its row, every artifact it writes, and how it ended.

Records are written by the store's background thread; the run does not wait for them (a later
read of the store, an incremental run or the end of the process waits). Craft executions are
handed to the store in batches, at most once a second and when the run ends, so that a run of
many small crafts costs one transaction rather than one per craft.

Writes are seen through the catalog's save listener, in the thread that saved, and fingerprinted
there. Saves made in worker processes are not seen by the listener; the job fingerprints those
outputs itself when their craft finishes (:meth:`RunRecorder.record_write`).
"""

from __future__ import annotations

import contextvars
import getpass
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from statisfactory.history.fingerprints import ArtifactFingerprints, Stored
from statisfactory.history.store import HistoryStore
from statisfactory.IO.artifact import redact
from statisfactory.logger import get_logger

_logger = get_logger("history")
BATCH_SECONDS = 1.0  # how long craft records wait in the run before going to the store
_configuration: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "statisfactory_run_configuration", default=None
)


@contextmanager
def run_labels(*, configuration: str | None = None) -> Iterator[None]:
    """Label the runs started inside the block (the command line names the parameter set)."""
    token = _configuration.set(configuration)
    try:
        yield
    finally:
        _configuration.reset(token)


def new_run_id() -> str:
    """A sortable, unique run id: ``20250131-142501-3fa9c2``."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class RunRecorder:
    """The history of one run: ``begin()``, then writes and executions, then ``end(status)``."""

    def __init__(
        self,
        store: HistoryStore,
        session: Any,
        *,
        pipeline: str,
        params: Mapping[str, Any],
        incremental: bool,
        producers: Mapping[str, str],
        fingerprints: ArtifactFingerprints | None,
    ) -> None:
        self.store = store
        self.session = session
        self.run_id = new_run_id()
        self.pipeline = pipeline
        self.params = params
        self.incremental = incremental
        self.producers = producers  # artifact name -> craft writing it in this run
        self.fingerprints = fingerprints
        self._seen: dict[str, Stored] = {}  # location -> latest fingerprint in this run
        self._lock = threading.Lock()
        self._executions: list[Mapping[str, Any]] = []
        self._states: list[Mapping[str, Any]] = []
        self._batch_started = time.monotonic()

    # --- the run ------------------------------------------------------------------------------
    def begin(self) -> None:
        run = {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "configuration": _configuration.get(),
            "params": redact(dict(self.params)),
            "incremental": int(self.incremental),
            "started": time.time(),
            "status": "running",
        }
        self.store.begin_run(_json_params(run))
        if self.fingerprints is not None:
            self.fingerprints.catalog.add_save_listener(self.on_save)

    def end(self, status: str, error: str = "") -> None:
        if self.fingerprints is not None:
            self.fingerprints.catalog.remove_save_listener(self.on_save)
        self._send_crafts()
        self.store.end_run(
            self.run_id,
            status=status,
            ended=time.time(),
            error=error,
            details=lambda: run_details(self.session),
        )

    # --- crafts (called from the run's thread) -------------------------------------------------
    def execution(self, row: Mapping[str, Any]) -> None:
        """Record a craft execution (``row`` must not change after)."""
        self._executions.append(row)
        if time.monotonic() - self._batch_started >= BATCH_SECONDS:
            self._send_crafts()

    def state(self, row: Mapping[str, Any]) -> None:
        """Record the state of a craft that succeeded (see ``craft_state``)."""
        self._states.append(row)

    def _send_crafts(self) -> None:
        executions, states = self._executions, self._states
        self._executions, self._states = [], []
        self._batch_started = time.monotonic()
        if executions or states:
            self.store.add_crafts(executions, states)

    # --- writes -------------------------------------------------------------------------------
    def on_save(
        self, *, name: str, context: Mapping[str, Any], location: str, artifact: Any
    ) -> None:
        """The catalog's save listener: fingerprint what was written and record it."""
        try:
            stored = self.fingerprints.at(location, artifact, context, "save")
        except Exception as error:  # the write happened; only its fingerprint is unknown
            stored = Stored(location, None, problem=f"{type(error).__name__}: {error}")
        self.record_write(name, context, stored)

    def record_write(self, name: str, context: Mapping[str, Any], stored: Stored) -> None:
        with self._lock:
            self._seen[stored.location] = stored
        self.store.add_write(
            {
                "run_id": self.run_id,
                "craft": self.producers.get(name),
                "name": name,
                "context": self.context_of(name, context),
                "location": stored.location,
                "fingerprint": stored.digest,
                "written": time.time(),
            }
        )

    def seen(self, location: str) -> Stored | None:
        """What was written or fingerprinted at ``location`` during this run, if anything."""
        with self._lock:
            return self._seen.get(location)

    def forget(self, location: str) -> None:
        """Drop what is known at ``location``: a craft is about to write there."""
        with self._lock:
            self._seen.pop(location, None)

    def remember(self, stored: Stored) -> None:
        """Keep a fingerprint taken during the run, until a write replaces it."""
        with self._lock:
            self._seen.setdefault(stored.location, stored)

    def context_of(self, name: str, context: Mapping[str, Any]) -> dict[str, Any]:
        """The ``!{}`` values that located artifact ``name`` (secrets hidden)."""
        catalog = self.fingerprints.catalog if self.fingerprints is not None else None
        if catalog is None or name not in catalog:
            return {}
        variables = self.fingerprints.variables(name)
        return redact({key: context[key] for key in sorted(variables) if key in context})


def run_details(session: Any) -> dict[str, Any]:
    """Who ran, where, and the git commit of the project (with a dirty flag) when in a repo."""
    details: dict[str, Any] = {"user_name": _user(), "host": socket.gethostname()}
    try:
        repository = session.git
        details["git_commit"] = str(repository.head.target)
        details["git_dirty"] = int(bool(repository.status(untracked_files="no")))
    except Exception as error:  # not a repository, no commit yet, pygit2 missing
        _logger.debug("run recorded without git details: %s", error)
    return details


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a name
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _json_params(run: dict[str, Any]) -> dict[str, Any]:
    import json

    return {**run, "params": json.dumps(run["params"], default=str, sort_keys=True)}
