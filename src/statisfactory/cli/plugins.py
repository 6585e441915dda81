"""``statisfactory plugins ls``: the installed plugins, and which hook plugins a project uses."""

from __future__ import annotations

import click

from statisfactory.cli.output import print_table
from statisfactory.cli.state import CliState


@click.group()
def plugins() -> None:
    """Packaged interactors, backends, runners and hook plugins (entry points)."""


@plugins.command("ls")
@click.pass_obj
def plugins_ls(state: CliState) -> None:
    """List the installed plugins (nothing is imported); inside a project, whether each hook
    plugin is enabled (the settings hook_plugins and disabled_hook_plugins)."""
    from statisfactory.errors import ProjectNotFoundError
    from statisfactory.plugins import entry_points
    from statisfactory.plugins.manager import enabled_hook_plugins

    try:
        settings = state.session().settings
    except ProjectNotFoundError:
        settings = None  # outside a project: what is installed is still worth listing
    enabled, listed = enabled_hook_plugins(settings) if settings is not None else (None, [])
    rows = []
    for kind in entry_points.KINDS:
        for found in entry_points.installed(kind):
            status = "installed"
            if kind == "hooks" and enabled is not None:
                status = "enabled" if found.name in enabled else "disabled"
            rows.append((kind, found.name, found.value, found.distribution, status))
    rows.extend(
        ("hooks", reference, reference, "hook_plugins setting", "enabled") for reference in listed
    )
    print_table(
        "Plugins",
        ("kind", "name", "object", "package", "status"),
        rows,
        terminal=state.is_terminal,
    )
