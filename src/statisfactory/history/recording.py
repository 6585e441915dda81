"""The run-history plugin: a run's crafts, their inputs and outputs, recorded in the history.

Registered for every run inside a session that keeps a history (see
:mod:`statisfactory.history`). Per craft it fingerprints the inputs when the craft starts
(artifacts as stored, volatiles as produced), then records the execution with its outputs when
it finishes, fails or is skipped. It is also what the incremental skip policy compares with.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statisfactory.history.code import CodeFingerprints
from statisfactory.history.decisions import Facts
from statisfactory.history.digests import value_digest
from statisfactory.history.fingerprints import ArtifactFingerprints, Stored
from statisfactory.history.recorder import RunRecorder
from statisfactory.hookspecs import hookimpl
from statisfactory.pipeline.run import RunStatus

if TYPE_CHECKING:
    from statisfactory.IO.artifact import Artifact
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run
    from statisfactory.protocols import HistoryStoreLike

# The statuses of recorded executions; SHARED: a sweep ran the craft once, for several runs.
RAN, SKIPPED, FAILED, SHARED = "ran", "skipped", "failed", "shared"
NO_PRODUCER = "default"  # fingerprint of a volatile no craft of the run produces
_NO_VALUES = value_digest([{}, {}])  # the state key of a craft without parameters or context


@dataclass(slots=True)
class _Progress:
    status: str | None = None
    reason: str = ""
    started: float = 0.0
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)


class RunHistory:
    """Records one run in ``store``; see the module docstring."""

    def __init__(self, run: Run, store: HistoryStoreLike) -> None:
        self.run = run
        self.store = store
        plan = run.plan
        self.fingerprints = (
            ArtifactFingerprints(run.catalog, store) if run.catalog is not None else None
        )
        self.code = CodeFingerprints.of_session(run.session, store)
        self.recorder = RunRecorder(
            store,
            run.session,
            run_id=run.id,
            pipeline=run.pipeline.name or "unnamed",
            configuration=run.configuration,
            params=run.params,
            incremental=run.incremental,
            producers={name: craft.fqname for craft in plan.crafts for name in craft.saves},
            fingerprints=self.fingerprints,
            sweep_id=run.sweep_id,
        )
        self.volatile_digests: dict[str, str | None] = {}  # filled by the incremental policy
        # Per craft, from its first start until it finishes (kept for skipped ones, whose
        # volatiles another craft may need): a run of many crafts keeps few objects alive.
        self._facts: dict[int, Facts] = {}
        self._progress: dict[int, _Progress] = {}
        self._skipped_outputs: dict[int, Mapping[str, Any]] = {}
        self._begun = False
        self._metrics_artifacts = _tagged_metrics(run.catalog, self.recorder.producers)

    # --- the run ------------------------------------------------------------------------------
    @hookimpl(tryfirst=True)
    def before_run(self) -> None:
        self.recorder.begin()
        self._begun = True

    @hookimpl
    def after_run(self) -> None:
        self.recorder.end(RunStatus.SUCCEEDED)
        self._release()

    @hookimpl
    def on_run_error(self, run: Run, error: BaseException) -> None:
        if not self._begun:
            return  # a plugin's before_run failed before this one began
        if run.status is RunStatus.INTERRUPTED:
            self.recorder.end(RunStatus.INTERRUPTED)
        else:
            self.recorder.end(RunStatus.FAILED, f"{type(error).__name__}: {error}")
        self._release()

    def _release(self) -> None:
        """The run is recorded: let go of what was kept per craft for it (a run's result kept
        in a notebook holds its run, whose hooks hold this plugin)."""
        self._facts.clear()
        self._progress.clear()
        self._skipped_outputs.clear()
        self.recorder.release()
        if self.fingerprints is not None:
            self.fingerprints.release()

    # --- crafts -------------------------------------------------------------------------------
    def progress(self, index: int) -> _Progress:
        """The craft's record in progress, its inputs fingerprinted when first asked."""
        progress = self._progress.get(index)
        if progress is None:
            progress = self._progress[index] = _Progress(inputs=self.fingerprint_inputs(index))
        return progress

    # The craft hooks take their hook's first arguments in order: called without re-mapping.
    @hookimpl
    def before_craft(self, run: Run, craft: Craft, index: int) -> None:
        progress = self._progress.get(index)
        if progress is None:  # its inputs are fingerprinted now
            progress = self._progress[index] = _Progress(inputs=self.fingerprint_inputs(index))
        elif self.volatile_digests:  # since decided: a producer that ran again has one now
            for name, entry in progress.inputs.items():
                if entry.get("producer"):
                    entry["fingerprint"] = self.volatile_digests.get(name)
        self.forget_outputs(index)
        progress.status, progress.started = RAN, time.time()
        source = run.shared.get(index)
        if source is not None:
            progress.status, progress.reason = SHARED, f"shared from run {source}"

    @hookimpl
    def after_craft(self, run: Run, craft: Craft, index: int, volatiles: Mapping[str, Any]) -> None:
        outputs: dict[str, dict[str, Any]] = {}
        for name, kind in craft.output_kinds.items():
            if kind == "artifact":
                stored = self._written(index, name)
                outputs[name] = {
                    "kind": kind,
                    "location": stored.location,
                    "fingerprint": stored.digest,
                }
            else:  # its digest when the incremental policy took one, else its producer's
                digest = self.volatile_digests.get(name) if self.volatile_digests else None
                if digest is None:
                    digest = self.volatile_digests[name] = self._produced_by(index, name)
                outputs[name] = {"kind": kind, "fingerprint": digest}
        facts = self.facts(index)
        comparable = facts.code.digest is not None and facts.state_key is not None
        status = SHARED if self._progress[index].status == SHARED else RAN
        self._record_execution(index, status, outputs=outputs, keep_state=comparable)
        del self._progress[index], self._facts[index]
        self._record_metrics(run, craft, index, volatiles)

    def _record_metrics(
        self, run: Run, craft: Craft, index: int, volatiles: Mapping[str, Any]
    ) -> None:
        """Record the craft's metrics (see :mod:`statisfactory.history.metrics`), then tell
        the ``after_metrics`` hooks."""
        if not craft.has_metrics and self._metrics_artifacts.isdisjoint(craft.saves):
            return
        from statisfactory.history.metrics import craft_metrics

        relay = getattr(run, "hooks", None)
        for source, metrics in craft_metrics(run, craft, run.contexts[index], volatiles):
            self.store.record_metrics(run.id, metrics, source)
            if relay is not None and relay.after_metrics is not None:
                relay.after_metrics(run, craft, metrics)

    @hookimpl
    def on_craft_error(self, index: int, error: BaseException) -> None:
        progress = self._progress.setdefault(index, _Progress())  # its start may have failed
        if progress.status != FAILED:
            progress.status = FAILED
            self._record_execution(
                index, FAILED, outputs={}, error=f"{type(error).__name__}: {error}"
            )

    @hookimpl
    def on_craft_skip(self, craft: Craft, index: int, reason: str) -> None:
        progress = self.progress(index)
        progress.status, progress.reason = SKIPPED, reason
        outputs = self._skipped_outputs.pop(index, {})
        described = {
            name: {"kind": kind, "fingerprint": outputs.get(name)}
            for name, kind in craft.output_kinds.items()
        }
        self._record_execution(index, SKIPPED, outputs=described)
        self._record_metrics(self.run, craft, index, {})  # its metrics artifacts, as stored

    def note_skipped_outputs(self, index: int, outputs: Mapping[str, Any]) -> None:
        """The recorded fingerprints of the outputs of a craft about to be skipped."""
        self._skipped_outputs[index] = outputs

    def note_reason(self, index: int, reason: str) -> None:
        """Why the craft runs, as recorded with its execution."""
        self.progress(index).reason = reason

    # --- artifacts ----------------------------------------------------------------------------
    @hookimpl
    def after_artifact_save(
        self, name: str, context: Mapping[str, Any], location: str, artifact: Artifact
    ) -> None:
        self.recorder.on_save(name=name, context=context, location=location, artifact=artifact)

    # --- what identifies a call ---------------------------------------------------------------
    def facts(self, index: int) -> Facts:
        """The craft's code fingerprint, parameters and dynamic context (computed once)."""
        facts = self._facts.get(index)
        if facts is None:
            craft = self.run.plan.crafts[index]
            context = self.run.contexts[index]
            arguments = self.run.arguments[index]
            dynamic: dict[str, Any] = {}
            if self.fingerprints is not None:
                of = self.fingerprints.variables
                used = [found for name in craft.artifact_names() if (found := of(name))]
                if used:  # most entries have no `!{}`
                    variables = sorted(set().union(*used))
                    dynamic = {key: context[key] for key in variables if key in context}
            if arguments or dynamic:
                key = value_digest([arguments, dynamic])
                shown = self.recorder.secrets.redact({**arguments, **dynamic})
            else:
                key, shown = _NO_VALUES, {}
            facts = self._facts[index] = Facts(self.code.of(craft), key, shown)
        return facts

    def _produced_by(self, index: int, name: str) -> str | None:
        """The fingerprint of volatile ``name`` as the state of the craft producing it: its
        code, parameters, context and inputs. It stands for the value of a deterministic
        producer (one that skipping would be wrong for otherwise) where the value itself is
        not hashed: a plain run, a value held on a Dask worker, one that cannot be pickled.
        None when part of that state has no fingerprint."""
        facts = self.facts(index)
        inputs = {
            key: entry.get("fingerprint") for key, entry in self.progress(index).inputs.items()
        }
        if facts.code.digest is None or facts.state_key is None or None in inputs.values():
            return None
        craft = self.run.plan.crafts[index].fqname
        return value_digest(["produced", craft, name, facts.code.digest, facts.state_key, inputs])

    def fingerprint_inputs(self, index: int) -> dict[str, dict[str, Any]]:
        """The craft's inputs now: artifacts as stored, volatiles as produced in this run."""
        plan = self.run.plan
        craft = plan.crafts[index]
        inputs: dict[str, dict[str, Any]] = {}
        for _, name in craft.signature.artifacts:
            stored = self.stored(name, self.run.contexts[index])
            entry = {"kind": "artifact", "location": stored.location, "fingerprint": stored.digest}
            if stored.missing or stored.problem:
                entry["problem"] = "missing" if stored.missing else stored.problem
            inputs[name] = entry
        for _, name, _ in craft.signature.volatiles:
            producer = plan.producers.get(name)
            if producer is None:
                inputs[name] = {"kind": "volatile", "fingerprint": NO_PRODUCER}
            else:
                inputs[name] = {
                    "kind": "volatile",
                    "fingerprint": self.volatile_digests.get(name),
                    "producer": plan.crafts[producer].fqname,
                }
        return inputs

    def stored(self, name: str, context: Mapping[str, Any]) -> Stored:
        """The artifact as stored now; known once fingerprinted in this run (as an output
        checked, an input or a write) until a craft writes it."""
        fingerprints = self.fingerprints
        try:
            assert fingerprints is not None  # artifacts are only read and written via a catalog
            location = fingerprints.locate(name, context)
            stored = self.recorder.seen(location)
            if stored is None:
                stored = fingerprints.at(location, fingerprints.catalog.artifacts[name], context)
                self.recorder.remember(stored)
            return stored
        except Exception as error:  # a location that cannot be resolved: the craft will say so
            return Stored("", None, problem=f"{type(error).__name__}: {error}")

    def forget_outputs(self, index: int) -> None:
        """The craft is about to write its outputs: fingerprints taken before no longer hold."""
        fingerprints = self.fingerprints
        for name in self.run.plan.crafts[index].saves:
            try:
                assert fingerprints is not None  # a craft saving artifacts runs with a catalog
                self.recorder.forget(fingerprints.locate(name, self.run.contexts[index]))
            except Exception:  # an unresolvable location: the craft will report it
                continue

    def _written(self, index: int, name: str) -> Stored:
        """The output as written: seen by the save hook, else (a worker process wrote it)
        fingerprinted now and recorded."""
        context = self.run.contexts[index]
        fingerprints = self.fingerprints
        try:
            assert fingerprints is not None  # a craft saving artifacts runs with a catalog
            location = fingerprints.locate(name, context)
        except Exception as error:
            return Stored("", None, problem=f"{type(error).__name__}: {error}")
        stored = self.recorder.seen(location)
        if stored is None:
            stored = self.stored(name, context)
            if not stored.missing:
                self.recorder.record_write(name, context, stored)
        return stored

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
            craft=self.run.plan.crafts[index].fqname,
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
            code_parts=facts.code.parts if keep_state else None,
        )


def _tagged_metrics(catalog: Any, saved: Mapping[str, str]) -> frozenset[str]:
    """The artifacts the run saves that the catalog tags ``metrics``."""
    from statisfactory.history.metrics import METRICS_TAG

    if catalog is None:
        return frozenset()
    artifacts = catalog.artifacts
    return frozenset(
        name for name in saved if name in artifacts and METRICS_TAG in artifacts[name].tags
    )
