"""The post-init hooks every session runs: catalog, parameter sets and pipeline definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from statisfactory.session.base_session import BaseSession


def load_catalog(session: BaseSession) -> None:
    """Build ``session.catalog`` from the ``catalog`` path of pyproject.toml."""
    from statisfactory.IO.catalog import Catalog

    session._catalog = Catalog.from_path(
        session.config.catalog,
        variables=session.template_variables,
        root=session.root,
        session=session,
    )


def load_parameters(session: BaseSession) -> None:
    """Build ``session.parameters`` from the ``parameters`` path (empty when not configured)."""
    from statisfactory.project.parameters import load_parameters as load

    session._parameters = load(session.config.parameters, session.template_variables)


def load_pipelines_definitions(session: BaseSession) -> None:
    """Build ``session.pipelines_definitions`` (lazy: user code is imported on first access)."""
    from statisfactory.IO.parse_cache import PIPELINES_CACHE_FOLDER
    from statisfactory.pipeline.definitions import load_pipelines_definitions as load

    session._pipelines_definitions = load(
        session.config.pipelines_definitions,
        session.template_variables,
        cache_folder=session.root / PIPELINES_CACHE_FOLDER,
    )


DEFAULT_HOOKS = (load_catalog, load_parameters, load_pipelines_definitions)
