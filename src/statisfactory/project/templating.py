"""Read the project's YAML files: Jinja2 first (strict: undefined variables are errors), then YAML.

Every error names the file, and the line when the parser knows it. A text (as written, or as
Jinja renders it) is at most :data:`TEXT_LIMIT` characters; the YAML loader's own limits are in
yaml_loader.py.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from statisfactory.errors import ConfigurationError, RefusedYaml
from statisfactory.project.files import read_text

YAML_SUFFIXES = (".yaml", ".yml")
TEXT_LIMIT = 32_000_000
_JINJA_MARKERS = ("{{", "{%", "{#")
# ``{{ name }}``: the only Jinja most files hold, substituted without compiling a template.
_PLAIN_VARIABLE = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}")
_JINJA_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})


def yaml_files(path: Path) -> list[Path]:
    """The YAML files at ``path``: the file itself, or a folder's ``*.yaml``/``*.yml``, recursively.

    Files are sorted so that a folder always loads in the same order. A sub-folder that cannot
    be listed is an error: skipping it would silently drop its declarations.
    """
    if path.is_file():
        return [path]
    if path.is_dir():
        found = [
            Path(folder, name)
            for folder, _, names in os.walk(path, onerror=_unlistable)
            for name in names
            if Path(name).suffix in YAML_SUFFIXES
        ]
        return sorted(p for p in found if p.is_file())
    raise ConfigurationError(f"{path} does not exist: create it, or fix the path in pyproject.toml")


def _unlistable(error: OSError) -> None:
    raise ConfigurationError(
        f"{error.filename}: cannot be read ({error.strerror}); check that its permissions let "
        f"you list it"
    ) from error


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
    substituted = _substitute_plain_variables(text, variables)
    if substituted is not None:
        if len(substituted) > TEXT_LIMIT:
            raise _too_long(source, "once rendered by Jinja")
        return substituted
    import jinja2
    from jinja2.sandbox import SecurityError

    try:
        return _bounded(_environment().from_string(text).generate(**variables), source)
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


def _substitute_plain_variables(text: str, variables: Mapping[str, Any]) -> str | None:
    """What Jinja renders from ``text`` when its only Jinja is ``{{ name }}`` of defined
    settings, else ``None`` (Jinja renders it, and reports what is wrong).

    Compiling a template costs about 0.1 ms per ``{{ }}``: a catalog of thousands of entries
    would spend most of its first build there.
    """
    pieces = _PLAIN_VARIABLE.split(text)  # text, name, text, name, ..., text
    texts, names = pieces[::2], pieces[1::2]
    if "\r" in text or any(  # Jinja rewrites line ends; leftover markers are other syntax
        marker in piece for piece in texts for marker in _JINJA_MARKERS
    ):
        return None
    if any(piece.endswith("{") for piece in texts[:-1]):  # ``{{{ x }}``: Jinja reads it otherwise
        return None
    if any(name in _JINJA_CONSTANTS or name not in variables for name in names):
        return None
    rendered = [texts[0]]
    for name, piece in zip(names, texts[1:], strict=True):
        rendered += (str(_yaml_scalar(variables[name])), piece)
    return "".join(rendered)


def _bounded(chunks: Iterable[str], source: Path | str) -> str:
    """Join the rendered ``chunks``, stopping as soon as they pass :data:`TEXT_LIMIT`."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > TEXT_LIMIT:
            raise _too_long(source, "once rendered by Jinja")
        parts.append(chunk)
        if len(parts) > 4096:  # keep few objects alive: a loop may render tiny pieces
            parts = ["".join(parts)]
    return "".join(parts)


def _too_long(source: Path | str, when: str) -> ConfigurationError:
    return ConfigurationError(
        f"{source}: the text is longer than {TEXT_LIMIT:,} characters {when}; split it into "
        f"several files, or loop over fewer values"
    )


def parse_yaml(text: str, *, source: Path | str, hint: str = "") -> Any:
    """Parse YAML with the bounded loader (yaml_loader.py); an error names the file and line.

    ``hint`` ends the message of a syntax error.
    """
    import yaml

    from statisfactory.project.yaml_loader import load_yaml

    if len(text) > TEXT_LIMIT:
        raise _too_long(source, "")
    try:
        return load_yaml(text)
    except RefusedYaml as error:
        raise ConfigurationError(f"{source}, {error.where}: {error.problem}") from error
    except UnicodeEncodeError as error:  # a command-line argument made of non-UTF-8 bytes
        line = text.count("\n", 0, error.start) + 1
        raise ConfigurationError(
            f"{source}, line {line}: holds bytes that are not UTF-8 text; write it in UTF-8"
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigurationError(
            f"{source}{where}: invalid YAML: {problem}{f'; {hint}' if hint else ''}"
        ) from error
    except RecursionError as error:  # the pure-Python parser, when the C one is missing
        raise ConfigurationError(
            f"{source}: values nested too deeply to be read; flatten the structure"
        ) from error


def read_yaml_template(path: Path, variables: Mapping[str, Any]) -> Any:
    """Render ``path`` with Jinja2 from ``variables`` then parse it as YAML."""
    text = read_text(path)
    return parse_yaml(render_template(text, variables, source=path), source=path)
