"""``statisfactory viz PIPELINE [-o FILE]``: draw a pipeline's DAG."""

from __future__ import annotations

from pathlib import Path

import click

from statisfactory.cli.state import CliState


@click.command()
@click.argument("pipeline")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write; its suffix picks the format: .svg .png .pdf (need graphviz's "
    "`dot`), .html (self-contained page), .mmd (Mermaid), .dot. Without it, Mermaid text is "
    "printed.",
)
@click.pass_obj
def viz(state: CliState, pipeline: str, output: Path | None) -> None:
    """Draw PIPELINE: crafts as boxes, artifacts as cylinders, volatiles as dashed boxes."""
    from statisfactory.cli.listing import report_problems
    from statisfactory.pipeline.viz import to_mermaid, write_picture

    session = state.session()
    chosen = session.pipelines_definitions[pipeline]
    report_problems(chosen, session)
    if output is None:
        click.echo(to_mermaid(chosen), nl=False)
        return
    written = write_picture(chosen, output)
    click.echo(f"wrote {written}")
