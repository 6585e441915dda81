"""Statisfactory: replicable statistical pipelines.

Public names are imported lazily so that ``import statisfactory`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "1.0.0.dev0"

_EXPORTS = {
    "Session": "statisfactory.session",
    "BaseSession": "statisfactory.session",
    "Scoped": "statisfactory.session",
    "Craft": "statisfactory.pipeline",
    "Pipeline": "statisfactory.pipeline",
    "Artifact": "statisfactory.pipeline",
    "Volatile": "statisfactory.pipeline",
    "Metrics": "statisfactory.pipeline",
    "Catalog": "statisfactory.IO",
    "ArtifactInteractor": "statisfactory.IO",
    "Backend": "statisfactory.IO",
    "StatisfactoryError": "statisfactory.errors",
    # `%load_ext statisfactory` in IPython / Jupyter
    "load_ipython_extension": "statisfactory.notebooks.ipython",
    "unload_ipython_extension": "statisfactory.notebooks.ipython",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time __getattr__ imports lazily
    from statisfactory.errors import StatisfactoryError  # noqa: F401
    from statisfactory.IO import ArtifactInteractor, Backend, Catalog  # noqa: F401
    from statisfactory.pipeline import Artifact, Craft, Metrics, Pipeline, Volatile  # noqa: F401
    from statisfactory.session import BaseSession, Scoped, Session  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'statisfactory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
