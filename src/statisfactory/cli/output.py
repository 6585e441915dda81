"""Printing for the command line: rich tables on a terminal, aligned plain text otherwise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, terminal: bool
) -> None:
    """A table with a title; plain text (for pipes and logs) when not on a terminal."""
    # A run's table has a row per craft: text, most cells already, is kept without a call.
    cells = [[v if type(v) is str else _text(v) for v in row] for row in rows]
    if terminal:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text  # plain Text: names like "[ml]" are not rich markup

        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))
        Console().print(table)
        return
    click.echo(title)
    if not cells:
        click.echo("  (none)")
        return
    widths = [max(map(len, column)) for column in zip(columns, *cells, strict=True)]
    lines = [
        "  "
        + "  ".join([value.ljust(width) for value, width in zip(row, widths, strict=True)]).rstrip()
        for row in (list(columns), *cells)
    ]
    click.echo("\n".join(lines))  # one write: a run's table has a row per craft


def print_yaml(data: Mapping[str, Any], *, comment: str = "") -> None:
    """``data`` as YAML, after ``# comment`` lines."""
    import yaml

    for line in comment.splitlines():
        click.echo(f"# {line}")
    text = yaml.safe_dump(
        _plain(data), sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    click.echo(text.rstrip("\n"))


def shown_path(location: Path | str | None, root: Path) -> str:
    """``location`` relative to the project ``root`` when inside it, else as given (a URL stays
    a URL)."""
    if location is None:
        return ""
    path = Path(location)
    if path.is_absolute() and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(location)


def select_by_tags(names: Sequence[str], tags_of, select: str | None) -> list[str]:
    """Names having at least one of the comma-separated tags of ``select`` (all when None)."""
    if not select:
        return list(names)
    wanted = {tag.strip() for tag in select.split(",") if tag.strip()}
    return [name for name in names if wanted & set(tags_of(name))]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ", ".join(map(str, value))
    return str(value)


def _plain(value: Any) -> Any:
    """Values YAML can dump: mappings, lists and scalars; anything else as its text."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
