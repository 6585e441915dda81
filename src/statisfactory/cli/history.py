"""``runs ls``, ``runs show RUN`` and ``artifacts lineage NAME``: the project's run history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from statisfactory.cli.output import print_table
from statisfactory.cli.state import CliState

UNCHECKED = (
    "recorded on another host, or by an earlier version: whether its process still runs "
    "cannot be checked from here"
)


def _store(state: CliState) -> Any:
    """The project's run history; a project that never ran has none, and gets none created."""
    from statisfactory.errors import StatisfactoryError
    from statisfactory.history.store import SQLITE_NAME, STORE_FOLDER, store_for

    session = state.session()
    default = session.root / STORE_FOLDER / SQLITE_NAME
    if not session.settings.get("history_url") and not default.exists():
        raise StatisfactoryError(
            f"no run history at {default}: it is created by the first `statisfactory run`"
        )
    return store_for(session)


def _when(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else ""


def _duration(run: dict[str, Any]) -> str:
    if run.get("started") and run.get("ended"):
        return f"{run['ended'] - run['started']:.2f}"
    return ""


def _commit(run: dict[str, Any]) -> str:
    commit = (run.get("git_commit") or "")[:10]
    return f"{commit}*" if commit and run.get("git_dirty") else commit


def _configuration(run: dict[str, Any], state: CliState, sets: dict[str, Any]) -> str:
    """The run's parameter set and its overrides, as they were typed: ``ridge +alpha=2``.

    Overrides are the recorded parameters that differ from the set as it reads now (all of
    them for a run without a set); a set that no longer reads shows its name alone."""
    name = run.get("configuration") or ""
    if name and name not in sets:
        try:
            sets[name] = dict(state.session().parameters[name])
        except Exception:  # deleted or broken since: the name alone, as recorded
            sets[name] = None
    base = sets.get(name) if name else {}
    if base is None:
        return name
    changed = [f"+{key}={value}" for key, value in _differences(run.get("params") or {}, base)]
    return " ".join([name, *changed]).strip()


def _differences(params: dict[str, Any], base: dict[str, Any], prefix: str = ""):
    """``(key, value)`` of ``params`` not as in ``base``; a craft's own keys as ``craft:key``."""
    for key, value in params.items():
        known = base.get(key)
        if isinstance(value, dict) and isinstance(known, dict) and not prefix:
            yield from _differences(value, known, f"{key}:")
        elif isinstance(value, dict) and known is None and not prefix and "." in key:
            yield from _differences(value, {}, f"{key}:")
        elif key not in base or known != value:
            yield f"{prefix}{key}", value


@click.group()
def runs() -> None:
    """The run history: every run of a pipeline, what each craft did and what it wrote."""


@runs.command("ls")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--pipeline", help="Only the runs of this pipeline.")
@click.option("--sweep", metavar="ID|last", help="Only the runs of this sweep.")
@click.pass_obj
def runs_ls(state: CliState, limit: int, pipeline: str | None, sweep: str | None) -> None:
    """List the latest runs, newest first (a * after the commit: uncommitted changes)."""
    store = _store(state)
    rows = []
    if sweep is None:
        found = store.runs(limit=limit, pipeline=pipeline)
    else:
        from statisfactory.history.runs import sweep_runs

        found, _ = store.search_runs(
            filters={"pipeline": pipeline or ""}, run_ids=sweep_runs(store, sweep), limit=limit
        )
    sets: dict[str, Any] = {}
    for run in found:
        counts = run.get("counts", {})
        rows.append(
            (
                run["run_id"],
                run.get("pipeline") or "",
                _configuration(run, state, sets),
                f"{run.get('status') or ''}{'?' if run.get('unchecked') else ''}",
                _when(run.get("started")),
                _duration(run),
                f"{counts.get('ran', 0)}/{counts.get('skipped', 0)}/{counts.get('failed', 0)}",
                _commit(run),
                run.get("sweep_id") or "",
            )
        )
    print_table(
        f"Runs recorded in {store.description}",
        (
            "run",
            "pipeline",
            "configuration (+overrides)",
            "status",
            "started",
            "seconds",
            "ran/skipped/failed",
            "commit",
            "sweep",
        ),
        rows,
        terminal=state.is_terminal,
    )
    if any(run.get("unchecked") for run in found):
        click.echo(f"running?: {UNCHECKED}")


@runs.command("show")
@click.argument("run_id", metavar="RUN")
@click.pass_obj
def runs_show(state: CliState, run_id: str) -> None:
    """Show one run (its id, a unique prefix of it, or `last`): crafts and artifacts written."""
    from statisfactory.history.runs import find_run

    store = _store(state)
    run = find_run(store, run_id)
    commit = _commit(run) or "none"
    unchecked = f" ({UNCHECKED})" if run.get("unchecked") else ""
    click.echo(f"Run {run['run_id']}: {run.get('status')}{unchecked}")
    click.echo(
        f"  pipeline: {run.get('pipeline')}  configuration: {run.get('configuration') or '-'}"
    )
    click.echo(f"  started: {_when(run.get('started'))}  seconds: {_duration(run) or '-'}")
    click.echo(
        f"  commit: {commit}  user: {run.get('user_name') or '-'}  host: {run.get('host') or '-'}"
    )
    click.echo(f"  incremental: {'yes' if run.get('incremental') else 'no'}")
    if run.get("params"):
        click.echo(f"  parameters: {run['params']}")
    if run.get("error"):
        click.echo(f"  error: {run['error']}")
    executions = store.executions(run["run_id"])
    print_table(
        "Crafts",
        ("craft", "status", "seconds", "why"),
        [
            (
                row["craft"],
                row["status"],
                f"{row['duration']:.3f}" if row.get("duration") else "",
                row.get("error") or row.get("reason") or "",
            )
            for row in executions
        ],
        terminal=state.is_terminal,
    )
    print_table(
        "Artifacts written",
        ("artifact", "craft", "location", "fingerprint"),
        [
            (row["name"], row.get("craft") or "-", row["location"], row.get("fingerprint") or "-")
            for row in store.writes(run["run_id"])
        ],
        terminal=state.is_terminal,
    )


@runs.command("compare")
@click.argument("run_ids", nargs=-1, metavar="[RUN]...")
@click.option("--sweep", metavar="ID|last", help="The runs of this sweep (last: the latest).")
@click.option("--sort", metavar="[-]COLUMN", help="Sort by a metric or parameter; -: descending.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option(
    "--plot",
    metavar="FILE.html|FILE.png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw each metric against the swept parameters (needs matplotlib).",
)
@click.pass_obj
def runs_compare(
    state: CliState,
    run_ids: tuple[str, ...],
    sweep: str | None,
    sort: str | None,
    fmt: str,
    plot: Path | None,
) -> None:
    """Compare runs (ids, unique prefixes or `last`; without any: the latest sweep): one row
    per run, the parameters that differ between them, and their metrics."""
    from statisfactory.history.compare import cells, render
    from statisfactory.history.runs import Runs

    if plot is not None:
        from statisfactory.history.plots import check_plot_path

        check_plot_path(plot)
    store = _store(state)
    comparison = Runs(store).comparison(list(run_ids) or None, sweep, sort)
    frame = comparison.frame
    if fmt == "table":
        header, rows = cells(frame)
        title = f"{len(frame)} run(s) compared" + (
            f"; parameters that differ: {', '.join(comparison.differing_params)}"
            if comparison.differing_params
            else ""
        )
        print_table(title, header, rows, terminal=state.is_terminal)
    else:
        click.echo(render(frame, fmt), nl=False)
    if plot is not None:
        from statisfactory.history.plots import write_plot

        write_plot(comparison, plot)
        click.echo(f"Plot written to {plot}", err=True)


@runs.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.pass_obj
def runs_diff(state: CliState, a: str, b: str) -> None:
    """What differs between runs A and B: parameters, crafts' code fingerprints, the versions
    of the artifacts they read, and metrics."""
    from statisfactory.history.runs import Runs

    diff = Runs(_store(state)).diff(a, b)
    if diff.same:
        click.echo(
            f"Runs {diff.a} and {diff.b} have the same parameters, code, inputs and metrics."
        )
        return
    sections = (
        ("Parameters", "parameter", diff.params),
        ("Code fingerprints", "craft", diff.code),
        ("Inputs (artifact fingerprints)", "artifact", diff.inputs),
        ("Metrics", "metric", diff.metrics),
    )
    for title, what, rows in sections:
        if rows:
            print_table(
                title,
                (what, diff.a, diff.b),
                [(name, _shown(x), _shown(y)) for name, x, y in rows],
                terminal=state.is_terminal,
            )


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)


@click.command("lineage")
@click.argument("name")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A !{} value of the artifact's location, YAML-parsed; repeatable. Without the values "
    "it needs, the latest recorded write of the artifact is traced.",
)
@click.pass_obj
def artifacts_lineage(state: CliState, name: str, params: tuple[str, ...]) -> None:
    """Trace the current version of artifact NAME: the run, craft, commit, parameters and
    inputs that produced it, and theirs, as a tree."""
    from statisfactory.history.lineage import artifact_lineage, render

    context = artifact_context(params, "lineage")
    session = state.session()
    click.echo(render(artifact_lineage(session, _store(state), name, context)))


def artifact_context(params: tuple[str, ...], command: str) -> dict[str, Any]:
    """The ``!{}`` values given as ``--param key=value`` to an ``artifacts`` command."""
    from statisfactory.cli.params import parse_param
    from statisfactory.errors import ConfigurationError

    context = {}
    for text in params:
        override = parse_param(text)
        if override.craft is not None:
            raise ConfigurationError(
                f"--param {text!r}: {command} takes the artifact's own values, key=value"
            )
        context[override.key] = override.value
    return context


# Defined with the versions, which use this module's helpers.
from statisfactory.cli.versions import runs_keep, runs_reproduce  # noqa: E402

runs.add_command(runs_keep)
runs.add_command(runs_reproduce)
