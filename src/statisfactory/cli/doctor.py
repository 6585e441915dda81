"""``doctor``: clean up after processes that were killed."""

from __future__ import annotations

import click

from statisfactory.cli.state import CliState


@click.command("doctor")
@click.pass_obj
def doctor(state: CliState) -> None:
    """Delete the temporary files that killed saves left under the project folder, and mark
    the recorded runs whose process is gone as died. Files and runs of live processes, or of
    other hosts, are left alone."""
    from statisfactory.IO.backends.local import remove_abandoned_temporaries_under

    root = state.project_root()
    removed = remove_abandoned_temporaries_under(root)
    for path in removed:
        click.echo(f"removed {path.relative_to(root)}")
    click.echo(f"{len(removed)} temporary file(s) of killed saves removed under {root}")
    _mark_died_runs(state)


def _mark_died_runs(state: CliState) -> None:
    from statisfactory.history.store import SQLITE_NAME, STORE_FOLDER, run_liveness, store_for

    session = state.session()
    if (
        not session.settings.get("history_url")
        and not (session.root / STORE_FOLDER / SQLITE_NAME).exists()
    ):
        return  # no run history: nothing to mark
    store = store_for(session)
    running = store.query(
        "SELECT run_id, host, pid, process_started FROM runs WHERE status = :s", s="running"
    )
    dead = [run["run_id"] for run in running if run_liveness(run) == "dead"]
    store.mark_died()
    store.flush()
    for run_id in dead:
        click.echo(f"run {run_id} marked died: its process is gone")
    click.echo(f"{len(dead)} run(s) marked died in {store.description}")
