"""Command-line start-up: cold ``statisfactory --help`` and ``pipelines ls`` on the demo project,
beside ``kedro --help``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from _measure import VENV_BIN, ratio, wall_of_command
from _table import Row

DEMO = Path(__file__).resolve().parents[1] / "demo"
HELP_TARGET = 0.15
LS_TARGET = 0.6


def run() -> list[Row]:
    statisfactory = str(VENV_BIN / "statisfactory")
    kedro_bin = VENV_BIN / "kedro"
    kedro = wall_of_command([str(kedro_bin), "--help"], repeat=5) if kedro_bin.exists() else None
    kedro_text = f"Kedro {kedro:.3f} (kedro --help)" if kedro else "—"

    help_seconds = wall_of_command([statisfactory, "--help"], repeat=7)
    folder = Path(tempfile.mkdtemp(prefix="statisfactory-bench-cli-"))
    try:
        demo = folder / "demo"
        shutil.copytree(DEMO, demo, ignore=shutil.ignore_patterns("data", "reports", "__pycache__"))
        ls_seconds = wall_of_command([statisfactory, "pipelines", "ls"], repeat=7, cwd=demo)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    return [
        Row(
            "cli",
            "cold `statisfactory --help` (s)",
            f"{help_seconds:.3f}",
            kedro_text,
            ratio(help_seconds, kedro) if kedro else "",
            f"≤ {HELP_TARGET}",
            help_seconds <= HELP_TARGET,
        ),
        Row(
            "cli",
            "`statisfactory pipelines ls` on the demo (s)",
            f"{ls_seconds:.3f}",
            kedro_text,
            ratio(ls_seconds, kedro) if kedro else "",
            f"≤ {LS_TARGET}",
            ls_seconds <= LS_TARGET,
        ),
    ]
