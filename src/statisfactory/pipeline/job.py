"""One run of a solved pipeline: what each craft receives, the volatiles produced so far,
and the hooks to call around each craft.

Everything that can be checked is checked when the job is built, before any craft runs:
namespaced parameters, missing parameters, the session and the catalog's artifacts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statisfactory.errors import DynamicValueError, NoActiveSessionError, PipelineError
from statisfactory.logger import get_logger
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.dag import Plan
from statisfactory.pipeline.hooks import call_hooks

_logger = get_logger("pipeline")


class CraftCall:
    """A craft with everything it needs to run once; calling it returns the volatiles it keeps.

    It is what runners hand to their executor; it pickles when its values do.
    """

    __slots__ = ("arguments", "context", "craft", "volatiles")

    def __init__(self, craft: Craft, context: Mapping, arguments: Mapping, volatiles: Mapping):
        self.craft = craft
        self.context = context
        self.arguments = arguments
        self.volatiles = volatiles

    def __call__(self) -> dict[str, Any]:
        return self.craft.execute(self.context, self.arguments, self.volatiles)[1]

    def __reduce__(self) -> tuple:
        return CraftCall, (self.craft, self.context, self.arguments, self.volatiles)


class Skipped:
    """What ``start`` gives for a craft an incremental run skips: nothing to submit."""

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


class Job:
    """The per-run state a runner drives: ``start(i)``, then ``finish(i, kept)`` or ``fail``.

    ``start`` gives the call to execute; a subclass may give :class:`Skipped` or
    :class:`Waiting` instead (see :class:`~statisfactory.pipeline.incremental.TrackedJob`).
    """

    def __init__(self, plan: Plan, params: Mapping[str, Any], session: Any, name: str) -> None:
        self.plan = plan
        self.session = session
        self.name = name
        self.state: dict[str, Any] = {}
        crafts = plan.crafts
        per_craft = _per_craft(crafts, params, name)
        prepared = [craft.prepare(p) for craft, p in zip(crafts, per_craft, strict=True)]
        self.contexts = [context for context, _ in prepared]
        self.arguments = [arguments for _, arguments in prepared]
        hooks = {kind: kind.hooks for kind in {type(craft) for craft in crafts}}
        self._pre = [hooks[type(craft)]("pre_run") for craft in crafts]
        self._post = [hooks[type(craft)]("post_run") for craft in crafts]
        self._debug = _logger.isEnabledFor(10)
        self._check_catalog()

    def start(self, index: int) -> CraftCall:
        """Run the craft's pre-run hooks and return the call to execute."""
        craft = self.plan.crafts[index]
        if self._pre[index]:
            call_hooks(self._pre[index], craft)
        if self._debug:
            _logger.debug("%s: starting craft %s", self.name, craft.fqname)
        state = self.state
        volatiles = {name: state[name] for name in self.plan.inputs[index]}
        return CraftCall(craft, self.contexts[index], self.arguments[index], volatiles)

    def finish(self, index: int, kept: Mapping[str, Any]) -> tuple[int, ...]:
        """Record the craft's volatiles, run its post-run hooks; return the crafts it unblocks."""
        self.state.update(kept)
        if self._post[index]:
            call_hooks(self._post[index], self.plan.crafts[index])
        if self._debug:
            _logger.debug("%s: finished craft %s", self.name, self.plan.crafts[index].fqname)
        return self.plan.dependents[index]

    def fail(self, index: int, error: Exception) -> Exception:
        """Run the craft's on-error hooks; return the error to raise, naming the craft."""
        return self.plan.crafts[index].failure(error)

    def _check_catalog(self) -> None:
        users = [craft for craft in self.plan.crafts if craft.uses_catalog]
        if not users:
            return
        if self.session is None:
            names = ", ".join(craft.fqname for craft in users[:3])
            raise NoActiveSessionError(
                f"{self.name}: crafts {names} load or save artifacts, so the pipeline needs a "
                "session: run it inside `with session:`"
            )
        catalog = self.session.catalog
        for craft in users:
            craft.check_declared(catalog, where=f"{self.name}: ")
        # A run parameter that would move an artifact elsewhere stops the run before it starts.
        for craft, context in zip(self.plan.crafts, self.contexts, strict=True):
            for name in craft.artifact_names() if craft.uses_catalog else ():
                try:
                    catalog.check_context(name, **context)
                except DynamicValueError as error:
                    raise DynamicValueError(
                        f"{self.name}: Craft '{craft.fqname}' uses {error}"
                    ) from error


def _per_craft(
    crafts: tuple[Craft, ...], params: Mapping[str, Any], pipeline: str
) -> list[Mapping[str, Any]]:
    """Each craft's parameters: shared keys, overridden by the keys namespaced to that craft.

    A key equal to a craft's fully qualified or short name is namespaced and must be a mapping.
    """
    by_name: dict[str, list[int]] = {}
    for index, craft in enumerate(crafts):
        by_name.setdefault(craft.fqname, []).append(index)
        if craft.name != craft.fqname:
            by_name.setdefault(craft.name, []).append(index)
    shared = {key: value for key, value in params.items() if key not in by_name}
    if len(shared) == len(params):
        return [shared] * len(crafts)  # nothing namespaced: every craft shares one mapping

    specific: dict[int, list[tuple[int, Mapping]]] = {}
    for key, value in params.items():
        targets = by_name.get(key)
        if targets is None:
            continue
        if len(targets) > 1 and key == crafts[targets[0]].name:
            names = ", ".join(crafts[i].fqname for i in targets)
            raise PipelineError(
                f"{pipeline}: parameter '{key}' names several crafts ({names}): use the fully "
                "qualified name"
            )
        if not isinstance(value, Mapping):
            raise PipelineError(
                f"{pipeline}: parameter '{key}' names craft '{crafts[targets[0]].fqname}', so its "
                f"value must be a mapping of that craft's parameters (e.g. {key}={{'alpha': 1}}),"
                f" got {type(value).__name__}"
            )
        for index in targets:
            rank = 1 if key == crafts[index].fqname else 0  # the qualified name wins
            specific.setdefault(index, []).append((rank, value))
    merged = []
    for index in range(len(crafts)):
        overrides = sorted(specific.get(index, ()), key=lambda item: item[0])
        if not overrides:
            merged.append(shared)
            continue
        params_for_craft = dict(shared)
        for _, value in overrides:
            params_for_craft.update(value)
        merged.append(params_for_craft)
    return merged
