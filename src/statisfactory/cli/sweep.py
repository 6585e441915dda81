"""``statisfactory run PIPELINE SWEEP``: every member of a ``+grid`` / ``+zip`` set in one run."""

from __future__ import annotations

import time
from typing import Any

import click

from statisfactory.cli.output import print_table
from statisfactory.cli.state import CliState
from statisfactory.errors import CraftFailedError, SweepError


def run_sweep(
    state: CliState,
    chosen: Any,
    configuration: str,
    overrides: list[Any],
    *,
    yes: bool,
    dry_run: bool,
    **options: Any,
) -> None:
    """Run every member of sweep ``configuration`` (``--param`` overrides apply to each)."""
    from statisfactory.cli.params import apply_overrides
    from statisfactory.project.sweeps import MAX_MEMBERS

    session = state.session()
    sets = session.parameters
    sweep = sets.sweep(configuration)
    assert sweep is not None  # only called for sweeps
    if sweep.size > MAX_MEMBERS and not yes:
        click.echo(f"Warning: sweep {configuration} has {sweep.size} members.", err=True)
        raise SweepError(
            f"parameter set '{configuration}' sweeps {sweep.size} members, more than "
            f"{MAX_MEMBERS}: pass --yes to run them all, or sweep fewer values",
            key=configuration,
        )
    names = [(craft.fqname, craft.name) for craft in chosen.crafts]
    members = []
    for member in sets.members(configuration):
        params = apply_overrides(sets[member], overrides, names)
        state.hide_secrets_of(params)
        members.append((member, params))
    label = f"{chosen.name or 'pipeline'} with {configuration}"
    started = time.perf_counter()
    with session:
        result = chosen.sweep(members, dry_run=dry_run, **options)
    total = len(chosen.plan.crafts) * len(members)
    if dry_run:
        click.echo(
            f"{label}: {len(members)} member(s); {result.crafts_run} craft(s) of {total} would "
            "run, the others shared between members"
        )
        click.echo(f"Dry run of {label}: nothing was run.")
        return
    rows = []
    for member, _ in members:
        failure = result.failures.get(member)
        status = "failed" if failure is not None else "succeeded"
        rows.append((member, result.run_ids[member], status, str(failure) if failure else ""))
    print_table(
        f"Sweep {result.sweep_id} of {label}: {len(members)} member(s), {result.crafts_run} "
        f"craft(s) run for {total} in {time.perf_counter() - started:.2f} s",
        ("member", "run", "status", "error"),
        rows,
        terminal=state.is_terminal,
    )
    if result.failures:
        message = (
            f"{len(result.failures)} of {len(members)} members of sweep {result.sweep_id} "
            f"failed: {', '.join(result.failures)}; the others completed (see `statisfactory "
            f"runs compare --sweep {result.sweep_id}`)"
        )
        click.echo(message, err=True)
        raise CraftFailedError(message)
