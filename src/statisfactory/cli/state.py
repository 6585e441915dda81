"""What every command shares: the project location, verbosity, the session and the terminal."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Callable
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
    ends_process: bool = False  # the command is the process's own: it ends after it
    log_level: str | None = None  # --log-level: the threshold of every log line shown
    _session: Any = field(default=None, repr=False)
    _restore_streams: Callable[[], None] | None = field(default=None, repr=False)
    secrets: Any = field(default=None, repr=False)  # what the output hides, once read

    @property
    def is_terminal(self) -> bool:
        """Whether output goes to a terminal: rich tables and live progress, else plain lines."""
        return sys.stdout.isatty()

    def configure_logging(self) -> None:
        """Log lines on stderr (above the live display on a terminal): the crafts' from INFO
        (or ``--log-level``), Statisfactory's own from INFO in logs but WARNING on a terminal,
        DEBUG with ``--verbose``; warnings become log lines."""
        root = logging.getLogger()
        root.setLevel(self.log_level or logging.INFO)
        if not any(isinstance(h, _CurrentStderrHandler) for h in root.handlers):
            handler = _CurrentStderrHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
            root.addHandler(handler)
        own = logging.getLogger("statisfactory")
        quiet = logging.WARNING if self.is_terminal else logging.INFO
        own.setLevel(logging.DEBUG if self.verbose else self.log_level or quiet)
        own.propagate = True
        warnings.showwarning = _log_warning

    def configure_project_logging(self, session: Session) -> None:
        """The project's own logging configuration, if any, over the defaults; every handler
        then masks the secrets."""
        from statisfactory.project.logging_config import apply_logging_config
        from statisfactory.secrets import guard_process

        apply_logging_config(session.settings, session._config.configuration)
        if self.log_level or self.verbose:
            self.configure_logging()  # the command line wins over the files
        if self.secrets is not None:
            guard_process(self.secrets)

    def project_root(self) -> Path:
        """The root named by ``-p`` (a folder inside the project, or its pyproject.toml), else
        the nearest project at or above the current folder."""
        from statisfactory.project.pyproject import find_root

        given = Path(self.path).expanduser().resolve() if self.path is not None else Path.cwd()
        start = given.parent if given.is_file() else given
        return find_root(start, advice=PROJECT_ADVICE)

    def session(self) -> Session:
        """The project's session, built on first use; from then on, the values of its secret
        settings never reach the output (see :mod:`statisfactory.secrets`)."""
        if self._session is None:
            from statisfactory.session import Session

            root = self.project_root()
            try:
                self._session = Session(root_folder=root)
            except Exception:
                self._hide_secrets(lambda: _settings_alone(root))  # a hook may print them
                raise
            self._hide_secrets(lambda: self._session.settings)
            self.configure_project_logging(self._session)
        return self._session

    def _hide_secrets(self, settings: Callable[[], Any]) -> None:
        from statisfactory.errors import StatisfactoryError
        from statisfactory.secrets import Secrets, hide_secrets

        if self._restore_streams is not None:
            return
        self.secrets = Secrets.of()  # the STATISFACTORY_* variables, even without settings
        with contextlib.suppress(StatisfactoryError):  # unreadable: the error about them follows
            self.secrets.add(settings().as_dict())
        self._restore_streams = hide_secrets(self.secrets)

    def hide_secrets_of(self, params: Any) -> None:
        """Also keep the secret values of ``params`` (a run's parameters) out of the output."""
        if self.secrets is not None:
            self.secrets.add(params)

    def close(self) -> None:
        """Give the process its own stdout and stderr back (after the last message)."""
        if self._restore_streams is not None:
            self._restore_streams()
            self._restore_streams = None


def _settings_alone(root: Path) -> Any:
    """The project's settings, read without building a session; no warning a second time."""
    from statisfactory.project.pyproject import read_project_config
    from statisfactory.project.settings import build_settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_settings(read_project_config(root))
