"""Gathering hook plugins: a session's (entry points and ``hook_plugins``), then a run's.

Every plugin is validated when registered: an implementation named like no hook, or taking an
argument its hook does not give, is a :class:`~statisfactory.errors.PluginError` then, not a
failure in the middle of a run.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PluginError
from statisfactory.plugins import entry_points

if TYPE_CHECKING:
    import pluggy

HOOK_PLUGINS_SETTING = "hook_plugins"
DISABLED_SETTING = "disabled_hook_plugins"


def new_manager() -> pluggy.PluginManager:
    """An empty plugin manager knowing every hook of :mod:`statisfactory.hookspecs`."""
    import pluggy

    from statisfactory import hookspecs

    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def register(manager: pluggy.PluginManager, plugin: Any, name: str, source: str) -> None:
    """Register ``plugin`` as ``name``; ``source`` says where it came from, for messages."""
    import pluggy

    from statisfactory.hookspecs import HOOK_NAMES

    try:
        manager.register(plugin, name=name)
    except pluggy.PluginValidationError as error:
        detail = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
        raise PluginError(
            f"Hook plugin '{name}' ({source}) is refused: {detail}. An implementation takes "
            "a subset of its hook's arguments, by name (see statisfactory.hookspecs)."
        ) from error
    except ValueError:  # the same name or object registered twice
        raise PluginError(
            f"Hook plugin '{name}' ({source}) is registered twice: list it once"
        ) from None
    callers = manager.get_hookcallers(plugin) or []
    unknown = [caller.name for caller in callers if caller.spec is None]
    wrappers = [
        caller.name
        for caller in callers
        for impl in caller.get_hookimpls()
        if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
    ]
    if unknown or wrappers or not callers:
        manager.unregister(plugin)
    if wrappers:
        raise PluginError(
            f"Hook plugin '{name}' ({source}) implements {', '.join(wrappers)} as a wrapper, "
            "which Statisfactory does not call: implement the before_ and after_ hooks instead"
        )
    if unknown:
        close = difflib.get_close_matches(unknown[0], HOOK_NAMES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise PluginError(
            f"Hook plugin '{name}' ({source}) implements {', '.join(unknown)}, which is no "
            f"hook{hint}: the hooks are {', '.join(HOOK_NAMES)}."
        )
    if not callers:
        raise PluginError(
            f"Hook plugin '{name}' ({source}) implements no hook: mark its functions with "
            "@statisfactory.hookspecs.hookimpl and name them after a hook of "
            "statisfactory.hookspecs."
        )


def session_manager(session: Any) -> pluggy.PluginManager:
    """The hook plugins of ``session``: installed ones not disabled, then ``hook_plugins``.

    Each then hears ``after_session_init(session)``.
    """
    manager = new_manager()
    enabled, listed = enabled_hook_plugins(session.settings)
    for found in entry_points.installed("hooks"):
        if found.name in enabled:
            plugin = _instance(entry_points.load("hooks", found.name))
            register(manager, plugin, found.name, f"package {found.distribution}")
    for reference in listed:
        register(manager, _instance(_resolve(reference)), reference, "setting hook_plugins")
    from statisfactory.plugins.relay import HookRelay

    plugins = bound_implementations(manager.list_name_plugin(), "plugin of the session")
    HookRelay(plugins).call("after_session_init", session=session)
    return manager


def enabled_hook_plugins(settings: Any) -> tuple[set[str], list[str]]:
    """The installed hook plugins a project uses (all but ``disabled_hook_plugins``), and the
    ``"module:attribute"`` references of its ``hook_plugins`` setting; nothing is imported."""
    disabled = set(_listed(settings.get(DISABLED_SETTING), DISABLED_SETTING))
    enabled = {name for name in entry_points.names("hooks") if name not in disabled}
    return enabled, list(_listed(settings.get(HOOK_PLUGINS_SETTING), HOOK_PLUGINS_SETTING))


@dataclass(frozen=True, slots=True)
class Implementation:
    """One hook implementation of one plugin, as the relay calls it."""

    hook: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]
    tryfirst: bool
    trylast: bool
    plugin: str


# Per plugin class (or module): its implementations as (hook, attribute, argnames, tryfirst,
# trylast), validated by pluggy the first time the class is seen.
_VALIDATED: dict[Any, tuple[tuple[str, str, tuple[str, ...], bool, bool], ...]] = {}
_VALIDATED_LOCK = threading.Lock()
_checker: pluggy.PluginManager | None = None  # one manager validates every new class in turn


def implementations(plugin: Any, name: str, source: str) -> list[Implementation]:
    """The hook implementations of ``plugin``, validated by pluggy (once per class)."""
    key = plugin if isinstance(plugin, ModuleType) else type(plugin)
    with _VALIDATED_LOCK:
        found = _VALIDATED.get(key)
    if found is None:
        found = _validated(plugin, name, source)
        with _VALIDATED_LOCK:
            _VALIDATED[key] = found
    return [
        Implementation(hook, getattr(plugin, attribute), argnames, tryfirst, trylast, name)
        for hook, attribute, argnames, tryfirst, trylast in found
    ]


def _validated(
    plugin: Any, name: str, source: str
) -> tuple[tuple[str, str, tuple[str, ...], bool, bool], ...]:
    """The implementations of ``plugin`` as pluggy validates them, registered for that time
    only with the one checking manager (building a manager per class costs more)."""
    global _checker
    with _VALIDATED_LOCK:
        if _checker is None:
            _checker = new_manager()
        manager = _checker
        register(manager, plugin, name, source)  # unregistered again when refused
        try:
            return tuple(
                (caller.name, _attribute(plugin, impl.function), *_options(impl))
                for caller in manager.get_hookcallers(plugin) or []
                for impl in caller.get_hookimpls()
                if impl.plugin is plugin
            )
        finally:
            manager.unregister(plugin)


def bound_implementations(plugins: Iterable[tuple[str, Any]], source: str) -> list[Implementation]:
    """The implementations of ``(name, plugin)`` pairs, in registration order."""
    found: list[Implementation] = []
    seen: set[int] = set()
    for name, plugin in plugins:
        if id(plugin) in seen:
            raise PluginError(f"Hook plugin '{name}' ({source}) is registered twice: list it once")
        seen.add(id(plugin))
        found.extend(implementations(plugin, name, source))
    return found


def _options(impl: Any) -> tuple[tuple[str, ...], bool, bool]:
    return impl.argnames, impl.tryfirst, impl.trylast


def _attribute(plugin: Any, function: Callable[..., Any]) -> str:
    """The name under which ``plugin`` holds ``function``."""
    name = getattr(function, "__name__", "")
    if getattr(plugin, name, None) == function:
        return name
    return next(attr for attr in dir(plugin) if getattr(plugin, attr, None) == function)


def _instance(plugin: Any) -> Any:
    """A class given as a plugin is instantiated, so each session gets its own state."""
    return plugin() if isinstance(plugin, type) else plugin


def _resolve(reference: str) -> Any:
    import pkgutil

    if ":" not in reference:
        raise PluginError(
            f"Setting {HOOK_PLUGINS_SETTING}: {reference!r} must be 'module:attribute' (e.g. "
            "'my_project.hooks:Timings'), a module of the project's sources or an installed one"
        )
    try:
        return pkgutil.resolve_name(reference)
    except Exception as error:
        raise PluginError(
            f"Setting {HOOK_PLUGINS_SETTING}: {reference!r} cannot be imported "
            f"({type(error).__name__}: {error}); it is looked up from the project's sources "
            "folder and the installed packages: fix the name, or remove it from the setting"
        ) from error


def _listed(value: Any, key: str) -> Sequence[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    raise PluginError(
        f"Setting {key} must be a list of names, got {value!r}: fix it in the configuration's "
        f"globals/locals files (e.g. {key}: [name])"
    )
