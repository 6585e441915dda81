"""Dynamic interpolation of catalog entries, at each load or save.

- ``!{var}`` is replaced by ``str(context["var"])``; ``!!`` is a literal ``!``.
- A value written ``+{ literal }+`` (the whole string) is then evaluated with
  :func:`ast.literal_eval`: ``"+{ !{port} }+"`` gives an int. Anything but a Python literal
  (a call, a name, an attribute) is refused; nothing is ever executed. An expression is at
  most :data:`LITERAL_LIMIT` characters.

Static ``{{ jinja }}`` is not handled here: it was rendered when the catalog file was read.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Any

from statisfactory.errors import InterpolationError

# A check of one interpolated field: (template, result, substituted values) -> reason or None.
FieldCheck = Callable[[str, str, Mapping[str, Any]], "str | None"]

_DYNAMIC = re.compile(r"!!|!\{([^{}]*)\}")
_LITERAL = re.compile(r"\A\s*\+\{(.*)\}\+\s*\Z", re.DOTALL)
_SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.\-]*)://")
LITERAL_LIMIT = 100_000  # characters of one +{ }+ expression
_NUMBER = re.compile(r"\A[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def has_markers(value: Any) -> bool:
    """True when ``value`` (or any string nested in it) holds ``!`` or ``+{``."""
    if isinstance(value, str):
        return "!" in value or "+{" in value
    if isinstance(value, Mapping):
        return any(has_markers(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_markers(item) for item in value)
    return False


def interpolate(
    value: Any,
    context: Mapping[str, Any],
    *,
    where: str,
    key: str,
    checks: Mapping[str, FieldCheck] | None = None,
) -> Any:
    """Resolve ``!{var}``, ``!!`` and ``+{ }+`` in ``value`` and in everything nested in it.

    ``where`` names the artifact and ``key`` the dotted path of ``value`` (``extra``), both for
    error messages. ``checks`` maps a top-level field of a mapping ``value`` to a
    :data:`FieldCheck` run on that field's string once it is interpolated.
    """
    if isinstance(value, Mapping):
        return {
            name: _interpolate_field(
                item, context, where, f"{key}.{name}", (checks or {}).get(name)
            )
            for name, item in value.items()
        }
    return _interpolate_field(value, context, where, key, None)


def _interpolate_field(
    value: Any, context: Mapping[str, Any], where: str, key: str, check: FieldCheck | None
) -> Any:
    if isinstance(value, Mapping):
        return {
            name: _interpolate_field(v, context, where, f"{key}.{name}", None)
            for name, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            _interpolate_field(v, context, where, f"{key}[{i}]", None) for i, v in enumerate(value)
        ]
    if not isinstance(value, str):
        return value
    result, used = substitute(value, context, where=where, key=key)
    if check is not None:
        reason = check(value, result, used)
        if reason:
            raise InterpolationError(f"{where}, {key}: {reason}")
    return evaluate_literal(result, where=where, key=key)


def substitute(
    template: str, context: Mapping[str, Any], *, where: str, key: str
) -> tuple[str, dict[str, Any]]:
    """Replace ``!{var}`` and ``!!`` in ``template``; return the text and the values used."""
    if "!" not in template:
        return template, {}
    used: dict[str, Any] = {}

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "!!":
            return "!"
        variable = match.group(1).strip()
        if not variable.isidentifier():
            raise InterpolationError(
                f"{where}, {key}: '!{{{match.group(1)}}}' is not a variable name; write "
                f"!{{name}} with a Python identifier, or !! for a literal '!'"
            )
        if variable not in context:
            given = ", ".join(sorted(context)) or "none"
            raise InterpolationError(
                f"{where}, {key}: the dynamic variable {variable!r} is missing; pass it as a "
                f"keyword argument (catalog.load/save(..., {variable}=...)) or as a pipeline "
                f"parameter (given: {given})"
            )
        used[variable] = context[variable]
        return str(context[variable])

    return _DYNAMIC.sub(replace, template), used


def evaluate_literal(text: str, *, where: str, key: str) -> Any:
    """The Python literal of a ``+{ literal }+`` value; any other text is returned unchanged."""
    match = _LITERAL.match(text)
    if match is None:
        return text
    expression = match.group(1).strip()
    if len(expression) > LITERAL_LIMIT:  # parsing a huge literal takes seconds and memory
        raise InterpolationError(
            f"{where}, {key}: the +{{ }}+ literal is longer than {LITERAL_LIMIT:,} characters; "
            f"pass such a value as a keyword argument instead"
        )
    try:
        return ast.literal_eval(expression)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
        raise InterpolationError(
            f"{where}, {key}: +{{ {expression} }}+ is not a Python literal (a number, string, "
            f"list, dict, tuple, bool or None); only literals are evaluated, never code"
        ) from error


# --- checks of interpolated values ----------------------------------------------------------
def scheme_of(path: str) -> str:
    """The ``scheme`` of ``scheme://...``, lower-cased; ``""`` for a plain local path."""
    match = _SCHEME.match(path)
    return match.group(1).lower() if match else ""


def check_local_path(template: str, result: str, used: Mapping[str, Any]) -> str | None:
    """Refuse dynamic values that would make a local path leave its declared folder."""
    if not used or scheme_of(template) not in ("", "file"):
        return None
    for variable, value in used.items():
        text = str(value)
        segments = re.split(r"[/\\]", text)
        if os.path.isabs(text) or text.startswith(("/", "\\", "~")) or ".." in segments:
            return (
                f"the value of !{{{variable}}} ({text!r}) would leave the artifact's folder "
                f"(absolute path, '~' or '..'); pass a plain name"
            )
    declared = posixpath.dirname(template.split("!{", 1)[0])
    resolved = posixpath.normpath(result)
    inside = (
        declared == ""
        or resolved == posixpath.normpath(declared)
        or resolved.startswith(posixpath.normpath(declared).rstrip("/") + "/")
    )
    if not inside or resolved.startswith("../") or resolved == "..":
        return (
            f"the interpolated path {result!r} leaves its declared folder {declared or '.'!r}; "
            f"fix the dynamic values"
        )
    return None


def check_sql_values(template: str, result: str, used: Mapping[str, Any]) -> str | None:
    """Accept only identifiers and numbers in a SQL text: anything else could inject SQL."""
    for variable, value in used.items():
        if isinstance(value, bool):
            return f"!{{{variable}}} is a bool; use a bound parameter :{variable} instead"
        if isinstance(value, int | float):
            continue
        text = str(value)
        if all(part.isidentifier() for part in text.split(".")) or _NUMBER.match(text):
            continue
        return (
            f"!{{{variable}}} = {text!r} is neither an identifier nor a number, so it cannot be "
            f"spliced into SQL; write :{variable} in the query to pass it as a bound parameter"
        )
    return None
