"""One catalog entry: what an artifact is called, its type, where it lives and how to read it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

SECRET_MARKERS = ("password", "secret", "token", "key")
REDACTED = "***"
_URL_CREDENTIALS = re.compile(r"(://[^/:@\s]*:)[^/@\s]+@")
# Secret ``name=value`` pairs of URL queries, ODBC strings and DSNs (``?token=``, ``;PWD=``,
# `` password=``), never path segments (``/sort_key=3/``): those are real locations.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)((?:^|[?&;\s\"'])[\w.-]*(?:password|passwd|pwd|secret|token|key|signature)[\w.-]*\s*=\s*)"
    r"(\{[^}]*\}|[^&;\s'\"]+)"
)
SHORTEST_SECRET = 4  # shorter values would mask ordinary words of a message


def is_secret_key(key: object) -> bool:
    """True when a setting's key names a secret (``password``, ``secret``, ``token``, ``key``)."""
    lowered = str(key).lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret keys masked and passwords removed from URLs."""
    if isinstance(value, Mapping):
        return {k: REDACTED if is_secret_key(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """``text`` without URL passwords (``user:***@``) nor secret ``name=value`` pairs."""
    text = _URL_CREDENTIALS.sub(rf"\g<1>{REDACTED}@", text)
    return _SECRET_ASSIGNMENT.sub(rf"\g<1>{REDACTED}", text)


def shows_secret(text: str) -> bool:
    """Whether :func:`redact_text` would mask something in ``text``."""
    return ("@" in text and bool(_URL_CREDENTIALS.search(text))) or (
        "=" in text and bool(_SECRET_ASSIGNMENT.search(text))
    )


def redact_url(url: str) -> str:
    """``url`` without its password (``scheme://user:***@host``): still a usable location."""
    return _URL_CREDENTIALS.sub(rf"\g<1>{REDACTED}@", url)


def secret_values(*sources: Any) -> set[str]:
    """The values held under secret keys anywhere in ``sources`` (mappings, lists)."""
    found: set[str] = set()

    def collect(value: Any, secret: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                collect(item, secret or is_secret_key(key))
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item, secret)
        elif secret and isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= SHORTEST_SECRET and text != REDACTED:
                found.add(text)

    for source in sources:
        collect(source, False)
    return found


def scrub(text: str, secrets: set[str]) -> str:
    """``text`` with every value of ``secrets`` masked, then :func:`redact_text`."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return redact_text(text)


@dataclass(frozen=True, slots=True, repr=False)
class Artifact:
    """An artifact: a catalog entry, and the annotation that makes a craft load or save it.

    ``train: Artifact`` (the class) means the artifact named like the parameter;
    ``-> Artifact("model")`` names an output. ``extra`` is the mapping written in the catalog;
    inside an interactor's ``load``/``save`` it is the interactor's validated ``Extra``
    instance, with ``!{}`` and ``+{ }+`` resolved. ``source`` is the catalog file that declares
    the entry (``None`` when built in code). Neither ``tags`` nor ``source`` is compared, so a
    declared entry equals ``Artifact(name=..., type=..., extra=...)`` written with the same
    fields, as the original's did.
    """

    name: str
    type: str = ""
    extra: Any = field(default_factory=dict)
    load_options: Mapping[str, Any] = field(default_factory=dict)
    save_options: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = field(default=(), compare=False)
    source: Path | None = field(default=None, compare=False)
    kind: ClassVar[str] = "artifact"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(
                f'Artifact() takes a non-empty name, got {self.name!r}: write Artifact("my_name")'
            )

    @classmethod
    def of(cls, *names: str) -> list[Artifact]:
        """Several outputs at once: ``-> Artifact.of("model", "metrics")``."""
        return [cls(name) for name in names]

    def __hash__(self) -> int:  # equal entries share their name; dicts inside are unhashable
        return hash((Artifact, self.name))

    @property
    def where(self) -> str:
        """``artifact 'name' (declared in file)``: the prefix of every message about it."""
        declared = f", declared in {self.source}" if self.source else ""
        return f"artifact {self.name!r} (type {self.type!r}{declared})"

    def failure(self, action: str, location: str | None, error: BaseException) -> str:
        """The message of ``error``, raised trying to ``action`` the artifact at ``location``."""
        at = f" at {location}" if location else ""
        return f"{self.where}: cannot {action}{at}: {type(error).__name__}: {error}"

    def __repr__(self) -> str:  # shown in logs and tracebacks: secrets redacted
        if self == Artifact(self.name):  # an annotation: only its name matters
            return f"Artifact({self.name!r})"
        fields = ", ".join(f"{key}={value!r}" for key, value in self.describe().items())
        return f"Artifact({fields})"

    def describe(self) -> dict[str, Any]:
        """The entry as a plain mapping, secrets redacted: safe to print or log."""
        extra = self.extra
        if not isinstance(extra, Mapping):
            extra = _model_to_mapping(extra)
        return {
            "name": self.name,
            "type": self.type,
            "extra": redact(extra),
            "load_options": redact(self.load_options),
            "save_options": redact(self.save_options),
            "tags": list(self.tags),
            "source": str(self.source) if self.source else None,
        }


def _model_to_mapping(model: Any) -> Mapping[str, Any]:
    """A validated ``Extra`` (pydantic model or dataclass) as a mapping."""
    dump = getattr(model, "model_dump", None)
    if dump is not None:
        return dump()
    return dict(getattr(model, "__dict__", {}))
