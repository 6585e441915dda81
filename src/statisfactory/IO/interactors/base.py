"""The base of every artifact type, and the registry of types by name.

A new type is a subclass with ``interactor_name="foo"``; an optional nested ``Extra`` (a pydantic
model or pydantic dataclass) validates the entry's ``extra`` on first use. Built-in types are
imported on first use, so that building a catalog does not import pandas, pydantic or SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from statisfactory.errors import CatalogError
from statisfactory.IO.interpolation import FieldCheck
from statisfactory.IO.registry import Registry, qualified_name
from statisfactory.logger import MixinLogable

if TYPE_CHECKING:
    from statisfactory.IO.artifact import Artifact
    from statisfactory.IO.catalog import Catalog

# Built-in type -> module defining it. A dict rather than imports: see the module docstring.
BUILTIN_MODULES: dict[str, str] = {
    **dict.fromkeys(("csv", "parquet", "feather", "xlsx", "xslx"), "tabular"),
    **dict.fromkeys(("pickle", "json", "text", "binary"), "python_objects"),
    **dict.fromkeys(("sql", "odbc"), "sql"),
}
# Built-in types stored as one file: their entries need ``extra.path``.
FILE_TYPES = frozenset(BUILTIN_MODULES) - {"sql", "odbc"}


class InteractorRegistrationError(CatalogError):
    """Two different classes claim the same artifact type name."""


def _conflict(name: str, known: type, new: type) -> InteractorRegistrationError:
    return InteractorRegistrationError(
        f"artifact type {name!r} is already registered by {qualified_name(known)}; "
        f"{qualified_name(new)} must use another interactor_name"
    )


_registry = Registry("statisfactory.IO.interactors", BUILTIN_MODULES, _conflict, "interactors")


class ArtifactInteractor(MixinLogable):
    """Loads and saves one artifact type.

    Subclass it with ``interactor_name="foo"`` (and ``aliases=(...)`` for other spellings), then
    implement ``load(**kwargs)`` and ``save(asset, **kwargs)``; ``kwargs`` are the call's
    context, reduced to what the method's signature accepts. Inside them ``self.artifact`` is the
    entry with its validated ``extra``, ``self.name`` its name and ``self.session`` the session.
    """

    Extra: ClassVar[type | None] = None
    # Checks run on a field of ``extra`` after ``!{}`` interpolation (see interpolation.py).
    dynamic_checks: ClassVar[Mapping[str, FieldCheck]] = {}
    interactor_name: ClassVar[str | None] = None
    _extra_validator: ClassVar[Any] = None

    def __init_subclass__(
        cls, interactor_name: str | None = None, aliases: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls._extra_validator = None
        if interactor_name is not None:
            cls.interactor_name = interactor_name
            for name in (interactor_name, *aliases):
                _registry.add(name, cls)

    def __init__(self, artifact: Artifact, *, catalog: Catalog) -> None:
        self.artifact = artifact
        self.name = artifact.name
        self.catalog = catalog

    @property
    def root(self) -> Path:
        """The project root: relative local paths start there."""
        return self.catalog.root

    @property
    def session(self) -> Any:
        """The catalog's session, else the active one (``with session:``)."""
        return self.catalog.session

    def load(self, **kwargs: Any) -> Any:
        """Return the artifact's value."""
        raise NotImplementedError(f"type {self.interactor_name!r} cannot load")

    def save(self, asset: Any, **kwargs: Any) -> None:
        """Store ``asset``."""
        raise NotImplementedError(f"type {self.interactor_name!r} cannot save")

    def exists(self, **kwargs: Any) -> bool:
        """Whether something is stored for this artifact (and context)."""
        raise NotImplementedError(f"type {self.interactor_name!r} cannot tell if it exists")

    def locate(self, **kwargs: Any) -> str:
        """Where the artifact lives: ``extra.path`` by default, else its name."""
        path = getattr(self.artifact.extra, "path", None)
        return str(path) if path is not None else f"{self.interactor_name}:{self.name}"

    @classmethod
    def validate_extra(cls, extra: Mapping[str, Any], *, artifact: Artifact) -> Any:
        """Validate ``extra`` with ``cls.Extra``; the error lists the fields it expects."""
        if cls.Extra is None:
            return extra
        from pydantic import TypeAdapter, ValidationError

        if cls._extra_validator is None:
            cls._extra_validator = TypeAdapter(cls.Extra)
        try:
            return cls._extra_validator.validate_python(dict(extra))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'extra'}: {e['msg']}" for e in error.errors()
            )
            raise CatalogError(
                f"{artifact.where}: invalid 'extra' ({problems}). Expected fields: "
                f"{describe_fields(cls.Extra)}"
            ) from error


def describe_fields(model: type) -> str:
    """``name (type, required), other (type, default 1)`` for a pydantic model or dataclass."""
    fields = getattr(model, "model_fields", None) or getattr(model, "__pydantic_fields__", {})
    parts = []
    for name, info in fields.items():
        annotation = getattr(info.annotation, "__name__", None) or str(info.annotation)
        state = "required" if info.is_required() else f"default {info.get_default()!r}"
        parts.append(f"{name} ({annotation}, {state})")
    return ", ".join(parts) or "none"


def is_known_type(name: str) -> bool:
    """Whether ``name`` is a built-in, registered or installed type (imports nothing)."""
    return name in _registry


def known_types() -> list[str]:
    """Every type name a catalog entry may use."""
    return _registry.names()


def interactor_class(name: str) -> type[ArtifactInteractor]:
    """The class registered for type ``name``, importing a built-in type on first use."""
    cls = _registry.get(name)
    if cls is None:
        raise CatalogError(
            f"unknown artifact type {name!r}; known types: {', '.join(known_types())}. A custom "
            f"type is registered when its module is imported: define or import it in the "
            f"session module ([tool.statisfactory.session_factory] module = ...), or install "
            f"the package giving it (entry point group statisfactory.interactors)"
        )
    return cls
