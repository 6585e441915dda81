"""The web UI in a real headless Chromium (Debian's, driven by Playwright): the DAG, a craft's
code, runs, a live run, lineage and the comparison. Each test leaves a screenshot in
``build/ui-screenshots/``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ui_project import CRAFTS, DATA, make_project, open_page, run_pipeline, ui_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "ui-screenshots"


@pytest.fixture
def page(browser, server):
    yield from open_page(browser)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_dag(page, server, pipeline: str = "train") -> None:
    page.goto(f"{server.url}pipelines/{pipeline}")
    page.wait_for_selector("#dag[data-ready=true]")


def click_node(page, label: str) -> None:
    """Click the node labelled ``label`` where Cytoscape drew it on its canvas."""
    x, y = page.evaluate(
        """(label) => {
            const node = window.uiGraph.nodes().filter((n) => n.data("label") === label)[0];
            const box = document.getElementById("dag").getBoundingClientRect();
            const at = node.renderedPosition();
            return [box.left + at.x, box.top + at.y];
        }""",
        label,
    )
    page.mouse.click(x, y)


def test_the_dag_renders_every_craft_and_artifact(page, server) -> None:
    open_dag(page, server)

    labels = page.evaluate("window.uiGraph.nodes().map((n) => n.data('label'))")
    kinds = page.evaluate(
        "Object.fromEntries(window.uiGraph.nodes().map((n) => [n.data('label'), n.data('kind')]))"
    )
    assert sorted(labels) == sorted([*CRAFTS, *DATA])
    assert kinds["model"] == "volatile" and kinds["chart"] == "artifact"
    assert page.locator("#dag canvas").count() >= 1
    shoot(page, "pipeline")


def test_clicking_a_craft_shows_its_code_and_an_artifact_its_rows(page, server) -> None:
    open_dag(page, server)
    page.select_option("#configuration", "large")

    click_node(page, "fit")
    page.wait_for_selector("#craft-code")
    assert "def fit(table: Artifact, alpha: float = 1.0)" in page.inner_text("#craft-code")
    details = page.inner_text("#details")
    assert "parameters from large" in details and "alpha\t2" in details
    shoot(page, "craft")

    click_node(page, "table")
    page.wait_for_selector("#preview")
    assert page.locator("#preview tr").count() == 1 + 6  # the header, then n = 6 rows
    assert "read alone" in page.inner_text("#preview-note")
    assert "data/table_6.csv" in page.inner_text("#artifact-location")
    shoot(page, "artifact")


def test_tags_filter_and_a_sub_pipeline_collapses(page, server) -> None:
    open_dag(page, server)

    page.select_option("#tag", "model")
    dimmed = page.evaluate("window.uiGraph.nodes('.dim').map((n) => n.data('label'))")
    assert "fit" not in dimmed and "make_table" in dimmed
    page.select_option("#tag", "")
    page.check("input.collapse[value=ingest]")
    visible = page.evaluate("window.uiGraph.nodes(':visible').map((n) => n.data('label'))")
    assert "ingest" in visible and "make_table" not in visible and "draw" not in visible
    assert "chart" not in visible and "table" in visible  # fit reads table: it stays
    shoot(page, "collapsed")
    page.uncheck("input.collapse[value=ingest]")
    visible = page.evaluate("window.uiGraph.nodes(':visible').map((n) => n.data('label'))")
    assert sorted(visible) == sorted([*CRAFTS, *DATA])


def test_the_runs_page_lists_and_filters_runs(page, server) -> None:
    page.goto(f"{server.url}runs")
    assert page.locator("#runs tbody tr").count() >= 2
    assert "succeeded" in page.inner_text("#runs")
    shoot(page, "runs")

    page.select_option("select[name=configuration]", "large")
    page.click("form.toolbar button")
    page.wait_for_url("**configuration=large**")
    assert page.locator("#runs tbody tr").count() == 1
    page.click("#runs tbody a")
    page.wait_for_selector("#dag[data-ready=true]")
    statuses = page.evaluate("window.uiGraph.nodes('.craft').map((n) => n.data('status'))")
    assert statuses == ["ran"] * len(CRAFTS)
    shoot(page, "run")


def test_a_run_in_progress_updates_live(page, server, project: Path) -> None:
    seconds = os.environ.get("STATISFACTORY_UI_LIVE_SECONDS", "1.5")
    running = subprocess.Popen(
        [sys.executable, "-m", "statisfactory.cli.main", "run", "live", "small",
         "--param", f"seconds={seconds}"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with server.client() as client:
            deadline = time.monotonic() + 60
            live = []
            while not live and time.monotonic() < deadline:
                live = client.get("/api/runs", params={"pipeline": "live"}).json()["runs"]
                time.sleep(0.1)
        assert live, "the run was never recorded"
        page.goto(f"{server.url}runs/{live[0]['run_id']}")
        page.wait_for_selector("#dag[data-ready=true]")
        assert page.inner_text("#run-status") == "running"
        page.wait_for_selector("body[data-live=ended]", timeout=90_000)
        assert page.inner_text("#run-status") == "succeeded"
        assert int(page.get_attribute("body", "data-updates")) >= 2
        assert page.locator("#crafts tbody tr").count() == 3
        assert "done" in page.inner_text("#writes")  # recorded at the end, then shown
        shoot(page, "live-run")
    finally:
        running.wait(timeout=120)


def test_lineage_navigates_upstream(page, server) -> None:
    with server.client() as client:
        run = client.get("/api/runs", params={"configuration": "large"}).json()["runs"][0]
    page.goto(f"{server.url}runs/{run['run_id']}")
    page.click("#writes a:text-is('summary')")
    page.wait_for_selector("#lineage-graph[data-ready=true]")
    assert "written by craft lab.crafts.report" in page.inner_text("#upstream")
    drawn = page.evaluate(
        "window.uiGraph.nodes().map((n) => n.data('kind') + ' ' + n.data('label')).sort()"
    )
    assert drawn == [
        "artifact summary", "artifact table", "craft fit", "craft make_table", "craft report",
        "volatile model",
    ]  # fmt: skip
    shoot(page, "lineage")

    page.click("#upstream a.version:has-text('artifact table')")
    page.wait_for_url("**/lineage/table?**")
    assert "lab.crafts.fit" in page.inner_text("#downstream")
    page.click("#downstream a.version:text-is('chart')")
    page.wait_for_url("**/lineage/chart?**")
    assert "written by craft lab.crafts.draw" in page.inner_text("#upstream")


def test_the_comparison_sorts(page, server, project: Path) -> None:
    with server.client() as client:
        runs = client.get("/api/runs", params={"pipeline": "train"}).json()["runs"]
    ids = " ".join(run["run_id"] for run in runs)
    page.goto(f"{server.url}experiments?runs={ids}")
    column = page.locator("#comparison th:text-is('started')")
    index = int(column.get_attribute("data-column"))

    def shown() -> list[float]:
        return [
            float(cell)
            for cell in page.eval_on_selector_all(
                f"#comparison tbody tr td:nth-child({index + 1})",
                "(cells) => cells.map((c) => c.dataset.value)",
            )
        ]

    column.click()
    ascending = shown()
    assert ascending == sorted(ascending) and len(ascending) == len(runs)
    column.click()
    assert shown() == sorted(ascending, reverse=True)
    shoot(page, "experiments")


def test_the_first_page_asks_for_the_token_then_the_visit_goes_on(browser, project) -> None:
    with ui_server(project, "--host", "0.0.0.0") as server:
        context = browser.new_context()
        page = context.new_page()
        url = server.url.replace("0.0.0.0", "127.0.0.1")
        page.goto(f"{url}runs")
        assert "A token is needed" in page.inner_text("h1")
        page.fill("input[name=token]", server.token)
        page.click("button[type=submit]")
        page.wait_for_selector("#runs")
        assert "token" not in page.url
        page.click("a:text-is('Pipelines')")
        page.wait_for_selector("#pipelines")
        shoot(page, "token")
        context.close()


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory: pytest.TempPathFactory):
    root = make_project(tmp_path_factory.mktemp("ui-browser-sweep") / "lab")
    run_pipeline(root, "tune", "alphas")
    with ui_server(root) as running:
        yield running


def test_a_sweep_s_metrics_sort_and_plot_against_its_parameter(browser, sweep_server) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{sweep_server.url}experiments")
    header = page.locator("#comparison th:text-is('loss')")
    index = int(header.get_attribute("data-column"))

    def losses() -> list[float]:
        return [
            float(value)
            for value in page.eval_on_selector_all(
                f"#comparison tbody tr td:nth-child({index + 1})",
                "(cells) => cells.map((c) => c.dataset.value)",
            )
        ]

    header.click()
    assert losses() == [0.0, 0.5, 1.0]
    header.click()
    assert losses() == [1.0, 0.5, 0.0]
    assert page.locator("#plots svg").count() == 2  # loss and slope against alpha
    assert page.locator("#no-metrics").count() == 0
    shoot(page, "experiments-sweep")
    page.close()
