"""Dynamic interpolation of catalog entries, at each load or save.

- ``!{var}`` is replaced by ``str(context["var"])``; ``!!`` is a literal ``!``.
- A value written ``+{ literal }+`` (the whole string) is then evaluated with
  :func:`ast.literal_eval`: ``"+{ !{port} }+"`` gives an int. Anything but a Python literal
  (a call, a name, an attribute) is refused; nothing is ever executed. An expression is at
  most :data:`LITERAL_LIMIT` characters.

Static ``{{ jinja }}`` is not handled here: it was rendered when the catalog file was read.
A field may have a :data:`FieldCheck`, run on its final value: :func:`check_path` keeps the
storage scheme, the bucket or host and the root of a path to what the declared text says.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statisfactory import syntax
from statisfactory.errors import DynamicValueError, InterpolationError, MissingVariableError


@dataclass(frozen=True)
class DynamicField:
    """One interpolated field, as a :data:`FieldCheck` sees it."""

    template: str  # as declared
    declared: str  # the declared text before the first dynamic value (a literal evaluated)
    result: str  # the final text, ``+{ }+`` evaluated
    used: Mapping[str, Any]  # variable -> value substituted
    root: Path | None = None  # where relative local paths start
    dynamic_location: bool = False  # the entry lets dynamic values choose its location


# A check of one field holding dynamic values, once interpolated: the reason it is refused, or
# None. Declared text is never checked: what the project writes is its own choice.
FieldCheck = Callable[[DynamicField], "str | None"]

_DYNAMIC = re.compile(r"!!|!\{([^{}]*)\}")
_LITERAL = re.compile(r"\A\s*\+\{(.*)\}\+\s*\Z", re.DOTALL)
_SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.\-]*)://")
LITERAL_LIMIT = 100_000  # characters of one +{ }+ expression
_NUMBER = re.compile(r"\A[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def has_markers(value: Any) -> bool:
    """True when ``value`` (or any string nested in it) holds ``!`` or ``+{``."""
    kind = type(value)  # the exact types first: asked of every entry of a large catalog
    if kind is str:
        return "!" in value or "+{" in value
    if kind is dict:
        return any(map(has_markers, value.values()))
    if value is None or kind is int or kind is float or kind is bool:
        return False
    if isinstance(value, str):
        return "!" in value or "+{" in value
    if isinstance(value, Mapping):
        return any(has_markers(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_markers(item) for item in value)
    return False


def variables(value: Any) -> set[str]:
    """The names of the ``!{var}`` in ``value`` and everything nested in it."""
    if isinstance(value, str):
        return {m.group(1).strip() for m in _DYNAMIC.finditer(value) if m.group(1) is not None}
    items = value.values() if isinstance(value, Mapping) else value
    if isinstance(value, Mapping | list | tuple):
        return set().union(*map(variables, items))
    return set()


def interpolate(
    value: Any,
    context: Mapping[str, Any],
    *,
    where: str,
    key: str,
    checks: Mapping[str, FieldCheck] | None = None,
    root: Path | None = None,
    dynamic_location: bool = False,
) -> Any:
    """Resolve ``!{var}``, ``!!`` and ``+{ }+`` in ``value`` and in everything nested in it.

    ``where`` names the artifact and ``key`` the dotted path of ``value`` (``extra``), both for
    error messages. ``checks`` maps a top-level field of a mapping ``value`` to a
    :data:`FieldCheck` run on that field's final string; ``root`` and ``dynamic_location``
    (the entry's opt-in) are handed to it.
    """
    if not isinstance(value, Mapping):
        return _interpolate_field(value, context, where, key)
    return {
        name: _interpolate_field(
            item,
            context,
            where,
            f"{key}.{name}",
            (checks or {}).get(name),
            lambda template, result, used: DynamicField(
                template, declared_prefix(template), result, used, root, dynamic_location
            ),
        )
        for name, item in value.items()
    }


def _interpolate_field(
    value: Any,
    context: Mapping[str, Any],
    where: str,
    key: str,
    check: FieldCheck | None = None,
    field: Callable[[str, str, Mapping[str, Any]], DynamicField] | None = None,
) -> Any:
    if isinstance(value, Mapping):
        return {
            name: _interpolate_field(v, context, where, f"{key}.{name}")
            for name, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_interpolate_field(v, context, where, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    result, used = substitute(value, context, where=where, key=key)
    final = evaluate_literal(result, where=where, key=key)
    if check is not None and field is not None and used:
        # Checked once evaluated: escapes or quotes in a value change what a literal gives.
        reason = check(field(value, final if isinstance(final, str) else result, used))
        if reason:
            raise DynamicValueError(f"{where}, {key}: {reason}")
    return final


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
            raise MissingVariableError(
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
        return syntax.literal_eval(expression)
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


_MARK = "\ue000"  # stands for a dynamic value while a literal template is evaluated
_HOW = (
    "pass a plain name or sub-folder; to let a value choose the location, declare it "
    "statically ({{ var }}) or mark the entry '+dynamic_location: true'"
)


def declared_prefix(template: str) -> str:
    """The text of ``template`` before its first dynamic value, ``+{ }+`` evaluated: the part
    of a location that only the declaration decides."""
    literal = _LITERAL.match(template)
    if literal is None:
        head = _DYNAMIC.sub(lambda m: "!" if m.group(0) == "!!" else _MARK, template)
        return head.split(_MARK, 1)[0]
    marked = _DYNAMIC.sub(lambda m: "!" if m.group(0) == "!!" else _MARK, literal.group(1))
    try:
        text = syntax.literal_eval(marked.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ""  # a dynamic value outside any string: nothing is declared
    return text.split(_MARK, 1)[0] if isinstance(text, str) else ""


def check_path(field: DynamicField) -> str | None:
    """Refuse dynamic values that change a path's storage, bucket or host, or root, or take it
    out of its declared folder (through ``..`` or a symlink), unless the entry opted in."""
    if not field.used or field.dynamic_location:
        return None
    for variable, value in field.used.items():
        text = str(value)
        problem = _value_problem(text)
        if problem:
            return (
                f"the value of !{{{variable}}} ({text!r}) would leave the artifact's declared "
                f"location: it {problem}; {_HOW}"
            )
    problem = _location_problem(field)
    if problem is None:
        return None
    values = ", ".join(f"!{{{name}}}={str(value)!r}" for name, value in field.used.items())
    return f"the dynamic value(s) {values} make the path {field.result!r} {problem}; {_HOW}"


def _value_problem(text: str) -> str | None:
    """What a value would do to any path it is put in: give it a scheme, a drive, a root."""
    if "%" in text:  # a remote server may decode %2e%2e%2f into ../
        from urllib.parse import unquote

        decoded = unquote(text)
        problem = _value_problem(decoded) if decoded != text else None
        if problem:
            return f"{problem} once percent-decoded"
    if "://" in text:
        return "holds a storage scheme ('://')"
    if ntpath.splitdrive(text)[0]:
        return "starts with a drive or network share"
    if text.startswith(("/", "\\")):
        return "is an absolute path"
    if text.startswith("~"):
        return "starts at a home folder ('~')"
    if ".." in re.split(r"[/\\]", text):
        return "climbs with '..'"
    return None


def _location_problem(field: DynamicField) -> str | None:
    """What the values together did to the path, if anything (see :func:`check_path`)."""
    declared, result = field.declared, field.result
    if not result.startswith(declared):
        return f"no longer start with its declared part {declared!r}"
    scheme = scheme_of(declared)
    if scheme_of(result) != scheme:
        return f"use the storage scheme {scheme_of(result)!r} instead of the declared one"
    if scheme not in ("", "file"):
        head = re.match(r"[^:]*://[^/]*/", declared)
        if head is None:
            return "choose its bucket or host, which only the declared text may do"
        return _climb(result[head.end() - 1 :], declared[head.end() - 1 :])
    path, declared_path = _local_part(result), _local_part(declared)
    anchor = _anchor(path)
    if len(anchor) > len(declared_path):
        return (
            f"start at {anchor!r} (a drive, an absolute path or '~') instead of the declared root"
        )
    return _climb(path, declared_path) or _symlink_escape(path, declared_path, field.root)


def _local_part(text: str) -> str:
    """The file path of a local location, as the local backend reads it."""
    if scheme_of(text) == "file":
        from urllib.parse import urlparse

        parsed = urlparse(text)
        return parsed.netloc + parsed.path
    return text


def _anchor(path: str) -> str:
    """The root a path starts from: ``~user``, a drive or share, leading separators, or ``""``."""
    if path.startswith("~"):
        return re.split(r"[/\\]", path, maxsplit=1)[0]
    drive, rest = ntpath.splitdrive(path)
    return drive + rest[: len(rest) - len(rest.lstrip("/\\"))]


def _climb(path: str, declared: str) -> str | None:
    """Whether ``path``, normalised, leaves the folder of its ``declared`` part."""
    folder = posixpath.normpath(posixpath.dirname(declared) or ".")
    resolved = posixpath.normpath(path)
    if folder == ".":
        inside = resolved != ".." and not resolved.startswith("../")
    else:
        inside = resolved == folder or resolved.startswith(folder.rstrip("/") + "/")
    return None if inside else f"leave its declared folder {folder!r}"


def _symlink_escape(path: str, declared: str, root: Path | None) -> str | None:
    """Whether a symlink on the way takes a local ``path`` out of its declared folder."""
    if root is None:
        return None
    folder = Path(root, os.path.expanduser(posixpath.dirname(declared) or "."))
    target = os.path.realpath(Path(root, os.path.expanduser(path)))
    real_folder = os.path.realpath(folder)
    if target == real_folder or target.startswith(real_folder.rstrip(os.sep) + os.sep):
        return None
    return f"lead through a symlink to {target!r}, outside its declared folder {str(folder)!r}"


def check_sql_values(field: DynamicField) -> str | None:
    """Accept only identifiers and numbers in a SQL text: anything else could inject SQL."""
    for variable, value in field.used.items():
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
