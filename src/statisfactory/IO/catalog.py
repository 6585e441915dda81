"""The catalog: every artifact of a project, by name, and the way to load and save them."""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from statisfactory.errors import (
    ArtifactNotFoundError,
    CatalogError,
    DynamicValueError,
    MissingVariableError,
    StatisfactoryError,
    StorageError,
)
from statisfactory.IO.artifact import Artifact
from statisfactory.IO.backends.base import Backend, backend_class
from statisfactory.IO.declarations import read_catalog
from statisfactory.IO.interactors.base import (
    FILE_TYPES,
    ArtifactInteractor,
    interactor_class,
    is_known_type,
)
from statisfactory.IO.interpolation import has_markers, interpolate, variables
from statisfactory.IO.parse_cache import CACHE_FOLDER
from statisfactory.IO.signatures import select
from statisfactory.logger import MixinLogable
from statisfactory.scope import active_session_or_none, get_active_session
from statisfactory.secrets import Secrets, of_session, redact

if TYPE_CHECKING:
    from statisfactory.IO.interactors.tabular import Head
    from statisfactory.IO.versions import ArtifactVersion

_MISSING: Any = object()


def _argument(value: Any, keyword: str, context: dict[str, Any], method: str) -> Any:
    """``value`` given positionally, else taken out of ``context`` (the original's keyword)."""
    if value is not _MISSING:
        return value
    if keyword in context:
        return context.pop(keyword)
    raise CatalogError(
        f"catalog.{method}() needs the artifact's {keyword}: give it "
        f"{'after the name' if keyword == 'asset' else 'first'}, or as {keyword}=..."
    )


class Catalog(MixinLogable):
    """The artifacts of a project: ``load``, ``save``, ``exists`` and ``locate`` them by name.

    Keyword arguments of those methods are the context: they fill the entries' ``!{var}`` and
    reach the reader, writer or backend that names them in its signature. Relative local paths
    start at ``root``; ``session`` is handed to interactors and backends (when ``None`` they use
    the active session). Given ``catalog/data.yaml``::

        - name: samples
          type: parquet
          extra: {path: "{{ data_root }}/samples_!{n_samples}.parquet"}
          save_options: {compression: zstd}

    then::

        catalog = Catalog.from_path(Path("catalog"), variables={"data_root": "data"}, root=root)
        catalog.save("samples", frame, n_samples=500)   # root/data/samples_500.parquet
        frame = catalog.load("samples", n_samples=500)
    """

    def __init__(
        self,
        artifacts: Mapping[str, Artifact] | None = None,
        *,
        root: Path | None = None,
        session: Any = None,
    ) -> None:
        self._artifacts = dict(artifacts or {})
        if root is None:
            root = Path(session.root) if session is not None else Path.cwd()
        self.root = Path(root).resolve()
        self._session = session
        self._resolved: dict[str, Artifact] = {}  # entries with nothing dynamic, validated once
        self._fixed_entries: dict[str, bool] = {}  # see _fixed
        self._backends: dict[type[Backend], Backend] = {}
        self._versioned_default: bool | None = None  # the `versioned` setting, read once

    @classmethod
    def from_path(
        cls,
        path: Path,
        *,
        variables: Mapping[str, Any],
        root: Path,
        session: Any = None,
        cache: bool = True,
    ) -> Catalog:
        """Read a catalog file, or a folder of them (recursively), rendered with ``variables``.

        With ``cache``, parsed files are remembered under ``root/.statisfactory/cache/`` so that
        the next build of an unchanged catalog skips Jinja and YAML.
        """
        folder = Path(root) / CACHE_FOLDER if cache else None
        return cls(
            read_catalog(Path(path), variables, cache_folder=folder), root=root, session=session
        )

    # --- what is declared --------------------------------------------------------------------
    @property
    def artifacts(self) -> Mapping[str, Artifact]:
        """Name -> declared :class:`Artifact` (read-only)."""
        return MappingProxyType(self._artifacts)

    @property
    def session(self) -> Any:
        """The session given at construction, else the active one (``with session:``)."""
        if self._session is not None:
            return self._session
        return get_active_session()

    @property
    def session_or_none(self) -> Any:
        """The session given at construction, else the active one, else ``None``."""
        if self._session is not None:
            return self._session
        return active_session_or_none()

    def __contains__(self, name: object) -> bool:
        return name in self._artifacts

    def __iter__(self) -> Iterator[str]:
        return iter(self._artifacts)

    def __len__(self) -> int:
        return len(self._artifacts)

    def __getitem__(self, name: str) -> Artifact:
        return self._declared(name)

    # --- operations --------------------------------------------------------------------------
    def load(self, name: str = _MISSING, /, **context: Any) -> Any:
        """The value of artifact ``name`` (``load("x")`` or, as in the original, ``load(name="x")``;
        a ``name=`` keyword after a positional name is context, filling ``!{name}``).

        For a versioned artifact, ``version="…"`` loads a stored version (its id, a unique
        prefix of it or its content hash) rather than the current one, unless the entry uses
        ``!{version}``; for another artifact ``version`` is context like any keyword."""
        name = _argument(name, "name", context, "load")
        version = self._version_argument(name, context)
        interactor = self.interactor(name, context)
        with self._failures(interactor, "load", context):
            if version is not None:
                return self._versions_of(interactor).load_version(version, context)
            return interactor.load(**select(interactor.load, context)[0])

    def save(self, name: str = _MISSING, asset: Any = _MISSING, /, **context: Any) -> None:
        """Store ``asset`` as artifact ``name`` (both may be given by keyword, as in the
        original: ``save(name="x", asset=frame)``)."""
        name = _argument(name, "name", context, "save")
        asset = _argument(asset, "asset", context, "save")
        interactor = self.interactor(name, context)
        if interactor.artifact.versioned:  # declared so: refused where no version is kept
            self._versions_of(interactor)
        with self._failures(interactor, "save", context):
            interactor.save(asset, **select(interactor.save, context, positional=1)[0])

    def exists(self, name: str = _MISSING, /, **context: Any) -> bool:
        """Whether something is stored for artifact ``name`` (with this context)."""
        name = _argument(name, "name", context, "exists")
        interactor = self.interactor(name, context)
        with self._failures(interactor, "check", context):
            return bool(interactor.exists(**select(interactor.exists, context)[0]))

    def head(self, name: str, rows: int, /, **context: Any) -> Head:
        """The first ``rows`` rows of table artifact ``name`` and whether only they were read
        (csv, parquet and feather stop early; another table type is read whole, then cut)."""
        from statisfactory.IO.interactors.tabular import DataFrameInteractor

        if rows < 0:
            raise CatalogError(
                f"artifact {name!r}: cannot give its first {rows} rows; ask for 0 or more",
                artifact=name,
            )
        interactor = self.interactor(name, context)
        if not isinstance(interactor, DataFrameInteractor):
            raise CatalogError(
                f"{interactor.artifact.where}: a {interactor.artifact.type} artifact is not a "
                f"table: load it to see it",
                **_about(interactor.artifact),
            )
        with self._failures(interactor, "load", context):
            return interactor.head(rows, **select(interactor.load, context)[0])

    def locate(self, name: str = _MISSING, /, **context: Any) -> str:
        """Where artifact ``name`` lives once interpolated: an absolute local path or a URL."""
        name = _argument(name, "name", context, "locate")
        interactor = self.interactor(name, context)
        with self._failures(interactor, "locate", context):
            return self._locate(interactor, context)

    def check_context(self, name: str, /, **context: Any) -> None:
        """Raise now when ``context`` lacks a ``!{}`` variable of the entry
        (:class:`MissingVariableError`) or the entry refuses one of its values
        (:class:`DynamicValueError`: a path leaving its declared location, a value spliced into
        SQL). Other problems are left to the load or save that meets them."""
        if self._fixed(name):
            return
        try:
            self.interactor(name, context)
        except (DynamicValueError, MissingVariableError):
            raise
        except StatisfactoryError:
            return

    # --- versions ------------------------------------------------------------------------------
    def versioned(self, name: str) -> bool:
        """Whether saves of artifact ``name`` keep every version (its entry's ``versioned``,
        else the ``versioned`` setting)."""
        declared = self._declared(name).versioned
        if declared is not None:
            return declared
        if self._versioned_default is None:
            settings = getattr(self.session_or_none, "settings", None)
            value = settings.get("versioned") if settings is not None else None
            self._versioned_default = str(value).lower() in ("true", "1", "yes", "on")
        return self._versioned_default and self._stored_as_file(name)

    def _stored_as_file(self, name: str) -> bool:
        """Whether ``name``'s type is stored as one file (the types that keep versions)."""
        kind = self._declared(name).type
        if kind in FILE_TYPES:
            return True
        if not is_known_type(kind):
            return False
        from statisfactory.IO.interactors.files import FileInteractor

        return issubclass(interactor_class(kind), FileInteractor)

    def keep(self, name: str) -> int | None:
        """How many versions of ``name`` ``artifacts gc`` keeps (None: all)."""
        declared = self._declared(name).keep
        if declared is not None:
            return declared
        settings = getattr(self.session_or_none, "settings", None)
        policy = settings.get("versions") if settings is not None else None
        if policy is None:
            return None
        from statisfactory.IO.declarations import keep_policy

        return keep_policy(dict(policy), "setting 'versions'")

    def versions(self, name: str, /, **context: Any) -> list[ArtifactVersion]:
        """The stored versions of artifact ``name`` (for this context), oldest first, with the
        run, craft, commit and parameters the run history recorded for each."""
        from statisfactory.IO.versions import with_history

        interactor = self.interactor(name, context)
        with self._failures(interactor, "list the versions of", context):
            versions = self._versions_of(interactor)
            stored = versions.stored_versions(context)
            current = versions.current_version(context) if stored else None
        history = self._history()
        writes = history.version_writes(name) if history is not None and stored else []
        kept = history.kept_runs() if history is not None and stored else set()
        return with_history(stored, writes, current, kept)

    def restore(self, name: str, version: str, /, **context: Any) -> ArtifactVersion:
        """Make the stored ``version`` of artifact ``name`` current again (atomically), and
        record the restore in the run history; returns the version restored."""
        interactor = self.interactor(name, context)
        with self._failures(interactor, "restore", context):
            chosen = self._versions_of(interactor).restore_version(version, context)
            location = self._locate(interactor, context)
        history = self._history()
        if history is not None:
            history.add_restore(
                {
                    "name": name,
                    "context": self._secrets(interactor.artifact, context).redact(
                        {k: context[k] for k in sorted(self.variables(name)) if k in context}
                    ),
                    "location": self._scrub(location, interactor.artifact, context),
                    "version": chosen.version,
                    "restored": time.time(),
                }
            )
        return next(v for v in self.versions(name, **context) if v.version == chosen.version)

    def delete_version(self, name: str, version: str, /, **context: Any) -> None:
        """Delete the stored ``version`` of artifact ``name``; the current one is refused
        (restore another version first)."""
        from statisfactory.IO.versions import choose

        interactor = self.interactor(name, context)
        with self._failures(interactor, "delete a version of", context):
            versions = self._versions_of(interactor)
            chosen = choose(name, version, versions.stored_versions(context))
            if chosen.version == versions.current_version(context):
                raise CatalogError(
                    f"artifact {name!r}: version {chosen.version} is the current one and is "
                    "never deleted; restore another version first"
                )
            versions.delete_version(chosen, context)

    def current_version(
        self, name: str, /, digest: str | None = None, **context: Any
    ) -> str | None:
        """The id of the version of versioned artifact ``name`` stored now (None when the
        artifact is not versioned or what is stored is no version); ``digest`` is the digest of
        the current content when known (it saves reading a local file again)."""
        if not self.versioned(name):
            return None
        interactor = self.interactor(name, context)
        with self._failures(interactor, "check the version of", context):
            current: str | None = self._versions_of(interactor).current_version(context, digest)
        return current

    def _version_argument(self, name: str, context: dict[str, Any]) -> str | None:
        if (
            "version" not in context
            or not self.versioned(name)
            or "version" in self.variables(name)
        ):
            return None
        return str(context.pop("version"))

    def _versions_of(self, interactor: ArtifactInteractor) -> Any:
        if not hasattr(interactor, "stored_versions"):
            raise CatalogError(
                f"{interactor.artifact.where}: only artifacts stored as files keep versions; "
                f"remove versioned: true from its entry"
            )
        return interactor

    def _history(self) -> Any:
        """The session's run history, when it keeps one."""
        store = getattr(self.session_or_none, "history_store", None)
        return store if store is not None and store.enabled else None

    def variables(self, name: str) -> set[str]:
        """The ``!{var}`` names artifact ``name``'s entry uses: in ``extra`` and in its load and
        save options, which are filled from the same context."""
        if self._fixed(name):
            return set()
        return variables(_templated_parts(self._declared(name)))

    def _fixed(self, name: str) -> bool:
        """Whether entry ``name`` has no ``!{}`` nor ``+{ }+`` in its extra or options (asked
        for each craft using the entry: found once)."""
        fixed = self._fixed_entries.get(name)
        if fixed is None:
            parts = _templated_parts(self._declared(name))
            fixed = self._fixed_entries[name] = not any(map(has_markers, parts))
        return fixed

    # --- building blocks -----------------------------------------------------------------------
    def interactor(self, name: str, context: Mapping[str, Any]) -> ArtifactInteractor:
        """The interactor of ``name`` with its entry resolved for ``context`` and validated."""
        declared = self._declared(name)
        cls = interactor_class(declared.type, where=declared.where)
        try:
            resolved = self._resolve(declared, cls, context)
        except StatisfactoryError as error:  # a refused dynamic value may be a secret
            self._complete(error, declared, context)
            raise
        return cls.build(resolved, self, context)

    def check_type(self, name: str) -> None:
        """Raise :class:`UnknownTypeError` when artifact ``name``'s type is unknown (imports
        nothing: a built-in type is loaded on first use)."""
        declared = self._declared(name)
        if not is_known_type(declared.type):
            interactor_class(declared.type, where=declared.where)

    def backend(self, scheme: str) -> Backend:
        """The storage backend of a URL ``scheme`` (``""`` for a plain path), built once."""
        cls = backend_class(scheme)
        backend = self._backends.get(cls)
        if backend is None:
            backend = self._backends[cls] = cls.build(root=self.root, session=self._session)
        return backend

    def _declared(self, name: str) -> Artifact:
        try:
            return self._artifacts[name]
        except KeyError:
            close = difflib.get_close_matches(str(name), self._artifacts, n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ArtifactNotFoundError(
                f"artifact {name!r} is not declared in the catalog{hint}; declare it in a "
                f"catalog file (an entry with name, type and extra)"
            ) from None

    def _resolve(
        self, artifact: Artifact, cls: type[ArtifactInteractor], context: Mapping[str, Any]
    ) -> Artifact:
        """The entry with ``!{}`` and ``+{ }+`` resolved and ``extra`` validated by ``cls``."""
        cached = self._resolved.get(artifact.name)
        if cached is not None:
            return cached
        where = artifact.where
        resolved = replace(
            artifact,
            extra=cls.validate_extra(
                interpolate(
                    artifact.extra,
                    context,
                    where=where,
                    key="extra",
                    checks=cls.dynamic_checks,
                    root=self.root,
                    dynamic_location=artifact.dynamic_location,
                ),
                artifact=artifact,
            ),
            load_options=interpolate(
                artifact.load_options, context, where=where, key="load_options"
            ),
            save_options=interpolate(
                artifact.save_options, context, where=where, key="save_options"
            ),
        )
        if self._fixed(artifact.name):
            self._resolved[artifact.name] = resolved
        return resolved

    def _locate(self, interactor: ArtifactInteractor, context: Mapping[str, Any]) -> str:
        return str(interactor.locate(**select(interactor.locate, context)[0]))

    @contextmanager
    def _failures(
        self, interactor: ArtifactInteractor, action: str, context: Mapping[str, Any]
    ) -> Iterator[None]:
        """Turn what a reader, writer or backend raises into an error naming the artifact and
        its location; no message leaving the catalog holds a secret."""
        try:
            yield
        except StatisfactoryError as error:
            location = self._failed_location(interactor, action, context)
            self._complete(error, interactor.artifact, context, location)
            raise
        except NotImplementedError as error:
            raise CatalogError(
                f"{interactor.artifact.where}: its type cannot {action} ({error}); implement "
                f"{action if action != 'check' else 'exists'}() in {type(interactor).__qualname__}"
            ) from error
        except Exception as error:
            location = self._failed_location(interactor, action, context)
            kind = StorageError if isinstance(error, OSError) else CatalogError
            artifact = interactor.artifact
            message = self._scrub(artifact.failure(action, location, error), artifact, context)
            raise kind(message, **_about(artifact), location=location) from error

    def _complete(
        self,
        error: StatisfactoryError,
        artifact: Artifact,
        context: Mapping[str, Any],
        location: str | None = None,
    ) -> None:
        """Add the artifact (and its location, when known) to the context of ``error`` (its
        message then names the artifact) and mask the secrets in its message; its class and
        traceback stay as raised."""
        error.add_context(subject=artifact.where, **_about(artifact), location=location)
        self._secrets(artifact, context).mask_error(error)

    def _failed_location(
        self, interactor: ArtifactInteractor, action: str, context: Mapping[str, Any]
    ) -> str | None:
        """Where the failed ``action`` was going (secrets masked), if that can be told."""
        if action == "locate":
            return None
        try:
            return self._scrub(self._locate(interactor, context), interactor.artifact, context)
        except Exception:
            return None

    def _scrub(self, text: str, artifact: Artifact, context: Mapping[str, Any]) -> str:
        """``text`` without the secrets of the entry, the context or the session's settings."""
        return self._secrets(artifact, context).mask(text)

    def _secrets(self, artifact: Artifact, context: Mapping[str, Any]) -> Secrets:
        """The secrets of the entry, the context and the session's settings."""
        declared = self._artifacts.get(artifact.name, artifact)
        sources = [declared.extra, declared.load_options, declared.save_options, context]
        return of_session(self.session_or_none, *sources)

    # --- presentation and composition ---------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"Catalog of {len(self)} artifact(s), root {self.root}"]
        for artifact in self._artifacts.values():
            extra = redact(artifact.extra)
            where = extra.get("path") or ", ".join(f"{k}={v}" for k, v in extra.items())
            tags = f"  [{', '.join(artifact.tags)}]" if artifact.tags else ""
            lines.append(f"  {artifact.name} ({artifact.type}): {where}{tags}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Catalog of {len(self)} artifact(s), root {str(self.root)!r}>"

    def __add__(self, other: Catalog) -> Catalog:
        """A new catalog with the entries of both; a name declared in both is an error."""
        if not isinstance(other, Catalog):
            return NotImplemented
        shared = [name for name in other._artifacts if name in self._artifacts]
        if shared:
            details = "; ".join(
                f"{name!r} ({self._artifacts[name].source} and {other._artifacts[name].source})"
                for name in shared
            )
            raise CatalogError(
                f"cannot add catalogs: {details} declared in both; rename or remove one"
            )
        return Catalog(
            {**self._artifacts, **other._artifacts}, root=self.root, session=self._session
        )


def _about(artifact: Artifact) -> dict[str, Any]:
    """The error context naming ``artifact``."""
    return {"artifact": artifact.name, "file": artifact.source}


def _templated_parts(entry: Artifact) -> tuple[Any, ...]:
    """The parts of an entry that ``!{}`` and ``+{ }+`` are resolved in."""
    return (entry.extra, entry.load_options, entry.save_options)
