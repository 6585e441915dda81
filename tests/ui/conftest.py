"""The web UI tests' project, run twice (sets ``small`` and ``large``), and its server; one of
each per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_project import Server, make_project, run_pipeline, ui_server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("ui") / "lab")
    run_pipeline(root, "train", "small")
    run_pipeline(root, "train", "large")
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    with ui_server(project) as running:
        yield running
