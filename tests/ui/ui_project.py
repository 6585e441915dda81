"""Shared by the web UI tests: a project with a sub-pipeline, a table, an image and secrets, and
the real ``statisfactory ui`` server started as a process.

(Not a conftest.py, so that no second module named ``conftest`` shadows the root one.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from project_files import statisfactory, write_project

SECRET_PARAM = "tok-SECRET-4242-xyz"
SECRET_PASSWORD = "hunter2pass"
# A one-pixel PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "f8cfc0f01f0005000201a5f6c1e50000000049454e44ae426082"
)

FILES = {
    "lib/lab/__init__.py": "",
    "lib/lab/crafts.py": f"""
        import time

        import pandas as pd

        from statisfactory import Artifact, Craft, Volatile

        PNG = {PNG!r}


        @Craft(tags=["ingest"])
        def make_table(n: int = 4) -> Artifact("table"):
            return pd.DataFrame({{"x": list(range(n)), "y": [i * i for i in range(n)]}})


        @Craft(tags=["ingest", "plots"])
        def draw(table: Artifact) -> Artifact("chart"):
            return PNG


        @Craft(tags=["model"])
        def fit(table: Artifact, alpha: float = 1.0) -> Volatile("model"):
            return {{"slope": float(table["y"].sum()) * alpha}}


        @Craft()
        def report(model: Volatile, account: str = "{SECRET_PARAM}") -> Artifact("summary"):
            return model


        @Craft()
        def score(model: Volatile, alpha: float = 1.0) -> Artifact("score"):
            return {{"slope": model["slope"], "loss": abs(alpha - 1.0)}}


        @Craft()
        def pause(table: Artifact, seconds: float = 0.0) -> Volatile("paused"):
            time.sleep(seconds)
            return seconds


        @Craft()
        def pause_again(paused: Volatile, seconds: float = 0.0) -> Artifact("done"):
            time.sleep(seconds)
            return {{"waited": paused + seconds}}
    """,
    "catalog/catalog.yaml": f"""
        - name: table
          type: csv
          extra: {{path: "data/table_!{{n}}.csv"}}
          save_options: {{index: false}}
        - name: chart
          type: binary
          extra: {{path: "data/chart_!{{n}}.png"}}
        - name: summary
          type: json
          extra: {{path: data/summary.json}}
          versioned: true
        - name: score
          type: json
          extra: {{path: "data/score_!{{alpha}}.json"}}
          +tags: [metrics]
        - name: done
          type: json
          extra: {{path: data/done.json}}
        - name: warehouse
          type: sql
          extra: {{url: "postgresql://bob:{SECRET_PASSWORD}@db.example/lab", table: t, password: {SECRET_PASSWORD}}}
    """,
    "pipelines/definitions/pipelines.yaml": """
        ingest:
          +operators: [lab.crafts.make_table, lab.crafts.draw]
        train:
          +tags: [lab]
          +operators: [ingest, lab.crafts.fit, lab.crafts.report]
        tune:
          +operators: [lab.crafts.make_table, lab.crafts.fit, lab.crafts.score]
        live:
          +operators: [lab.crafts.make_table, lab.crafts.pause, lab.crafts.pause_again]
    """,
    "pipelines/parameters/sets.yaml": f"""
        small:
          n: 3
          api_token: {SECRET_PARAM}
        large:
          n: 6
          alpha: 2.0
        alphas:
          n: 3
          +grid: {{alpha: [0.5, 1.0, 2.0]}}
    """,
}

CRAFTS = ["make_table", "draw", "fit", "report"]
DATA = ["table", "chart", "model", "summary"]


def make_project(root: Path) -> Path:
    return write_project(root, FILES)


def run_pipeline(root: Path, *args: str) -> None:
    result = statisfactory("run", *args, cwd=root)
    assert result.returncode == 0, result.stderr


@dataclass
class Server:
    url: str
    token: str | None
    process: subprocess.Popen
    output: list[str]

    def client(self, **options) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)


@contextmanager
def ui_server(root: Path, *args: str, startup: float = 60) -> Iterator[Server]:
    """``statisfactory ui --port 0 ARGS`` in ``root``, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "statisfactory.cli.main", "ui", "--port", "0", *args],
        cwd=root,
        env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    url = token = None
    deadline = time.monotonic() + startup
    try:
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            found = re.search(r"(http://\S+/)", line)
            if found:
                url = found.group(1)
            given = re.match(r"Token: (\S+)", line)
            if given:
                token = given.group(1)
            if line.startswith("Press Ctrl-C"):
                break
        assert url, "".join(output)
        yield Server(url, token, process, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def open_page(browser: Any, init_script: str | None = None) -> Iterator[Any]:
    """A page in a new browser context (``init_script`` runs before the page's own scripts);
    fails the test if the page raised a JavaScript error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    if init_script is not None:
        context.add_init_script(init_script)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, errors
