"""The web UI tests' project, run twice (sets ``small`` and ``large``), and its server; one of
each per test module. The headless Chromium (Debian's, driven by Playwright) and its pages for the
browser tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_project import Server, make_project, run_pipeline, ui_server

from service_guard import service_unavailable

CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if chromium is None:
        service_unavailable("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()
