"""The benchmark table: each ``bench_*.py`` module exposes ``run() -> list[Row]``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table: a figure, our value, Kedro's (when a comparison exists), the target."""

    group: str
    figure: str
    ours: str
    kedro: str = "—"
    ratio: str = ""
    target: str = ""
    ok: bool | None = None
