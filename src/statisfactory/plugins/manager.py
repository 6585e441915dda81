"""Gathering hook plugins: a session's (entry points and ``hook_plugins``), then a run's.

Every plugin is validated when registered: an implementation named like no hook, or taking an
argument its hook does not give, is a :class:`~statisfactory.errors.PluginError` then, not a
failure in the middle of a run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
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
        raise PluginError(
            f"Hook plugin '{name}' ({source}) is refused: {error}. An implementation takes "
            "a subset of its hook's arguments, by name (see statisfactory.hookspecs)."
        ) from error
    except ValueError as error:  # the same name or object registered twice
        raise PluginError(f"Hook plugin '{name}' ({source}) is registered twice: {error}") from None
    callers = manager.get_hookcallers(plugin) or []
    unknown = [caller.name for caller in callers if caller.spec is None]
    if unknown or not callers:
        manager.unregister(plugin)
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

    HookRelay([manager]).call("after_session_init", session=session)
    return manager


def enabled_hook_plugins(settings: Any) -> tuple[set[str], list[str]]:
    """The installed hook plugins a project uses (all but ``disabled_hook_plugins``), and the
    ``"module:attribute"`` references of its ``hook_plugins`` setting; nothing is imported."""
    disabled = set(_listed(settings.get(DISABLED_SETTING), DISABLED_SETTING))
    enabled = {name for name in entry_points.names("hooks") if name not in disabled}
    return enabled, list(_listed(settings.get(HOOK_PLUGINS_SETTING), HOOK_PLUGINS_SETTING))


def run_manager(plugins: Iterable[tuple[str, Any]]) -> pluggy.PluginManager:
    """A manager for the plugins of one run: ``(name, plugin)`` pairs."""
    manager = new_manager()
    for name, plugin in plugins:
        register(manager, plugin, name, "plugin of the run")
    return manager


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
