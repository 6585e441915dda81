"""Recorded and incremental runs: which crafts to skip, and the history of what ran.

Inside a session every pipeline run is recorded in the run history (see
:mod:`statisfactory.history`). An incremental run (``p.run(params, incremental=True)``, or
``statisfactory run --incremental``) also skips a craft when all of these equal its last
successful execution with the same parameters:

- its code fingerprint (its function's source and the rest of its module's source);
- its resolved parameters and its dynamic context (the ``!{}`` values of its artifacts);
- the fingerprints of its inputs, artifacts as stored now and volatiles as produced now;

and its output artifacts are still stored with the fingerprints recorded then. The decision is
taken when the craft would run, so a craft rerun that writes byte-identical outputs lets its
dependents be skipped (early cutoff). A craft that runs gets the volatiles of skipped crafts from
the volatile cache when enabled, else their producers run again first, through the runner.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from statisfactory.errors import PipelineError
from statisfactory.history.code import CodeFingerprints
from statisfactory.history.digests import bytes_digest, pickled, value_digest
from statisfactory.history.fingerprints import ArtifactFingerprints, Stored
from statisfactory.history.recorder import RunRecorder
from statisfactory.history.store import store_for
from statisfactory.history.volatiles import MISSING, VolatileCache
from statisfactory.logger import get_logger
from statisfactory.pipeline.dag import Plan
from statisfactory.pipeline.decisions import SKIP, Decision, Facts, RecordedStates, explain
from statisfactory.pipeline.hooks import call_hooks
from statisfactory.pipeline.job import Job, Skipped, Waiting

_logger = get_logger("pipeline.incremental")

RAN, SKIPPED, FAILED = "ran", "skipped", "failed"
WAITING, PROVIDING = "waiting", "providing"  # for skipped producers; skipped, run again for them
NO_PRODUCER = "default"  # fingerprint of a volatile no craft of the run produces
_NO_VALUES = value_digest([{}, {}])  # the state key of a craft without parameters or context


@dataclass(slots=True)
class _Progress:
    status: str | None = None
    reason: str = ""
    started: float = 0.0
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)


_SKIPPED = Skipped()


class TrackedJob(Job):
    """A job that records its run in the history and, when ``incremental``, skips crafts."""

    def __init__(
        self,
        plan: Plan,
        params: Mapping[str, Any],
        session: Any,
        name: str,
        *,
        pipeline: str | None = None,
        incremental: bool = False,
        volatile_cache: bool = False,
    ) -> None:
        super().__init__(plan, params, session, name)
        self.incremental = incremental
        self.store = store_for(session)
        if incremental and not self.store.enabled:
            raise PipelineError(
                f"{name}: an incremental run compares with the run history, which is off or "
                "cannot be opened (see the warning above): remove `history: false` from the "
                "settings, fix history_url, or run without --incremental"
            )
        catalog = session.catalog if any(c.uses_catalog for c in plan.crafts) else None
        self.fingerprints = (
            ArtifactFingerprints(catalog, self.store) if catalog is not None else None
        )
        self.cache = VolatileCache(session.root) if volatile_cache else None
        self.code = CodeFingerprints(self.store)
        self.recorder = RunRecorder(
            self.store,
            session,
            pipeline=pipeline or name,
            params=params,
            incremental=incremental,
            producers={name: craft.fqname for craft in plan.crafts for name in craft.saves},
            fingerprints=self.fingerprints,
        )
        self.run_id = self.recorder.run_id
        self.volatile_digests: dict[str, str | None] = {}
        # Per craft, from its start until it finishes (kept for skipped ones, whose volatiles
        # another craft may need): a run of many crafts keeps few objects alive.
        self._facts: dict[int, Facts] = {}
        self._progress: dict[int, _Progress] = {}
        self._requesters: dict[int, list[int]] = {}  # skipped producer -> crafts it runs for
        if incremental:
            self.store.flush()  # the records of a run that just ended in this process
            self.states = RecordedStates(self.store.states([c.fqname for c in plan.crafts]))
            if self.store.take_created():
                _logger.warning(
                    "%s: no run history was found, so every craft runs; the history is "
                    "created at %s",
                    name,
                    self.store.description,
                )
        else:
            self.states = RecordedStates()
        self._skip_hooks = {kind: kind.hooks("on_skip") for kind in {type(c) for c in plan.crafts}}

    # --- the run ----------------------------------------------------------------------------
    @contextmanager
    def recording(self) -> Iterator[TrackedJob]:
        """Record the run's start, then its end: succeeded, failed or interrupted."""
        self.recorder.begin()
        try:
            yield self
        except KeyboardInterrupt:
            self.recorder.end("interrupted")
            raise
        except BaseException as error:
            self.recorder.end("failed", f"{type(error).__name__}: {error}")
            raise
        self.recorder.end("succeeded")

    def start(self, index: int) -> Any:
        """Decide whether the craft runs: the call to submit, :class:`Skipped`, or
        :class:`Waiting` for skipped producers of its volatiles to run again."""
        progress = self._progress.get(index)
        if progress is None:  # the craft comes up for the first time
            progress = self._progress[index] = _Progress()
            progress.inputs = self.fingerprint_inputs(index)
            if self.incremental:
                decision = self.decide(index, progress.inputs)
                if decision.verdict == SKIP:
                    self._skip(index, decision)
                    return _SKIPPED
                progress.reason = decision.reason
        if self.incremental:
            waiting = self._wait_for_producers(index)
            if waiting is not None:
                progress.status = progress.status or WAITING
                return waiting
            for name, entry in progress.inputs.items():  # a producer that ran again has one now
                if entry.get("producer"):
                    entry["fingerprint"] = self.volatile_digests.get(name)
        self._forget_outputs(index)
        progress.status, progress.started = RAN, time.time()
        return super().start(index)

    def _forget_outputs(self, index: int) -> None:
        """The craft is about to write its outputs: fingerprints taken before no longer hold."""
        for name in self.plan.crafts[index].saves:
            try:
                self.recorder.forget(self.fingerprints.locate(name, self.contexts[index]))
            except Exception:  # an unresolvable location: the craft will report it
                continue

    def finish(self, index: int, kept: Mapping[str, Any]) -> tuple[int, ...]:
        if self._progress[index].status == SKIPPED:
            return self.plan.dependents[index]
        self._record_success(index, kept)
        del self._progress[index], self._facts[index]
        unblocked = super().finish(index, kept)
        requesters = self._requesters.pop(index, None)  # it ran again for them only
        return unblocked if requesters is None else tuple(requesters)

    def fail(self, index: int, error: Exception) -> Exception:
        progress = self._progress.setdefault(index, _Progress())  # its start may have failed
        if progress.status != FAILED:
            progress.status = FAILED
            self._record_execution(
                index, FAILED, outputs={}, error=f"{type(error).__name__}: {error}"
            )
        return super().fail(index, error)

    # --- what identifies a call -------------------------------------------------------------
    def facts(self, index: int) -> Facts:
        """The craft's code fingerprint, parameters and dynamic context (computed once)."""
        facts = self._facts.get(index)
        if facts is None:
            craft = self.plan.crafts[index]
            context = self.contexts[index]
            arguments = self.arguments[index]
            dynamic: dict[str, Any] = {}
            if self.fingerprints is not None:
                names = [n for _, n in craft.signature.artifacts] + list(craft.saves)
                variables = set().union(*(self.fingerprints.variables(n) for n in names))
                dynamic = {key: context[key] for key in sorted(variables) if key in context}
            if arguments or dynamic:
                key = value_digest([arguments, dynamic])
                shown = self.recorder.secrets.redact({**arguments, **dynamic})
            else:
                key, shown = _NO_VALUES, {}
            facts = self._facts[index] = Facts(self.code.of(craft), key, shown)
        return facts

    def fingerprint_inputs(self, index: int) -> dict[str, dict[str, Any]]:
        """The craft's inputs now: artifacts as stored, volatiles as produced in this run."""
        craft = self.plan.crafts[index]
        inputs: dict[str, dict[str, Any]] = {}
        for _, name in craft.signature.artifacts:
            stored = self._stored(name, self.contexts[index])
            entry = {"kind": "artifact", "location": stored.location, "fingerprint": stored.digest}
            if stored.missing or stored.problem:
                entry["problem"] = "missing" if stored.missing else stored.problem
            inputs[name] = entry
        for _, name, _ in craft.signature.volatiles:
            producer = self.plan.producers.get(name)
            if producer is None:
                inputs[name] = {"kind": "volatile", "fingerprint": NO_PRODUCER}
            else:
                inputs[name] = {
                    "kind": "volatile",
                    "fingerprint": self.volatile_digests.get(name),
                    "producer": self.plan.crafts[producer].fqname,
                }
        return inputs

    def _stored(self, name: str, context: Mapping[str, Any]) -> Stored:
        """The artifact as stored now; known once fingerprinted in this run (as an output
        checked, an input or a write) until a craft writes it."""
        fingerprints = self.fingerprints
        try:
            location = fingerprints.locate(name, context)
            stored = self.recorder.seen(location)
            if stored is None:
                stored = fingerprints.at(location, fingerprints.catalog.artifacts[name], context)
                self.recorder.remember(stored)
            return stored
        except Exception as error:  # a location that cannot be resolved: the craft will say so
            return Stored("", None, problem=f"{type(error).__name__}: {error}")

    # --- deciding -----------------------------------------------------------------------------
    def decide(
        self,
        index: int,
        inputs: Mapping[str, Mapping[str, Any]],
        pending: Mapping[str, str] | None = None,
    ) -> Decision:
        """Compare the craft with its recorded state (see :meth:`RecordedStates.decide`)."""
        context = self.contexts[index]
        return self.states.decide(
            self.plan.crafts[index],
            self.facts(index),
            inputs,
            lambda name: self._stored(name, context),
            pending,
        )

    def explain(self) -> str:
        """What each craft will do, and why, before anything runs (``--explain``)."""
        return explain(self)

    def note_skipped_volatiles(self, craft: Any, decision: Decision) -> None:
        """A skipped craft's volatiles have the fingerprints its recorded state gives."""
        outputs = decision.state["outputs"] or {}
        for name, kind in craft.output_kinds.items():
            if kind == "volatile":
                self.volatile_digests[name] = outputs.get(name)

    def _skip(self, index: int, decision: Decision) -> None:
        craft = self.plan.crafts[index]
        progress = self._progress[index]
        progress.status, progress.reason = SKIPPED, decision.reason
        self.note_skipped_volatiles(craft, decision)
        outputs = decision.state["outputs"] or {}
        self._record_execution(index, SKIPPED, outputs=_described(craft, outputs))
        if self._debug:
            _logger.debug("%s: skipping %s: %s", self.name, craft.fqname, decision.reason)
        hooks = self._skip_hooks[type(craft)]
        if hooks:
            call_hooks(hooks, craft, reason=decision.reason)

    # --- volatiles of skipped crafts ----------------------------------------------------------
    def _wait_for_producers(self, index: int) -> Waiting | None:
        """The skipped producers whose volatiles the craft needs, unless the volatile cache
        has them: they run again (through the runner) before it."""
        consumer = self.plan.crafts[index].fqname
        producers: dict[int, str] = {}
        for name in self.plan.inputs[index]:
            if name not in self.state and not self._restored(name):
                producers.setdefault(self.plan.producers[name], name)
        if not producers:
            return None
        start = []
        for producer, name in producers.items():
            self._requesters.setdefault(producer, []).append(index)
            progress = self._progress[producer]
            if progress.status == SKIPPED:  # else already asked for by another craft
                progress.status = PROVIDING
                progress.reason = f"runs again to provide volatile '{name}' to {consumer}"
                _logger.info(
                    "%s: %s %s", self.name, self.plan.crafts[producer].fqname, progress.reason
                )
                start.append(producer)
        return Waiting(len(producers), tuple(start))

    def _restored(self, name: str) -> bool:
        """Put volatile ``name`` in the state from the volatile cache, if it is there."""
        digest = self.volatile_digests.get(name)
        if self.cache is None or digest is None:
            return False
        value = self.cache.get(digest)
        if value is MISSING:
            return False
        self.state[name] = value
        _logger.info("%s: volatile '%s' restored from the cache", self.name, name)
        return True

    # --- recording ----------------------------------------------------------------------------
    def _record_success(self, index: int, kept: Mapping[str, Any]) -> None:
        craft = self.plan.crafts[index]
        outputs: dict[str, dict[str, Any]] = {}
        for name, kind in craft.output_kinds.items():
            if kind == "artifact":
                stored = self._written(index, name)
                outputs[name] = {
                    "kind": kind,
                    "location": stored.location,
                    "fingerprint": stored.digest,
                }
            else:
                digest = self._volatile_digest(kept.get(name)) if self.incremental else None
                self.volatile_digests[name] = digest
                outputs[name] = {"kind": kind, "fingerprint": digest}
        facts = self.facts(index)
        comparable = facts.code.digest is not None and facts.state_key is not None
        self._record_execution(index, RAN, outputs=outputs, keep_state=comparable)

    def _written(self, index: int, name: str) -> Stored:
        """The output as written: seen by the save listener, else (a worker process wrote it)
        fingerprinted now and recorded."""
        context = self.contexts[index]
        try:
            location = self.fingerprints.locate(name, context)
        except Exception as error:
            return Stored("", None, problem=f"{type(error).__name__}: {error}")
        stored = self.recorder.seen(location)
        if stored is None:
            stored = self._stored(name, context)
            if not stored.missing:
                self.recorder.record_write(name, context, stored)
        return stored

    def _volatile_digest(self, value: Any) -> str | None:
        if type(value).__module__.startswith("statisfactory.pipeline.runners"):
            return None  # a handle on a value held elsewhere (Dask), not the value
        payload = pickled(value)
        if payload is None:
            return None
        digest = bytes_digest(payload)
        if self.cache is not None:
            self.cache.put(digest, payload)
        return digest

    def _record_execution(
        self,
        index: int,
        status: str,
        *,
        outputs: Mapping[str, Mapping[str, Any]],
        error: str = "",
        keep_state: bool = False,
    ) -> None:
        progress = self._progress[index]
        facts = self.facts(index)
        now = time.time()
        started = progress.started or now
        self.recorder.execution(
            position=index,
            craft=self.plan.crafts[index].fqname,
            status=status,
            reason=progress.reason,
            code_fp=facts.code.digest,
            state_key=facts.state_key,
            params=facts.params,
            inputs=progress.inputs,
            outputs=outputs,
            started=started,
            duration=now - started if status != SKIPPED else 0.0,
            error=error,
            keep_state=keep_state,
        )


def _described(craft: Any, fingerprints: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"kind": kind, "fingerprint": fingerprints.get(name)}
        for name, kind in craft.output_kinds.items()
    }


def tracked_job(
    pipeline: Any,
    params: Mapping[str, Any] | None,
    session: Any,
    *,
    incremental: bool = False,
    volatile_cache: bool | None = None,
) -> TrackedJob | None:
    """The job of a run of ``pipeline`` inside ``session``: recorded, incremental on request;
    None for a run that is not incremental when no history is kept (``history: false``)."""
    label = pipeline._label
    if session is None:
        raise PipelineError(
            f"{label}: an incremental run compares with the project's run history, so it needs "
            "a session: run it inside `with session:`"
        )
    if not incremental and not store_for(session).enabled:
        return None
    if volatile_cache is None:
        volatile_cache = _truthy(session.settings.get("volatile_cache"))
    return TrackedJob(
        pipeline.plan,
        dict(params or {}),
        session,
        label,
        pipeline=pipeline.name or "unnamed",
        incremental=incremental,
        volatile_cache=volatile_cache,
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
