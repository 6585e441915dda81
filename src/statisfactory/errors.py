"""Every exception class of the package. Every error the library raises derives from
:class:`StatisfactoryError`.

Messages name what is concerned (file, key, artifact, craft) and say how to fix it;
the underlying exception, if any, is chained with ``raise ... from``.
"""

from __future__ import annotations

import functools
from typing import Any, Self

_CONTEXT = ("subject", "artifact", "location", "craft", "file", "key", "line", "function")
# The name the package is installed under (pyproject's `[project] name`; `statisfactory` on the
# package index is another package). The import name stays `statisfactory`.
DISTRIBUTION = "statisfactory-pipelines"


def install_hint(extra: str) -> str:
    """The command that installs an extra, for messages: ``pip install 'NAME[extra]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


class StatisfactoryError(Exception):
    """Base class of every error raised by Statisfactory.

    What the error is about is carried as attributes, ``None`` when unknown: ``artifact`` (its
    name), ``location`` (where it is stored, resolved), ``craft`` (its qualified name), ``file``
    and ``key``; for a craft's failure, ``file``, ``line`` and ``function`` of the project code
    that raised. A layer that knows more than the raiser adds it with :meth:`add_context`. The
    message (``args[0]``) stays as raised; ``str(error)`` puts ``subject`` (how the catalog names
    an artifact, with its type and file) in front of it when the message does not name the
    artifact already.
    """

    subject: str | None = None
    artifact: str | None = None
    location: str | None = None
    craft: str | None = None
    file: str | None = None
    key: str | None = None
    line: str | None = None
    function: str | None = None

    def __init__(self, *args: object, **context: Any) -> None:
        super().__init__(*args)
        self.add_context(**context)

    def add_context(self, **context: Any) -> Self:
        """Set the context attributes not known yet; what the raiser set stays."""
        for name, value in context.items():
            if name not in _CONTEXT:
                raise TypeError(f"unknown error context {name!r}; known: {', '.join(_CONTEXT)}")
            if value is not None and getattr(self, name) is None:
                setattr(self, name, str(value))
        return self

    def __str__(self) -> str:
        message = BaseException.__str__(self)  # not KeyError's, which quotes the message
        named = self.artifact is not None and f"artifact {self.artifact!r}" in message
        if not self.subject or named:
            return message
        return f"{self.subject}: {message}" if message else self.subject


# --- reading a user's project -------------------------------------------------------------
class ProjectError(StatisfactoryError):
    """The project cannot be read: pyproject, settings, YAML files, user modules."""


class ProjectNotFoundError(ProjectError):
    """No ``pyproject.toml`` with a ``[tool.statisfactory]`` table was found."""


class ConfigurationError(ProjectError):
    """A configuration file or key is malformed, missing or of the wrong type."""


class ParametersError(ProjectError):
    """A parameter set (``pipelines/parameters``) is invalid."""


class DefinitionError(ProjectError):
    """A pipeline definition (``pipelines/definitions``) is invalid."""


# --- the session --------------------------------------------------------------------------
class SessionError(StatisfactoryError):
    """The session cannot be built or used."""


class NoActiveSessionError(SessionError):
    """Code that needs a session ran outside any ``with session:`` block."""


class HookError(SessionError):
    """A user hook raised."""


class PluginError(SessionError):
    """A plugin cannot be loaded or registered (bad entry point, wrong hook argument name)."""


class IntegrationError(StatisfactoryError):
    """An integration (AWS, git, lakeFS, SQL) is not configured or cannot be reached."""


# --- the catalog --------------------------------------------------------------------------
class CatalogError(StatisfactoryError):
    """The catalog is invalid, or an artifact cannot be loaded or saved."""


class ArtifactNotFoundError(CatalogError, KeyError):
    """An artifact name is not declared in the catalog."""


class UnknownTypeError(CatalogError):
    """An artifact's type is neither built in nor registered."""


class InterpolationError(CatalogError):
    """A ``!{var}`` or ``+{ literal }+`` expression cannot be resolved."""


class MissingVariableError(InterpolationError):
    """A ``!{var}`` names a variable that neither the call nor the run provides."""


class DynamicValueError(InterpolationError):
    """A ``!{var}`` value is refused where it goes: it would move a path or splice into SQL."""


class StorageError(CatalogError):
    """A backend cannot read or write the artifact's bytes."""


# --- crafts, pipelines and runners --------------------------------------------------------
class CraftError(StatisfactoryError):
    """A craft is declared wrongly, called wrongly, or raised while running."""


class PipelineError(StatisfactoryError):
    """A pipeline cannot be built or solved (duplicate producers, cycles, missing inputs)."""


class ReproductionError(PipelineError):
    """A recorded run that cannot be reproduced as asked (``runs reproduce``)."""


class RunnerError(StatisfactoryError):
    """A runner is unknown, misconfigured, or failed to schedule crafts."""


class HistoryError(StatisfactoryError):
    """A run, a sweep or a metric asked of the run history is not recorded, or is ambiguous."""


# --- the classes of each layer, gathered here --------------------------------------------------
class SweepError(ParametersError):
    """A ``+grid`` / ``+zip`` sweep is declared wrongly, or is too large to run unasked."""


class UnknownParameterSetError(ParametersError, KeyError):
    """No parameter set has the requested name."""


class UnknownPipelineError(DefinitionError, KeyError):
    """No pipeline definition has the requested name."""


class RefusedYaml(ConfigurationError):
    """Valid YAML that the bounded loader refuses; ``where`` is ``line N`` or ``lines N and M``
    (the file is named by whoever parsed the text)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.where, self.problem), self.__dict__


class NotebookError(ConfigurationError):
    """A notebook cannot be read or compiled."""


class LakeFSBranchError(IntegrationError):
    """The git checkout does not give a usable lakeFS branch (detached HEAD, invalid name)."""


class InteractorRegistrationError(CatalogError):
    """Two different classes claim the same artifact type name."""


class BackendRegistrationError(CatalogError):
    """Two different backend classes claim the same scheme."""


class MissingArtifactError(StorageError, FileNotFoundError):
    """An artifact is declared but nothing is stored at its (resolved) location."""


class VersionNotFoundError(CatalogError, LookupError):
    """A version of an artifact that is not stored (the message lists those that are)."""


class DatabaseUnreachableError(StorageError):
    """The database of a ``sql`` artifact cannot be reached or refuses the credentials."""


class DatabaseRefusedError(CatalogError):
    """The database refused a statement: the query, or the write of the table."""


class CraftUsageError(CraftError):
    """A craft was given or returned something it cannot handle; the message names the craft."""


class CraftOutputError(CraftUsageError):
    """A craft returned values that do not match its return annotation."""


class UndeclaredArtifactError(CraftUsageError, ArtifactNotFoundError):
    """A craft loads or saves an artifact the catalog does not declare."""


class VizError(PipelineError):
    """A picture of a pipeline cannot be drawn or written."""


class UiError(StatisfactoryError):
    """``statisfactory ui`` cannot start: its extra is missing, or its address is refused."""


class WorkerLostError(RunnerError):
    """The Dask workers running a craft died more times than the run allows."""


class UnhashableValueError(ValueError):
    """A value is neither JSON nor picklable, so no digest can stand for it (an internal signal:
    the run history then records no digest)."""


class UnknownTypeWarning(UserWarning):
    """A catalog entry's type is unknown: the entry is kept, and using it is an error."""


# --- the command line ---------------------------------------------------------------------------
def __getattr__(name: str) -> Any:
    # The command line's craft failure is a click exception; built on first use so that
    # importing the library does not import click.
    if name == "CraftFailedError":
        return _craft_failed_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _craft_failed_error() -> type[Exception]:
    import click

    class CraftFailedError(click.ClickException):
        """A craft failed during ``statisfactory run``: the run's report (what failed, what
        completed) is already printed, so showing it prints nothing more; exit status 1."""

        exit_code = 1

        def __init__(self, message: str, *, craft: str | None = None) -> None:
            super().__init__(message)
            self.craft = craft

        def show(self, file: Any = None) -> None:
            pass

    # Named as the module attribute it is reached by, so that pickle finds it.
    CraftFailedError.__module__, CraftFailedError.__qualname__ = __name__, "CraftFailedError"
    return CraftFailedError


class UnusedParameterWarning(UserWarning):
    """A run parameter that no craft takes, no ``!{}`` uses and no ``**kwargs`` absorbs."""


class NodeReadingNeeded(Exception):
    """Internal to :mod:`statisfactory.project.yaml_events`, never raised to a caller: the YAML
    document needs PyYAML's node-level reading (an anchor, a tag, a merge, a refusal)."""
