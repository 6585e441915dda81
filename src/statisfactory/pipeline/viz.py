"""Pictures of a pipeline's DAG: graphviz, Mermaid text and a self-contained HTML page.

Crafts are boxes, artifacts (stored by the catalog) are cylinders, volatiles (kept in memory)
are dashed rounded boxes; edges go from what a craft reads to the craft, and from the craft to
what it produces. Graphviz pictures need the ``graphviz`` package (and the ``dot`` program to
render files); Mermaid and HTML need nothing: the HTML page lays the graph out here, in Python,
and embeds it as SVG with a few lines of script (no network access when opened).
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import shutil
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statisfactory.errors import VizError, install_hint

if TYPE_CHECKING:
    from statisfactory.pipeline.pipeline import Pipeline

DOT_FORMATS = ("svg", "png", "pdf")
SUFFIXES = {
    **{f".{fmt}": fmt for fmt in DOT_FORMATS},
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".html": "html",
    ".htm": "html",
}


@dataclass(frozen=True)
class Node:
    """A craft, an artifact or a volatile; ``key`` is an identifier safe in DOT and Mermaid."""

    key: str
    label: str
    kind: str  # "craft", "artifact" or "volatile"
    detail: str


@dataclass(frozen=True)
class Graph:
    """The nodes and edges of a pipeline, crafts in execution order."""

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]


def pipeline_graph(pipeline: Pipeline) -> Graph:
    """The pipeline as nodes and edges (solving its order: errors are PipelineErrors)."""
    crafts = [craft for batch in pipeline.batches for craft in batch]
    short_names = [craft.name for craft in crafts]
    nodes: list[Node] = []
    data: dict[str, Node] = {}
    edges: list[tuple[str, str]] = []

    def data_node(name: str, kind: str) -> str:
        if name not in data:
            what = "artifact (catalog)" if kind == "artifact" else "volatile (in memory)"
            data[name] = Node(f"d{len(data)}", name, kind, f"{name}: {what}")
        return data[name].key

    for index, craft in enumerate(crafts):
        key = f"c{index}"
        label = craft.name if short_names.count(craft.name) == 1 else craft.fqname
        nodes.append(Node(key, label, "craft", craft.fqname))
        for _, name in craft.signature.artifacts:
            edges.append((data_node(name, "artifact"), key))
        for _, name, _ in craft.signature.volatiles:
            edges.append((data_node(name, "volatile"), key))
        for output in craft.signature.outputs:
            edges.append((key, data_node(output.name, output.kind)))
    return Graph(pipeline.name or "pipeline", (*nodes, *data.values()), tuple(edges))


# --- graphviz ---------------------------------------------------------------------------------
def has_dot() -> bool:
    """Whether graphviz's ``dot`` program is installed (needed to render SVG/PNG/PDF)."""
    return shutil.which("dot") is not None


def to_graphviz(pipeline: Pipeline) -> Any:
    """A ``graphviz.Digraph`` of the pipeline; Jupyter displays it (when ``dot`` exists)."""
    try:
        import graphviz
    except ImportError as error:
        raise VizError(
            f"Drawing with graphviz needs the graphviz package: {install_hint('viz')}; or use "
            "to_mermaid() / to_html(), which need nothing."
        ) from error
    graph = pipeline_graph(pipeline)
    digraph = graphviz.Digraph(name=graph.name)
    digraph.attr(rankdir="LR", fontname="Helvetica", label=graph.name, labelloc="t")
    digraph.attr("node", fontname="Helvetica", fontsize="11")
    digraph.attr("edge", color="#718096", arrowsize="0.7")
    styles = {
        "craft": {"shape": "box", "style": "rounded,filled", "fillcolor": "#2b6cb0",
                  "fontcolor": "white", "color": "#2c5282"},
        "artifact": {"shape": "cylinder", "style": "filled", "fillcolor": "#fefcbf",
                     "color": "#b7791f"},
        "volatile": {"shape": "box", "style": "rounded,dashed", "color": "#4a5568"},
    }  # fmt: skip
    for node in graph.nodes:
        digraph.node(node.key, node.label, tooltip=node.detail, **styles[node.kind])
    for tail, head in graph.edges:
        digraph.edge(tail, head)
    return digraph


# --- Mermaid ----------------------------------------------------------------------------------
def to_mermaid(pipeline: Pipeline) -> str:
    """Mermaid ``flowchart`` text of the pipeline (renders on GitHub, GitLab, in Markdown)."""
    graph = pipeline_graph(pipeline)
    shapes = {"craft": '["{}"]', "artifact": '[("{}")]', "volatile": '(["{}"])'}
    lines = ["flowchart LR"]
    for node in graph.nodes:
        label = node.label.replace('"', "#quot;")
        lines.append(f"    {node.key}{shapes[node.kind].format(label)}:::{node.kind}")
    lines += [f"    {tail} --> {head}" for tail, head in graph.edges]
    lines += [
        "    classDef craft fill:#2b6cb0,stroke:#2c5282,color:#fff",
        "    classDef artifact fill:#fefcbf,stroke:#b7791f",
        "    classDef volatile fill:#fff,stroke:#4a5568,stroke-dasharray:4 3",
    ]
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------
NODE_HEIGHT = 36
WAYPOINT_HEIGHT = 10  # a long edge's pass through a column it skips
ROW_GAP = 18
COLUMN_GAP = 70
MARGIN = 20


@dataclass
class _Box:
    key: str
    node: Node | None  # None for a waypoint of a long edge
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0

    @property
    def height(self) -> float:
        return NODE_HEIGHT if self.node is not None else WAYPOINT_HEIGHT


@dataclass
class Layout:
    """Boxes by key, each edge's route through the columns it crosses, and the drawing's size."""

    boxes: dict[str, _Box]
    routes: dict[tuple[str, str], list[str]]
    width: float
    height: float


def layout(graph: Graph) -> Layout:
    """Left-to-right layers (longest path); long edges get waypoints, as graphviz does, so
    they pass between nodes; each column is ordered by the barycenter of its neighbours."""
    import graphlib

    predecessors: dict[str, list[str]] = {node.key: [] for node in graph.nodes}
    for tail, head in graph.edges:
        predecessors[head].append(tail)
    order = list(graphlib.TopologicalSorter(predecessors).static_order())
    layer: dict[str, int] = {}
    for key in order:
        layer[key] = max((layer[p] + 1 for p in predecessors[key]), default=0)

    nodes = {node.key: node for node in graph.nodes}
    boxes = {key: _Box(key, nodes[key]) for key in order}
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for key in order:
        columns[layer[key]].append(key)
    routes: dict[tuple[str, str], list[str]] = {}
    for tail, head in graph.edges:
        route = [tail]
        for between in range(layer[tail] + 1, layer[head]):
            waypoint = f"w{len(boxes)}"
            boxes[waypoint] = _Box(waypoint, None)
            columns[between].append(waypoint)
            route.append(waypoint)
        routes[(tail, head)] = [*route, head]
    _reduce_crossings(columns, routes.values())
    width, height = _place(columns, boxes)
    return Layout(boxes, routes, width, height)


def _reduce_crossings(columns: list[list[str]], routes: Iterable[list[str]]) -> None:
    """Barycenter heuristic: sort each column by the mean row of its neighbours, both ways."""
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for route in routes:
        for tail, head in itertools.pairwise(route):
            up.setdefault(head, []).append(tail)
            down.setdefault(tail, []).append(head)
    forward, backward = range(1, len(columns)), range(len(columns) - 2, -1, -1)
    row = {key: r for column in columns for r, key in enumerate(column)}
    for _ in range(4):
        for sweep, neighbours in ((forward, up), (backward, down)):
            for index in sweep:
                columns[index].sort(
                    key=functools.partial(_barycenter, row=row, neighbours=neighbours)
                )
                # Only this column moved: its rows are updated, not every column's (large DAGs).
                row.update((key, r) for r, key in enumerate(columns[index]))


def _barycenter(key: str, *, row: dict[str, int], neighbours: dict[str, list[str]]) -> float:
    """The mean row of ``key``'s neighbours, or its own row when it has none."""
    return statistics.fmean(row[k] for k in neighbours[key]) if neighbours.get(key) else row[key]


def _place(columns: list[list[str]], boxes: dict[str, _Box]) -> tuple[float, float]:
    """Give boxes coordinates: columns side by side, each centred vertically; return the size."""

    def column_height(column: list[str]) -> float:
        return sum(boxes[key].height + ROW_GAP for key in column) - ROW_GAP

    tallest = max((column_height(column) for column in columns), default=0.0)
    x: float = MARGIN
    for column in columns:
        for key in column:
            node = boxes[key].node
            label = node.label if node else ""
            boxes[key].width = max(72.0, 7.4 * len(label) + 28) if label else 0.0
        width = max(boxes[key].width for key in column)
        y = MARGIN + (tallest - column_height(column)) / 2
        for key in column:
            box = boxes[key]
            if box.node is None:  # a waypoint spans the column: the edge runs straight across
                box.width = width
            box.x, box.y = x + (width - box.width) / 2, y
            y += box.height + ROW_GAP
        x += width + COLUMN_GAP
    return x - COLUMN_GAP + MARGIN, tallest + 2 * MARGIN


def to_svg(graph: Graph) -> str:
    """The graph as an inline ``<svg>`` element, laid out by :func:`layout`."""
    drawing = layout(graph)
    width, height = f"{drawing.width:.0f}", f"{drawing.height:.0f}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="dag" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="DAG of {html.escape(graph.name)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#718096"/></marker></defs>',
    ]
    for (tail, head), route in drawing.routes.items():
        parts.append(
            f'<path class="edge" data-from="{tail}" data-to="{head}" marker-end="url(#arrow)" '
            f'd="{_edge_path([drawing.boxes[key] for key in route])}"/>'
        )
    parts += [_svg_node(box, box.node) for box in drawing.boxes.values() if box.node is not None]
    parts.append("</svg>")
    return "\n".join(parts)


def _edge_path(route: list[_Box]) -> str:
    """Curves between columns (horizontal tangents), straight lines across waypoints."""
    first = route[0]
    x, y = first.x + first.width, first.y + first.height / 2
    commands = [f"M {x:.1f} {y:.1f}"]
    for box in route[1:]:
        x2, y2 = box.x, box.y + box.height / 2
        bend = max(20.0, (x2 - x) / 2)
        commands.append(f"C {x + bend:.1f} {y:.1f}, {x2 - bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}")
        x, y = x2 + box.width, y2
        if box.node is None:
            commands.append(f"L {x:.1f} {y:.1f}")
    return " ".join(commands)


def _svg_node(box: _Box, node: Node) -> str:
    x, y, w, h = box.x, box.y, box.width, box.height
    if node.kind == "artifact":  # a cylinder: body, then the visible top ellipse
        ry = 5
        shape = (
            f'<path class="shape" d="M {x} {y + ry} a {w / 2} {ry} 0 0 0 {w} 0 v {h - 2 * ry} '
            f'a {w / 2} {ry} 0 0 1 {-w} 0 z"/>'
            f'<ellipse class="shape" cx="{x + w / 2}" cy="{y + ry}" rx="{w / 2}" ry="{ry}"/>'
        )
        text_y = y + h / 2 + ry / 2 + 4
    else:
        radius = 6 if node.kind == "craft" else h / 2
        shape = f'<rect class="shape" x="{x}" y="{y}" width="{w}" height="{h}" rx="{radius}"/>'
        text_y = y + h / 2 + 4
    return (
        f'<g class="node {node.kind}" id="{node.key}" tabindex="0" '
        f'data-detail="{html.escape(node.detail)}"><title>{html.escape(node.detail)}</title>'
        f'{shape}<text x="{x + w / 2}" y="{text_y}">{html.escape(node.label)}</text></g>'
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5rem; color: #1a202c; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
.legend span { display: inline-block; margin-right: 1.2rem; font-size: .85rem; }
.legend i { display: inline-block; width: 1.4em; height: .9em; vertical-align: middle;
            margin-right: .3em; border: 1px solid #4a5568; }
.legend .craft i { background: #2b6cb0; border-radius: 3px; }
.legend .artifact i { background: #fefcbf; border-color: #b7791f; border-radius: 40%/25%; }
.legend .volatile i { border-style: dashed; border-radius: .45em; }
#canvas { overflow: auto; border: 1px solid #e2e8f0; border-radius: 6px; margin-top: .8rem; }
svg text { font-size: 12px; text-anchor: middle; pointer-events: none; }
.edge { fill: none; stroke: #718096; stroke-width: 1.4; }
.node { cursor: pointer; }
.craft .shape { fill: #2b6cb0; stroke: #2c5282; }
.craft text { fill: #fff; font-weight: bold; }
.artifact .shape { fill: #fefcbf; stroke: #b7791f; }
.volatile .shape { fill: #fff; stroke: #4a5568; stroke-dasharray: 4 3; }
.dim { opacity: .2; }
.edge.lit { stroke: #dd6b20; stroke-width: 2.4; }
#details { margin-top: .8rem; font-size: .9rem; min-height: 1.2em; }
</style>
</head>
<body>
<h1>__TITLE__</h1>
<div class="legend"><span class="craft"><i></i>craft</span><span class="artifact"><i></i>artifact
(catalog)</span><span class="volatile"><i></i>volatile (in memory)</span></div>
<div id="canvas">
__SVG__
</div>
<div id="details">Hover or click a node to see what it reads and produces.</div>
<script>
(function () {
  const edges = __EDGES__;
  const nodes = Array.from(document.querySelectorAll(".node"));
  const lines = Array.from(document.querySelectorAll(".edge"));
  const details = document.getElementById("details");
  function linked(key) {
    const keys = new Set([key]);
    edges.forEach(([a, b]) => { if (a === key) keys.add(b); if (b === key) keys.add(a); });
    return keys;
  }
  function label(key) { return document.getElementById(key).querySelector("text").textContent; }
  function show(key) {
    const keys = linked(key);
    nodes.forEach((n) => n.classList.toggle("dim", !keys.has(n.id)));
    lines.forEach((l) => {
      const on = l.dataset.from === key || l.dataset.to === key;
      l.classList.toggle("lit", on);
      l.classList.toggle("dim", !on);
    });
    const reads = edges.filter(([, b]) => b === key).map(([a]) => label(a));
    const gives = edges.filter(([a]) => a === key).map(([, b]) => label(b));
    details.textContent = document.getElementById(key).dataset.detail +
      " | reads: " + (reads.join(", ") || "-") + " | produces: " + (gives.join(", ") || "-");
  }
  function clear() {
    nodes.forEach((n) => n.classList.remove("dim"));
    lines.forEach((l) => l.classList.remove("lit", "dim"));
  }
  document.body.dataset.nodes = nodes.length;  // lets a test see that the script ran
  nodes.forEach((n) => {
    n.addEventListener("mouseenter", () => show(n.id));
    n.addEventListener("focus", () => show(n.id));
    n.addEventListener("mouseleave", clear);
  });
})();
</script>
</body>
</html>
"""


def to_html(pipeline: Pipeline, title: str | None = None) -> str:
    """A self-contained HTML page drawing the pipeline (inline SVG and script, no network)."""
    graph = pipeline_graph(pipeline)
    name = html.escape(title or f"Pipeline {graph.name}")
    # json.dumps of keys like "c0": safe inside <script>, no user text reaches the script.
    edges = json.dumps([list(edge) for edge in graph.edges])
    return (
        _PAGE.replace("__TITLE__", name)
        .replace("__EDGES__", edges)
        .replace("__SVG__", to_svg(graph))
    )


# --- files ------------------------------------------------------------------------------------
def write_picture(pipeline: Pipeline, path: Path) -> Path:
    """Write the picture whose format the suffix of ``path`` names; return ``path``.

    ``.svg``/``.png``/``.pdf`` need the ``dot`` program; ``.dot``/``.gv``, ``.mmd`` and
    ``.html`` are always available.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise VizError(
            f"{path}: unknown picture format {path.suffix!r}; use one of "
            f"{', '.join(sorted(SUFFIXES))}."
        )
    if fmt == "mermaid":
        payload: str | bytes = to_mermaid(pipeline)
    elif fmt == "html":
        payload = to_html(pipeline)
    elif fmt == "dot":
        payload = to_graphviz(pipeline).source
    else:
        payload = _render_with_dot(pipeline, fmt, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    else:
        path.write_text(payload, encoding="utf-8")
    return path


def _render_with_dot(pipeline: Pipeline, fmt: str, path: Path) -> bytes:
    if not has_dot():
        raise VizError(
            f"{path}: drawing {fmt.upper()} needs graphviz's `dot` program, which is not "
            f"installed (apt-get install graphviz, brew install graphviz, conda install "
            f"graphviz). Without it, write .html or .mmd instead."
        )
    digraph = to_graphviz(pipeline)
    try:
        return digraph.pipe(format=fmt)
    except Exception as error:  # graphviz raises CalledProcessError and ExecutableNotFound
        raise VizError(f"{path}: `dot` failed to draw the pipeline: {error}") from error
