"""A pipeline's DAG as nodes with positions, laid out once here (as ``viz`` does) and drawn in
the browser: crafts carry their tags and the sub-pipeline they come from, so that the page can
filter and collapse."""

from __future__ import annotations

from typing import Any

from statisfactory.pipeline.viz import layout, pipeline_graph


def graph_data(session: Any, pipeline_name: str) -> dict[str, Any]:
    """Nodes (``id``, ``label``, ``kind``, ``fqname``, ``tags``, ``group``, ``x``, ``y``,
    ``width``) and edges of pipeline ``pipeline_name``."""
    definitions = session.pipelines_definitions
    pipeline = definitions[pipeline_name]
    graph = pipeline_graph(pipeline)
    drawing = layout(graph)
    crafts = [craft for batch in pipeline.batches for craft in batch]
    by_fqname = {craft.fqname: craft for craft in crafts}
    groups = _sub_pipelines(definitions, pipeline_name)
    nodes = []
    for node in graph.nodes:
        box = drawing.boxes[node.key]
        craft = by_fqname.get(node.detail) if node.kind == "craft" else None
        nodes.append(
            {
                "id": node.key,
                "label": node.label,
                "kind": node.kind,
                "fqname": craft.fqname if craft else node.label,
                "tags": list(craft.tags) if craft else [],
                "group": groups.get(craft.fqname) if craft else None,
                "x": round(box.x + box.width / 2, 1),
                "y": round(box.y + box.height / 2, 1),
                "width": round(box.width, 1),
            }
        )
    tags = sorted({tag for craft in crafts for tag in craft.tags})
    return {
        "name": pipeline_name,
        "nodes": nodes,
        "edges": [{"source": tail, "target": head} for tail, head in graph.edges],
        "tags": tags,
        "groups": sorted(set(groups.values())),
    }


def _sub_pipelines(definitions: Any, name: str) -> dict[str, str]:
    """Craft fqname -> the sub-pipeline of the YAML definition ``name`` it comes from (the
    first one that holds it)."""
    groups: dict[str, str] = {}
    for operator in definitions.definition(name).operators:
        if operator in definitions:
            for batch in definitions[operator].batches:
                for craft in batch:
                    groups.setdefault(craft.fqname, operator)
    return groups
