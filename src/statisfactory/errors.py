"""Every error the library raises derives from :class:`StatisfactoryError`.

Messages name what is concerned (file, key, artifact, craft) and say how to fix it;
the underlying exception, if any, is chained with ``raise ... from``.
"""

from __future__ import annotations


class StatisfactoryError(Exception):
    """Base class of every error raised by Statisfactory."""


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

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownTypeError(CatalogError):
    """An artifact's type is neither built in nor registered."""


class InterpolationError(CatalogError):
    """A ``!{var}`` or ``+{ literal }+`` expression cannot be resolved."""


class DynamicValueError(InterpolationError):
    """A ``!{var}`` value is refused where it goes: it would move a path or splice into SQL."""


class StorageError(CatalogError):
    """A backend cannot read or write the artifact's bytes."""


# --- crafts, pipelines and runners --------------------------------------------------------
class CraftError(StatisfactoryError):
    """A craft is declared wrongly, called wrongly, or raised while running."""


class PipelineError(StatisfactoryError):
    """A pipeline cannot be built or solved (duplicate producers, cycles, missing inputs)."""


class RunnerError(StatisfactoryError):
    """A runner is unknown, misconfigured, or failed to schedule crafts."""
