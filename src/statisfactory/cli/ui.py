"""``statisfactory ui``: the web app over the project and its run history (read-only)."""

from __future__ import annotations

import click

from statisfactory.cli.state import CliState


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="The port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Any other than the loopback needs a token.",
)
@click.option(
    "--token",
    envvar="STATISFACTORY_UI_TOKEN",
    help="The token every request must show (default off the loopback: a random one, "
    "printed). Also read from STATISFACTORY_UI_TOKEN.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the URL in a web browser.")
@click.pass_obj
def ui(state: CliState, port: int, host: str, token: str | None, open_browser: bool) -> None:
    """Browse pipelines, runs, lineage and experiments in a web browser (it never runs crafts)."""
    from statisfactory.errors import UiError, install_hint

    try:
        from statisfactory.ui.app import create_app
        from statisfactory.ui.server import is_loopback, serve
    except ImportError as error:
        raise UiError(f"statisfactory ui needs its extra: {install_hint('ui')}") from error

    session = state.session()
    store = session.open_history(create=False)  # read-only: no store file for a new project

    def announce(url: str, chosen: str | None) -> None:
        if not is_loopback(host):
            click.echo(
                f"Warning: listening on {host}: anyone who can reach this machine and has the "
                "token can read the project's pipelines, runs and data previews.",
                err=True,
            )
        click.echo(f"Statisfactory UI of {session.root.name}: {url}")
        if chosen is not None:
            # A new token is printed once, on its own line (the output hides `?token=…`); one
            # the user gave is not repeated.
            shown = "the one given" if token is not None else chosen
            click.echo(f"Token: {shown}  (asked by the first page; or Authorization: Bearer)")
        click.echo("Press Ctrl-C to stop.", err=True)
        if open_browser:
            import webbrowser

            webbrowser.open(f"{url}?token={chosen}" if chosen else url)

    serve(lambda chosen: create_app(session, store, token=chosen), host, port, token, announce)
