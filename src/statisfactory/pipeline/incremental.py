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
from statisfactory.history.code import Code, CodeFingerprints
from statisfactory.history.digests import bytes_digest, pickled, value_digest
from statisfactory.history.fingerprints import ArtifactFingerprints, Stored
from statisfactory.history.recorder import RunRecorder
from statisfactory.history.store import HistoryStore, store_for
from statisfactory.history.volatiles import MISSING, VolatileCache
from statisfactory.IO.artifact import redact
from statisfactory.logger import get_logger
from statisfactory.pipeline.dag import Plan
from statisfactory.pipeline.hooks import call_hooks
from statisfactory.pipeline.job import Job, Skipped, Waiting

_logger = get_logger("pipeline.incremental")

RAN, SKIPPED, FAILED = "ran", "skipped", "failed"
WAITING, PROVIDING = "waiting", "providing"  # for skipped producers; skipped, run again for them
RUN, SKIP, MAYBE = "run", "skip", "may skip"
NO_PRODUCER = "default"  # fingerprint of a volatile no craft of the run produces
_NO_VALUES = value_digest([{}, {}])  # the state key of a craft without parameters or context


@dataclass(slots=True)
class Facts:
    """What identifies one call of a craft: code, parameters and dynamic context."""

    code: Code
    state_key: str | None  # digest of parameters and context; None when they have none
    params: dict[str, Any]  # parameters and context values, secrets hidden, for messages


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a craft runs, and why."""

    verdict: str  # RUN, SKIP or MAYBE (a prediction waiting on upstream crafts)
    reason: str
    state: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Prediction:
    """One line of ``--explain``."""

    craft: str
    verdict: str
    reason: str


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
        store: HistoryStore | None = None,
    ) -> None:
        super().__init__(plan, params, session, name)
        self.incremental = incremental
        self.store = store if store is not None else store_for(session)
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
            producers={
                n: c.fqname
                for c in plan.crafts
                for n, k in c.output_kinds.items()
                if k == "artifact"
            },
            fingerprints=self.fingerprints,
        )
        self.run_id = self.recorder.run_id
        self.volatile_digests: dict[str, str | None] = {}
        self._facts: list[Facts | None] = [None] * len(plan.crafts)
        self._progress = [_Progress() for _ in plan.crafts]
        self._requesters: dict[int, list[int]] = {}  # skipped producer -> crafts it runs for
        if incremental:
            self.store.flush()  # the records of a run that just ended in this process
            self._states, self._latest = self._load_states()
            if self.store.take_created():
                _logger.warning(
                    "%s: no run history was found, so every craft runs; the history is "
                    "created at %s",
                    name,
                    self.store.description,
                )
        else:
            self._states, self._latest = {}, {}
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
        progress = self._progress[index]
        if progress.status is None:  # the craft comes up for the first time
            progress.inputs = self._fingerprint_inputs(index)
            if self.incremental:
                decision = self._decide(index, progress.inputs)
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
        craft = self.plan.crafts[index]
        for name, kind in craft.output_kinds.items():
            if kind == "artifact":
                try:
                    self.recorder.forget(self.fingerprints.locate(name, self.contexts[index]))
                except Exception:  # an unresolvable location: the craft will report it
                    continue

    def finish(self, index: int, kept: Mapping[str, Any]) -> tuple[int, ...]:
        if self._progress[index].status == SKIPPED:
            return self.plan.dependents[index]
        self._record_success(index, kept)
        unblocked = super().finish(index, kept)
        requesters = self._requesters.pop(index, None)  # it ran again for them only
        return unblocked if requesters is None else tuple(requesters)

    def fail(self, index: int, error: Exception) -> Exception:
        progress = self._progress[index]
        if progress.status != FAILED:
            progress.status = FAILED
            self._record_execution(
                index, FAILED, outputs={}, error=f"{type(error).__name__}: {error}"
            )
        return super().fail(index, error)

    # --- what identifies a call -------------------------------------------------------------
    def facts(self, index: int) -> Facts:
        """The craft's code fingerprint, parameters and dynamic context (computed once)."""
        facts = self._facts[index]
        if facts is None:
            craft = self.plan.crafts[index]
            context = self.contexts[index]
            arguments = self.arguments[index]
            dynamic: dict[str, Any] = {}
            if self.fingerprints is not None:
                names = [n for _, n in craft.signature.artifacts] + [
                    n for n, kind in craft.output_kinds.items() if kind == "artifact"
                ]
                variables = set().union(*(self.fingerprints.variables(n) for n in names))
                dynamic = {key: context[key] for key in sorted(variables) if key in context}
            if arguments or dynamic:
                key, shown = value_digest([arguments, dynamic]), redact({**arguments, **dynamic})
            else:
                key, shown = _NO_VALUES, {}
            facts = self._facts[index] = Facts(self.code.of(craft), key, shown)
        return facts

    def _fingerprint_inputs(self, index: int) -> dict[str, dict[str, Any]]:
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
    def _load_states(self) -> tuple[dict[tuple[str, str], dict], dict[str, dict]]:
        states: dict[tuple[str, str], dict] = {}
        latest: dict[str, dict] = {}
        for row in self.store.states([craft.fqname for craft in self.plan.crafts]):
            states[row["craft"], row["state_key"]] = row
            if row["craft"] not in latest or row["recorded"] > latest[row["craft"]]["recorded"]:
                latest[row["craft"]] = row
        return states, latest

    def _decide(
        self,
        index: int,
        inputs: Mapping[str, Mapping[str, Any]],
        pending: Mapping[str, str] | None = None,
    ) -> Decision:
        """Compare the craft with its recorded state; ``pending`` maps the names whose producer
        has not run yet (a prediction) to that producer."""
        pending = pending or {}
        craft = self.plan.crafts[index]
        facts = self.facts(index)
        if facts.code.digest is None:
            return Decision(RUN, f"its code cannot be read: {facts.code.problem}; it always runs")
        if facts.state_key is None:
            return Decision(
                RUN, "a parameter can be neither JSON nor pickled, so it cannot be compared"
            )
        state = self._states.get((craft.fqname, facts.state_key))
        if state is None:
            return Decision(RUN, self._why_new(craft.fqname, facts))
        since = f"since run {state['run_id']}"
        if state["code_fp"] != facts.code.digest:
            return Decision(RUN, f"its code changed {since}")
        recorded = state["inputs"] or {}
        if set(recorded) != set(inputs):
            return Decision(RUN, f"its inputs changed {since}")
        waiting = []
        for name, now in inputs.items():
            if name in pending:
                waiting.append(pending[name])
                continue
            kind = now["kind"]
            if now["fingerprint"] is None:
                problem = now.get("problem") or (
                    "its producer last ran in a run that was not incremental, or it cannot be "
                    "pickled"
                )
                return Decision(RUN, f"input {kind} '{name}' has no fingerprint ({problem})")
            if now["fingerprint"] != recorded[name]:
                return Decision(RUN, f"input {kind} '{name}' changed {since}")
        outputs = state["outputs"] or {}
        for name, kind in craft.output_kinds.items():
            if kind != "artifact":
                continue
            stored = self._stored(name, self.contexts[index])
            if stored.missing:
                return Decision(RUN, f"output artifact '{name}' is missing ({stored.location})")
            if stored.digest is None:
                return Decision(
                    RUN, f"output artifact '{name}' has no fingerprint ({stored.problem})"
                )
            if stored.digest != outputs.get(name):
                return Decision(RUN, f"output artifact '{name}' was modified {since}")
        if waiting:
            names = ", ".join(dict.fromkeys(waiting))
            return Decision(MAYBE, f"may be skipped after upstream reruns ({names})", state)
        return Decision(SKIP, f"unchanged {since}", state)

    def _why_new(self, craft: str, facts: Facts) -> str:
        latest = self._latest.get(craft)
        if latest is None:
            return "no earlier successful run recorded"
        before = latest["params"] or {}
        changed = sorted(
            key
            for key in set(before) | set(facts.params)
            if before.get(key, "<unset>") != facts.params.get(key, "<unset>")
        )
        if not changed:
            return f"its parameters or context changed since run {latest['run_id']}"
        shown = ", ".join(
            f"{key} ({before.get(key, '<unset>')!r} -> {facts.params.get(key, '<unset>')!r})"
            for key in changed[:5]
        )
        return f"parameters changed since run {latest['run_id']}: {shown}"

    def _skip(self, index: int, decision: Decision) -> None:
        craft = self.plan.crafts[index]
        progress = self._progress[index]
        progress.status, progress.reason = SKIPPED, decision.reason
        outputs = dict(decision.state["outputs"] or {})
        for name, kind in craft.output_kinds.items():
            if kind == "volatile":
                self.volatile_digests[name] = outputs.get(name)
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
        self._record_execution(index, RAN, outputs=outputs)
        facts = self.facts(index)
        if facts.code.digest is None or facts.state_key is None:
            return
        self.recorder.state(
            {
                "craft": craft.fqname,
                "state_key": facts.state_key,
                "run_id": self.run_id,
                "code_fp": facts.code.digest,
                "params": facts.params,
                "inputs": {n: i["fingerprint"] for n, i in self._progress[index].inputs.items()},
                "outputs": {n: o["fingerprint"] for n, o in outputs.items()},
                "recorded": time.time(),
            }
        )

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
        self, index: int, status: str, *, outputs: Mapping[str, Any], error: str = ""
    ) -> None:
        craft = self.plan.crafts[index]
        progress = self._progress[index]
        facts = self.facts(index)
        now = time.time()
        started = progress.started or now
        self.recorder.execution(
            {
                "run_id": self.run_id,
                "position": index,
                "craft": craft.fqname,
                "status": status,
                "reason": progress.reason,
                "code_fp": facts.code.digest,
                "state_key": facts.state_key,
                "params": facts.params,
                "inputs": progress.inputs,
                "outputs": outputs,
                "started": started,
                "duration": now - started if status != SKIPPED else 0.0,
                "error": error,
            }
        )

    # --- predicting -----------------------------------------------------------------------
    def predict(self) -> list[Prediction]:
        """Why each craft will run or be skipped, before anything runs (``--explain``).

        A craft whose only possible change comes from crafts that will run is "may skip":
        whether their new outputs differ is known only during the run.
        """
        if not self.incremental:
            return [Prediction(c.fqname, RUN, "not an incremental run") for c in self.plan.crafts]
        verdicts: list[Decision] = []
        pending: dict[str, str] = {}  # name -> the upstream craft that may change it
        for index, craft in enumerate(self.plan.crafts):
            inputs = self._fingerprint_inputs(index)
            for name in inputs:
                producer = self.plan.producers.get(name)
                if producer is not None and verdicts[producer].verdict != SKIP:
                    pending.setdefault(name, self.plan.crafts[producer].fqname)
            decision = self._decide(index, inputs, pending)
            if decision.verdict == SKIP:
                for name, kind in craft.output_kinds.items():
                    if kind == "volatile":
                        self.volatile_digests[name] = (decision.state["outputs"] or {}).get(name)
            verdicts.append(decision)
        predictions = [
            Prediction(craft.fqname, decision.verdict, decision.reason)
            for craft, decision in zip(self.plan.crafts, verdicts, strict=True)
        ]
        self._note_providers(predictions)
        self.volatile_digests.clear()  # the run computes them again, as they are then
        return predictions

    def _note_providers(self, predictions: list[Prediction]) -> None:
        """A skipped craft whose volatile a running craft needs runs again (or is restored)."""
        for index in reversed(range(len(predictions))):
            if predictions[index].verdict == SKIP:
                continue
            for name in self.plan.inputs[index]:
                producer = self.plan.producers[name]
                if predictions[producer].verdict != SKIP:
                    continue
                digest = self.volatile_digests.get(name)
                consumer = self.plan.crafts[index].fqname
                cached = (
                    self.cache is not None
                    and digest is not None
                    and self.cache.path(digest).exists()
                )
                if cached:
                    reason = (
                        f"skipped; its volatile '{name}' is restored from the cache for {consumer}"
                    )
                    predictions[producer] = Prediction(predictions[producer].craft, SKIP, reason)
                else:
                    reason = f"unchanged, but runs again to provide volatile '{name}' to {consumer}"
                    predictions[producer] = Prediction(predictions[producer].craft, RUN, reason)

    def explain(self) -> str:
        """The predictions as text: one line per craft, in execution order."""
        predictions = self.predict()
        counts = {v: sum(1 for p in predictions if p.verdict == v) for v in (RUN, SKIP, MAYBE)}
        lines = [
            f"{self.name}: {counts[RUN]} craft(s) will run, {counts[SKIP]} will be skipped, "
            f"{counts[MAYBE]} may be skipped after upstream reruns"
        ]
        width = max((len(p.craft) for p in predictions), default=0)
        for prediction in predictions:
            lines.append(
                f"  {prediction.verdict:<8}  {prediction.craft:<{width}}  {prediction.reason}"
            )
        return "\n".join(lines)


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
) -> TrackedJob:
    """The job of a run of ``pipeline`` inside ``session``: recorded, incremental on request."""
    label = pipeline._label
    if session is None:
        raise PipelineError(
            f"{label}: an incremental run compares with the project's run history, so it needs "
            "a session: run it inside `with session:`"
        )
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
