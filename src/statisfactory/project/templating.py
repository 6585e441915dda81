"""Read the project's YAML files: Jinja2 first (strict: undefined variables are errors), then YAML.

Every error names the file, and the line when the parser knows it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statisfactory.errors import ConfigurationError

YAML_SUFFIXES = (".yaml", ".yml")
_JINJA_MARKERS = ("{{", "{%", "{#")


def yaml_files(path: Path) -> list[Path]:
    """The YAML files at ``path``: the file itself, or a folder's ``*.yaml``/``*.yml``, recursively.

    Files are sorted so that a folder always loads in the same order.
    """
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
    raise ConfigurationError(f"{path} does not exist: create it, or fix the path in pyproject.toml")


def _yaml_scalar(value: Any) -> Any:
    """What ``{{ value }}`` prints: ``null`` for ``None``, so YAML reads it back as null."""
    return "null" if value is None else value


@functools.cache
def _environment():  # jinja2 is imported only when a file actually uses Jinja syntax
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    # Sandboxed: a template reads settings and calls their safe methods, never Python internals
    # (``cycler.__init__.__globals__`` and the like are refused).
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_yaml_scalar,
    )


def render_template(text: str, variables: Mapping[str, Any], *, source: Path | str) -> str:
    """Render ``text`` with Jinja2; an undefined variable is an error naming it and the file."""
    if not any(marker in text for marker in _JINJA_MARKERS):
        return text
    import jinja2
    from jinja2.sandbox import SecurityError

    try:
        return _environment().from_string(text).render(**variables)
    except SecurityError as error:
        raise ConfigurationError(
            f"{source}: Jinja refused an unsafe construct ({error}). A template may use "
            f"settings, filters and tests, not Python internals (names starting with '_'); "
            f"fix the template."
        ) from error
    except jinja2.UndefinedError as error:
        folder = variables.get("configuration") or "conf"  # the project's, when it is known
        raise ConfigurationError(
            f"{source}: Jinja variable {error.message}. Define it in {folder}/globals.yaml or "
            f"{folder}/locals.yaml (or a STATISFACTORY_ environment variable), or fix the "
            f"template."
        ) from error
    except jinja2.TemplateSyntaxError as error:
        raise ConfigurationError(
            f"{source}, line {error.lineno}: Jinja syntax error: {error.message}"
        ) from error
    except jinja2.TemplateError as error:
        raise ConfigurationError(f"{source}: Jinja error: {error}") from error


def parse_yaml(text: str, *, source: Path | str) -> Any:
    """Parse YAML with the C loader when available; a syntax error names the file and line."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigurationError(f"{source}{where}: invalid YAML: {problem}") from error


def read_yaml_template(path: Path, variables: Mapping[str, Any]) -> Any:
    """Render ``path`` with Jinja2 from ``variables`` then parse it as YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"{path}: cannot be read ({error.strerror})") from error
    return parse_yaml(render_template(text, variables, source=path), source=path)
