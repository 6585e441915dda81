"""A run's hooks, each as one precomputed caller (or None when no plugin implements it).

Calling a hook through pluggy costs microseconds, which a run of 10,000 small crafts would feel
three times per craft, and so would registering a run's plugins with pluggy for every run. Each
plugin class is validated by pluggy once (:func:`~statisfactory.plugins.manager.implementations`);
the relay then calls the implementations directly, in pluggy's order, with the arguments each
takes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.errors import HookError
from statisfactory.hookspecs import HOOK_NAMES
from statisfactory.logger import get_logger
from statisfactory.plugins.manager import Implementation, bound_implementations

if TYPE_CHECKING:
    from statisfactory.IO.artifact import Artifact
    from statisfactory.IO.catalog import Catalog
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run, RunResult
    from statisfactory.session.base_session import BaseSession

    _Context = Mapping[str, Any]

Caller = Callable[..., Any]
# Hooks whose failures are logged, so that the failure they report stays the one raised.
_LOGGED = frozenset({"on_craft_error", "on_run_error"})
_logger = get_logger("plugins")


def _spec_arguments() -> dict[str, tuple[str, ...]]:
    from statisfactory import hookspecs

    return {
        name: tuple(inspect.signature(getattr(hookspecs, name)).parameters) for name in HOOK_NAMES
    }


_ARGUMENTS = _spec_arguments()
_FIRST_RESULT = frozenset({"decide_craft"})


class HookRelay:
    """The hooks of one run: ``relay.before_craft(run, craft, index, context)`` etc., with the
    arguments in the order of :mod:`statisfactory.hookspecs`; an attribute is None when no
    plugin implements the hook, so that the caller skips it at no cost."""

    __slots__ = (*HOOK_NAMES, "artifacts", "loads", "run", "saves")

    # One attribute per hook of HOOK_NAMES (set in __init__), typed after its specification.
    after_session_init: Callable[[BaseSession], None] | None
    before_run: Callable[[Run], None] | None
    after_run: Callable[[Run, RunResult], None] | None
    on_run_error: Callable[[Run, BaseException], None] | None
    decide_craft: Callable[[Run, Craft, int], Any] | None
    before_craft: Callable[[Run, Craft, int, _Context], None] | None
    after_craft: Callable[[Run, Craft, int, Mapping[str, Any]], None] | None
    on_craft_error: Callable[[Run, Craft, int, BaseException], None] | None
    on_craft_skip: Callable[[Run, Craft, int, str], None] | None
    after_metrics: Callable[[Run, Craft, Mapping[str, float]], None] | None
    before_craft_call: Callable[[Run | None, Craft, _Context], None] | None
    before_artifact_load: Callable[[Run | None, Craft, str, _Context, str], None] | None
    after_artifact_load: Callable[[Run | None, Craft, str, _Context, str, Any], None] | None
    before_artifact_save: Callable[[Run | None, Craft, str, _Context, str, Any], None] | None
    after_artifact_save: (
        Callable[[Run | None, Craft, str, _Context, str, Any, Artifact], None] | None
    )
    artifacts: bool
    run: Run | None

    def __init__(self, implementations: Sequence[Implementation] = (), run: Any = None) -> None:
        self.run = run
        for name in HOOK_NAMES:
            setattr(self, name, _caller(implementations, name))
        # Whether loads and saves go through hooks, so that they are not located otherwise.
        self.loads = self.before_artifact_load is not None or self.after_artifact_load is not None
        self.saves = self.before_artifact_save is not None or self.after_artifact_save is not None
        self.artifacts = self.loads or self.saves

    def call(self, hook: str, **arguments: Any) -> Any:
        """Call ``hook`` by name with keyword arguments (for hooks off the hot path)."""
        caller = getattr(self, hook)
        if caller is None:
            return None
        return caller(*(arguments[name] for name in _ARGUMENTS[hook]))

    # --- artifacts, around the catalog ---------------------------------------------------------
    def load(self, catalog: Catalog, craft: Craft, name: str, context: Mapping[str, Any]) -> Any:
        """``catalog.load(name, **context)`` between the artifact-load hooks."""
        if not self.loads:
            return catalog.load(name, **context)
        location = _location(catalog, name, context)
        if self.before_artifact_load is not None:
            self.before_artifact_load(self.run, craft, name, context, location)
        value = catalog.load(name, **context)
        if self.after_artifact_load is not None:
            self.after_artifact_load(self.run, craft, name, context, location, value)
        return value

    def save(
        self, catalog: Catalog, craft: Craft, name: str, value: Any, context: Mapping[str, Any]
    ) -> None:
        """``catalog.save(name, value, **context)`` between the artifact-save hooks."""
        if not self.saves:
            catalog.save(name, value, **context)
            return
        location = _location(catalog, name, context)
        if self.before_artifact_save is not None:
            self.before_artifact_save(self.run, craft, name, context, location, value)
        catalog.save(name, value, **context)
        if self.after_artifact_save is not None:
            artifact = catalog.interactor(name, context).artifact  # its entry, resolved
            self.after_artifact_save(self.run, craft, name, context, location, value, artifact)


def _location(catalog: Catalog, name: str, context: Mapping[str, Any]) -> str:
    """Where the artifact lives; "" when that cannot be told, and the load or save that
    follows reports why (an unresolved ``!{}``…) in its own words."""
    try:
        return catalog.locate(name, **context)
    except Exception:
        return ""


def _caller(implementations: Sequence[Implementation], hook: str) -> Caller | None:
    found = [impl for impl in implementations if impl.hook == hook]
    if not found:
        return None
    first_result = hook in _FIRST_RESULT
    # pluggy's order: tryfirst implementations first, trylast ones last, later ones first.
    ordered = sorted(
        reversed(found), key=lambda impl: -1 if impl.tryfirst else (1 if impl.trylast else 0)
    )
    names = _ARGUMENTS[hook]
    calls = []
    for impl in ordered:
        positions = tuple(names.index(a) for a in impl.argnames)
        # The first arguments, in order (a plugin taking them all among them), are passed
        # as a slice: the hot path's plugins are called without re-mapping their arguments.
        prefix = len(positions) if positions == tuple(range(len(positions))) else -1
        calls.append((impl.function, prefix, positions, impl.plugin))
    logged = hook in _LOGGED

    def call(*arguments: Any) -> Any:
        for function, prefix, positions, plugin in calls:
            try:
                if prefix >= 0:
                    result = function(*arguments[:prefix])
                else:
                    result = function(*[arguments[i] for i in positions])
            except HookError as error:  # already names the hook
                if not logged:
                    raise
                _logger.error("%s", error)
                continue
            except Exception as error:
                failure = _failure(hook, plugin, error)
                if not logged:
                    raise failure from error
                _logger.error("%s", failure)
                continue
            if first_result and result is not None:
                return result
        return None

    return call


def _failure(hook: str, plugin: str, error: Exception) -> HookError:
    return HookError(
        f"Hook '{hook}' of plugin '{plugin}' raised {type(error).__name__}: {error}. Fix the "
        "plugin, or disable it (disabled_hook_plugins setting, or remove it from hook_plugins)."
    )


NO_HOOKS = HookRelay()  # a run (or a worker) without any plugin


def worker_hooks(session: Any) -> HookRelay:
    """The hooks of the session a worker process or a Dask worker rebuilt (``run=None``)."""
    manager = session.plugins if session is not None else None
    if manager is None or not manager.get_plugins():
        return NO_HOOKS
    return HookRelay(bound_implementations(manager.list_name_plugin(), "plugin of the session"))
