"""Recording one run: its row, every artifact it writes, and how it ended.

Records are written by the store's background thread; the run does not wait for them (a later
read of the store, an incremental run or the end of the process waits). Craft executions are
handed to the store in batches, once a second (or every :data:`BATCH_RECORDS` records) and when
the run ends, so that a run of many small crafts costs a transaction per batch rather than one
per craft; the writer turns them into row tuples with their JSON text written directly.

The run's history plugin (:class:`statisfactory.history.recording.RunHistory`) feeds it: writes
seen by the ``after_artifact_save`` hook, in the thread that saved, and the outputs of crafts run
in worker processes, fingerprinted when their craft finishes (:meth:`RunRecorder.record_write`).

Nothing secret is stored: parameters, contexts, locations and error texts are masked with the
secrets of the session and of the run's parameters (:mod:`statisfactory.secrets`) as records are
built, before they reach the store.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii as quoted  # the encoder's own quoting
from typing import Any

from statisfactory.collector import heap_frozen
from statisfactory.history.fingerprints import ArtifactFingerprints, Stored
from statisfactory.history.store import to_json
from statisfactory.logger import get_logger
from statisfactory.processes import this_process
from statisfactory.protocols import HistoryStoreLike
from statisfactory.secrets import Secrets, of_session

_logger = get_logger("history")
BATCH_SECONDS = 1.0  # how long craft records wait in the run before going to the store
# and how many at most (about 20 MB of records). Not fewer: while the writer works, every
# pause of the run's thread for the file system (the stat of each output an incremental run
# checks) hands Python's lock to the writer and waits to get it back, which made each such
# call about five times slower; a run shorter than a second now hands its records over once,
# at its end.
BATCH_RECORDS = 20_000


class RunRecorder:
    """The history of one run: ``begin()``, then writes and executions, then ``end(status)``."""

    def __init__(
        self,
        store: HistoryStoreLike,
        session: Any,
        *,
        run_id: str,
        pipeline: str,
        configuration: str | None,
        params: Mapping[str, Any],
        incremental: bool,
        producers: Mapping[str, str],
        fingerprints: ArtifactFingerprints | None,
        sweep_id: str | None = None,
    ) -> None:
        self.store = store
        self.session = session
        self.run_id = run_id
        self.configuration = configuration
        self.pipeline = pipeline
        self.params = params
        self.secrets: Secrets = of_session(session, params)  # a --param api_token is one too
        self.incremental = incremental
        self.producers = producers  # artifact name -> craft writing it in this run
        self.fingerprints = fingerprints
        self.sweep_id = sweep_id
        self._seen: dict[str, Stored] = {}  # location -> latest fingerprint in this run
        self._lock = threading.Lock()
        self._executions: list[tuple] = []  # see execution(): tuples cost the GC nothing
        self._batch_started = time.monotonic()

    # --- the run ------------------------------------------------------------------------------
    def begin(self) -> None:
        """Record the run's start."""
        run = {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            # a sweep member's name shows its swept values, a secret among them
            "configuration": None
            if self.configuration is None
            else self.secrets.mask(self.configuration),
            "params": self.secrets.redact(dict(self.params)),
            "incremental": int(self.incremental),
            "started": time.time(),
            "status": "running",
            **running_process(),
        }
        if self.sweep_id is not None:
            run["sweep_id"] = self.sweep_id
        self.store.begin_run(_json_params(run))

    def end(self, status: str, error: str = "") -> None:
        """Record how the run ended."""
        self._send_crafts()
        self.store.end_run(
            self.run_id,
            status=status,
            ended=time.time(),
            error=self.secrets.mask(error),
            details=lambda: run_details(self.session),
        )

    # --- crafts (called from the run's thread) -------------------------------------------------
    def execution(
        self,
        *,
        position: int,
        craft: str,
        status: str,
        reason: str,
        code_fp: str | None,
        state_key: str | None,
        params: Mapping[str, Any],
        inputs: Mapping[str, Mapping[str, Any]],
        outputs: Mapping[str, Mapping[str, Any]],
        started: float,
        duration: float,
        error: str = "",
        keep_state: bool = False,
        code_parts: Mapping[str, str] | None = None,
    ) -> None:
        """Record a craft execution; with ``keep_state`` also the craft's state (its last
        successful execution with these parameters, see ``craft_state``), with ``code_parts``
        (what its code fingerprint covers, for ``--explain``; encoded by the writer).

        ``inputs`` and ``outputs`` map names to their fields (see ``_ENTRY_FIELDS``). The
        record is kept as flat tuples of plain values, which the garbage collector stops
        tracking at once, so that a run of many crafts does not make it scan the whole heap;
        rows are built by the writer, a batch at a time (:data:`BATCH_RECORDS`).
        """
        self._executions.append(
            (
                position,
                craft,
                status,
                reason,
                code_fp,
                state_key,
                _flat_params(params) if params else (),
                _flat(inputs),
                _flat(outputs),
                started,
                duration,
                error,
                keep_state,
                code_parts,
            )
        )
        if (
            len(self._executions) >= BATCH_RECORDS
            or time.monotonic() - self._batch_started >= BATCH_SECONDS
        ):
            self._send_crafts()

    def _send_crafts(self) -> None:
        records, run_id, secrets = self._executions, self.run_id, self.secrets
        self._executions = []
        self._batch_started = time.monotonic()
        if records:
            self.store.add_crafts(lambda stored: _craft_rows(run_id, records, secrets, stored))

    # --- writes -------------------------------------------------------------------------------
    def on_save(
        self, *, name: str, context: Mapping[str, Any], location: str, artifact: Any
    ) -> None:
        """A craft of this run saved artifact ``name``: fingerprint it and record the write."""
        fingerprints = self.fingerprints
        try:
            assert fingerprints is not None  # a run saves artifacts only through its catalog
            stored = fingerprints.at(location, artifact, context, "save")
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
                "location": self.secrets.mask(stored.location),
                "fingerprint": stored.digest,
                "written": time.time(),
                "version": self.version_of(name, context, stored),
            }
        )

    def version_of(self, name: str, context: Mapping[str, Any], stored: Stored) -> str | None:
        """The version a save of a versioned artifact stored (None for other artifacts)."""
        catalog = self.fingerprints.catalog if self.fingerprints is not None else None
        if catalog is None or name not in catalog or stored.missing:
            return None
        try:
            return catalog.current_version(name, digest=stored.digest, **context)
        except Exception as error:  # the write happened; only its version is unknown
            _logger.debug("version of %s unknown: %s", name, error)
            return None

    def seen(self, location: str) -> Stored | None:
        """What was written or fingerprinted at ``location`` during this run, if anything."""
        with self._lock:
            return self._seen.get(location)

    def forget(self, location: str) -> None:
        """Drop what is known at ``location``: a craft is about to write there."""
        with self._lock:
            self._seen.pop(location, None)

    def release(self) -> None:
        """The run is over: forget what it saw (its records are with the store already)."""
        with self._lock:
            self._seen = {}

    def remember(self, stored: Stored) -> None:
        """Keep a fingerprint taken during the run, until a write replaces it."""
        with self._lock:
            self._seen.setdefault(stored.location, stored)

    def context_of(self, name: str, context: Mapping[str, Any]) -> dict[str, Any]:
        """The ``!{}`` values that located artifact ``name`` (secrets hidden)."""
        fingerprints = self.fingerprints
        if fingerprints is None or fingerprints.catalog is None or name not in fingerprints.catalog:
            return {}
        variables = fingerprints.variables(name)
        return self.secrets.redact({k: context[k] for k in sorted(variables) if k in context})


def _craft_rows(
    run_id: str, records: list[tuple], secrets: Secrets, stored: Callable[[str], str] = str
) -> tuple[list[tuple], list[tuple]]:
    """The ``executions`` and ``craft_state`` rows of execution records, as tuples in the
    order of their tables' columns (:data:`~statisfactory.history.schema.TABLES`), their JSON
    columns encoded, secrets masked and locations as the store keeps them (``stored``).

    ``records`` is emptied as its rows are built: a run's records and their rows are never
    all in memory at once."""
    with heap_frozen():  # many rows, no cycles: the collector leaves the rest of the heap
        return _rows_of(run_id, records, secrets, stored)


def _rows_of(
    run_id: str, records: list[tuple], secrets: Secrets, stored: Callable[[str], str]
) -> tuple[list[tuple], list[tuple]]:
    executions, states = [], []
    mask = secrets.mask
    records.reverse()  # taken from the end, in the order they were recorded
    while records:
        (position, craft, status, reason, code_fp, state_key, params, inputs, outputs) = (
            record := records.pop()
        )[:9]
        started, duration, error, keep_state, code_parts = record[9:]
        params_json = _params_json(params, secrets)  # encoded once, for both rows
        inputs_json, input_fingerprints = _entries_json(inputs, mask, stored)
        outputs_json, output_fingerprints = _entries_json(outputs, mask, stored)
        executions.append(
            (
                run_id,
                position,
                craft,
                status,
                mask(reason) if reason else reason,
                code_fp,
                state_key,
                params_json,
                inputs_json,
                outputs_json,
                started,
                duration,
                mask(error) if error else error,
            )
        )
        if keep_state:
            states.append(
                (
                    craft,
                    state_key,
                    run_id,
                    code_fp,
                    params_json,
                    input_fingerprints,
                    output_fingerprints,
                    started + duration,
                    "" if code_parts is None else to_json(code_parts),
                )
            )
    return executions, states


_ENTRY_FIELDS = ("kind", "location", "fingerprint", "producer", "problem")
_TEXT_FIELDS = ("location", "problem")  # what may repeat a secret (not the digests)
_ABSENT = ...  # a field an entry does not have (None is a value: "no fingerprint")
_ABSENTS = (_ABSENT,) * len(_ENTRY_FIELDS)
_STEP = len(_ENTRY_FIELDS) + 1
_FINGERPRINT = 1 + _ENTRY_FIELDS.index("fingerprint")
_KEYS = tuple(f"{quoted(field)}: " for field in _ENTRY_FIELDS)  # as the JSON encoder writes


def _flat_params(params: Mapping[str, Any]) -> tuple:
    return tuple(item for pair in params.items() for item in pair)


def _flat(entries: Mapping[str, Mapping[str, Any]]) -> tuple:
    """``{name: {field: value}}`` as ``(name, value of each _ENTRY_FIELDS…, name, …)``."""
    flat: list[Any] = []
    for name, fields in entries.items():
        flat.append(name)
        flat.extend(map(fields.get, _ENTRY_FIELDS, _ABSENTS))
    return tuple(flat)


def _params_json(flat: tuple, secrets: Secrets) -> str:
    """The JSON of flat parameters (see ``_flat_params``), secrets masked."""
    if not flat:
        return "{}"
    return to_json(secrets.redact(dict(zip(flat[::2], flat[1::2], strict=True))))


def _entries_json(
    flat: tuple, mask: Callable[[str], str], stored: Callable[[str], str]
) -> tuple[str, str]:
    """The JSON of flat entries (see ``_flat``), text fields masked and locations as stored,
    and the JSON of their fingerprints by name; the same text as :func:`to_json` gives of
    the entries as mappings (:func:`_entries`), written directly for entries of text and
    ``None`` (every entry a run records), through the mappings for any other."""
    if not flat:
        return "{}", "{}"
    entries, fingerprints = [], []
    for start in range(0, len(flat), _STEP):
        name, fields = flat[start], []
        if type(name) is not str:
            return _entries_json_of_mappings(flat, mask, stored)
        values = flat[start + 1 : start + _STEP]
        for key, field, value in zip(_KEYS, _ENTRY_FIELDS, values, strict=True):
            if value is None:
                fields.append(key + "null")
            elif type(value) is str:
                if value and field in _TEXT_FIELDS:
                    value = mask(value) if field != "location" else stored(mask(value))
                fields.append(key + quoted(value))
            elif value is not _ABSENT:
                return _entries_json_of_mappings(flat, mask, stored)
        name = quoted(name)
        entries.append(f"{name}: {{{', '.join(fields)}}}")
        fingerprint = flat[start + _FINGERPRINT]  # text or None: the loop checked it
        fingerprints.append(
            f"{name}: null"
            if fingerprint is None or fingerprint is _ABSENT
            else f"{name}: {quoted(fingerprint)}"
        )
    return "{" + ", ".join(entries) + "}", "{" + ", ".join(fingerprints) + "}"


def _entries_json_of_mappings(
    flat: tuple, mask: Callable[[str], str], stored: Callable[[str], str]
) -> tuple[str, str]:
    entries = _entries(flat, mask, stored)
    return to_json(entries), to_json({n: e.get("fingerprint") for n, e in entries.items()})


def _entries(
    flat: tuple, mask: Callable[[str], str], stored: Callable[[str], str] = str
) -> dict[str, dict[str, Any]]:
    """Flat entries as mappings, text fields masked and locations as stored."""
    entries = {}
    for start in range(0, len(flat), _STEP):
        fields = {}
        for field, value in zip(_ENTRY_FIELDS, flat[start + 1 : start + _STEP], strict=True):
            if value is _ABSENT:
                continue
            if field in _TEXT_FIELDS and value:
                value = mask(value)
                if field == "location" and isinstance(value, str):
                    value = stored(value)
            fields[field] = value
        entries[flat[start]] = fields
    return entries


def running_process() -> dict[str, Any]:
    """The columns naming the process that runs (to tell later whether it died)."""
    owner = this_process()
    return {"host": owner.host, "pid": owner.pid, "process_started": owner.started}


def git_commit(session: Any) -> str | None:
    """The commit the project's git repository is at; None outside one or before a commit."""
    try:
        return str(session.git.head.target)
    except Exception as error:  # not a repository, no commit yet, pygit2 missing
        _logger.debug("no git commit: %s", error)
        return None


def run_details(session: Any) -> dict[str, Any]:
    """Who ran, where, and the git commit of the project (with a dirty flag) when in a repo."""
    details: dict[str, Any] = {"user_name": _user(), "host": socket.gethostname()}
    commit = git_commit(session)
    if commit is not None:
        details["git_commit"] = commit
        try:
            details["git_dirty"] = int(bool(session.git.status(untracked_files="no")))
        except Exception as error:
            _logger.debug("run recorded without git status: %s", error)
    return details


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a name
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _json_params(run: dict[str, Any]) -> dict[str, Any]:
    import json

    return {**run, "params": json.dumps(run["params"], default=str, sort_keys=True)}
