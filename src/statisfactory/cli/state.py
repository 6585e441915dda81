"""What every command shares: the project location, verbosity, the session and the terminal."""

from __future__ import annotations

import logging
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statisfactory.session import Session

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
PROJECT_ADVICE = (
    "Run the command inside a project, point at one with -p/--path, or create one with "
    "`statisfactory new NAME`."
)


class CraftFailed(Exception):
    """A craft failed during ``run``; the report is already printed, the exit status is 1."""


class _CurrentStderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is now, so a live display that redirects it stays clean."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # logging assigns it in __init__; the property wins
        pass


_warnings_logger = logging.getLogger("statisfactory.warnings")


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one log line. Statisfactory's own warnings name their file in the message,
    so their place in the code is left out; others keep it."""
    package = Path(__file__).resolve().parents[1]
    place = "" if Path(filename).resolve().is_relative_to(package) else f" ({filename}:{lineno})"
    _warnings_logger.warning("%s: %s%s", category.__name__, message, place)


@dataclass
class CliState:
    """Options of the ``statisfactory`` group and the objects built from them, once."""

    path: str | None = None
    verbose: bool = False
    _session: Any = field(default=None, repr=False)

    @property
    def is_terminal(self) -> bool:
        """Whether output goes to a terminal: rich tables and live progress, else plain lines."""
        return sys.stdout.isatty()

    def configure_logging(self) -> None:
        """Plain log lines on stderr; DEBUG with ``--verbose``; warnings become log lines."""
        logger = logging.getLogger("statisfactory")
        logger.setLevel(logging.DEBUG if self.verbose else logging.INFO)
        if not any(isinstance(h, _CurrentStderrHandler) for h in logger.handlers):
            handler = _CurrentStderrHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
            logger.addHandler(handler)
            logger.propagate = False
        warnings.showwarning = _log_warning

    def project_root(self) -> Path:
        """The root named by ``-p`` (a folder inside the project, or its pyproject.toml), else
        the nearest project at or above the current folder."""
        from statisfactory.project.pyproject import find_root

        given = Path(self.path).expanduser().resolve() if self.path is not None else Path.cwd()
        start = given.parent if given.is_file() else given
        return find_root(start, advice=PROJECT_ADVICE)

    def session(self) -> Session:
        """The project's session, built on first use."""
        if self._session is None:
            from statisfactory.session import Session

            self._session = Session(root_folder=self.project_root())
        return self._session
