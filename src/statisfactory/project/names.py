"""What the YAML declarations of a project share: lists of names, and unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class ReadableKeyError(KeyError):
    """A ``KeyError`` whose message reads as written (``KeyError`` quotes it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


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
