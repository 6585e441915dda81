"""A pipeline: crafts summed together, run in the order their data dependencies impose.

>>> pipeline = keep_coefficients + fit + simulate
>>> print(pipeline)
simulate -> fit -> keep_coefficients
>>> with session:
...     state = pipeline(n_samples=100, fit={"fit_intercept": False})
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from statisfactory.errors import PipelineError
from statisfactory.logger import get_logger
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.dag import Plan, solve
from statisfactory.pipeline.hooks import Hookable, call_hooks
from statisfactory.pipeline.job import Job

_logger = get_logger("pipeline")


class Pipeline(Hookable):
    """An ordered set of crafts; ``+`` builds a new pipeline, ``+=`` extends this one.

    ``Pipeline("training") + craft`` names it as the original did: a first positional string is
    the name, and a sum keeps the name of its left pipeline.
    """

    def __init__(
        self, *operators: Craft | Pipeline | str, name: str | None = None, tags: Iterable[str] = ()
    ) -> None:
        if operators and isinstance(operators[0], str):
            if name is not None:
                raise PipelineError(
                    f"Pipeline({operators[0]!r}, name={name!r}): give the name once, either "
                    f"first or as name="
                )
            name, operators = operators[0], operators[1:]
        self.name = name
        self.tags: tuple[str, ...] = tuple(tags)
        self._crafts: list[Craft] = []
        self._members: set[int] = set()
        self._plan: Plan | None = None
        for operator in operators:
            self._extend(operator)

    # --- composition --------------------------------------------------------------------------
    @property
    def crafts(self) -> tuple[Craft, ...]:
        """The crafts, in the order they were added (each craft once)."""
        return tuple(self._crafts)

    def __add__(self, other: Craft | Pipeline) -> Pipeline:
        if not isinstance(other, Craft | Pipeline):
            return NotImplemented
        return Pipeline(self, other, name=self.name)

    def __radd__(self, other: Any) -> Pipeline:
        if isinstance(other, int) and other == 0:  # sum([pipeline_a, pipeline_b])
            return Pipeline(self)
        return NotImplemented

    def __iadd__(self, other: Craft | Pipeline) -> Pipeline:
        if not isinstance(other, Craft | Pipeline):
            return NotImplemented
        self._extend(other)
        return self

    def _extend(self, operator: Craft | Pipeline) -> None:
        if isinstance(operator, Pipeline):
            crafts: Iterable[Craft] = operator._crafts
        elif isinstance(operator, Craft):
            crafts = (operator,)
        else:
            raise PipelineError(
                f"{self._label}: cannot add {operator!r}; a pipeline is made of crafts "
                "(functions decorated with @Craft()) and other pipelines"
            )
        for craft in crafts:
            if id(craft) not in self._members:  # a craft shared by two summed pipelines runs once
                self._members.add(id(craft))
                self._crafts.append(craft)
        self._plan = None

    def __len__(self) -> int:
        return len(self._crafts)

    def __iter__(self) -> Iterator[Craft]:
        return iter(self._crafts)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Craft):
            return id(item) in self._members
        return any(item in (craft.name, craft.fqname) for craft in self._crafts)

    # --- the solved order ---------------------------------------------------------------------
    @property
    def plan(self) -> Plan:
        """The solved execution plan; solved once, again only after ``+=``."""
        if self._plan is None:
            self._plan = solve(self._crafts, self._label)
        return self._plan

    @property
    def batches(self) -> list[list[Craft]]:
        """Groups of crafts in execution order; crafts of a group do not depend on each other."""
        plan = self.plan
        return [[plan.crafts[index] for index in batch] for batch in plan.batches]

    @property
    def requires(self) -> tuple[str, ...]:
        """Names read by the pipeline's crafts that no craft of the pipeline produces."""
        produced = set(self.produces)
        names = (name for craft in self._crafts for name in craft.requires)
        return tuple(dict.fromkeys(name for name in names if name not in produced))

    @property
    def produces(self) -> tuple[str, ...]:
        """Names produced by the pipeline's crafts."""
        return tuple(name for craft in self._crafts for name in craft.produces)

    # --- running ------------------------------------------------------------------------------
    def __call__(self, /, **params: Any) -> dict[str, Any]:
        """Run with ``params`` (see :meth:`run`) and the default runner."""
        return self.run(params)

    def run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        runner: Any = None,
        max_workers: int | None = None,
        incremental: bool = False,
        explain: bool = False,
        volatile_cache: bool | None = None,
    ) -> dict[str, Any]:
        """Run every craft once; return the volatiles produced, by name.

        Every key of ``params`` joins each craft's context (it fills ``!{}`` in the craft's
        artifacts and its parameters of that name), except a key equal to a craft's qualified
        or short name: its value, a mapping, goes to that craft only and overrides shared keys.
        ``runner`` is a name ("sequential", "threads", "processes", …) or a Runner instance;
        without it the session's ``runner`` setting applies, else sequential.

        Inside a session the run is recorded in the run history. ``incremental`` skips the
        crafts whose code, parameters and inputs are unchanged since their last run (see
        :mod:`statisfactory.pipeline.incremental`); the volatiles of skipped crafts are then not
        in the returned mapping. ``explain`` prints why each craft will run or be skipped;
        ``volatile_cache`` (default: the ``volatile_cache`` setting) keeps volatiles on disk.
        """
        from statisfactory.pipeline.runners import get_runner

        session = _active_session()
        if runner is None and session is not None:
            runner = _setting(session, "runner")
        chosen = get_runner(runner, max_workers)
        job: Any = None
        recording: Any = contextlib.nullcontext()
        if session is not None or incremental:
            from statisfactory.pipeline.incremental import tracked_job

            job = tracked_job(
                self, params, session, incremental=incremental, volatile_cache=volatile_cache
            )
        if job is None:  # no session, or no run history to keep
            job = Job(self.plan, dict(params or {}), session, self._label)
        else:
            if explain:
                print(job.explain(), flush=True)
            recording = job.recording()

        _logger.info("%s: running %d craft(s) with %r", self._label, len(self._crafts), chosen)
        call_hooks(self.hooks("pre_run"), self)
        try:
            with recording:
                state = chosen.run(job)
        except Exception as error:
            call_hooks(self.hooks("on_error"), self, error=error)
            raise
        call_hooks(self.hooks("post_run"), self)
        return state

    # --- showing ------------------------------------------------------------------------------
    def __str__(self) -> str:
        prefix = f"{self.name}: " if self.name else ""
        if not self._crafts:
            return f"{prefix}(empty pipeline)"
        try:
            batches = self.batches
        except PipelineError as error:
            return f"{prefix}(cannot be solved: {error})"
        labels = _labels(self._crafts)
        parts = [
            labels[id(batch[0])]
            if len(batch) == 1
            else f"[{', '.join(labels[id(c)] for c in batch)}]"
            for batch in batches
        ]
        return prefix + " -> ".join(parts)

    def __repr__(self) -> str:
        return f"Pipeline(name={self.name!r}, crafts={len(self._crafts)}, tags={list(self.tags)})"

    def describe(self) -> str:
        """Several lines: each batch's crafts with what they read and produce."""
        lines = [
            f"Pipeline {self._label}" + (f" (tags: {', '.join(self.tags)})" if self.tags else "")
        ]
        for number, batch in enumerate(self.batches, start=1):
            lines.append(f"  batch {number}:")
            for craft in batch:
                reads = ", ".join(craft.requires) or "-"
                makes = ", ".join(f"{o.name} ({o.kind})" for o in craft.signature.outputs) or "-"
                lines.append(f"    {craft.fqname}: reads {reads}; produces {makes}")
        return "\n".join(lines)

    def mermaid(self) -> str:
        """The DAG as Mermaid flowchart text (no system dependency)."""
        from statisfactory.pipeline.viz import to_mermaid

        return to_mermaid(self)

    def plot(self) -> Any:
        """The DAG as a ``graphviz.Digraph`` (renders inline in notebooks)."""
        from statisfactory.pipeline.viz import to_graphviz

        return to_graphviz(self)

    @property
    def _label(self) -> str:
        return f"Pipeline '{self.name}'" if self.name else "Pipeline"


def _labels(crafts: list[Craft]) -> dict[int, str]:
    """Short names, qualified where two crafts share one."""
    counts: dict[str, int] = {}
    for craft in crafts:
        counts[craft.name] = counts.get(craft.name, 0) + 1
    return {id(c): c.name if counts[c.name] == 1 else c.fqname for c in crafts}


def _active_session() -> Any:
    from statisfactory.session.scope import active_session_or_none

    return active_session_or_none()


def _setting(session: Any, key: str) -> Any:
    settings = getattr(session, "settings", None)
    return settings.get(key) if settings is not None else None
