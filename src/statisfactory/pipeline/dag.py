"""Solve a pipeline's execution order from the names its crafts read and write.

The solution (a :class:`Plan`) is computed once with :mod:`graphlib` and reused by every run:
crafts in topological order, the batches of crafts that could run together, and for each craft
the crafts waiting on it, so a runner never scans the whole pipeline per craft.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from statisfactory.errors import PipelineError
from statisfactory.pipeline.heap import collector_paused

if TYPE_CHECKING:
    from statisfactory.pipeline.craft import Craft


@dataclass(frozen=True, slots=True)
class Plan:
    """A solved pipeline; crafts are indexed by their position in :attr:`crafts`."""

    crafts: tuple[Craft, ...]  # topological order
    batches: tuple[tuple[int, ...], ...]
    dependents: tuple[tuple[int, ...], ...]  # crafts to notify when one finishes
    indegree: tuple[int, ...]  # how many crafts each one waits for
    inputs: tuple[tuple[str, ...], ...]  # volatiles each craft reads from the run's state
    producers: dict[str, int]  # name -> index of the craft producing it

    @property
    def roots(self) -> tuple[int, ...]:
        return self.batches[0] if self.batches else ()


def solve(crafts: Sequence[Craft], pipeline_name: str = "pipeline") -> Plan:
    """Order ``crafts``; duplicate producers, cycles and unprovided volatiles are PipelineErrors."""
    with collector_paused():  # see statisfactory.pipeline.heap
        return _solve(crafts, pipeline_name)


def _solve(crafts: Sequence[Craft], pipeline_name: str) -> Plan:
    import graphlib

    producers = _producers(crafts, pipeline_name)
    upstream: list[set[int]] = []
    for craft in crafts:
        sources = set()
        for name, kind, has_default in _requirements(craft):
            producer = producers.get(name)
            if producer is None:
                if kind == "volatile" and not has_default:
                    raise PipelineError(
                        f"{pipeline_name}: craft '{craft.fqname}' needs volatile '{name}' but no "
                        f"craft of the pipeline returns Volatile('{name}') and the parameter has "
                        "no default: add the craft producing it, or give the parameter a default"
                    )
                continue
            _check_kind(crafts[producer], craft, name, kind, pipeline_name)
            sources.add(producer)
        upstream.append(sources)

    sorter = graphlib.TopologicalSorter({i: deps for i, deps in enumerate(upstream)})
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        cycle = " -> ".join(crafts[i].fqname for i in error.args[1])
        raise PipelineError(
            f"{pipeline_name}: the crafts form a cycle: {cycle}. Each one needs an output of the "
            "next; break the cycle by renaming an input or output"
        ) from error
    batches = []
    while sorter.is_active():
        batch = sorted(sorter.get_ready())  # stable: follows the order crafts were added
        sorter.done(*batch)
        batches.append(batch)
    return _reindex(crafts, upstream, batches)


def _producers(crafts: Sequence[Craft], pipeline_name: str) -> dict[str, int]:
    producers: dict[str, int] = {}
    for index, craft in enumerate(crafts):
        for name in craft.produces:
            if name in producers:
                other = crafts[producers[name]].fqname
                raise PipelineError(
                    f"{pipeline_name}: crafts '{other}' and '{craft.fqname}' both produce "
                    f"'{name}': rename one output, or keep only one of the crafts"
                )
            producers[name] = index
    return producers


def _requirements(craft: Craft) -> list[tuple[str, str, bool]]:
    signature = craft.signature
    return [(name, "artifact", False) for _, name in signature.artifacts] + [
        (name, "volatile", has_default) for _, name, has_default in signature.volatiles
    ]


def _check_kind(producer: Craft, consumer: Craft, name: str, kind: str, pipeline: str) -> None:
    produced = producer.output_kinds[name]
    if produced != kind:
        raise PipelineError(
            f"{pipeline}: craft '{consumer.fqname}' reads '{name}' as {kind} but craft "
            f"'{producer.fqname}' returns it as {produced}: use the same marker on both sides"
        )


def _reindex(crafts: Sequence[Craft], upstream: list[set[int]], batches: list) -> Plan:
    order = [index for batch in batches for index in batch]
    position = {old: new for new, old in enumerate(order)}
    dependents: list[list[int]] = [[] for _ in order]
    for old, sources in enumerate(upstream):
        for source in sources:
            dependents[position[source]].append(position[old])
    ordered = tuple(crafts[old] for old in order)
    producers = {name: i for i, craft in enumerate(ordered) for name in craft.produces}
    inputs = tuple(
        tuple(name for _, name, _ in craft.signature.volatiles if name in producers)
        for craft in ordered
    )
    return Plan(
        crafts=ordered,
        batches=tuple(tuple(position[old] for old in batch) for batch in batches),
        dependents=tuple(tuple(sorted(d)) for d in dependents),
        indegree=tuple(len(upstream[old]) for old in order),
        inputs=inputs,
        producers=producers,
    )


# --- slicing --------------------------------------------------------------------------------
def find_craft(plan: Plan, name: str, pipeline_name: str, artifacts: bool = False) -> int:
    """The index of the craft called ``name`` (short or qualified name); with ``artifacts``,
    a name no craft has may be a volatile or artifact, standing for the craft producing it."""
    for index, craft in enumerate(plan.crafts):
        if name in (craft.name, craft.fqname):
            return index
    if artifacts and name in plan.producers:
        return plan.producers[name]
    known = ", ".join(craft.name for craft in plan.crafts) or "none"
    what = "craft, artifact or volatile" if artifacts else "craft"
    raise PipelineError(
        f"{pipeline_name}: no {what} is called '{name}'. Its crafts: {known}",
        key=name,
    )


def downstream(plan: Plan, starts: Iterable[int]) -> set[int]:
    """``starts`` and every craft that depends on them, directly or not."""
    return _closure(starts, plan.dependents)


def upstream(plan: Plan, ends: Iterable[int]) -> set[int]:
    """``ends`` and every craft they depend on, directly or not."""
    sources: list[list[int]] = [[] for _ in plan.crafts]
    for index, dependents in enumerate(plan.dependents):
        for dependent in dependents:
            sources[dependent].append(index)
    return _closure(ends, sources)


def _closure(starts: Iterable[int], edges: Sequence[Sequence[int]]) -> set[int]:
    reached: set[int] = set()
    todo = list(starts)
    while todo:
        index = todo.pop()
        if index not in reached:
            reached.add(index)
            todo.extend(edges[index])
    return reached


def cut_artifacts(plan: Plan, kept: set[int], pipeline_name: str) -> dict[str, str]:
    """The artifacts the ``kept`` crafts load from crafts left out, with their producer.

    A volatile produced by a craft left out lives only in a run's memory, so a slice needing
    one (with no default) is a PipelineError naming it and its producer.
    """
    cut: dict[str, str] = {}
    for index in sorted(kept):
        craft = plan.crafts[index]
        for name, kind, has_default in _requirements(craft):
            producer = plan.producers.get(name)
            if producer is None or producer in kept or (kind == "volatile" and has_default):
                continue  # a volatile's default stands in for a producer left out, as in solve
            source = plan.crafts[producer].fqname
            if kind == "volatile":
                raise PipelineError(
                    f"{pipeline_name}: craft '{craft.fqname}' needs volatile '{name}', which "
                    f"craft '{source}' produces outside the selected crafts; a volatile is not "
                    f"stored, so include '{source}' in the selection (or make '{name}' an "
                    "artifact)",
                    craft=craft.fqname,
                    key=name,
                )
            cut[name] = source
    return cut
