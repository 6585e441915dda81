"""Shared fixtures: real projects written to temporary folders."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BASE_TABLE = """\
[tool.statisfactory]
project_slug = "demo"
configuration = "conf"
catalog = "catalog"
parameters = "pipelines/parameters"
pipelines_definitions = "pipelines/definitions"
"""

# The moto S3 and PostgreSQL servers, started on first use by the tests that need them.
pytest_plugins = ["services"]


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


@pytest.fixture
def project_factory(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``make(files=None, *, tool="") -> root``; user modules are forgotten on teardown."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    roots: list[Path] = []

    def make(files: dict[str, str] | None = None, *, tool: str = "", name: str = "") -> Path:
        root = write_project(tmp_path / (name or f"project{len(roots)}"), files, tool=tool)
        roots.append(root.resolve())
        return root

    yield make

    sys.path[:] = saved_path
    for module_name in set(sys.modules) - saved_modules:
        if _belongs_to(sys.modules[module_name], roots):
            sys.modules.pop(module_name, None)


def _belongs_to(module: object, roots: list[Path]) -> bool:
    """Whether a module was imported from one of the test projects (files or namespace folders)."""
    places = [getattr(module, "__file__", None) or "", *list(getattr(module, "__path__", []) or [])]
    return any(str(place).startswith(str(root)) for place in places for root in roots)


@pytest.fixture
def session_factory(project_factory: Callable[..., Path]) -> Callable[..., object]:
    """``make(files=None, *, tool="") -> Session`` on a fresh project."""
    from statisfactory import Session

    def make(files: dict[str, str] | None = None, *, tool: str = "", name: str = ""):
        return Session(root_folder=project_factory(files, tool=tool, name=name))

    return make
