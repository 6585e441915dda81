"""The benchmark table: each ``bench_*.py`` module exposes ``run() -> list[Row]``."""

from __future__ import annotations

import os
from dataclasses import dataclass


def quick() -> bool:
    """Quick mode (``scripts/bench --quick``): the 100,000-craft sizes are skipped."""
    return os.environ.get("STATISFACTORY_BENCH_QUICK", "") not in ("", "0")


def long_mode() -> bool:
    """Long mode (``scripts/bench --long``): adds DVC at 2,000 stages (about 10 minutes more)."""
    return os.environ.get("STATISFACTORY_BENCH_LONG", "") not in ("", "0")


@dataclass
class Row:
    """One line of the table: a figure, our value, a peer's (its name and figure, measured in the
    same run, when a comparison exists), the ratio and the target."""

    group: str
    figure: str
    ours: str
    peer: str = "—"
    ratio: str = ""
    target: str = ""
    ok: bool | None = None
