"""A project's logging configuration: a ``logging`` setting, or ``logging.yaml`` in the
configuration folder, both in :func:`logging.config.dictConfig` form."""

from __future__ import annotations

import logging.config
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statisfactory.errors import ConfigurationError
from statisfactory.project.files import read_text
from statisfactory.project.templating import parse_yaml


def logging_config(settings: Any, folder: Path) -> tuple[dict[str, Any], str] | None:
    """The configuration and where it was read from; the setting wins over the file."""
    setting = settings.get("logging")
    if setting is not None:
        source = (
            "the logging setting (conf/globals.yaml, conf/locals.yaml or STATISFACTORY_LOGGING)"
        )
        data: Any = setting.to_dict() if hasattr(setting, "to_dict") else setting
    else:
        path = next(
            (
                folder / f"logging{s}"
                for s in (".yaml", ".yml")
                if (folder / f"logging{s}").is_file()
            ),
            None,
        )
        if path is None:
            return None
        source, data = str(path), parse_yaml(read_text(path), source=path)
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"{source}: must be a mapping in logging.config.dictConfig form (version: 1, "
            f"handlers:, loggers:…), got {type(data).__name__}",
            key="logging",
        )
    return dict(data), source


def apply_logging_config(settings: Any, folder: Path) -> None:
    """Apply the project's logging configuration, if it has one. Loggers configured before
    (Statisfactory's) stay enabled unless the configuration says otherwise."""
    found = logging_config(settings, folder)
    if found is None:
        return
    config, source = found
    config.setdefault("disable_existing_loggers", False)
    try:
        logging.config.dictConfig(config)
    except (ValueError, TypeError, AttributeError, ImportError) as error:
        raise ConfigurationError(
            f"{source}: logging.config.dictConfig refuses it: {error}. Fix it as the Python "
            "logging documentation describes (https://docs.python.org/3/library/logging.config.html)",
            key="logging",
        ) from error
