"""``pipelines``, ``configurations`` and ``artifacts``: list what a project declares, or
describe one entry. ``ls`` never imports the project's code; ``pipelines describe`` does."""

from __future__ import annotations

from typing import Any

import click

from statisfactory.cli.history import artifacts_lineage
from statisfactory.cli.output import print_table, print_yaml, select_by_tags, shown_path
from statisfactory.cli.state import CliState
from statisfactory.cli.versions import artifacts_gc, artifacts_restore, artifacts_versions

select_option = click.option(
    "--select",
    metavar="TAGS",
    help="Only entries with at least one of these comma-separated tags, e.g. ml,report.",
)


def _print_listing(
    state: CliState, what: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """The table of ``what`` the project declares, e.g. "Pipelines of shop"."""
    title = f"{what} of {state.session().config.project_slug}"
    print_table(title, columns, rows, terminal=state.is_terminal)


# --- pipelines ------------------------------------------------------------------------------
@click.group()
def pipelines() -> None:
    """The pipelines declared in pipelines_definitions."""


@pipelines.command("ls")
@select_option
@click.pass_obj
def pipelines_ls(state: CliState, select: str | None) -> None:
    """List the pipelines: name, tags, operators and the file declaring each."""
    session = state.session()
    definitions = session.pipelines_definitions
    rows = []
    for name in select_by_tags(definitions.names(), definitions.tags, select):
        declared = definitions.definition(name)
        where = shown_path(declared.source, session.root)
        rows.append((name, declared.tags, declared.operators, where))
    _print_listing(state, "Pipelines", ("name", "tags", "operators", "declared in"), rows)


@pipelines.command("describe")
@click.argument("name")
@click.pass_obj
def pipelines_describe(state: CliState, name: str) -> None:
    """Show a pipeline's crafts by batch, with what each reads and produces."""
    session = state.session()
    definitions = session.pipelines_definitions
    pipeline = definitions[name]
    definition = definitions.definition(name)
    click.echo(f"Pipeline {name}  ({shown_path(definition.source, session.root)})")
    if pipeline.tags:
        click.echo(f"tags: {', '.join(pipeline.tags)}")
    click.echo(f"operators: {', '.join(definition.operators)}")
    rows = []
    for number, batch in enumerate(pipeline.batches, start=1):
        for craft in batch:
            signature = craft.signature
            reads = [f"{n} (artifact)" for _, n in signature.artifacts] + [
                f"{n} (volatile)" for _, n, _ in signature.volatiles
            ]
            produces = [f"{o.name} ({o.kind})" for o in signature.outputs]
            rows.append((number, craft.fqname, reads or "-", produces or "-"))
    print_table(
        "Crafts in execution order (crafts of one batch do not depend on each other)",
        ("batch", "craft", "reads", "produces"),
        rows,
        terminal=state.is_terminal,
    )
    report_problems(pipeline, session)


def report_problems(pipeline: Any, session: Any) -> None:
    """Say on stderr what a run would check before starting (the same checks as `run`)."""
    from statisfactory.pipeline.job import problems

    uses_catalog = any(craft.uses_catalog for craft in pipeline.crafts)
    for problem in problems(
        pipeline.crafts, session.catalog if uses_catalog else None, pipeline._label
    ):
        click.echo(f"before running: {problem}", err=True)


# --- configurations (parameter sets) --------------------------------------------------------
@click.group()
def configurations() -> None:
    """The parameter sets declared in parameters (the CONFIGURATION of `run`)."""


@configurations.command("ls")
@select_option
@click.pass_obj
def configurations_ls(state: CliState, select: str | None) -> None:
    """List the parameter sets: name, tags, top-level keys and the file declaring each."""
    session = state.session()
    sets = session.parameters
    rows: list[tuple[Any, ...]] = []
    for name in select_by_tags(sets.names(), sets.tags, select):
        where = shown_path(sets.source(name), session.root)
        rows.append((name, sets.tags(name), _keys_or_error(sets, name), where))
        sweep = sets.sweep(name) if sets.error(name) is None else None
        if sweep is not None:
            members = sets.members(name, limit=LISTED)
            rows += [(member, sets.tags(name), "member", where) for member in members]
            if sweep.size > LISTED:
                rows.append((f"… {sweep.size - LISTED} more members of {name}", "", "", where))
    _print_listing(state, "Parameter sets", ("name", "tags", "keys", "declared in"), rows)


LISTED = 100  # members of a sweep listed by `configurations ls`


def _keys_or_error(sets: Any, name: str) -> Any:
    """A set's top-level keys; a broken set is listed with what is wrong with it."""
    error = sets.error(name)
    if error is not None:
        return f"broken: {error}"
    sweep = sets.sweep(name)
    keys = list(sets[name])
    return keys if sweep is None else [*keys, f"sweep of {sweep.size} members"]


@configurations.command("describe")
@click.argument("name")
@click.pass_obj
def configurations_describe(state: CliState, name: str) -> None:
    """Print a parameter set as a run receives it: inheritance resolved, secrets hidden."""
    from statisfactory.secrets import redact

    session = state.session()
    sets = session.parameters
    values = sets[name]
    header = f"parameter set {name}, declared in {shown_path(sets.source(name), session.root)}"
    if sets.tags(name):
        header += f"\ntags: {', '.join(sets.tags(name))}"
    sweep = sets.sweep(name) if name in sets.names() else None
    if sweep is not None:
        header += f"\na sweep of {sweep.size} members (each these values and its own):"
        header += "".join(f"\n  {member}" for member in sets.members(name, limit=LISTED))
        if sweep.size > LISTED:
            header += f"\n  … {sweep.size - LISTED} more"
    print_yaml(redact(values), comment=header)


# --- artifacts ------------------------------------------------------------------------------
@click.group()
def artifacts() -> None:
    """The artifacts declared in the catalog."""


@artifacts.command("ls")
@select_option
@click.pass_obj
def artifacts_ls(state: CliState, select: str | None) -> None:
    """List the artifacts: name, type, where they live (secrets hidden) and tags."""
    session = state.session()
    catalog = session.catalog
    rows = []
    for name in select_by_tags(list(catalog), lambda n: catalog[n].tags, select):
        entry = catalog[name].describe()
        extra = entry["extra"] if isinstance(entry["extra"], dict) else {}
        where = extra.get("path") or ", ".join(f"{k}={v}" for k, v in extra.items())
        rows.append((name, entry["type"], where, entry["tags"]))
    _print_listing(state, "Artifacts", ("name", "type", "where", "tags"), rows)


@artifacts.command("describe")
@click.argument("name")
@click.pass_obj
def artifacts_describe(state: CliState, name: str) -> None:
    """Print an artifact's catalog entry, secrets hidden."""
    session = state.session()
    entry = session.catalog[name].describe()
    source = entry.pop("source", None)
    print_yaml(entry, comment=f"artifact {name}, declared in {shown_path(source, session.root)}")


artifacts.add_command(artifacts_lineage)  # lives with the run history it reads
artifacts.add_command(artifacts_versions)
artifacts.add_command(artifacts_restore)
artifacts.add_command(artifacts_gc)
