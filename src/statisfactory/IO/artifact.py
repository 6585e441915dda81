"""One catalog entry: what an artifact is called, its type, where it lives and how to read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from statisfactory.secrets import redact


@dataclass(frozen=True, slots=True, repr=False)
class Artifact:
    """An artifact: a catalog entry, and the annotation that makes a craft load or save it.

    ``train: Artifact`` (the class) means the artifact named like the parameter;
    ``-> Artifact("model")`` names an output. ``extra`` is the mapping written in the catalog;
    inside an interactor's ``load``/``save`` it is the interactor's validated ``Extra``
    instance, with ``!{}`` and ``+{ }+`` resolved. ``source`` is the catalog file that declares
    the entry (``None`` when built in code). Neither ``tags`` nor ``source`` is compared, so a
    declared entry equals ``Artifact(name=..., type=..., extra=...)`` written with the same
    fields, as the original's did. ``dynamic_location`` (``+dynamic_location: true``) lets
    ``!{}`` values choose the storage scheme, bucket, host and root of ``extra.path``; by
    default only the declared text does. ``versioned`` (``versioned: true``) keeps every saved
    version (None: as the ``versioned`` setting says); ``keep`` (``versions: {keep: 10}``) is
    how many ``artifacts gc`` keeps (None: the ``versions`` setting's, else all).
    """

    name: str
    type: str = ""
    extra: Any = field(default_factory=dict)
    load_options: Mapping[str, Any] = field(default_factory=dict)
    save_options: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = field(default=(), compare=False)
    source: Path | None = field(default=None, compare=False)
    dynamic_location: bool = False
    versioned: bool | None = None
    keep: int | None = None
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
            "dynamic_location": self.dynamic_location,
            **({"versioned": self.versioned} if self.versioned is not None else {}),
            **({"versions": {"keep": self.keep}} if self.keep is not None else {}),
        }


def _model_to_mapping(model: Any) -> Mapping[str, Any]:
    """A validated ``Extra`` (pydantic model or dataclass) as a mapping."""
    dump = getattr(model, "model_dump", None)
    if dump is not None:
        dumped: Mapping[str, Any] = dump()
        return dumped
    return dict(getattr(model, "__dict__", {}))
