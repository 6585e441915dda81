"""Versioned artifacts on the command line: ``artifacts versions``, ``artifacts restore``,
``artifacts gc``, ``runs keep`` and ``runs reproduce``."""

from __future__ import annotations

import json
from typing import Any

import click

from statisfactory.cli.output import print_table
from statisfactory.cli.state import CliState

_PARAM = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A !{} value of the artifact's location, YAML-parsed; repeatable.",
)


def _params(params: Any) -> str:
    if not params:
        return ""
    if isinstance(params, dict):
        return " ".join(f"{key}={json.dumps(value, default=str)}" for key, value in params.items())
    return str(params)


@click.command("versions")
@click.argument("name")
@_PARAM
@click.pass_obj
def artifacts_versions(state: CliState, name: str, params: tuple[str, ...]) -> None:
    """List the stored versions of artifact NAME, oldest first (* the current one): when, its
    size and fingerprint, and the run, craft, commit and parameters that wrote it."""
    from statisfactory.cli.history import _when, artifact_context

    session = state.session()
    catalog = session.catalog
    context = artifact_context(params, "versions")
    versions = catalog.versions(name, **context)
    rows = [
        (
            f"{version.version}{' *' if version.current else ''}",
            _when(version.time),
            str(version.size if version.size is not None else ""),
            _short(version.fingerprint),
            (version.run_id or "-") + (" (kept)" if version.kept else ""),
            version.craft or "-",
            (version.commit or "")[:10] or "-",
            _params(version.params),
        )
        for version in versions
    ]
    where = catalog.locate(name, **context)
    if not versions:
        how = "" if catalog.versioned(name) else " (it is not versioned: declare versioned: true)"
        click.echo(f"No version of {name} is stored for {where}{how}.")
        return
    print_table(
        f"Versions of {name} ({where})",
        ("version", "stored", "bytes", "fingerprint", "run", "craft", "commit", "parameters"),
        rows,
        terminal=state.is_terminal,
    )


@click.command("restore")
@click.argument("name")
@click.argument("version")
@_PARAM
@click.pass_obj
def artifacts_restore(state: CliState, name: str, version: str, params: tuple[str, ...]) -> None:
    """Make VERSION (its id, a unique prefix or its content hash) of artifact NAME current
    again; recorded in the run history as a restore."""
    from statisfactory.cli.history import _when, artifact_context

    session = state.session()
    context = artifact_context(params, "restore")
    restored = session.catalog.restore(name, version, **context)
    written = f", written by run {restored.run_id}" if restored.run_id else ""
    click.echo(
        f"Restored {name} to version {restored.version} (stored {_when(restored.time)}"
        f"{written}) at {session.catalog.locate(name, **context)}."
    )


def _short(fingerprint: str | None) -> str:
    if not fingerprint:
        return "-"
    algorithm, _, value = fingerprint.partition(":")
    return f"{algorithm}:{value[:12]}" if value else fingerprint


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.pass_obj
def artifacts_gc(state: CliState, dry_run: bool) -> None:
    """Delete stored versions beyond each artifact's `versions: {keep: N}` policy (the N newest
    stay), never the current one nor one a kept run wrote (`runs keep`)."""
    from statisfactory.cli.history import _store
    from statisfactory.history.gc import collect

    collected = collect(state.session(), _store(state), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for item in collected:
        where = " ".join(f"{k}={v}" for k, v in item.context.items())
        click.echo(f"{verb} {item.name} {item.version}{f' ({where})' if where else ''}")
    total = sum(item.size or 0 for item in collected)
    done = "would be deleted" if dry_run else "deleted"
    click.echo(f"{len(collected)} version(s) {done}, {total} bytes.")


@click.command("keep")
@click.argument("run_id", metavar="RUN")
@click.option("--undo", is_flag=True, help="No longer keep the run's versions.")
@click.pass_obj
def runs_keep(state: CliState, run_id: str, undo: bool) -> None:
    """Keep the versions run RUN wrote: `artifacts gc` never deletes them."""
    from statisfactory.cli.history import _store
    from statisfactory.history.reproduce import find_run

    store = _store(state)
    run = find_run(store, run_id)
    store.keep_run(run["run_id"], not undo)
    store.flush()
    click.echo(f"Run {run['run_id']}: its versions are {'no longer ' if undo else ''}kept.")


@click.command("reproduce")
@click.argument("run_id", metavar="RUN")
@click.option(
    "--allow-code-change",
    is_flag=True,
    help="Rerun even when the crafts' code differs from the run's (it is said which).",
)
@click.pass_obj
def runs_reproduce(state: CliState, run_id: str, allow_code_change: bool) -> None:
    """Run RUN again with its recorded parameters, configuration and inputs' versions, and
    tell which outputs came out byte-identical. Refuses when the code differs from the run's."""
    from statisfactory.cli.history import _store
    from statisfactory.cli.selection import chosen_pipeline
    from statisfactory.history.reproduce import compare, prepare, restore_inputs

    session = state.session()
    store = _store(state)
    plan = prepare(session, store, run_id, allow_code_change=allow_code_change)
    original = plan.run["run_id"]
    if plan.code_changes:
        click.echo(f"The code of {', '.join(plan.code_changes)} differs from run {original}'s.")
    for name, _, version in plan.restored_inputs:
        click.echo(f"Restoring input {name} to version {version}, the one run {original} read.")
    restore_inputs(session, plan)
    pipeline = chosen_pipeline(session, plan.run["pipeline"], crafts=",".join(plan.crafts))
    state.hide_secrets_of(plan.params)
    with session:
        result = pipeline.run(plan.params, configuration=plan.run.get("configuration"))
    outcomes = compare(store, original, result.run_id)
    print_table(
        f"Run {result.run_id} reproduces run {original}",
        ("artifact", "location", "byte-identical", "fingerprint then", "fingerprint now"),
        [
            (o.name, o.location, "yes" if o.identical else "NO", _short(o.recorded), _short(o.now))
            for o in outcomes
        ],
        terminal=state.is_terminal,
    )
    same = sum(o.identical for o in outcomes)
    click.echo(f"{same} of {len(outcomes)} output(s) byte-identical.")
