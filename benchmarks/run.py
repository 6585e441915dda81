"""Run every ``benchmarks/bench_*.py`` (or those named on the command line) and print one table.

Each module exposes ``run() -> list[Row]``; the peers' figures (Kedro, Hamilton, DVC) are
measured in the same run. ``--quick`` skips the 100,000-craft sizes, ``--long`` adds DVC at 2,000 stages.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _table import Row  # noqa: E402


def discover(names: list[str]) -> list[str]:
    available = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {', '.join(available)}")
    return names or available


def print_table(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Statisfactory benchmarks (this machine, one run)", show_lines=False)
    for column in ("group", "figure", "Statisfactory", "peer", "ratio", "target", "ok"):
        table.add_column(column, overflow="fold")
    for row in rows:
        ok = {True: "yes", False: "NO", None: ""}[row.ok]
        table.add_row(row.group, row.figure, row.ours, row.peer, row.ratio, row.target, ok)
    Console(width=max(160, Console().width)).print(table)


def markdown_table(rows: list[Row]) -> str:
    """The table in Markdown, for the README's benchmark section."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| group | figure | Statisfactory | peer (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ok = {True: "yes", False: "**no**", None: ""}[row.ok]
        values = (row.group, row.figure, row.ours, row.peer, row.ratio, row.target, ok)
        lines.append("| " + " | ".join(cell(str(value)) for value in values) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="skip the largest sizes")
    parser.add_argument("--long", action="store_true", help="add DVC at 2,000 stages")
    parser.add_argument(
        "--markdown", metavar="FILE", help="also write the table there, in Markdown"
    )
    args = parser.parse_args()
    if args.quick:  # read by _table when the benchmark modules import it
        os.environ["STATISFACTORY_BENCH_QUICK"] = "1"
    if args.long:
        os.environ["STATISFACTORY_BENCH_LONG"] = "1"
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    rows: list[Row] = []
    failed = False
    for name in discover(args.names):
        started = time.perf_counter()
        print(f"running bench_{name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(importlib.import_module(f"bench_{name}").run())
        except Exception:
            failed = True
            traceback.print_exc()
            rows.append(Row(name, "benchmark failed (traceback above)", "—", ok=False))
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print_table(rows)
    if args.markdown:
        Path(args.markdown).write_text(markdown_table(rows), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
