"""A click group whose subcommands are imported only when they are invoked.

``statisfactory --help`` lists every command from a table of one-line summaries, so that printing
the help never imports the session, pandas or rich.
"""

from __future__ import annotations

import importlib

import click

from statisfactory.cli.common_options import add_common_options


class LazyGroup(click.Group):
    """A group built from ``{name: ("package.module:attribute", "one-line summary")}``."""

    def __init__(self, *args, lazy_commands: dict[str, tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self.lazy_commands:
            return None
        target, _ = self.lazy_commands[cmd_name]
        module_name, attribute = target.split(":")
        command = add_common_options(getattr(importlib.import_module(module_name), attribute))
        self.commands[cmd_name] = command  # import each module once per process
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy_commands[name][1]) for name in sorted(self.lazy_commands)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        # Suggest close names on a typo, as git does, instead of click's bare "No such command".
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint} See `{ctx.command_path} --help`.")
        return super().resolve_command(ctx, args)
