"""The original API's class-wide hooks (``@Craft.hook_pre_run()``, ``@Pipeline.hook_on_error()``
…) as one plugin of the run, registered only when such hooks exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statisfactory.hookspecs import hookimpl
from statisfactory.pipeline.hooks import HOOK_POINTS, Hookable, call_hooks

if TYPE_CHECKING:
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run


def class_hooks_for(run: Run) -> ClassHooks | None:
    """The adapter when the pipeline's class or a craft's class has hooks, else None."""
    kinds: set[type[Hookable]] = {type(run.pipeline), *map(type, run.plan.crafts)}
    if any(kind.hooks(point) for kind in kinds for point in HOOK_POINTS):
        return ClassHooks()
    return None


class ClassHooks:
    """Calls each class's hooks as ``hook(target=...)`` (and ``error=``, ``reason=``)."""

    @hookimpl
    def before_run(self, run: Run) -> None:
        _call(run.pipeline, "pre_run")

    @hookimpl
    def after_run(self, run: Run) -> None:
        _call(run.pipeline, "post_run")

    @hookimpl
    def on_run_error(self, run: Run, error: BaseException) -> None:
        _call(run.pipeline, "on_error", error=error)

    @hookimpl
    def before_craft(self, craft: Craft) -> None:
        _call(craft, "pre_run")

    @hookimpl
    def after_craft(self, craft: Craft) -> None:
        _call(craft, "post_run")

    @hookimpl
    def on_craft_error(self, craft: Craft, error: BaseException) -> None:
        _call(craft, "on_error", error=error)

    @hookimpl
    def on_craft_skip(self, craft: Craft, reason: str) -> None:
        _call(craft, "on_skip", reason=reason)


def _call(target: Any, point: str, **arguments: Any) -> None:
    hooks = type(target).hooks(point)
    if hooks:
        call_hooks(hooks, target, **arguments)
