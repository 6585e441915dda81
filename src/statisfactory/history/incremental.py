"""Recorded and incremental runs: which crafts to skip, and the history of what ran.

Inside a session every pipeline run is recorded in the run history (see
:mod:`statisfactory.history` and the run-history plugin,
:class:`~statisfactory.history.recording.RunHistory`). An incremental run
(``p.run(params, incremental=True)``, or ``statisfactory run --incremental``) also registers the
skip policy below, a plugin of the ``decide_craft`` hook, which skips a craft when all of these
equal its last successful execution with the same parameters:

- its code fingerprint (what its function reaches in the project, as normalised code, and
  the versions of the packages that code imports; see :mod:`statisfactory.history.code`);
- its resolved parameters and its dynamic context (the ``!{}`` values of its artifacts);
- the fingerprints of its inputs, artifacts as stored now and volatiles as produced now;

and its output artifacts are still stored with the fingerprints recorded then. The decision is
taken when the craft would run, so a craft rerun that writes byte-identical outputs lets its
dependents be skipped (early cutoff). A craft that runs gets the volatiles of skipped crafts from
the volatile cache when enabled, else their producers run again first, through the runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PipelineError
from statisfactory.history.decisions import SKIP, Decision, RecordedStates, explain
from statisfactory.history.digests import bytes_digest, pickled
from statisfactory.history.recording import RunHistory
from statisfactory.history.store import store_for
from statisfactory.history.volatiles import MISSING, VolatileCache
from statisfactory.hookspecs import hookimpl
from statisfactory.logger import get_logger
from statisfactory.pipeline.job import RunFirst, Skip
from statisfactory.pipeline.run import CraftStatus
from statisfactory.project.settings import flag

if TYPE_CHECKING:
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run

_logger = get_logger("history.incremental")


def history_plugins(
    run: Run, *, volatile_cache: bool | None = None, explain: bool = False
) -> list[tuple[str, Any]]:
    """The run's history plugin and, for an incremental run, its skip policy; none when no
    history is kept (``history: false``) and the run is not incremental."""
    session = run.session
    store = store_for(session)
    if not store.enabled:  # nothing is recorded, so nothing is skipped
        if run.incremental and not store.broken:
            raise PipelineError(
                f"{run.name}: an incremental run compares with the run history, which is off: "
                "remove `history: false` from the settings, or run without --incremental"
            )
        if run.incremental:
            _logger.warning(
                "%s: the run history cannot be read (see the warning above), so every craft "
                "runs; fix it to skip unchanged crafts again",
                run.name,
            )
        return []
    history = RunHistory(run, store)
    plugins: list[tuple[str, Any]] = [("run-history", history)]
    if run.incremental or explain:
        if volatile_cache is None:
            volatile_cache = flag(session.settings, "volatile_cache", default=False)
        policy = IncrementalPolicy(run, history, volatile_cache=volatile_cache)
        if explain:
            print(policy.explain(), flush=True)
        if run.incremental:
            plugins.append(("incremental", policy))
    return plugins


class IncrementalPolicy:
    """Skips the crafts of an incremental run that are unchanged; see the module docstring."""

    def __init__(self, run: Run, history: RunHistory, *, volatile_cache: bool = False) -> None:
        self.run = run
        self.plan = run.plan
        self.name = run.name
        self.history = history
        self.incremental = run.incremental
        self.cache = VolatileCache(run.session.root) if volatile_cache else None
        self.volatile_digests = history.volatile_digests
        self._decided: set[int] = set()
        store = history.store
        store.flush()  # the records of a run that just ended in this process
        crafts = [c.fqname for c in run.plan.crafts]
        self.states = RecordedStates(store.states(crafts), store.code_parts)
        if store.take_created():
            _logger.warning(
                "%s: no run history was found, so every craft runs; the history is created at %s",
                run.name,
                store.description,
            )

    # --- hooks --------------------------------------------------------------------------------
    @hookimpl
    def decide_craft(self, craft: Craft, index: int) -> Skip | RunFirst | None:
        if index not in self._decided:  # the craft comes up for the first time
            self._decided.add(index)
            progress = self.history.progress(index)
            decision = self.decide(index, progress.inputs)
            if type(decision) is not Decision:  # found by the run cache, imported then
                from statisfactory.history.run_cache import Restoration, restore

                if isinstance(decision, Restoration):
                    restore(self.history, index, decision)
            if decision.verdict == SKIP:
                self.note_skipped_volatiles(craft, decision)
                self.history.note_skipped_outputs(index, decision.recorded_outputs)
                return Skip(decision.reason)
            progress.reason = decision.reason
        producers = self._missing_producers(index)
        return RunFirst(producers) if producers else None

    @hookimpl
    def after_run(self) -> None:
        self._release()

    @hookimpl
    def on_run_error(self) -> None:
        self._release()

    def _release(self) -> None:
        """The run is over: its crafts' recorded states are no longer compared with."""
        self.states = RecordedStates()
        self._decided = set()

    @hookimpl(tryfirst=True)  # before the history records the outputs' fingerprints
    def after_craft(self, craft: Craft, volatiles: Mapping[str, Any]) -> None:
        for name, kind in craft.output_kinds.items():
            if kind == "volatile":
                self.volatile_digests[name] = self._volatile_digest(volatiles.get(name))

    # --- deciding -----------------------------------------------------------------------------
    def fingerprint_inputs(self, index: int) -> dict[str, dict[str, Any]]:
        """The craft's inputs now (see :meth:`RunHistory.fingerprint_inputs`)."""
        return self.history.fingerprint_inputs(index)

    def decide(
        self,
        index: int,
        inputs: Mapping[str, Mapping[str, Any]],
        pending: Mapping[str, str] | None = None,
    ) -> Decision:
        """Compare the craft with its recorded state (see :meth:`RecordedStates.decide`)."""
        context = self.run.contexts[index]
        decision = self.states.decide(
            self.plan.crafts[index],
            self.history.facts(index),
            inputs,
            lambda name: self.history.stored(name, context),
            pending,
        )
        waiting = pending is not None and any(name in pending for name in inputs)
        if decision.verdict != SKIP and not waiting:  # maybe an earlier execution matches
            from statisfactory.history.run_cache import find_restoration  # a no-op needs none

            return find_restoration(self.history, index, inputs) or decision
        return decision

    def explain(self) -> str:
        """What each craft will do, and why, before anything runs (``--explain``)."""
        return explain(self)

    def note_skipped_volatiles(self, craft: Any, decision: Decision) -> None:
        """A skipped craft's volatiles have the fingerprints its recorded state gives."""
        outputs = decision.recorded_outputs
        for name, kind in craft.output_kinds.items():
            if kind == "volatile":
                self.volatile_digests[name] = outputs.get(name)

    # --- volatiles of skipped crafts ----------------------------------------------------------
    def _missing_producers(self, index: int) -> dict[int, str]:
        """The skipped producers whose volatiles the craft needs, unless the volatile cache
        has them: they run again (through the runner) before it."""
        consumer = self.plan.crafts[index].fqname
        state, statuses = self.run.state, self.run.statuses
        producers: dict[int, str] = {}
        for name in self.plan.inputs[index]:
            if name not in state and not self._restored(name):
                producers.setdefault(self.plan.producers[name], name)
        for producer, name in producers.items():
            if statuses[producer] is CraftStatus.SKIPPED:  # else already asked for
                reason = f"runs again to provide volatile '{name}' to {consumer}"
                self.history.note_reason(producer, reason)
                _logger.info("%s: %s %s", self.name, self.plan.crafts[producer].fqname, reason)
        return producers

    def _restored(self, name: str) -> bool:
        """Put volatile ``name`` in the state from the volatile cache, if it is there."""
        digest = self.volatile_digests.get(name)
        if self.cache is None or digest is None:
            return False
        value = self.cache.get(digest)
        if value is MISSING:
            return False
        self.run.state[name] = value
        _logger.info("%s: volatile '%s' restored from the cache", self.name, name)
        return True

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
