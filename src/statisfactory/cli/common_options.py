"""``-v/--verbose`` and ``--log-level``: given before the subcommand or after it."""

from __future__ import annotations

from typing import Any

import click

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _set_verbose(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        state = ctx.ensure_object(_state_type())
        state.verbose = True
        state.configure_logging()


def _set_log_level(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value:
        state = ctx.ensure_object(_state_type())
        state.log_level = value.upper()
        state.configure_logging()


def _state_type() -> Any:
    from statisfactory.cli.state import CliState

    return CliState


def verbose_option(**kwargs: Any) -> click.Option:
    return click.Option(
        ["-v", "--verbose"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_verbose,
        help="Debug logs, and tracebacks on errors.",
        **kwargs,
    )


def log_level_option(**kwargs: Any) -> click.Option:
    return click.Option(
        ["--log-level"],
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        expose_value=False,
        is_eager=True,
        callback=_set_log_level,
        help="The least severe log lines shown, the crafts' and Statisfactory's (default: INFO; "
        "Statisfactory's own INFO lines only off a terminal).",
        **kwargs,
    )


def add_common_options(command: click.Command) -> click.Command:
    """Give ``command`` and its subcommands the group's -v and --log-level, once."""
    names = {name for parameter in command.params for name in parameter.opts}
    if "--verbose" not in names:
        command.params.extend([verbose_option(), log_level_option()])
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_common_options(sub)
    return command
