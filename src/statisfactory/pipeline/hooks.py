"""Lifecycle hooks of crafts and pipelines: every hook point is declared here.

``pre_run``   called as ``hook(target=craft_or_pipeline)`` before it runs;
``post_run``  called as ``hook(target=...)`` after it succeeded;
``on_error``  called as ``hook(target=..., error=exception)`` when it failed, before the error
              propagates.
``on_skip``   called as ``hook(target=craft, reason=text)`` when an incremental run skips a
              craft (its pre/post-run hooks are then not called).

Hooks registered on a class run for that class and its subclasses, base-class hooks first.
In a pipeline run they are called through the run's hook plugins
(:mod:`statisfactory.pipeline.class_hooks`, see :mod:`statisfactory.hookspecs`); a craft called
alone calls its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from statisfactory.errors import HookError

HOOK_POINTS = ("pre_run", "post_run", "on_error", "on_skip")
Hook = Callable[..., Any]


class Hookable:
    """Give a class the three ``hook_*`` registration decorators."""

    _own_hooks: ClassVar[dict[str, list[Hook]]] = {point: [] for point in HOOK_POINTS}
    _generation: ClassVar[list[int]] = [0]  # shared: bumped by any registration, anywhere
    _cache: ClassVar[tuple[int, dict[str, tuple[Hook, ...]]]] = (-1, {})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_hooks = {point: [] for point in HOOK_POINTS}
        cls._cache = (-1, {})

    @classmethod
    def hook_pre_run(cls, last: bool = True) -> Callable[[Hook], Hook]:
        """Register ``hook(target=...)`` to run before each run; ``last=False`` puts it first."""
        return cls._register("pre_run", last)

    @classmethod
    def hook_post_run(cls, last: bool = True) -> Callable[[Hook], Hook]:
        """Register ``hook(target=...)`` to run after each successful run."""
        return cls._register("post_run", last)

    @classmethod
    def hook_on_error(cls, last: bool = True) -> Callable[[Hook], Hook]:
        """Register ``hook(target=..., error=...)``, run when a run fails, before it propagates."""
        return cls._register("on_error", last)

    @classmethod
    def hook_on_skip(cls, last: bool = True) -> Callable[[Hook], Hook]:
        """Register ``hook(target=..., reason=...)``, run when an incremental run skips a craft."""
        return cls._register("on_skip", last)

    @classmethod
    def discard_hook(cls, hook: Hook) -> None:
        """Unregister ``hook`` from this class, at every point (a no-op if it is not there)."""
        for hooks in cls._own_hooks.values():
            while hook in hooks:
                hooks.remove(hook)
        Hookable._generation[0] += 1

    @classmethod
    def _register(cls, point: str, last: bool) -> Callable[[Hook], Hook]:
        def register(hook: Hook) -> Hook:
            hooks = cls._own_hooks[point]
            if last:
                hooks.append(hook)
            else:
                hooks.insert(0, hook)
            Hookable._generation[0] += 1
            return hook

        return register

    @classmethod
    def hooks(cls, point: str) -> tuple[Hook, ...]:
        """The hooks that run for an instance of ``cls`` at ``point``, in order."""
        generation, hooks = cls._cache
        if generation != Hookable._generation[0]:
            hooks = {
                p: tuple(
                    hook
                    for klass in reversed(cls.__mro__)
                    if issubclass(klass, Hookable) and klass is not Hookable
                    for hook in klass.__dict__.get("_own_hooks", {}).get(p, ())
                )
                for p in HOOK_POINTS
            }
            cls._cache = (Hookable._generation[0], hooks)
        return hooks[point]


def call_hooks(hooks: tuple[Hook, ...], target: Any, **arguments: Any) -> None:
    """Call each hook with ``target=`` (and ``error=``); a failing hook is a :class:`HookError`."""
    for hook in hooks:
        try:
            hook(target=target, **arguments)
        except Exception as error:
            name = getattr(hook, "__qualname__", repr(hook))
            raise HookError(
                f"Hook '{name}' failed on {target!r}: {type(error).__name__}: {error}. "
                "Fix the hook; it is called as hook(target=...) (and error=... for on_error)."
            ) from error
