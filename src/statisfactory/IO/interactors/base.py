"""The base of every artifact type, and the registry of types by name.

A new type is a subclass with ``interactor_name="foo"``; an optional nested ``Extra`` (a pydantic
model or pydantic dataclass) validates the entry's ``extra`` on first use. Built-in types are
imported on first use, so that building a catalog does not import pandas, pydantic or SQLAlchemy.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from types import MethodType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from statisfactory.errors import CatalogError, InteractorRegistrationError, UnknownTypeError
from statisfactory.IO.interpolation import FieldCheck
from statisfactory.IO.registry import ConstructorForm, Registry, constructor_form, qualified_name
from statisfactory.IO.signatures import select
from statisfactory.logger import MixinLogable

if TYPE_CHECKING:
    from statisfactory.IO.artifact import Artifact
    from statisfactory.IO.catalog import Catalog

# Built-in type -> module defining it. A dict rather than imports: see the module docstring.
BUILTIN_MODULES: dict[str, str] = {
    **dict.fromkeys(("csv", "parquet", "feather", "xlsx", "xslx"), "tabular"),
    **dict.fromkeys(("pickle", "json", "text", "binary"), "python_objects"),
    **dict.fromkeys(("sql", "odbc"), "sql"),
    "datapane": "reports",
    **dict.fromkeys(("spark.parquet", "spark.csv", "spark.json", "spark.table"), "spark"),
}
# MLflow model flavours, each a type ``mlflow.<flavour>`` stored as a folder.
MODEL_FLAVOURS = ("sklearn", "pyfunc", "xgboost", "lightgbm", "statsmodels", "pytorch", "onnx")
BUILTIN_MODULES.update(dict.fromkeys((f"mlflow.{f}" for f in MODEL_FLAVOURS), "mlflow_models"))
# Built-in types stored as one file: their entries need ``extra.path``.
FILE_TYPES = frozenset(
    n for n, m in BUILTIN_MODULES.items() if m not in ("sql", "spark", "mlflow_models")
)


def is_model_type(name: str) -> bool:
    """Whether artifact type ``name`` is an MLflow model flavour (imports nothing)."""
    return BUILTIN_MODULES.get(name) == "mlflow_models"


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
    _constructor: ClassVar[ConstructorForm] = ConstructorForm.CURRENT
    # Checks run on a field of ``extra`` after ``!{}`` interpolation (see interpolation.py).
    dynamic_checks: ClassVar[Mapping[str, FieldCheck]] = {}
    interactor_name: ClassVar[str | None] = None
    _extra_validator: ClassVar[Any] = None

    def __init_subclass__(
        cls, interactor_name: str | None = None, aliases: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls._extra_validator = None
        cls._constructor = constructor_form(cls.__init__, "catalog")
        if interactor_name is not None:
            cls.interactor_name = interactor_name
            for name in (interactor_name, *aliases):
                _registry.add(name, cls)

    def __init__(
        self, artifact: Artifact, *args: Any, catalog: Catalog | None = None, **kwargs: Any
    ) -> None:
        # ``*args``/``**kwargs``: the original's subclasses call
        # ``super().__init__(artifact, *args, session=session, **context)``.
        self.artifact = artifact
        self.name = artifact.name
        if catalog is not None:
            self.catalog = catalog

    @classmethod
    def build(cls, artifact: Artifact, catalog: Catalog, context: Mapping[str, Any]) -> Self:
        """An interactor for ``artifact``, constructed the way ``cls.__init__`` is written:
        ``(artifact, *, catalog)``, or the original's ``(artifact, *args, session, **kwargs)``
        (then given the session and the call's context)."""
        if cls._constructor is ConstructorForm.CURRENT:
            return cls(artifact, catalog=catalog)
        interactor = cls.__new__(cls)
        interactor.catalog = catalog  # before __init__: the original's code may use self.session
        offered = {"session": catalog.session_or_none, **context}
        initialize = MethodType(cls.__init__, interactor)  # the original's, on the prepared object
        initialize(artifact, **select(initialize, offered, positional=1)[0])
        return interactor

    @classmethod
    def interactors(cls) -> dict[str, type[ArtifactInteractor]]:
        """Every type name -> its class, built-in types included (imported here)."""
        return {name: _registry.get(name) for name in _registry.names()}

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

    # A type that can tell cheaply whether what it stores changed defines
    # ``fingerprint(**context) -> str | None``: a text that changes with the content (the run
    # history digests it), None when it cannot tell, FileNotFoundError when nothing is stored.
    fingerprint: Any = None

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


def unknown_type(name: str) -> str:
    """Why type ``name`` cannot be used and how to fix it, with the closest known names."""
    close = difflib.get_close_matches(name, known_types(), n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    return (
        f"unknown type {name!r}{hint}; known types: {', '.join(known_types())}. A custom type "
        f"is registered when its module is imported: define or import it in the session module "
        f"([tool.statisfactory.session_factory] module = ...), or install the package giving it "
        f"(entry point group statisfactory.interactors)"
    )


def interactor_class(name: str, where: str = "") -> type[ArtifactInteractor]:
    """The class registered for type ``name``, importing a built-in type on first use;
    ``where`` (the artifact) starts the error's message."""
    cls = _registry.get(name)
    if cls is None:
        raise UnknownTypeError(f"{where}: {unknown_type(name)}" if where else unknown_type(name))
    return cls
