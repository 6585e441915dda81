"""A sweep: the runs of one pipeline under many parameter sets, as ONE graph for the runner.

Each member is a :class:`~statisfactory.pipeline.run.Run` with its own
:class:`~statisfactory.pipeline.job.Job` (its checks, its hooks, its run history). Their crafts
are merged into one plan: a craft is one node per *state* — its qualified name, the parameters
it takes, the ``!{}`` values locating its artifacts and the states of the crafts it depends on —
so a craft that would compute the same thing for several members runs once, by the first member
needing it, and the others take its outputs (recorded as ``shared from run …``). The runner
(any: sequential, threads, processes, Dask) sees a single job, and fills every worker.

The members sharing a craft take it, with their runs' hooks around it, as late as they may:
before their next step, while the runner waits for running crafts (:meth:`SweepJob.idle`), or
at the end; so the crafts it unblocks start first. A member whose taking fails (a hook of its
run) fails, and runs nothing more: a craft it was to run for others runs for the next of them.

A failing craft fails the members that reach it; the others go on. Two crafts of different
states writing one location would overwrite each other: that is refused before running, naming
the artifact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from statisfactory.errors import PipelineError
from statisfactory.logger import get_logger
from statisfactory.pipeline.dag import Plan
from statisfactory.pipeline.job import CraftCall, Job, Skipped, Waiting
from statisfactory.pipeline.run import CraftStatus, RunResult, RunStatus
from statisfactory.secrets import of_session

if TYPE_CHECKING:
    from statisfactory.pipeline.runners.base import Runner

_logger = get_logger("pipeline")


@dataclass
class _Member:
    name: str
    job: Job
    nodes: list[int] = field(default_factory=list)  # the node of each of its crafts
    failure: BaseException | None = None
    refused: bool = False  # a craft shared with it failed it: it takes and runs nothing more
    # crafts run by another member, to take as this member's before its next step: (its
    # index, the volatiles kept, the run that ran it, whether that run skipped it)
    shares: deque[tuple[int, Mapping[str, Any], str, bool]] = field(default_factory=deque)


@dataclass
class SweepResult:
    """What a sweep did: its id, and each member's result (by member name) or failure."""

    sweep_id: str
    results: dict[str, RunResult]
    failures: dict[str, BaseException]
    run_ids: dict[str, str]
    crafts_run: int  # crafts executed, shared ones counted once

    @property
    def succeeded(self) -> bool:
        return not self.failures

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.sweep_id}: {len(self.results)} succeeded, "
            f"{len(self.failures)} failed>"
        )


class SweepJob:
    """The members' jobs as one job for a runner: ``plan`` holds one craft per state."""

    def __init__(self, members: list[_Member], name: str) -> None:
        self.members = members
        self.name = name
        self.session = members[0].job.session
        self.state: dict[str, Any] = {}  # each member keeps its own volatiles
        self.owners: list[tuple[_Member, int]] = []  # who runs each node
        self.sharers: list[list[tuple[_Member, int]]] = []  # who takes its outputs
        self._started_by: dict[int, tuple[_Member, int]] = {}
        self._rerun_by: dict[int, tuple[_Member, int]] = {}  # asked for again, by whom
        self._finished: set[int] = set()
        self._dropped: set[int] = set()  # started for no member (see start)
        self._unsettled: deque[_Member] = deque()  # members with crafts to take (idle)
        self.executed = 0
        self.plan = self._merge()
        self._check_overwrites()

    # --- the merged plan ----------------------------------------------------------------------
    def _merge(self) -> Plan:
        by_key: dict[str, int] = {}
        for member in self.members:
            plan = member.job.plan
            sources: list[list[int]] = [[] for _ in plan.crafts]
            for index, local in enumerate(plan.dependents):
                for dependent in local:
                    sources[dependent].append(index)
            keys: list[str] = []
            for index in range(len(plan.crafts)):  # topological: its sources are keyed
                key = _state_key(member.job, index, sorted(keys[s] for s in sources[index]))
                keys.append(key)
                node = by_key.get(key)
                if node is None:
                    node = by_key[key] = len(self.owners)
                    self.owners.append((member, index))
                    self.sharers.append([])
                else:
                    self.sharers[node].append((member, index))
                member.nodes.append(node)
        dependents: list[set[int]] = [set() for _ in self.owners]
        for member in self.members:
            for index, local in enumerate(member.job.plan.dependents):
                dependents[member.nodes[index]].update(member.nodes[d] for d in local)
        indegree = [0] * len(self.owners)
        for targets in dependents:
            for target in targets:
                indegree[target] += 1
        crafts = tuple(member.job.plan.crafts[index] for member, index in self.owners)
        return Plan(
            crafts=crafts,
            batches=_levels(dependents, indegree),
            dependents=tuple(tuple(sorted(targets)) for targets in dependents),
            indegree=tuple(indegree),
            inputs=tuple(() for _ in crafts),
            producers={},
        )

    def _check_overwrites(self) -> None:
        """Two crafts of different states saving to one location: refused before running."""
        writers: dict[str, tuple[_Member, str]] = {}
        for member, index in self.owners:
            job = member.job
            catalog = job.catalog
            craft = job.plan.crafts[index]
            if catalog is None or not craft.saves:
                continue
            for name in craft.saves:
                location = catalog.locate(name, **job.contexts[index])
                other = writers.setdefault(location, (member, name))
                if other[0] is not member:
                    shown = of_session(job.session, job.contexts[index]).mask(location)
                    raise PipelineError(
                        f"{self.name}: sweep members '{other[0].name}' and '{member.name}' would "
                        f"both save artifact '{name}' to {shown} with different results: put "
                        "the swept keys in its location (e.g. !{model} in its path), so that "
                        "each member's is kept",
                        artifact=name,
                        craft=craft.fqname,
                    )

    # --- what a runner calls ------------------------------------------------------------------
    def start(self, node: int) -> CraftCall | Skipped | Waiting:
        member, index = self._rerun_by.pop(node, self.owners[node])
        if not self._settle(member):  # it could not take an earlier craft: it runs no more
            taker = next((m for m, _ in self.sharers[node] if self._settle(m)), None)
            if taker is None or node in self._finished:  # (asked for again by it alone)
                self._dropped.add(node)
                return _NOTHING
            member, index = taker, taker.nodes.index(node)
        call = member.job.start(index)
        self._started_by[node] = (member, index)
        if isinstance(call, Waiting):  # skipped crafts run again first, for this member
            for again in call.start:
                self._rerun_by[member.nodes[again]] = (member, again)
            return Waiting(call.count, tuple(member.nodes[i] for i in call.start))
        if isinstance(call, CraftCall):
            self.executed += 1
        return call

    def finish(self, node: int, kept: Mapping[str, Any]) -> tuple[int, ...]:
        """Finish the craft for the member that ran it; the members sharing it take it later
        (:meth:`_settle`), so that the crafts it unblocks start first."""
        if node in self._dropped:
            self._dropped.discard(node)
            return ()
        member, index = self._started_by.pop(node)
        local = member.job.finish(index, kept)
        unblocked = {member.nodes[i] for i in local}
        if node in self._finished:  # it ran again for the crafts that asked for it
            return tuple(sorted(unblocked))
        self._finished.add(node)
        skipped = member.job.run.statuses[index] is CraftStatus.SKIPPED
        source = member.job.run.id
        for sharer, shared in self.sharers[node]:
            if sharer is member:  # it ran the craft for an owner that could not
                continue
            sharer.shares.append((shared, kept, source, skipped))
            self._unsettled.append(sharer)
            unblocked.update(sharer.nodes[d] for d in sharer.job.plan.dependents[shared])
        return tuple(sorted(unblocked))

    def idle(self) -> bool:
        """While crafts run: one member takes the crafts shared with it; True while others
        have some to take."""
        while self._unsettled:
            member = self._unsettled.popleft()
            if member.shares:
                self._settle(member)
                break
        return bool(self._unsettled)

    def settle(self) -> None:
        """Every member takes the crafts shared with it that it has not taken yet."""
        for member in self.members:
            self._settle(member)

    def _settle(self, member: _Member) -> bool:
        """The member takes, in order, the crafts shared with it, with its run's hooks around
        them (before any later step of it); False once one of them failed it."""
        while member.shares and not member.refused:
            index, kept, source, skipped = member.shares.popleft()
            try:
                if skipped:
                    member.job.skip_shared(index, source)
                else:
                    member.job.share(index, kept, source)
            except Exception as error:  # a hook of the sharer's run: that member fails
                member.refused = True
                member.shares.clear()
                self._fail_member(member, index, error)
        return not member.refused

    def fail(self, node: int, error: Exception) -> None:
        """The members reaching this craft fail; the others go on (None: nothing to raise)."""
        member, index = self._started_by.pop(node, self.owners[node])
        self._fail_member(member, index, error)
        for sharer, shared in self.sharers[node]:
            if sharer is not member and self._settle(sharer):  # its earlier steps first
                self._fail_member(sharer, shared, error)

    def _fail_member(self, member: _Member, index: int, error: Exception) -> None:
        failure = member.job.fail(index, error)
        if member.failure is None:
            member.failure = failure
        _logger.error("%s: member %s failed: %s", self.name, member.name, failure)


_NOTHING = Skipped()  # what a member that failed no longer runs


def _state_key(job: Job, index: int, sources: Sequence[str]) -> str:
    """What identifies the craft's computation in a member: its name, the parameters it takes,
    the ``!{}`` values of its artifacts, and the states of the crafts it depends on."""
    craft = job.plan.crafts[index]
    context = job.contexts[index]
    located: dict[str, Any] = {}
    if job.catalog is not None and craft.uses_catalog:
        for name in craft.artifact_names():
            located.update({k: context[k] for k in job.catalog.variables(name) if k in context})
    text = json.dumps(
        [craft.fqname, job.arguments[index], located, list(sources)], sort_keys=True, default=repr
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _levels(dependents: list[set[int]], indegree: list[int]) -> tuple[tuple[int, ...], ...]:
    """The nodes in batches that could run together (the first: those waiting for none)."""
    left = list(indegree)
    level = sorted(node for node, count in enumerate(left) if not count)
    batches = []
    while level:
        batches.append(tuple(level))
        following = set()
        for node in level:
            for target in dependents[node]:
                left[target] -= 1
                if not left[target]:
                    following.add(target)
        level = sorted(following)
    return tuple(batches)


# --- running ----------------------------------------------------------------------------------
def run_sweep(
    sweep_id: str,
    jobs: Sequence[tuple[str, Job]],
    runner: Runner,
    label: str,
    *,
    dry_run: bool = False,
) -> SweepResult:
    """Run the members' ``jobs`` (checked, with their hooks, their runs in sweep ``sweep_id``)
    as one job on ``runner``;
    ``dry_run`` merges and checks them, and runs nothing (``crafts_run``: what would run)."""
    if not jobs:
        raise PipelineError(f"{label}: a sweep needs at least one member")
    members = [_Member(name, job) for name, job in jobs]
    sweep = SweepJob(members, f"{label} sweep {sweep_id}")
    if dry_run:
        return SweepResult(sweep_id, {}, {}, {}, len(sweep.plan.crafts))
    _logger.info(
        "%s: %d member(s), %d craft(s) to run of %d, with %r",
        label,
        len(members),
        len(sweep.plan.crafts),
        sum(len(m.job.plan.crafts) for m in members),
        runner,
    )
    started = []
    try:
        for member in members:
            run = member.job.run
            run.started = time.time()
            hooks = member.job.hooks
            if hooks.before_run is not None:
                hooks.before_run(run)
            started.append(member)
        runner.run(cast(Job, sweep))  # a SweepJob has what runners use of a Job
        sweep.settle()
    except BaseException as error:
        with contextlib.suppress(Exception):  # what was shared stays recorded
            sweep.settle()
        interrupted = isinstance(error, KeyboardInterrupt)
        for member in started:
            _end(member, RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED, error)
        raise
    result = SweepResult(sweep_id, {}, {}, {}, sweep.executed)
    for member in members:
        result.run_ids[member.name] = member.job.run.id
        if member.failure is not None:
            _end(member, RunStatus.FAILED, member.failure)
            result.failures[member.name] = member.failure
        else:
            result.results[member.name] = _end(member, RunStatus.SUCCEEDED, None)
    return result


def _end(member: _Member, status: RunStatus, error: BaseException | None) -> RunResult:
    run, hooks = member.job.run, member.job.hooks
    run.status, run.ended = status, time.time()
    result = RunResult(run, run.state)
    if error is None:
        if hooks.after_run is not None:
            hooks.after_run(run, result)
    elif hooks.on_run_error is not None:
        hooks.on_run_error(run, error)
    return result
