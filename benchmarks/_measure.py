"""Helpers shared by the benchmark modules: timing commands and Python snippets in fresh processes."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def wall_of_command(argv: list[str], *, repeat: int = 5, cwd: Path | None = None) -> float:
    """Median wall time, in seconds, of running ``argv`` to completion (after one warm-up run)."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_python(code: str, *, cwd: Path | None = None) -> str:
    """Run ``code`` in a fresh interpreter of this venv and return its standard output."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout


def run_snippet(code: str, *args: object, cwd: Path | None = None) -> dict:
    """Run ``code`` in a fresh interpreter of this venv with ``args`` as ``sys.argv[1:]`` and
    return the JSON object it prints on its last line starting with ``RESULT ``."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # imports cost what they cost on a user's machine
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark snippet failed:\n{done.stderr[-3000:]}")
    line = next(
        (line for line in reversed(done.stdout.splitlines()) if line.startswith("RESULT ")), None
    )
    if line is None:
        raise RuntimeError(f"benchmark snippet printed no RESULT line:\n{done.stdout[-2000:]}")
    return json.loads(line.removeprefix("RESULT "))


def ratio(ours: float, theirs: float) -> str:
    """``theirs / ours`` as 'N.N× faster' (or slower) text."""
    if ours <= 0 or theirs <= 0:
        return ""
    factor = theirs / ours
    return f"{factor:.1f}× faster" if factor >= 1 else f"{1 / factor:.1f}× slower"


def new_project(
    root: Path, files: Mapping[str, str] | None = None, *, sources: str = "lib"
) -> Path:
    """A fresh project at ``root`` (whatever was there is removed): a pyproject naming the usual
    folders (``conf``, ``catalog``, ``sources``, ``pipelines/parameters`` and
    ``pipelines/definitions``), all created, empty ``globals.yaml`` and ``locals.yaml``, then
    ``files`` (path from the root: text), which may replace those two."""
    shutil.rmtree(root, ignore_errors=True)
    for folder in (
        "conf",
        "catalog",
        "lib",
        "data",
        "pipelines/parameters",
        "pipelines/definitions",
    ):
        (root / folder).mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.statisfactory]\nproject_slug = "bench"\nconfiguration = "conf"\n'
        f'catalog = "catalog"\nsources = "{sources}"\nparameters = "pipelines/parameters"\n'
        'pipelines_definitions = "pipelines/definitions"\n'
    )
    written = {"conf/globals.yaml": "", "conf/locals.yaml": "", **(files or {})}
    for name, text in written.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
