"""A run's hooks, each as one precomputed caller (or None when no plugin implements it).

Calling a hook through pluggy costs microseconds, which a run of 10,000 small crafts would feel
three times per craft; the relay asks pluggy once per run which implementations each hook has,
in pluggy's order, and calls them directly with the arguments each takes. A hook with a pluggy
wrapper is called through pluggy itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.errors import HookError
from statisfactory.hookspecs import HOOK_NAMES
from statisfactory.logger import get_logger

if TYPE_CHECKING:
    import pluggy

    from statisfactory.IO.catalog import Catalog
    from statisfactory.pipeline.craft import Craft

Caller = Callable[..., Any]
# Hooks whose failures are logged, so that the failure they report stays the one raised.
_LOGGED = frozenset({"on_craft_error", "on_run_error"})
_ARTIFACT_HOOKS = (
    "before_artifact_load",
    "after_artifact_load",
    "before_artifact_save",
    "after_artifact_save",
)
_logger = get_logger("plugins")


def _spec_arguments() -> dict[str, tuple[str, ...]]:
    from statisfactory import hookspecs

    return {
        name: tuple(inspect.signature(getattr(hookspecs, name)).parameters) for name in HOOK_NAMES
    }


_ARGUMENTS = _spec_arguments()


class HookRelay:
    """The hooks of one run: ``relay.before_craft(run, craft, index, context)`` etc., with the
    arguments in the order of :mod:`statisfactory.hookspecs`; an attribute is None when no
    plugin implements the hook, so that the caller skips it at no cost."""

    __slots__ = (*HOOK_NAMES, "artifacts", "run")

    def __init__(self, managers: Sequence[pluggy.PluginManager] = (), run: Any = None) -> None:
        self.run = run
        for name in HOOK_NAMES:
            setattr(self, name, _caller(managers, name))
        # Whether loads and saves go through hooks, so that crafts skip locating otherwise.
        self.artifacts = any(getattr(self, name) is not None for name in _ARTIFACT_HOOKS)

    def call(self, hook: str, **arguments: Any) -> Any:
        """Call ``hook`` by name with keyword arguments (for hooks off the hot path)."""
        caller = getattr(self, hook)
        if caller is None:
            return None
        return caller(*(arguments[name] for name in _ARGUMENTS[hook]))

    # --- artifacts, around the catalog ---------------------------------------------------------
    def load(self, catalog: Catalog, craft: Craft, name: str, context: Mapping[str, Any]) -> Any:
        """``catalog.load(name, **context)`` between the artifact-load hooks."""
        if not self.artifacts:
            return catalog.load(name, **context)
        location = catalog.locate(name, **context)
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
        if not self.artifacts:
            catalog.save(name, value, **context)
            return
        location = catalog.locate(name, **context)
        if self.before_artifact_save is not None:
            self.before_artifact_save(self.run, craft, name, context, location, value)
        catalog.save(name, value, **context)
        if self.after_artifact_save is not None:
            artifact = catalog.interactor(name, context).artifact  # its entry, resolved
            self.after_artifact_save(self.run, craft, name, context, location, value, artifact)


def _caller(managers: Sequence[pluggy.PluginManager], hook: str) -> Caller | None:
    implementations = []
    for manager in managers:
        implementations.extend(getattr(manager.hook, hook).get_hookimpls())
    if not implementations:
        return None
    spec = getattr(managers[0].hook, hook).spec
    first_result = bool(spec and spec.opts.get("firstresult"))
    if any(impl.hookwrapper or impl.wrapper for impl in implementations):
        return _through_pluggy(managers, hook)
    # pluggy's order: tryfirst implementations first, trylast ones last, later ones first.
    ordered = sorted(
        reversed(implementations),
        key=lambda impl: -1 if impl.tryfirst else (1 if impl.trylast else 0),
    )
    names = _ARGUMENTS[hook]
    calls = [
        (impl.function, tuple(names.index(a) for a in impl.argnames), impl.plugin_name)
        for impl in ordered
    ]
    logged = hook in _LOGGED

    def call(*arguments: Any) -> Any:
        for function, positions, plugin in calls:
            try:
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


def _through_pluggy(managers: Sequence[pluggy.PluginManager], hook: str) -> Caller:
    if len(managers) > 1:
        raise HookError(
            f"Hook '{hook}' has a wrapper implementation in a plugin of the session and other "
            "implementations in the run's plugins: register wrappers as session plugins only"
        )
    pluggy_caller = getattr(managers[0].hook, hook)
    names = _ARGUMENTS[hook]

    def call(*arguments: Any) -> Any:
        try:
            return pluggy_caller(**dict(zip(names, arguments, strict=True)))
        except HookError:
            raise
        except Exception as error:
            if hook in _LOGGED:
                _logger.error("%s", _failure(hook, "a wrapper", error))
                return None
            raise _failure(hook, "a wrapper", error) from error

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
    return HookRelay([manager])
