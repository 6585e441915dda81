"""A pipeline: crafts summed together, run in the order their data dependencies impose.

>>> pipeline = keep_coefficients + fit + simulate
>>> print(pipeline)
simulate -> fit -> keep_coefficients
>>> with session:
...     state = pipeline(n_samples=100, fit={"fit_intercept": False})
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PipelineError
from statisfactory.logger import get_logger
from statisfactory.pipeline import dag
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.dag import Plan, solve
from statisfactory.pipeline.hooks import Hookable
from statisfactory.project.settings import flag
from statisfactory.scope import active_session_or_none

if TYPE_CHECKING:
    from statisfactory.pipeline.job import Job
    from statisfactory.pipeline.run import Run, RunResult
    from statisfactory.pipeline.sweep import SweepResult
    from statisfactory.plugins.relay import HookRelay

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
        self._inherited: dict[int, tuple[str, ...]] = {}  # craft id -> tags of sub-pipelines
        self._cut: dict[str, str] = {}  # artifact -> producer left out by a slice
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

    def _extend(self, operator: object) -> None:  # anything else is refused: a str after the first
        if isinstance(operator, Pipeline):
            crafts: Iterable[Craft] = operator._crafts
            for craft in crafts:  # a sub-pipeline's tags are its crafts' tags too
                inherited = self._inherited.get(id(craft), ())
                tags = (*inherited, *operator.tags_of(craft), *operator.tags)
                self._inherited[id(craft)] = tuple(dict.fromkeys(tags))
            self._cut.update(operator._cut)
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

    def tags_of(self, craft: Craft) -> tuple[str, ...]:
        """The craft's own tags, then those of the sub-pipelines that brought it in. This
        pipeline's own tags describe the pipeline (``pipelines ls``), not each of its crafts."""
        tags = (*craft.tags, *self._inherited.get(id(craft), ()))
        return tuple(dict.fromkeys(tags))

    # --- slicing ------------------------------------------------------------------------------
    def only(self, *crafts: str) -> Pipeline:
        """The named crafts (short or qualified names) alone."""
        return self.slice(crafts=crafts)

    def downstream_of(self, *crafts: str) -> Pipeline:
        """The named crafts and every craft depending on them."""
        return self.slice(from_=crafts)

    def upstream_of(self, *names: str) -> Pipeline:
        """The named crafts (or the producers of the named artifacts and volatiles) and every
        craft they depend on."""
        return self.slice(to=names)

    def filter(self, tags: Iterable[str]) -> Pipeline:
        """The crafts carrying at least one of ``tags`` (see :meth:`tags_of`)."""
        return self.slice(tags=tags)

    def slice(
        self,
        *,
        crafts: Iterable[str] | None = None,
        from_: Iterable[str] | None = None,
        to: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
    ) -> Pipeline:
        """The crafts every given criterion selects, as a pipeline of the same name.

        The artifacts its crafts load from crafts left out are loaded from the catalog (a run
        checks first that they are stored); needing a volatile from a craft left out is a
        PipelineError.
        """
        plan, label = self.plan, self._label
        kept = set(range(len(plan.crafts)))
        if crafts is not None:
            kept &= {dag.find_craft(plan, name, label) for name in _listed(crafts, "crafts")}
        if from_ is not None:
            starts = [dag.find_craft(plan, name, label) for name in _listed(from_, "from_")]
            kept &= dag.downstream(plan, starts)
        if to is not None:
            ends = [dag.find_craft(plan, name, label, artifacts=True) for name in _listed(to, "to")]
            kept &= dag.upstream(plan, ends)
        if tags is not None:
            wanted = set(_listed(tags, "tags"))
            kept &= {i for i, craft in enumerate(plan.crafts) if wanted & set(self.tags_of(craft))}
        if not kept:
            known = sorted({tag for craft in plan.crafts for tag in self.tags_of(craft)})
            raise PipelineError(
                f"{label}: the selection leaves no craft to run; check the names and tags "
                f"(its crafts' tags: {', '.join(known) or 'none'})"
            )
        cut = dag.cut_artifacts(plan, kept, label)
        sliced = Pipeline(name=self.name, tags=self.tags)
        position = {id(craft): index for index, craft in enumerate(plan.crafts)}
        for craft in self._crafts:
            if position[id(craft)] in kept:
                sliced._extend(craft)
                sliced._inherited[id(craft)] = self._inherited.get(id(craft), ())
        sliced._cut = {**self._cut, **cut}
        return sliced

    @property
    def cut_artifacts(self) -> dict[str, str]:
        """Artifacts its crafts load whose producer a slice left out, with that producer."""
        produced = set(self.produces)
        return {name: p for name, p in self._cut.items() if name not in produced}

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
    def __call__(self, /, **params: Any) -> RunResult:
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
        configuration: str | None = None,
        plugins: Iterable[Any] = (),
        strict: bool | None = None,
        dry_run: bool = False,
    ) -> RunResult:
        """Run every craft once; return the volatiles produced, by name, as a
        :class:`~statisfactory.pipeline.run.RunResult` (also ``run_id``, ``statuses``,
        ``written``).

        Every key of ``params`` joins each craft's context (it fills ``!{}`` in the craft's
        artifacts and its parameters of that name), except a key equal to a craft's qualified
        or short name: its value, a mapping, goes to that craft only and overrides shared keys.
        ``runner`` is a name ("sequential", "threads", "processes", …) or a Runner instance;
        without it the session's ``runner`` setting applies, else sequential.

        Inside a session the run is recorded in the run history, labelled with
        ``configuration`` (the name of the parameter set, if any). ``incremental`` skips the
        crafts whose code, parameters and inputs are unchanged since their last run (see
        :mod:`statisfactory.history.incremental`); the volatiles of skipped crafts are then not
        in the returned mapping. ``explain`` prints why each craft will run or be skipped;
        ``volatile_cache`` (default: the ``volatile_cache`` setting) keeps volatiles on disk.
        ``plugins`` are hook plugins for this run only (see :mod:`statisfactory.hookspecs`).
        A parameter nothing uses is a warning, an error when ``strict`` (default: the
        ``strict_parameters`` setting); the keys of parameter set ``configuration`` are not
        checked, as a set may serve several pipelines.
        ``dry_run`` checks everything a run checks first (and explains, with ``explain``), then
        returns an empty result: no craft runs and nothing is recorded.
        """
        from statisfactory.collector import heap_frozen

        with heap_frozen():
            return self._run(
                params,
                runner,
                max_workers,
                incremental,
                explain,
                volatile_cache,
                configuration,
                plugins,
                strict,
                dry_run,
            )

    def _run(
        self,
        params: Mapping[str, Any] | None,
        runner: Any,
        max_workers: int | None,
        incremental: bool,
        explain: bool,
        volatile_cache: bool | None,
        configuration: str | None,
        plugins: Iterable[Any],
        strict: bool | None,
        dry_run: bool,
    ) -> RunResult:
        import time

        from statisfactory.pipeline.run import RunResult, RunStatus

        chosen = self._runner(runner, max_workers)
        if not dry_run:
            chosen.start_early(self.plan.crafts, active_session_or_none())
        job = self._job(
            params, incremental, explain, volatile_cache, configuration, plugins, strict
        )
        run, hooks = job.run, job.hooks
        if dry_run:
            return RunResult(run, {})

        _logger.info("%s: running %d craft(s) with %r", self._label, len(self._crafts), chosen)
        run.started = time.time()
        try:
            if hooks.before_run is not None:
                hooks.before_run(run)
            state = chosen.run(job)
        except BaseException as error:
            interrupted = isinstance(error, KeyboardInterrupt)
            run.status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
            run.ended = time.time()
            if hooks.on_run_error is not None:
                hooks.on_run_error(run, error)
            raise
        run.status, run.ended = RunStatus.SUCCEEDED, time.time()
        result = RunResult(run, state)
        if hooks.after_run is not None:
            hooks.after_run(run, result)
        return result

    def sweep(
        self,
        members: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        runner: Any = None,
        max_workers: int | None = None,
        incremental: bool = False,
        explain: bool = False,
        volatile_cache: bool | None = None,
        plugins: Iterable[Any] = (),
        strict: bool | None = None,
        dry_run: bool = False,
    ) -> SweepResult:
        """Run the pipeline once per member ``(name, params)`` as one graph on the runner: a
        craft whose code, parameters and inputs are the same for several members runs once,
        for all of them; each member is its own run in the history (its configuration: the
        member's name), under one sweep id. A failing member does not stop the others. See
        :mod:`statisfactory.pipeline.sweep`; the options are :meth:`run`'s (``dry_run``: the
        result's ``crafts_run`` is how many crafts would run)."""
        from statisfactory.pipeline.run import new_run_id
        from statisfactory.pipeline.sweep import run_sweep

        chosen = self._runner(runner, max_workers)
        if not dry_run:
            chosen.start_early(self.plan.crafts, active_session_or_none())
        sweep_id = f"sweep-{new_run_id()}"
        jobs = [
            (
                name,
                self._job(
                    params, incremental, explain, volatile_cache, name, plugins, strict, sweep_id
                ),
            )
            for name, params in members
        ]
        return run_sweep(sweep_id, jobs, chosen, self._label, dry_run=dry_run)

    def _runner(self, runner: Any, max_workers: int | None) -> Any:
        """The runner a run uses: the one given, else the session's ``runner`` setting."""
        from statisfactory.pipeline.runners import get_runner

        session = active_session_or_none()
        if runner is None and session is not None:
            runner = _setting(session, "runner")
        return get_runner(runner, max_workers)

    def _job(
        self,
        params: Mapping[str, Any] | None,
        incremental: bool,
        explain: bool,
        volatile_cache: bool | None,
        configuration: str | None,
        plugins: Iterable[Any],
        strict: bool | None,
        sweep_id: str | None = None,
    ) -> Job:
        """A run of the pipeline, checked (parameters, artifacts) and with its hooks."""
        from statisfactory.pipeline.job import Job
        from statisfactory.pipeline.run import Run

        session = active_session_or_none()
        plan = self.plan
        if incremental and session is None:
            raise PipelineError(
                f"{self._label}: an incremental run compares with the project's run history, "
                "so it needs a session: run it inside `with session:`"
            )
        uses_catalog = session is not None and any(map(_USES_CATALOG, plan.crafts))
        run = Run(
            self,
            plan,
            dict(params or {}),
            session=session,
            catalog=session.catalog if session is not None and uses_catalog else None,
            configuration=configuration,
            incremental=incremental,
            strict=flag(getattr(session, "settings", None), "strict_parameters", default=False)
            if strict is None
            else strict,
        )
        run.sweep_id = sweep_id
        job = Job(run)  # checks parameters and artifacts before anything runs
        job.hooks = run.hooks = _run_hooks(run, list(plugins), volatile_cache, explain)
        return job

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


def _listed(names: Iterable[str], what: str) -> list[str]:
    given = [names] if isinstance(names, str) else list(names)
    listed = [name for name in given if isinstance(name, str) and name]
    if not listed or len(listed) != len(given):
        raise PipelineError(f"{what}: give one or more non-empty names, got {names!r}")
    return listed


def _labels(crafts: list[Craft]) -> dict[int, str]:
    """Short names, qualified where two crafts share one."""
    counts: dict[str, int] = {}
    for craft in crafts:
        counts[craft.name] = counts.get(craft.name, 0) + 1
    return {id(c): c.name if counts[c.name] == 1 else c.fqname for c in crafts}


_USES_CATALOG = attrgetter("uses_catalog")


def _run_hooks(
    run: Run, plugins: list[Any], volatile_cache: bool | None, explain: bool
) -> HookRelay:
    """The run's hooks: the session's plugins, then the run's own (run history, incremental
    policy, the class-wide hooks of the original API, ``plugins``)."""
    from statisfactory.pipeline.class_hooks import class_hooks_for
    from statisfactory.plugins.relay import NO_HOOKS, HookRelay

    own: list[tuple[str, Any]] = []
    added_by_session = getattr(run.session, "run_plugins", None)  # its run history
    if added_by_session is not None:
        own.extend(added_by_session(run, volatile_cache=volatile_cache, explain=explain))
    adapter = class_hooks_for(run)
    if adapter is not None:
        own.append(("class-hooks", adapter))
    for plugin in plugins:
        own.append((_plugin_name(plugin, [name for name, _ in own]), plugin))
    from statisfactory.plugins.manager import bound_implementations

    session_plugins = getattr(run.session, "plugins", None)
    found = []
    if session_plugins is not None:
        found = bound_implementations(session_plugins.list_name_plugin(), "plugin of the session")
    found.extend(bound_implementations(own, "plugin of the run"))
    return HookRelay(found, run) if found else NO_HOOKS


def _plugin_name(plugin: Any, taken: list[str]) -> str:
    """The plugin's class (or module) name; numbered when two instances of a class are given."""
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    count = sum(1 for other in taken if other == name or other.startswith(f"{name}#"))
    return f"{name}#{count + 1}" if count else name


def _setting(session: Any, key: str) -> Any:
    settings = getattr(session, "settings", None)
    return settings.get(key) if settings is not None else None
