"""One run of a pipeline, and what ``Pipeline.run`` returns about it.

A :class:`Run` is what every hook receives: the plan, the parameters, the catalog, the status
of the run and of each craft. A :class:`RunResult` is the mapping of the volatiles the run
produced (what ``pipeline(**params)`` has always returned), with the run's id, each craft's
status and where its artifacts were written.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statisfactory.IO.catalog import Catalog
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.dag import Plan
    from statisfactory.pipeline.pipeline import Pipeline
    from statisfactory.plugins.relay import HookRelay


class CraftStatus(StrEnum):
    """Where a craft of a run stands."""

    WAITING = "waiting"  # not started yet
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"  # by an incremental run (or a plugin's decide_craft)
    FAILED = "failed"


class RunStatus(StrEnum):
    """Where a run stands."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


_issued: tuple[str, set[str]] = ("", set())  # this second's ids: no two alike in a process


def new_run_id() -> str:
    """A sortable, unique run id: ``20250131-142501-3fa9c2`` (a sweep starts many a second)."""
    global _issued
    second = time.strftime("%Y%m%d-%H%M%S")
    if _issued[0] != second:
        _issued = (second, set())
    while True:
        run_id = f"{second}-{secrets.token_hex(3)}"
        if run_id not in _issued[1]:
            _issued[1].add(run_id)
            return run_id


class Run:
    """One run: its id, plan, parameters, configuration label, catalog and statuses.

    ``contexts[i]`` and ``arguments[i]`` are what craft ``plan.crafts[i]`` runs with (its
    parameters, shared keys overridden by its own, and its defaults); ``state`` holds the
    volatiles produced so far.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        plan: Plan,
        params: Mapping[str, Any],
        *,
        session: Any,
        catalog: Catalog | None,
        configuration: str | None = None,
        incremental: bool = False,
        strict: bool = False,
    ) -> None:
        self.id = new_run_id()
        self.pipeline = pipeline
        self.name = pipeline._label
        self.plan = plan
        self.params = params
        self.session = session
        self.catalog = catalog
        self.configuration = configuration
        self.incremental = incremental
        self.strict = strict  # an unused run parameter is an error, not a warning
        self.sweep_id: str | None = None  # the sweep this run is a member of, if any
        self.shared: dict[int, str] = {}  # crafts a sweep ran once for several runs -> its run
        self.status = RunStatus.RUNNING
        self.started: float | None = None
        self.ended: float | None = None
        self.statuses: list[CraftStatus] = [CraftStatus.WAITING] * len(plan.crafts)
        self.contexts: list[Mapping[str, Any]] = []
        self.arguments: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {}
        self.hooks: HookRelay | None = None  # the run's hooks, once gathered

    @property
    def crafts(self) -> tuple[Craft, ...]:
        return self.plan.crafts

    def written(self) -> dict[str, str]:
        """Where the artifacts saved by the crafts that ran live, by artifact name.

        Located from each craft's context (a worker process's saves are not seen here).
        """
        located: dict[str, str] = {}
        if self.catalog is None:
            return located
        for index, craft in enumerate(self.plan.crafts):
            if self.statuses[index] is not CraftStatus.DONE:
                continue
            for name in craft.saves:
                try:
                    located[name] = self.catalog.locate(name, **self.contexts[index])
                except Exception:  # only a description is lost; the craft did save it
                    located[name] = ""
        return located

    def __repr__(self) -> str:
        return f"<Run {self.id} of {self.name}: {self.status}>"


class RunResult(dict):
    """The volatiles a run produced, by name; also ``run_id``, ``statuses``, ``written``.

    It compares equal to a plain dict of the same volatiles.
    """

    def __init__(self, run: Run, volatiles: Mapping[str, Any]) -> None:
        super().__init__(volatiles)
        self.run = run
        self.run_id: str = run.id
        self._statuses: dict[str, CraftStatus] | None = None
        self._written: dict[str, str] | None = None

    @property
    def statuses(self) -> dict[str, CraftStatus]:
        """Each craft's status, by qualified name, in execution order."""
        if self._statuses is None:
            crafts = (craft.fqname for craft in self.run.plan.crafts)
            self._statuses = dict(zip(crafts, self.run.statuses, strict=True))
        return self._statuses

    @property
    def written(self) -> dict[str, str]:
        """Where each artifact the run saved lives (absolute path or URL), by artifact name."""
        if self._written is None:
            self._written = self.run.written()
        return self._written

    def counts(self) -> dict[CraftStatus, int]:
        """How many crafts ended in each status."""
        counts: dict[CraftStatus, int] = {}
        for status in self.statuses.values():
            counts[status] = counts.get(status, 0) + 1
        return counts

    def summary(self) -> str:
        """Several lines: the run, each craft's status, and the artifacts written."""
        written = self.written
        lines = [repr(self)]
        for craft in self.run.plan.crafts:
            saved = [f"{name} -> {written[name]}" for name in craft.saves if name in written]
            suffix = f": {', '.join(saved)}" if saved else ""
            lines.append(f"  {self.statuses[craft.fqname]:<8} {craft.fqname}{suffix}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in self.counts().items()) or "no craft"
        volatiles = ", ".join(self) or "none"
        return (
            f"<RunResult {self.run_id} of {self.run.name}: {self.run.status}; {counts}; "
            f"volatiles: {volatiles}>"
        )

    def __reduce__(self) -> Any:  # travels as the plain mapping it is
        return dict, (dict(self),)
