"""Draw a pipeline's DAG: crafts as boxes, artifacts as cylinders, volatiles as rounded boxes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statisfactory.pipeline.pipeline import Pipeline


def _graph(pipeline: Pipeline) -> tuple[list, dict[str, str], list[tuple[str, str]]]:
    """(crafts, data name -> kind, edges between node keys ``craft:<i>`` / ``data:<name>``)."""
    crafts = [craft for batch in pipeline.batches for craft in batch]
    kinds: dict[str, str] = {}
    edges = []
    for index, craft in enumerate(crafts):
        for _, name in craft.signature.artifacts:
            kinds.setdefault(name, "artifact")
            edges.append((f"data:{name}", f"craft:{index}"))
        for _, name, _ in craft.signature.volatiles:
            kinds.setdefault(name, "volatile")
            edges.append((f"data:{name}", f"craft:{index}"))
        for output in craft.signature.outputs:
            kinds[output.name] = output.kind
            edges.append((f"craft:{index}", f"data:{output.name}"))
    return crafts, kinds, edges


def to_mermaid(pipeline: Pipeline) -> str:
    """Mermaid ``flowchart`` text of the pipeline."""
    crafts, kinds, edges = _graph(pipeline)
    data_ids = {name: f"d{i}" for i, name in enumerate(kinds)}

    def node_id(key: str) -> str:
        kind, _, rest = key.partition(":")
        return f"c{rest}" if kind == "craft" else data_ids[rest]

    lines = ["flowchart TD"]
    lines += [f'    c{i}["{craft.name}"]' for i, craft in enumerate(crafts)]
    for name, kind in kinds.items():
        lines.append(
            f'    {data_ids[name]}[("{name}")]'
            if kind == "artifact"
            else f'    {data_ids[name]}("{name}")'
        )
    lines += [f"    {node_id(a)} --> {node_id(b)}" for a, b in edges]
    return "\n".join(lines)


def to_graphviz(pipeline: Pipeline) -> Any:
    """A ``graphviz.Digraph`` of the pipeline; needs the ``graphviz`` Python package."""
    try:
        import graphviz
    except ImportError as error:
        from statisfactory.errors import PipelineError

        raise PipelineError(
            "Pipeline.plot() needs the graphviz package: pip install 'statisfactory[viz]', "
            "or use Pipeline.mermaid() which needs nothing"
        ) from error
    crafts, kinds, edges = _graph(pipeline)
    graph = graphviz.Digraph(name=pipeline.name or "pipeline")
    for index, craft in enumerate(crafts):
        graph.node(f"craft:{index}", craft.name, shape="box", style="bold", tooltip=craft.fqname)
    for name, kind in kinds.items():
        shape = "cylinder" if kind == "artifact" else "box"
        graph.node(f"data:{name}", name, shape=shape, style="rounded" if kind == "volatile" else "")
    for tail, head in edges:
        graph.edge(tail, head)
    return graph
