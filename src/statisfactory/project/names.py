"""What the YAML declarations of a project (parameter sets, pipelines) share: files of named
entries, lists of names, and unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from statisfactory.project.templating import read_yaml_template, yaml_files


def named_entries(
    path: Path,
    variables: Mapping[str, Any],
    shape: str,
    error: type[Exception],
    read: Callable[[Path], Any] | None = None,
) -> Iterator[tuple[Path, Any, Any]]:
    """``(file, name, body)`` of each entry of the YAML file or folder ``path``, each file read
    by ``read(file)`` (default: rendered with ``variables``, then parsed); a file that is not a
    mapping is an ``error`` saying what it should be (``shape``)."""
    for file in yaml_files(path):
        content = read(file) if read is not None else read_yaml_template(file, variables)
        if content is None:
            continue
        if not isinstance(content, dict):
            raise error(f"{file}: {shape}, got a {type(content).__name__}")
        for name, body in content.items():
            yield file, name, body


def names(value: Any, key: str, where: str, error: type[Exception]) -> tuple[str, ...]:
    """``value`` as a tuple of names (a single name is accepted); else ``error``."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise error(f"{where}: {key} must be a name or a list of names, got {value!r}")
    return tuple(items)


def unknown(name: str, what: str, known: Iterable[str], listed: str = "Known") -> str:
    """``No <what> named '<name>'.``, the close names, and the known ones."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return f"No {what} named '{name}'.{hint} {listed}: {', '.join(known) or '(none)'}."
