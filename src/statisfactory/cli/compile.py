"""``statisfactory compile``: notebooks' ``craft`` cells → modules, plus ``manifest.json``."""

from __future__ import annotations

import click

from statisfactory.cli.output import shown_path
from statisfactory.cli.state import CliState


@click.command("compile")
@click.pass_obj
def compile_notebooks(state: CliState) -> None:
    """Compile the craft-tagged cells of the notebooks under notebook_sources into modules of
    sources/notebook_target, and write manifest.json at the project root.

    Cells tagged `imports` (else the notebooks' import lines) head each module. Running it twice
    changes nothing.
    """
    from statisfactory.notebooks.compiler import compile_project
    from statisfactory.notebooks.manifest import MANIFEST_NAME, build_manifest, write_manifest

    session = state.session()
    root = session.root
    report = compile_project(session.config)
    manifest_path = root / MANIFEST_NAME  # where the original wrote it
    manifest_changed = write_manifest(manifest_path, build_manifest(session, report))

    for path in report.written:
        click.echo(f"wrote    {shown_path(path, root)}")
    for path in report.removed:
        click.echo(f"removed  {shown_path(path, root)} (its notebook is gone or has no craft cell)")
    if manifest_changed:
        click.echo(f"wrote    {shown_path(manifest_path, root)}")
    crafts = sum(len(compiled.crafts) for compiled in report.notebooks)
    status = "" if report.changed or manifest_changed else "; everything was up to date"
    click.echo(
        f"Compiled {len(report.notebooks)} notebook(s), {crafts} craft(s), into "
        f"{shown_path(report.target, root)}{status}."
    )
