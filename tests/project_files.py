"""Writing a minimal project to a folder, and running Python or the command line on it: shared by
the root conftest and by test helpers that cannot import it by name (a folder's own conftest.py
may be the one called ``conftest``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

BASE_TABLE = """\
[tool.statisfactory]
project_slug = "demo"
configuration = "conf"
catalog = "catalog"
parameters = "pipelines/parameters"
pipelines_definitions = "pipelines/definitions"
"""


def write_project(root: Path, files: dict[str, str] | None = None, *, tool: str = "") -> Path:
    """Write a minimal Statisfactory project under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(BASE_TABLE + textwrap.dedent(tool))
    for folder in ("conf", "catalog", "lib", "pipelines/parameters", "pipelines/definitions"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "conf" / "globals.yaml").write_text("")
    (root / "conf" / "locals.yaml").write_text("")
    for relative, text in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def python(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in ``cwd`` (wide, uncoloured output); output captured as text."""
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snippet_result(snippet: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """What a Python ``snippet`` run in a fresh process (bytecode not written, as a first run)
    prints as JSON on its last line; fails the test if the process fails."""
    environment = {"PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    done = python("-c", snippet, *args, cwd=cwd, env=environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def statisfactory(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``python -m statisfactory.cli.main ARGS`` in ``cwd``; output captured as text."""
    return python("-m", "statisfactory.cli.main", *args, cwd=cwd, env=env, timeout=timeout)
