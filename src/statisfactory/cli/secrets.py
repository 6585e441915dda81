"""Keep the values of secret settings out of everything the command line prints.

The catalog and the parameter sets hide values by their key (``password: ***``), but a secret
can also reach the output inside a longer text: a URL's query string, a craft's error message,
a log line, a traceback. Once the project's settings are read, the command line's stdout and
stderr go through :class:`ScrubbingStream`, which writes every secret value as ``***``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from statisfactory.project.settings import is_secret

MASK = "***"
MIN_LENGTH = 6  # shorter values are too likely to be ordinary words that the output needs


def secret_values(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The text of every value under a secret-looking key, at any depth; longest first, so
    that a secret holding another one is hidden whole."""
    found: set[str] = set()

    def collect(value: Any, secret: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                collect(item, secret or is_secret(key))
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item, secret)
        elif secret and value is not None and not isinstance(value, bool):
            text = str(value)
            if len(text) >= MIN_LENGTH:
                found.add(text)

    collect(settings, secret=False)
    return tuple(sorted(found, key=len, reverse=True))


class ScrubbingStream:
    """A text stream that writes ``secrets`` as ``***``; everything else goes to ``stream``."""

    def __init__(self, stream: Any, secrets: tuple[str, ...]) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        scrubbed = text
        for secret in self._secrets:
            scrubbed = scrubbed.replace(secret, MASK)
        self._stream.write(scrubbed)
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, flush, encoding… as the real stream
        return getattr(self._stream, name)


def hide_secrets(secrets: tuple[str, ...]) -> Callable[[], None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`ScrubbingStream`; return the
    function that puts the original streams back."""
    original = sys.stdout, sys.stderr
    if secrets:
        sys.stdout = ScrubbingStream(sys.stdout, secrets)
        sys.stderr = ScrubbingStream(sys.stderr, secrets)

    def restore() -> None:
        sys.stdout, sys.stderr = original

    return restore
