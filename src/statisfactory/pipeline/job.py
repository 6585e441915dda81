"""One run of a solved pipeline, as its runner drives it: what each craft receives, and the
run's hooks around each craft.

Everything that can be checked is checked when the job is built, before any craft runs:
namespaced parameters, missing parameters, the catalog's artifacts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statisfactory.errors import (
    ArtifactNotFoundError,
    DynamicValueError,
    HookError,
    MissingVariableError,
    NoActiveSessionError,
    PipelineError,
    StatisfactoryError,
)
from statisfactory.logger import get_logger
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.craft_params import check_unused, per_craft
from statisfactory.pipeline.run import CraftStatus, Run
from statisfactory.secrets import of_session

if TYPE_CHECKING:
    from statisfactory.IO.catalog import Catalog
    from statisfactory.plugins.relay import HookRelay

_logger = get_logger("pipeline")
_RUNNING, _DONE, _SKIPPED = CraftStatus.RUNNING, CraftStatus.DONE, CraftStatus.SKIPPED


@dataclass(frozen=True, slots=True)
class Skip:
    """What a ``decide_craft`` hook returns to skip a craft."""

    reason: str


@dataclass(frozen=True, slots=True)
class RunFirst:
    """What a ``decide_craft`` hook returns to have skipped crafts run again first:
    ``producers`` maps each one's index to the volatile needed from it."""

    producers: Mapping[int, str]


class CraftCall:
    """A craft with everything it needs to run once; calling it returns the volatiles it keeps.

    It is what runners hand to their executor. The catalog and the hooks go with it in this
    process; a worker process or a Dask worker runs it with the ones of the session it rebuilt.
    """

    __slots__ = ("arguments", "catalog", "context", "craft", "hooks", "volatiles")

    def __init__(
        self,
        craft: Craft,
        context: Mapping[str, Any],
        arguments: Mapping[str, Any],
        volatiles: Mapping[str, Any],
        catalog: Catalog | None = None,
        hooks: HookRelay | None = None,
    ) -> None:
        self.craft = craft
        self.context = context
        self.arguments = arguments
        self.volatiles = volatiles
        self.catalog = catalog
        self.hooks = hooks

    def __call__(self) -> dict[str, Any]:
        return self.craft.execute(
            self.context, self.arguments, self.volatiles, catalog=self.catalog, hooks=self.hooks
        )[1]

    def __reduce__(self) -> tuple:  # the receiving process uses its own catalog and hooks
        return CraftCall, (self.craft, self.context, self.arguments, self.volatiles)


class Skipped:
    """What ``start`` gives for a skipped craft: nothing to submit."""

    __slots__ = ()

    def __call__(self) -> dict[str, Any]:
        return {}


class Waiting:
    """What ``start`` gives for a craft that cannot start yet: ``count`` crafts must finish
    first (their ``finish`` then names it), of which ``start`` are to be started now."""

    __slots__ = ("count", "start")

    def __init__(self, count: int, start: tuple[int, ...]) -> None:
        self.count = count
        self.start = start


_SKIPPED_CALL = Skipped()


class Job:
    """The per-run state a runner drives: ``start(i)``, then ``finish(i, kept)`` or ``fail``.

    ``start`` gives the call to execute, :class:`Skipped` or :class:`Waiting`, as the run's
    ``decide_craft`` hooks say.
    """

    def __init__(self, run: Run, hooks: HookRelay | None = None) -> None:
        from statisfactory.plugins.relay import NO_HOOKS

        self.run = run
        self.plan = plan = run.plan
        self.session = run.session
        self.catalog = run.catalog
        self.name = run.name
        self.state = run.state
        self.hooks = hooks or NO_HOOKS
        crafts = plan.crafts
        self._check_parameters()
        params = per_craft(crafts, run.params, self.name)
        prepared = [craft.prepare(p) for craft, p in zip(crafts, params, strict=True)]
        run.contexts = self.contexts = [context for context, _ in prepared]
        run.arguments = self.arguments = [arguments for _, arguments in prepared]
        self._requesters: dict[int, list[int]] = {}  # a skipped craft -> crafts it runs for
        self._debug = _logger.isEnabledFor(10)
        self._check_catalog()

    def start(self, index: int) -> CraftCall | Skipped | Waiting:
        """Ask the ``decide_craft`` hooks, run the ``before_craft`` ones; return the call."""
        craft = self.plan.crafts[index]
        run, hooks = self.run, self.hooks
        if hooks.decide_craft is not None:
            verdict = hooks.decide_craft(run, craft, index)
            if verdict is not None:
                waiting = self._decided(index, craft, verdict)
                if waiting is not None:
                    return waiting
        run.statuses[index] = _RUNNING
        context = self.contexts[index]
        if hooks.before_craft is not None:
            hooks.before_craft(run, craft, index, context)
        if self._debug:
            _logger.debug("%s: starting craft %s", self.name, craft.fqname)
        state = self.state
        volatiles = {name: state[name] for name in self.plan.inputs[index]}
        return CraftCall(craft, context, self.arguments[index], volatiles, self.catalog, hooks)

    def finish(self, index: int, kept: Mapping[str, Any]) -> tuple[int, ...]:
        """Keep the craft's volatiles, run the ``after_craft`` hooks; return the crafts it
        unblocks."""
        run = self.run
        if run.statuses[index] is _SKIPPED:
            return self.plan.dependents[index]
        self.state.update(kept)
        run.statuses[index] = _DONE
        if self.hooks.after_craft is not None:
            self.hooks.after_craft(run, self.plan.crafts[index], index, kept)
        if self._debug:
            _logger.debug("%s: finished craft %s", self.name, self.plan.crafts[index].fqname)
        requesters = self._requesters.pop(index, None)  # it ran again for them only
        return self.plan.dependents[index] if requesters is None else tuple(requesters)

    def share(self, index: int, kept: Mapping[str, Any], source: str) -> tuple[int, ...]:
        """The craft ran in run ``source`` (of the same sweep) with the same code, parameters
        and inputs: take its volatiles as this run's, with this run's hooks around them."""
        run = self.run
        run.shared[index] = source
        run.statuses[index] = _RUNNING
        if self.hooks.before_craft is not None:
            self.hooks.before_craft(run, self.plan.crafts[index], index, self.contexts[index])
        return self.finish(index, kept)

    def skip_shared(self, index: int, source: str) -> None:
        """The craft was skipped in run ``source`` (of the same sweep), for this run too."""
        self._decided(index, self.plan.crafts[index], Skip(f"skipped with run {source}"))

    def fail(self, index: int, error: Exception) -> Exception:
        """Run the ``on_craft_error`` hooks; return the error to raise, naming the craft."""
        craft = self.plan.crafts[index]
        self.run.statuses[index] = CraftStatus.FAILED
        if self.hooks.on_craft_error is not None:
            self.hooks.on_craft_error(self.run, craft, index, error)
        return craft.error_for(error)

    def idle(self) -> bool:
        """Do some deferred work while the runner waits for running crafts; True while more is
        left. A run's own job defers nothing (a sweep's does: its members' shares)."""
        return False

    # --- what decide_craft said -----------------------------------------------------------------
    def _decided(self, index: int, craft: Craft, verdict: Any) -> Skipped | Waiting | None:
        if isinstance(verdict, Skip):
            self.run.statuses[index] = _SKIPPED
            if self._debug:
                _logger.debug("%s: skipping %s: %s", self.name, craft.fqname, verdict.reason)
            if self.hooks.on_craft_skip is not None:
                self.hooks.on_craft_skip(self.run, craft, index, verdict.reason)
            return _SKIPPED_CALL
        if isinstance(verdict, RunFirst):
            return self._run_first(index, verdict.producers)
        raise HookError(
            f"{self.name}: a decide_craft hook returned {verdict!r} for craft "
            f"'{craft.fqname}': return None, Skip(reason) or RunFirst(producers) "
            "(statisfactory.pipeline.job)"
        )

    def _run_first(self, index: int, producers: Mapping[int, str]) -> Waiting | None:
        """Skipped producers run again, through the runner, before the craft."""
        if not producers:
            return None
        start = []
        statuses = self.run.statuses
        for producer in producers:
            self._requesters.setdefault(producer, []).append(index)
            if statuses[producer] is _SKIPPED:  # else already asked for by another craft
                statuses[producer] = CraftStatus.WAITING
                start.append(producer)
        return Waiting(len(producers), tuple(start))

    def _check_parameters(self) -> None:
        """A misspelt craft's mapping is refused, another unused parameter warned of."""
        run = self.run
        if not run.params:  # nothing to check (and the catalog's variables are not needed)
            return
        check_unused(
            self.plan.crafts,
            run.params,
            self._variables(),
            self.name,
            strict=run.strict,
            exempt=_set_keys(self.session, run.configuration),
        )

    def _variables(self) -> set[str]:
        """The ``!{}`` variables of the declared artifacts the crafts load or save."""
        found: set[str] = set()
        if self.catalog is None:
            return found
        names = {
            n for craft in self.plan.crafts if craft.uses_catalog for n in craft.artifact_names()
        }
        for name in names:  # crafts share artifacts (a source read by many): each one once
            try:
                found |= self.catalog.variables(name)
            except ArtifactNotFoundError:
                continue  # reported by _check_catalog
        return found

    def _check_catalog(self) -> None:
        users = [craft for craft in self.plan.crafts if craft.uses_catalog]
        if not users:
            return
        if self.catalog is None:
            names = ", ".join(craft.fqname for craft in users[:3])
            raise NoActiveSessionError(
                f"{self.name}: crafts {names} load or save artifacts, so the pipeline needs a "
                "session: run it inside `with session:`"
            )
        for craft in users:
            craft.check_declared(self.catalog, where=f"{self.name}: ")
        # A run parameter that would move an artifact elsewhere stops the run before it starts.
        for craft, context in zip(self.plan.crafts, self.contexts, strict=True):
            for name in craft.artifact_names() if craft.uses_catalog else ():
                try:
                    self.catalog.check_context(name, **context)
                except (DynamicValueError, MissingVariableError) as error:
                    raise type(error)(
                        f"{self.name}: Craft '{craft.fqname}' uses {error}", craft=craft.fqname
                    ) from error
        self._check_cut_artifacts()

    def _check_cut_artifacts(self) -> None:
        """A slice loads what crafts left out produce: it must be stored already."""
        cut = getattr(self.run.pipeline, "cut_artifacts", {})
        catalog = self.catalog
        if not cut or catalog is None:
            return
        for craft, context in zip(self.plan.crafts, self.contexts, strict=True):
            for _, name in craft.signature.artifacts:
                if name in cut and not catalog.exists(name, **context):
                    where = of_session(self.session, context).mask(catalog.locate(name, **context))
                    raise PipelineError(
                        f"{self.name}: craft '{craft.fqname}' loads artifact '{name}', "
                        f"which craft '{cut[name]}' (left out of the selection) produces, "
                        f"but nothing is stored at {where}: run '{cut[name]}' first, or "
                        "include it in the selection",
                        craft=craft.fqname,
                        artifact=name,
                    )


def _set_keys(session: Any, configuration: str | None) -> frozenset[str]:
    """The keys of parameter set ``configuration``: a set may serve several pipelines."""
    if session is None or configuration is None:
        return frozenset()
    try:
        return frozenset(session.parameters[configuration])
    except (KeyError, StatisfactoryError):  # a label that is no set (or a broken one)
        return frozenset()


def problems(crafts: tuple[Craft, ...], catalog: Any, name: str) -> list[str]:
    """What a run of ``crafts`` would refuse before starting, as far as no parameters are
    known: undeclared artifacts, and ``!{}`` variables that no craft default provides (so the
    run must pass them)."""
    found: list[str] = []
    if catalog is None:
        return found
    for craft in crafts:
        if not craft.uses_catalog:
            continue
        try:
            craft.check_declared(catalog, where=f"{name}: ")
        except StatisfactoryError as error:
            found.append(str(error))
            continue
        defaults = {parameter for parameter, _ in craft.signature.keywords}
        for artifact in craft.artifact_names():
            missing = sorted(catalog.variables(artifact) - defaults)
            if missing:
                found.append(
                    f"{name}: Craft '{craft.fqname}' uses artifact '{artifact}', whose "
                    f"!{{}} needs {', '.join(missing)}: pass them to the run (--param or the "
                    "parameter set)"
                )
    return found
