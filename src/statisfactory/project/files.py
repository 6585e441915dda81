"""Read a project's text files as UTF-8; a file that cannot be read is one clear error."""

from __future__ import annotations

from pathlib import Path

from statisfactory.errors import ConfigurationError, StatisfactoryError


def read_text(path: Path, error: type[StatisfactoryError] = ConfigurationError) -> str:
    """The text of ``path``; unreadable or not UTF-8, an ``error`` naming the file (and line)."""
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise error(
            f"{path}: cannot be read ({problem.strerror}); check that it exists and that its "
            f"permissions let you read it"
        ) from problem
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        line = data.count(b"\n", 0, problem.start) + 1
        raise error(
            f"{path}, line {line}: byte 0x{data[problem.start]:02x} is not UTF-8 text; save the "
            f"file as UTF-8 (e.g. an 'é' written in Latin-1 or Windows-1252 is such a byte)"
        ) from problem
