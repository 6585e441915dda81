"""Fixtures for projects laid out as the original Statisfactory's documentation lays them out.

The layout is the original README's example tree: ``configuration/{globals,locals}.yml``,
``catalog/``, ``lib/`` (sources), ``scripts/`` (notebooks), ``pipelines/definitions.yml`` and
``pipelines/parameters.yaml``, all bound by an original ``[tool.statisfactory]`` table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ORIGINAL_TABLE = """\
[tool.statisfactory]
project_slug = "exemple"
configuration = "configuration"
catalog = "catalog"
sources = "lib"
notebook_target = "jupyter"
pipelines_definitions = "pipelines/definitions.yml"
parameters = "pipelines/parameters.yaml"
"""


def write_original_project(
    root: Path, files: dict[str, str] | None = None, *, table: str = ORIGINAL_TABLE
) -> Path:
    """Write an original-style project under ``root``: its folders, then ``files`` (dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent(table))
    for folder in ("configuration", "catalog", "lib", "scripts", "pipelines"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    defaults = {
        "configuration/globals.yml": "",
        "configuration/locals.yml": "",
        "pipelines/definitions.yml": "",
        "pipelines/parameters.yaml": "",
    }
    for relative, text in {**defaults, **(files or {})}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def original_project(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``make(files=None, *, table=ORIGINAL_TABLE, name="") -> root``.

    Modules imported from the projects are forgotten, and ``sys.path`` restored, on teardown.
    """
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    roots: list[Path] = []

    def make(
        files: dict[str, str] | None = None, *, table: str = ORIGINAL_TABLE, name: str = ""
    ) -> Path:
        root = write_original_project(
            tmp_path / (name or f"original{len(roots)}"), files, table=table
        )
        roots.append(root.resolve())
        return root

    yield make

    sys.path[:] = saved_path
    for module_name in set(sys.modules) - saved_modules:
        module = sys.modules.get(module_name)
        places = [getattr(module, "__file__", None) or "", *(getattr(module, "__path__", []) or [])]
        if any(str(place).startswith(str(root)) for place in places for root in roots):
            sys.modules.pop(module_name, None)


@pytest.fixture
def original_session(original_project: Callable[..., Path]) -> Callable[..., object]:
    """``make(files=None, *, table=ORIGINAL_TABLE) -> Session`` on a fresh original-style project."""
    from statisfactory import Session

    def make(files: dict[str, str] | None = None, *, table: str = ORIGINAL_TABLE):
        # a string, as the original's users passed it
        return Session(root_folder=str(original_project(files, table=table)))

    return make


def run_cli(
    *args: str, cwd: Path, module: str = "statisfactory"
) -> subprocess.CompletedProcess[str]:
    """``python -m <module> args`` in ``cwd``, as a user's shell would run it."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, cwd=root, module="statisfactory")``: the command line in a real process."""
    return run_cli
