"""Pictures of a pipeline: Mermaid, graphviz, the self-contained HTML page, and ``viz``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service_guard import service_unavailable
from statisfactory.pipeline import Artifact, Craft, Volatile
from statisfactory.pipeline.viz import (
    layout,
    pipeline_graph,
    to_graphviz,
    to_html,
    to_mermaid,
    write_picture,
)


def need(program: str, package: str) -> str:
    """The program's path; missing, it fails the test in CI and skips it elsewhere."""
    found = shutil.which(program)
    if found is None:
        service_unavailable(f"{program} is not installed (apt-get install {package})")
    return found


@Craft()
def ingest() -> Artifact("raw"):
    return [1, 2, 3]


@Craft()
def split(raw: Artifact) -> Volatile.of("train", "test"):
    return raw[:2], raw[2:]


@Craft()
def fit(train: Volatile, alpha: float = 1.0) -> Artifact("model"):
    return sum(train) * alpha


@Craft()
def evaluate(model: Artifact, test: Volatile) -> Artifact("metrics"):
    return {"error": model - sum(test)}


@Craft()
def report(metrics: Artifact, raw: Artifact) -> Artifact("report"):
    return f"{metrics} on {len(raw)} rows"


PIPELINE = report + evaluate + fit + split + ingest
PIPELINE.name = "training"
CRAFTS = ("ingest", "split", "fit", "evaluate", "report")
ARTIFACTS = ("raw", "model", "metrics", "report")
VOLATILES = ("train", "test")


def test_mermaid_draws_artifacts_and_volatiles_differently() -> None:
    text = to_mermaid(PIPELINE)

    assert text.startswith("flowchart LR\n")
    for name in CRAFTS:
        assert re.search(rf'c\d+\["{name}"\]:::craft', text), name
    for name in ARTIFACTS:
        assert re.search(rf'd\d+\[\("{name}"\)\]:::artifact', text), name
    for name in VOLATILES:
        assert re.search(rf'd\d+\(\["{name}"\]\):::volatile', text), name
    assert len(re.findall(r"-->", text)) == 12  # every read and every write


def test_graph_keeps_execution_order_and_all_edges() -> None:
    graph = pipeline_graph(PIPELINE)

    assert [node.label for node in graph.nodes if node.kind == "craft"] == list(CRAFTS)
    labels = {node.key: node.label for node in graph.nodes}
    edges = {(labels[a], labels[b]) for a, b in graph.edges}
    assert ("raw", "report") in edges and ("split", "test") in edges


def test_layout_routes_long_edges_around_nodes() -> None:
    drawing = layout(pipeline_graph(PIPELINE))
    boxes = drawing.boxes

    long_routes = [route for route in drawing.routes.values() if len(route) > 2]
    assert long_routes, "raw -> report skips columns and needs waypoints"
    for route in long_routes:
        for key in route[1:-1]:
            waypoint = boxes[key]
            for box in boxes.values():
                if (
                    box.node is None
                    or abs(box.x + box.width / 2 - (waypoint.x + waypoint.width / 2)) > 1
                ):
                    continue  # another column
                assert waypoint.y + waypoint.height <= box.y or box.y + box.height <= waypoint.y, (
                    f"the edge through {key} crosses {box.node.label}"
                )


def test_graphviz_digraph_shapes_and_jupyter_display() -> None:
    graphviz = pytest.importorskip("graphviz")
    digraph = to_graphviz(PIPELINE)

    assert isinstance(digraph, graphviz.Digraph)
    assert hasattr(digraph, "_repr_mimebundle_")  # what Jupyter calls to display it
    source = digraph.source
    assert source.count("shape=cylinder") == len(ARTIFACTS)
    assert source.count("dashed") == len(VOLATILES)
    assert isinstance(PIPELINE.plot(), graphviz.Digraph)


def test_svg_and_png_with_dot(tmp_path: Path) -> None:
    need("dot", "graphviz")

    svg = write_picture(PIPELINE, tmp_path / "dag.svg").read_text()
    png = write_picture(PIPELINE, tmp_path / "out" / "dag.png").read_bytes()

    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for name in (*CRAFTS, *ARTIFACTS, *VOLATILES):
        assert f">{name}</text>" in svg, name
    assert png.startswith(b"\x89PNG")


def test_html_page_is_self_contained(tmp_path: Path) -> None:
    page = to_html(PIPELINE)

    assert "<script src" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']https?:""", page)


def test_html_page_renders_every_node_in_chromium(tmp_path: Path) -> None:
    chromium = need("chromium", "chromium")
    page = write_picture(PIPELINE, tmp_path / "dag.html")
    profile = tmp_path / "profile"

    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert f'data-nodes="{len(CRAFTS) + len(ARTIFACTS) + len(VOLATILES)}"' in dom  # script ran
    for kind, names in (("craft", CRAFTS), ("artifact", ARTIFACTS), ("volatile", VOLATILES)):
        for name in names:
            pattern = rf'<g class="node {kind}"[^>]*>.*?<text[^>]*>{name}</text>'
            assert re.search(pattern, dom), f"{kind} {name} is not in the rendered page"


# --- the command line -------------------------------------------------------------------------
PROJECT = {
    "lib/steps.py": """
        from statisfactory import Artifact, Craft, Volatile

        @Craft()
        def load() -> Artifact("table"):
            return [1]

        @Craft()
        def count(table: Artifact) -> Volatile("size"):
            return len(table)
    """,
    "pipelines/definitions/p.yaml": "counting: [steps.load, steps.count]\n",
}


def viz(*args: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"PATH": path} if path is not None else {})}
    return subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", "viz", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_viz_command_writes_each_format(project_factory) -> None:
    root = project_factory(PROJECT)

    printed = viz("counting", cwd=root)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("flowchart LR") and '[("table")]' in printed.stdout

    for name in ("dag.mmd", "dag.html", "pictures/dag.dot"):
        result = viz("counting", "-o", name, cwd=root)
        assert result.returncode == 0, result.stderr
        assert "count" in (root / name).read_text()


def test_viz_without_dot_explains_and_offers_html(project_factory, tmp_path: Path) -> None:
    root = project_factory(PROJECT)
    empty_path = tmp_path / "no-programs"
    empty_path.mkdir()

    result = viz("counting", "-o", "dag.svg", cwd=root, path=str(empty_path))

    assert result.returncode == 2
    assert "`dot` program" in result.stderr and ".html" in result.stderr
    assert "Traceback" not in result.stderr
    assert viz("counting", "-o", "dag.html", cwd=root, path=str(empty_path)).returncode == 0


def test_viz_unknown_format_and_pipeline(project_factory) -> None:
    root = project_factory(PROJECT)

    wrong_format = viz("counting", "-o", "dag.jpeg", cwd=root)
    assert wrong_format.returncode == 2 and "'.jpeg'" in wrong_format.stderr

    unknown = viz("countin", cwd=root)
    assert unknown.returncode == 2 and "Did you mean counting" in unknown.stderr
