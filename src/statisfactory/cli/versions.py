"""``artifacts versions NAME`` and ``artifacts restore NAME VERSION``: versioned artifacts."""

from __future__ import annotations

import json
from typing import Any

import click

from statisfactory.cli.history import _when, artifact_context
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
