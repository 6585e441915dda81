"""``statisfactory``: the command line. Subcommands are imported only when invoked.

Exit status: 0 success, 1 a craft failed, 2 a usage or project-configuration error,
130 interrupted (Ctrl-C). User errors print one message on stderr; ``--verbose`` adds the
traceback.
"""

from __future__ import annotations

import atexit
import sys

import click

from statisfactory import __version__
from statisfactory.cli.common_options import LOG_LEVELS
from statisfactory.cli.lazy import LazyGroup
from statisfactory.cli.state import CliState
from statisfactory.collector import frozen_for_exit
from statisfactory.errors import StatisfactoryError

# Registered before the modules a command imports register theirs (the history's flush, Spark's
# stop...), so it runs after all of them, just before the interpreter shuts down.
atexit.register(frozen_for_exit)

COMMANDS = {
    "run": ("statisfactory.cli.run:run", "Run a pipeline, optionally with a parameter set."),
    "pipelines": ("statisfactory.cli.listing:pipelines", "List pipelines or describe one."),
    "configurations": (
        "statisfactory.cli.listing:configurations",
        "List parameter sets or print one, resolved.",
    ),
    "artifacts": (
        "statisfactory.cli.listing:artifacts",
        "List artifacts, describe one, trace its lineage, list, restore or gc its versions.",
    ),
    "compile": (
        "statisfactory.cli.compile:compile_notebooks",
        "Compile the notebooks' craft cells into modules.",
    ),
    "new": ("statisfactory.cli.new:new", "Create a new project with an example pipeline."),
    "viz": ("statisfactory.cli.viz:viz", "Draw a pipeline as SVG, PNG, Mermaid or HTML."),
    "ui": (
        "statisfactory.cli.ui:ui",
        "Browse pipelines, runs, lineage and experiments on the web.",
    ),
    "runs": ("statisfactory.cli.history:runs", "List recorded runs, show, keep or reproduce one."),
    "plugins": (
        "statisfactory.cli.plugins:plugins",
        "List installed plugins (formats, backends, runners, hooks).",
    ),
    "doctor": (
        "statisfactory.cli.doctor:doctor",
        "Clean up after killed processes: their temporary files, their runs.",
    ),
}

EXIT_CRAFT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-p",
    "--path",
    type=click.Path(exists=True, file_okay=True, dir_okay=True, path_type=str),
    help="The project folder, or its pyproject.toml (default: found from the current folder).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logs, and tracebacks on errors.")
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="The least severe log lines shown, the crafts' and Statisfactory's (default: INFO; "
    "Statisfactory's own INFO lines only off a terminal). -v and --log-level may also follow "
    "the subcommand.",
)
@click.version_option(__version__, "--version", prog_name="statisfactory")
@click.pass_obj
def cli(state: CliState, path: str | None, verbose: bool, log_level: str | None) -> None:
    """Statisfactory: replicable statistical pipelines."""
    state.path = path
    state.verbose = verbose
    state.log_level = log_level.upper() if log_level else None
    state.configure_logging()


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status. Without ``argv``, the command is this
    process's own (``sys.argv``: the ``statisfactory`` script, ``python -m statisfactory``),
    and the process ends after it; a caller passing ``argv`` keeps its process as it was."""
    state = CliState(ends_process=argv is None)
    try:
        result = cli.main(args=argv, prog_name="statisfactory", standalone_mode=False, obj=state)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `statisfactory artifacts ls | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    except Exception as error:
        return report_error(error, verbose=state.verbose)
    finally:
        state.close()  # after the last message, which secrets were hidden from


def report_error(error: Exception, *, verbose: bool) -> int:
    """Print ``error`` as one line (with the traceback if ``verbose``) and return the exit status."""
    if verbose or not isinstance(error, StatisfactoryError):
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    if isinstance(error, StatisfactoryError):
        click.echo(f"Error: {error}", err=True)
        return EXIT_USAGE
    click.echo(
        f"Unexpected error: {type(error).__name__}: {error}. This is a bug in Statisfactory "
        f"or in the project's code; the traceback above shows where.",
        err=True,
    )
    return EXIT_CRAFT_FAILED


if __name__ == "__main__":
    sys.exit(main())
