"""``statisfactory run PIPELINE [CONFIGURATION]``: run a pipeline and summarise what it did."""

from __future__ import annotations

import time

import click

from statisfactory.cli.interrupts import interrupts_delivered
from statisfactory.cli.output import print_table
from statisfactory.cli.state import CliState
from statisfactory.collector import collector_paused, frozen_until_exit
from statisfactory.errors import CraftFailedError


@click.command()
@click.argument("pipeline")
@click.argument("configuration", required=False)
@click.option(
    "-r", "--runner", help="sequential, threads, processes, dask… (default: the runner setting)."
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    help="How many crafts may run at once (parallel runners; default: max_workers setting).",
)
@click.option(
    "--address",
    metavar="tcp://HOST:PORT",
    help="A Dask scheduler to run on; implies --runner dask (default: the "
    "dask_scheduler_address setting, else a LocalCluster started for the run).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="[CRAFT:]KEY=VALUE",
    help="A run parameter, YAML-parsed; repeatable. CRAFT: (qualified or short name) gives it "
    "to that craft only. Overrides CONFIGURATION.",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Skip the crafts whose code, parameters and inputs are unchanged since their last "
    "successful run and whose outputs are still as written then.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Before running, print why each craft will run or be skipped (implies --incremental).",
)
@click.option("--crafts", metavar="A,B", help="Run only these crafts (short or qualified names).")
@click.option(
    "--from", "from_", metavar="A,B", help="Run these crafts and every craft downstream of them."
)
@click.option(
    "--to",
    metavar="X,Y",
    help="Run these crafts (or the producers of these artifacts) and every craft upstream.",
)
@click.option("--tags", metavar="T1,T2", help="Run only the crafts carrying one of these tags.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan (with --incremental, why each craft would run or be skipped) and run "
    "nothing.",
)
@click.option(
    "--volatile-cache",
    is_flag=True,
    help="Keep volatiles on disk, so that skipped crafts need not run again to provide them "
    "(default: the volatile_cache setting).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="A --param that no craft takes, no !{} uses and no **kwargs absorbs is an error, not "
    "a warning (default: the strict_parameters setting).",
)
@click.option("--yes", is_flag=True, help="Run a sweep of more than 10,000 members (else refused).")
@click.pass_obj
def run(
    state: CliState,
    pipeline: str,
    configuration: str | None,
    runner: str | None,
    workers: int | None,
    address: str | None,
    params: tuple[str, ...],
    incremental: bool,
    explain: bool,
    volatile_cache: bool,
    strict: bool,
    crafts: str | None,
    from_: str | None,
    to: str | None,
    tags: str | None,
    dry_run: bool,
    yes: bool,
) -> None:
    """Run PIPELINE with the parameter set CONFIGURATION (see `configurations ls`).

    PIPELINE may also name a craft of a pipeline: it then runs alone. --crafts, --from, --to
    and --tags keep the crafts that every one of them selects. A CONFIGURATION with +grid or
    +zip is a sweep: every member runs, each its own run, crafts they share run once.

    Exits with 1 when a craft fails, 2 when the project or the command line is wrong.
    """
    from statisfactory.cli.params import apply_overrides, parse_param, unreflected_overrides
    from statisfactory.cli.progress import RunMonitor
    from statisfactory.cli.selection import chosen_pipeline

    overrides = [parse_param(text) for text in params]  # malformed → error before any loading
    # Loading makes many objects and little garbage: the collector waits, then walks them once
    # (when the process ends with this one run, it keeps them frozen after: see collector.py).
    with collector_paused():
        session = state.session()
        chosen = chosen_pipeline(session, pipeline, crafts=crafts, from_=from_, to=to, tags=tags)
        for warning in unreflected_overrides(overrides, chosen.crafts, session.catalog.variables):
            click.echo(f"Warning: {warning}", err=True)
        _ = chosen.plan  # solve now: a cycle or a duplicate producer is a project error (exit 2)
        sweep = configuration is not None and _is_sweep(session, configuration)
        if state.ends_process and not (sweep or dry_run):
            frozen_until_exit(generation=1)  # what loading made is young: see collector.py
    if workers is None:
        workers = session.settings.get("max_workers")
    if address is not None:
        runner, workers = _dask_runner(address, runner, workers), None
    if configuration is not None and sweep:
        from statisfactory.cli.sweep import run_sweep

        run_sweep(
            state,
            chosen,
            configuration,
            overrides,
            yes=yes,
            dry_run=dry_run,
            runner=runner,
            max_workers=workers,
            incremental=incremental or explain,
            explain=explain,
            volatile_cache=True if volatile_cache else None,
            strict=True if strict else None,
        )
        return
    base = session.parameters[configuration] if configuration is not None else {}
    run_params = apply_overrides(base, overrides, [(c.fqname, c.name) for c in chosen.crafts])
    state.hide_secrets_of(run_params)  # --param api_token=… is as secret as a setting

    label = f"{pipeline} with {configuration}" if configuration else pipeline
    if dry_run:
        _dry_run(session, chosen, run_params, configuration, incremental or explain, label)
        return
    monitor = RunMonitor(chosen, root=session.root, terminal=state.is_terminal)
    started = time.perf_counter()
    try:
        with interrupts_delivered(), session, monitor:
            chosen.run(
                run_params,
                runner=runner,
                max_workers=workers,
                incremental=incremental or explain,
                explain=explain,
                volatile_cache=True if volatile_cache else None,
                configuration=configuration,
                plugins=[monitor],
                strict=True if strict else None,
            )
    except KeyboardInterrupt:
        _print_partial(monitor, f"Run of {label} interrupted.")
        raise
    except Exception as error:
        if not monitor.any_started:
            raise  # nothing ran: a project or usage error, reported by main (exit 2)
        if state.verbose:
            import traceback

            traceback.print_exception(error)
        where = "" if state.verbose else _raised_at(error, session.root)
        _print_partial(monitor, f"Run of {label} failed: {error}", where)
        # Exit status 1; the report above already says what failed and what completed.
        raise CraftFailedError(str(error), craft=getattr(error, "craft", None)) from error
    if state.ends_process:  # and so does what the run made: only its summary is left to do
        frozen_until_exit()
    skipped = sum(1 for record in monitor.records if record.status == "skipped")
    print_table(
        f"Run of {label}: {len(monitor.records)} craft(s)"
        + (f", {skipped} skipped as unchanged" if skipped else "")
        + f" in {time.perf_counter() - started:.2f} s",
        ("craft", "status", "seconds", "artifacts written"),
        monitor.summary_rows(),
        terminal=state.is_terminal,
    )


def _is_sweep(session, configuration: str) -> bool:
    sets = session.parameters
    return configuration in sets.names() and sets.sweep(configuration) is not None


def _dry_run(session, chosen, run_params, configuration, incremental: bool, label: str) -> None:
    """Check the run as a run would, print its plan, run nothing."""
    session.open_history(create=False)  # read-only: no store file for a new project
    with session:
        chosen.run(
            run_params,
            incremental=incremental,
            explain=incremental,  # the plan with each craft's reason to run or be skipped
            configuration=configuration,
            dry_run=True,
        )
    if not incremental:
        lines = [f"{label}: {len(chosen.plan.crafts)} craft(s) would run, in this order"]
        lines += [f"  run  {craft.fqname}" for craft in chosen.plan.crafts]
        click.echo("\n".join(lines))
    click.echo(f"Dry run of {label}: nothing was run.")


def _dask_runner(address: str, runner: str | None, workers: int | None):
    """The Dask runner on the scheduler at ``address``; ``--address`` goes with Dask only."""
    if runner not in (None, "dask"):
        raise click.UsageError(
            f"--address names a Dask scheduler, so it cannot go with --runner {runner}: "
            "drop --runner, or use --runner dask"
        )
    from statisfactory.pipeline.runners.dask import DaskRunner

    return DaskRunner(workers, address=address)


def _raised_at(error: BaseException | None, root) -> str:
    """``raised at FILE:LINE, in FUNCTION; rerun with -v…``: the project code that raised,
    as the craft's error carries it (through its causes)."""
    from statisfactory.cli.output import shown_path

    place = ""
    while error is not None and not place:
        file, line = getattr(error, "file", None), getattr(error, "line", None)
        if file and line:
            function = getattr(error, "function", None)
            place = f"raised at {shown_path(file, root)}:{line}, in {function}; "
        error = error.__cause__ or error.__context__
    return f"{place}rerun with -v for the traceback"


def _print_partial(monitor, headline: str, where: str = "") -> None:
    """The failure or interruption (and where it was raised), then what completed and what
    did not, on stderr."""
    lines = [headline, f"  {where}"] if where else [headline]
    for record in monitor.records:
        if record.status == "failed" and record.name not in headline:
            lines.append(f"  also failed: {record.name}: {record.error}")
    completed = [record.name for record in monitor.completed]
    lines.append(f"  completed: {', '.join(completed) if completed else 'none'}")
    not_run = [r.name for r in monitor.records if r.status in ("waiting", "running")]
    if not_run:
        lines.append(f"  not completed: {', '.join(not_run)}")
    click.echo("\n".join(lines), err=True)
