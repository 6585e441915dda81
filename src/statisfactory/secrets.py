"""What a secret is, and how every output keeps secrets out: the one place for both.

**Secret keys.** A key is secret when its text contains ``password``, ``secret``, ``token`` or
``key`` (any case): ``db_password``, ``api_token``, ``aws_secret_access_key``. Everything held
under a secret key is secret, at any depth (``credentials_key: {user: ada, pass: [x]}``).

**Secret values** come from the settings, from run parameters (``--param api_token=…``, a
namespaced ``craft: {api_token: …}``) and from ``STATISFACTORY_*`` environment variables whose
name is a secret key (``STATISFACTORY_DB__PASSWORD``): the text of every string or integer
found under a secret key (booleans and ``None`` say nothing).

**Masking text** (:meth:`Secrets.mask`) writes each secret value as ``***``, then removes URL
passwords (``user:***@``) and secret ``name=value`` assignments (``?token=***``). How a value
is matched depends on its length, so that a short secret does not hide ordinary words:

- 8 characters or more: masked wherever it appears, even inside a longer word or a URL; such a
  text is too specific to occur by chance, and a secret glued into a longer string still leaks.
- 3 to 7 characters (``hunter``, an int ``4242``): masked only as a whole token, i.e. where
  neither neighbour is a letter, a digit or ``_``: the secret ``pass`` hides ``pass`` in
  ``login pass refused`` or ``pw=pass;`` but not in ``password`` or ``passage``.
- 1 or 2 characters: not maskable without masking ordinary text (``key_length: 8`` would hide
  every ``8``); such values are left alone.

Matching is case-sensitive: a secret is a value, not a word.

The same :class:`Secrets` serve the command line (:class:`ScrubbingStream` on stdout and
stderr), log records (:class:`RedactingFilter`), exceptions (:meth:`Secrets.mask_error`), the
run history and Dask workers (:func:`guard_process`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MARKERS = ("password", "secret", "token", "key")
MASK = "***"
ENVIRONMENT_PREFIX = "STATISFACTORY_"
SHORTEST = 3  # shorter values cannot be told from ordinary text
ANYWHERE = 8  # values this long are masked inside longer words too; shorter ones as tokens

_URL_CREDENTIALS = re.compile(r"(://[^/:@\s]*:)[^/@\s]+@")
# Secret ``name=value`` pairs of URL queries, ODBC strings and DSNs (``?token=``, ``;PWD=``,
# `` password=``), never path segments (``/sort_key=3/``): those are real locations.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)((?:^|[?&;\s\"'])[\w.-]*(?:password|passwd|pwd|secret|token|key|signature)[\w.-]*\s*=\s*)"
    r"(\{[^}]*\}|[^&;\s'\"]+)"
)


def is_secret_key(key: object) -> bool:
    """Whether a key names a secret (its text contains one of :data:`MARKERS`)."""
    lowered = str(key).lower()
    return any(marker in lowered for marker in MARKERS)


def secret_values(*sources: Any) -> set[str]:
    """The text of every value held under a secret key anywhere in ``sources`` (mappings,
    lists), at least :data:`SHORTEST` characters long."""
    found: set[str] = set()

    def collect(value: Any, secret: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                collect(item, secret or is_secret_key(key))
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                collect(item, secret)
        elif secret and isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= SHORTEST and text != MASK:
                found.add(text)

    for source in sources:
        collect(source, False)
    return found


def environment_secrets(environ: Mapping[str, str] | None = None) -> set[str]:
    """The values of the ``STATISFACTORY_*`` variables whose name is a secret key."""
    environ = os.environ if environ is None else environ
    named = {
        name[len(ENVIRONMENT_PREFIX) :]: value
        for name, value in environ.items()
        if name.startswith(ENVIRONMENT_PREFIX)
    }
    return secret_values(named)


def redact_url(url: str) -> str:
    """``url`` without its password (``scheme://user:***@host``): still a usable location."""
    return _URL_CREDENTIALS.sub(rf"\g<1>{MASK}@", url)


def redact_text(text: str) -> str:
    """``text`` without URL passwords (``user:***@``) nor secret ``name=value`` pairs."""
    # Neither can be there without its "@" or "=": the command line writes whole tables (a row
    # per craft) through this, and the case-blind search costs far more than looking for both.
    if "@" in text:
        text = redact_url(text)
    if "=" in text:
        text = _SECRET_ASSIGNMENT.sub(rf"\g<1>{MASK}", text)
    return text


def shows_secret(text: str) -> bool:
    """Whether :func:`redact_text` would mask something in ``text``."""
    return ("@" in text and bool(_URL_CREDENTIALS.search(text))) or (
        "=" in text and bool(_SECRET_ASSIGNMENT.search(text))
    )


def of_session(session: Any, *sources: Any) -> Secrets:
    """The secrets of ``session`` (its ``secrets``, else its ``template_variables``) and of
    ``sources``."""
    known = getattr(session, "secrets", None)
    if isinstance(known, Secrets):
        return known.joined(*sources) if sources else known
    return Secrets.of(getattr(session, "template_variables", None) or {}, *sources)


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret keys masked and passwords removed from URLs."""
    return _NONE.redact(value)


class Secrets:
    """Known secret values, and the masking of text that may hold them (see the module).

    Values can be added while the object is in use (a run's parameters after the settings);
    each addition rebuilds one compiled pattern, which readers pick up atomically.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.add_values(values)

    @classmethod
    def of(cls, *sources: Any, environment: bool = True) -> Secrets:
        """The secrets of ``sources`` (settings, parameters, contexts) and, unless told
        otherwise, of the ``STATISFACTORY_*`` environment variables."""
        secrets = cls(secret_values(*sources))
        if environment:
            secrets.add_values(environment_secrets())
        return secrets

    def joined(self, *sources: Any) -> Secrets:
        """A new :class:`Secrets`: these values and those held in ``sources``."""
        secrets = Secrets(self._values)
        secrets.add(*sources)
        return secrets

    @property
    def values(self) -> frozenset[str]:
        return self._values

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, *sources: Any) -> None:
        """Also mask the secrets held in ``sources`` (mappings walked as settings are)."""
        self.add_values(secret_values(*sources))

    def add_values(self, values: Iterable[str]) -> None:
        """Also mask these exact values (those under :data:`SHORTEST` characters are ignored)."""
        new = {str(v) for v in values if len(str(v)) >= SHORTEST and str(v) != MASK}
        with self._lock:
            if new <= self._values:
                return
            self._values = self._values | new
            self._pattern = _pattern(self._values)

    def mask(self, text: str) -> str:
        """``text`` with every secret value as ``***``, URL passwords and secret assignments
        removed."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return redact_text(text)

    def redact(self, value: Any) -> Any:
        """A copy of ``value`` (mappings, lists, text): secret keys' values as ``***``, text
        masked."""
        if isinstance(value, Mapping):
            return {k: MASK if is_secret_key(k) else self.redact(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact(item) for item in value]
        if isinstance(value, str):
            return self.mask(value)
        return value

    def mask_error(self, error: BaseException) -> BaseException:
        """Mask the text arguments of ``error`` (what its message is made of), in place; its
        class and traceback stay as raised."""
        if error.args:
            error.args = tuple(self.mask(a) if isinstance(a, str) else a for a in error.args)
        for name in ("filename", "filename2"):  # OSError shows them in its message
            value = getattr(error, name, None)
            if isinstance(value, str):
                setattr(error, name, self.mask(value))
        return error


_NONE = Secrets()  # masks keys, URL passwords and assignments only


def _pattern(values: Iterable[str]) -> re.Pattern[str]:
    """One alternation, longest values first so that a secret holding another is hidden whole."""
    parts = []
    for value in sorted(values, key=len, reverse=True):
        escaped = re.escape(value)
        parts.append(escaped if len(value) >= ANYWHERE else rf"(?<!\w){escaped}(?!\w)")
    return re.compile("|".join(parts))


class ScrubbingStream:
    """A text stream that writes through ``secrets``' masking to ``stream``."""

    def __init__(self, stream: Any, secrets: Secrets) -> None:
        self._stream = stream
        self.secrets = secrets

    def write(self, text: str) -> int:
        self._stream.write(self.secrets.mask(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, flush, encoding… as the real stream
        return getattr(self._stream, name)


def hide_secrets(secrets: Secrets) -> Callable[[], None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`ScrubbingStream`; return the
    function that puts the original streams back."""
    original = sys.stdout, sys.stderr
    sys.stdout = ScrubbingStream(sys.stdout, secrets)
    sys.stderr = ScrubbingStream(sys.stderr, secrets)

    def restore() -> None:
        sys.stdout, sys.stderr = original

    return restore


class RedactingFilter(logging.Filter):
    """A handler filter that masks a record's message, exception and stack text.

    The record is rewritten once, whole (``msg`` the masked message, no ``args``), so every
    handler after this one sees the masked text too.
    """

    def __init__(self, secrets: Secrets) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.secrets.mask(record.getMessage()), None
        if record.exc_info and not record.exc_text:  # formatters show exc_text once it is set
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.secrets.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.secrets.mask(record.stack_info)
        return True


def guard_process(secrets: Secrets) -> None:
    """Mask ``secrets`` in everything this process prints or logs from now on: ``sys.stdout``
    and ``sys.stderr``, and every logging handler configured so far (handlers keep the stream
    they were made with). Meant for processes that run crafts for another (Dask workers);
    calling it again with the same ``secrets`` changes nothing."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not (isinstance(stream, ScrubbingStream) and stream.secrets is secrets):
            setattr(sys, name, ScrubbingStream(stream, secrets))
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if not any(
                isinstance(f, RedactingFilter) and f.secrets is secrets for f in handler.filters
            ):
                handler.addFilter(RedactingFilter(secrets))
