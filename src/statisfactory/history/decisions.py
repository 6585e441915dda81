"""Whether an incremental run skips a craft, and why: the craft now against its recorded state.

A craft's state is what its last successful execution with the same parameters and context
recorded (``craft_state`` in the run history): code fingerprint, input and output fingerprints.
:func:`predict` tells, before anything runs, what each craft of a run will do (``--explain``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statisfactory.history.code import Code, describe_change
from statisfactory.history.fingerprints import Stored

if TYPE_CHECKING:
    from statisfactory.history.incremental import IncrementalPolicy
    from statisfactory.pipeline.craft import Craft

RUN, SKIP, MAYBE = "run", "skip", "may skip"


@dataclass(slots=True)
class Facts:
    """What identifies one call of a craft: code, parameters and dynamic context."""

    code: Code
    state_key: str | None  # digest of parameters and context; None when they have none
    params: dict[str, Any]  # parameters and context values, secrets hidden, for messages


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a craft runs, and why; ``state`` is the recorded state it matches."""

    verdict: str  # RUN, SKIP or MAYBE (a prediction waiting on upstream crafts)
    reason: str
    state: Mapping[str, Any] | None = None

    @property
    def recorded_outputs(self) -> Mapping[str, Any]:
        """The outputs recorded in the matched state (a skip always has one), by name."""
        return (self.state or {}).get("outputs") or {}


@dataclass(frozen=True, slots=True)
class Prediction:
    """One line of ``--explain``."""

    craft: str
    verdict: str
    reason: str


class RecordedStates:
    """The recorded states of a run's crafts, by craft and state key."""

    def __init__(
        self,
        rows: Iterable[Mapping[str, Any]] = (),
        code_parts: Callable[[str, str], str | None] | None = None,
    ) -> None:
        """``rows`` as :meth:`HistoryStore.states` gives them; ``code_parts(craft, key)``
        reads what a state's code fingerprint covered, when a row does not have it."""
        self._code_parts = code_parts
        self._states: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._latest: dict[str, Mapping[str, Any]] = {}  # per craft, whatever its parameters
        for row in rows:
            self._states[row["craft"], row["state_key"]] = row
            latest = self._latest.get(row["craft"])
            if latest is None or row["recorded"] > latest["recorded"]:
                self._latest[row["craft"]] = row

    def decide(
        self,
        craft: Craft,
        facts: Facts,
        inputs: Mapping[str, Mapping[str, Any]],
        stored_output: Callable[[str], Stored],
        pending: Mapping[str, str] | None = None,
    ) -> Decision:
        """Compare ``craft`` with its recorded state.

        ``inputs`` are its inputs' fingerprints now, ``stored_output(name)`` what is stored now
        for one of its output artifacts; ``pending`` maps the inputs whose producer has not run
        yet (a prediction) to that producer.
        """
        pending = pending or {}
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
            return Decision(RUN, f"its code changed {since}{self._code_change(state, facts)}")
        recorded = state["inputs"] or {}
        if not isinstance(recorded, Mapping) or recorded.keys() != inputs.keys():
            return Decision(RUN, f"its inputs changed {since}")
        waiting = []
        for name, now in inputs.items():
            if name in pending:
                waiting.append(pending[name])
                continue
            kind = now["kind"]
            if now["fingerprint"] is None:
                problem = now.get("problem") or (
                    "its value was not hashed (held on a Dask worker, or not picklable) and its "
                    "producer's code, parameters or inputs have no fingerprint"
                )
                return Decision(RUN, f"input {kind} '{name}' has no fingerprint ({problem})")
            if now["fingerprint"] != recorded[name]:
                return Decision(RUN, f"input {kind} '{name}' changed {since}")
        outputs = state["outputs"] or {}
        for name in craft.saves:
            stored = stored_output(name)
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
        if isinstance(before, str):  # as the store keeps it (see HistoryStore.states)
            before = json.loads(before) or {}
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

    def _code_change(self, state: Mapping[str, Any], facts: Facts) -> str:
        """``: what changed`` when the recorded state says what its fingerprint covered."""
        recorded = state.get("code_parts")
        if recorded is None and self._code_parts is not None:
            recorded = self._code_parts(state["craft"], state["state_key"])
        if not recorded:  # recorded before fingerprints had parts
            return ""
        change = describe_change(json.loads(recorded), facts.code.parts)
        return f": {change}" if change else ""


# --- predicting -----------------------------------------------------------------------------
def explain(job: IncrementalPolicy) -> str:
    """What each craft of ``job`` will do, one line per craft in execution order."""
    predictions = predict(job)
    counts = {v: sum(1 for p in predictions if p.verdict == v) for v in (RUN, SKIP, MAYBE)}
    lines = [
        f"{job.name}: {counts[RUN]} craft(s) will run, {counts[SKIP]} will be skipped, "
        f"{counts[MAYBE]} may be skipped after upstream reruns"
    ]
    width = max((len(p.craft) for p in predictions), default=0)
    for prediction in predictions:
        lines.append(f"  {prediction.verdict:<8}  {prediction.craft:<{width}}  {prediction.reason}")
    return "\n".join(lines)


def predict(job: IncrementalPolicy) -> list[Prediction]:
    """Why each craft will run or be skipped, before anything runs.

    A craft whose only possible change comes from crafts that will run is "may skip": whether
    their new outputs differ is known only during the run.
    """
    plan = job.plan
    if not job.incremental:
        return [Prediction(c.fqname, RUN, "not an incremental run") for c in plan.crafts]
    verdicts: list[Decision] = []
    pending: dict[str, str] = {}  # name -> the upstream craft that may change it
    for index, craft in enumerate(plan.crafts):
        inputs = job.fingerprint_inputs(index)
        for name in inputs:
            producer = plan.producers.get(name)
            if producer is not None and verdicts[producer].verdict != SKIP:
                pending.setdefault(name, plan.crafts[producer].fqname)
        decision = job.decide(index, inputs, pending)
        if decision.verdict == SKIP:
            job.note_skipped_volatiles(craft, decision)
        verdicts.append(decision)
    predictions = [
        Prediction(craft.fqname, decision.verdict, decision.reason)
        for craft, decision in zip(plan.crafts, verdicts, strict=True)
    ]
    _note_providers(job, predictions)
    job.volatile_digests.clear()  # the run computes them again, as they are then
    return predictions


def _note_providers(job: IncrementalPolicy, predictions: list[Prediction]) -> None:
    """A skipped craft whose volatile a running craft needs runs again (or is restored)."""
    plan = job.plan
    for index in reversed(range(len(predictions))):
        if predictions[index].verdict == SKIP:
            continue
        consumer = plan.crafts[index].fqname
        for name in plan.inputs[index]:
            producer = plan.producers[name]
            if predictions[producer].verdict != SKIP:
                continue
            digest = job.volatile_digests.get(name)
            craft = predictions[producer].craft
            if job.cache is not None and digest is not None and job.cache.path(digest).exists():
                reason = f"skipped; its volatile '{name}' is restored from the cache for {consumer}"
                predictions[producer] = Prediction(craft, SKIP, reason)
            else:
                reason = f"unchanged, but runs again to provide volatile '{name}' to {consumer}"
                predictions[producer] = Prediction(craft, RUN, reason)
