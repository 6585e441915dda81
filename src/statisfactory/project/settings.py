"""Build the session's settings: pyproject table < globals < locals < ``STATISFACTORY_*`` variables."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statisfactory.errors import ConfigurationError
from statisfactory.project.files import read_text
from statisfactory.project.pyproject import ProjectConfig
from statisfactory.project.templating import parse_yaml
from statisfactory.secrets import ENVIRONMENT_PREFIX

if TYPE_CHECKING:
    from dynaconf import Dynaconf

ENVVAR_PREFIX = ENVIRONMENT_PREFIX.removesuffix("_")


def _find_file(folder: Path, stem: str) -> Path | None:
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read_settings_file(path: Path) -> dict[str, Any]:
    data = parse_yaml(read_text(path), source=path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"{path}: settings must be a YAML mapping of key: value, got {type(data).__name__}."
        )
    return data


def build_settings(config: ProjectConfig) -> Dynaconf:
    """The layered settings of a project; a missing configuration folder, globals or locals
    file is only a warning."""
    from statisfactory.project.dynaconf_import import import_dynaconf

    Dynaconf = import_dynaconf().Dynaconf
    folder = config.configuration.is_dir()
    if not folder:  # as the original: a project may keep every setting elsewhere
        warnings.warn(
            f"{config.pyproject}: configuration folder {config.configuration} does not exist; "
            f"settings come from pyproject.toml and STATISFACTORY_ variables only. Create it "
            f"with globals.yaml and locals.yaml, or fix tool.statisfactory.configuration.",
            stacklevel=4,
        )
    settings = Dynaconf(
        envvar_prefix=ENVVAR_PREFIX,
        loaders=[],  # environment variables are read below, keeping the files' spelling
        environments=False,
        merge_enabled=True,
        settings_files=[],
    )
    section = {k: v for k, v in config.raw.items() if not isinstance(v, dict)}
    settings.update(section)
    for stem in ("globals", "locals") if folder else ():
        path = _find_file(config.configuration, stem)
        if path is None:
            _warn_once(
                config.root,
                f"{config.configuration}: no {stem}.yaml; settings will not include it "
                f"(said once per project: .statisfactory/{NOTICES_NAME} remembers it).",
            )
            continue
        settings.update(_read_settings_file(path), merge=True)
    settings.update(_environment_settings(settings))  # environment variables win over files
    return settings


NOTICES_NAME = "notices.txt"


def _warn_once(root: Path, message: str) -> None:
    """Warn, unless this project was told already: a missing optional file is not news on
    every command. The notices told are kept in ``.statisfactory/notices.txt``."""
    notices = root / ".statisfactory" / NOTICES_NAME
    try:
        told = notices.read_text(encoding="utf-8").splitlines() if notices.is_file() else []
    except OSError:
        told = []
    if message in told:
        return
    warnings.warn(message, stacklevel=5)
    try:  # a read-only project is warned each time rather than failing
        notices.parent.mkdir(exist_ok=True)
        with notices.open("a", encoding="utf-8") as file:
            file.write(message + "\n")
    except OSError:
        pass


def _environment_settings(settings: Dynaconf) -> dict[str, Any]:
    """``STATISFACTORY_*`` variables, names lower-cased, values parsed as dynaconf does.

    ``STATISFACTORY_DB__PORT=6543`` becomes ``db__port``: dynaconf merges it into the ``db``
    mapping, where ``port`` then keeps the spelling of the files (its own loader would add an
    upper-case ``PORT`` that Jinja templates cannot see as ``db.port``).
    """
    from dynaconf.utils.parse_conf import boolean_fix, parse_conf_data

    prefix = f"{ENVVAR_PREFIX}_"
    return {
        name[len(prefix) :].lower(): parse_conf_data(
            boolean_fix(value), tomlfy=True, box_settings=settings
        )
        for name, value in os.environ.items()
        if name.startswith(prefix)
    }


_YES, _NO = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def flag(settings: Any, key: str, *, default: bool) -> bool:
    """The yes/no setting ``key`` of ``settings`` (any mapping with ``get``, or None):
    a boolean, or one of yes/no, on/off, true/false, 1/0 as text; ``default`` when unset."""
    value = settings.get(key) if settings is not None else None
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES or word in _NO:
            return word in _YES
    raise ConfigurationError(
        f"setting {key}: {value!r} is neither yes nor no; set it to true or false "
        f"(default: {str(default).lower()})",
        key=key,
    )


def template_variables(settings: Dynaconf) -> dict[str, Any]:
    """Settings as a plain dict for Jinja templates, each top-level key in lower and in upper
    case (``{{ pipeline }}`` and the original's ``{{ PIPELINE }}``); nested keys keep the
    spelling of the files."""
    variables: dict[str, Any] = {}
    for key, value in settings.as_dict().items():
        variables[str(key).upper()] = value
        variables[str(key).lower()] = value
    return variables
