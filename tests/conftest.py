"""Shared fixtures: real projects written to temporary folders."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from project_files import write_project

# The moto S3 and PostgreSQL servers, started on first use by the tests that need them.
pytest_plugins = ["services"]


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
