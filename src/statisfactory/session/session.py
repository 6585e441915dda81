"""``Session()``: a :class:`BaseSession`, or the project's own subclass declared in pyproject.toml."""

from __future__ import annotations

import importlib
from pathlib import Path

from statisfactory.errors import ConfigurationError
from statisfactory.project.pyproject import ProjectConfig
from statisfactory.session.base_session import BaseSession, load_project_config, put_on_sys_path


class Session(BaseSession):
    """Build the project's session.

    With ``[tool.statisfactory.session_factory] module = "session.custom" factory = "MySession"``
    (or the original's ``[tool.statisfactory.entrypoints] module/session_factory``) the instance
    is both a ``MySession`` and a ``Session``. The module is imported even without a factory, so
    the hooks it registers run.
    """

    _combined: dict[type, type] = {}
    _preloaded_config: ProjectConfig  # set by __new__, taken by __init__

    def __new__(cls, root_folder: str | Path | None = None) -> Session:
        if cls is not Session:  # a subclass (or an already combined class) builds itself
            return super().__new__(cls)
        config = load_project_config(root_folder)
        factory = resolve_factory(config)
        klass = Session if factory is None else _combine(factory)
        instance = super().__new__(klass)
        instance._preloaded_config = config  # spare __init__ a second read of pyproject.toml
        return instance


def _combine(factory: type[BaseSession]) -> type[Session]:
    if issubclass(factory, Session):
        return factory
    if factory not in Session._combined:
        Session._combined[factory] = type(factory.__name__, (factory, Session), {})
    return Session._combined[factory]


def resolve_factory(config: ProjectConfig) -> type[BaseSession] | None:
    """Import the project's session module and return its factory class (None without one)."""
    declared = config.session_factory
    if declared is None:
        return None
    where = f"{config.pyproject} [{declared.declared_in}]"
    put_on_sys_path(config)
    try:
        module = importlib.import_module(declared.module)
    except Exception as error:
        raise ConfigurationError(
            f"{where}: module {declared.module!r} cannot be imported: "
            f"{type(error).__name__}: {error}. It is looked up from the project root "
            f"{config.root} and from {config.sources}."
        ) from error
    if declared.factory is None:
        return None
    factory = getattr(module, declared.factory, None)
    if factory is None:
        raise ConfigurationError(
            f"{where}: module {declared.module!r} has no attribute {declared.factory!r}; "
            f"define the class there or fix the factory name."
        )
    if not (isinstance(factory, type) and issubclass(factory, BaseSession)):
        raise ConfigurationError(
            f"{where}: {declared.module}.{declared.factory} must be a class deriving from "
            f"statisfactory.session.BaseSession, got {factory!r}."
        )
    return factory
