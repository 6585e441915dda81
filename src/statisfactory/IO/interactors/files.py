"""The base of the types stored as one file at ``extra.path``, on any backend."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import ParseResult, urlparse

from pydantic import BaseModel, ConfigDict

from statisfactory.errors import (
    CatalogError,
    MissingArtifactError,
    StatisfactoryError,
    StorageError,
)
from statisfactory.IO.backends.base import RESERVED_ARGUMENTS, Backend
from statisfactory.IO.interactors.base import ArtifactInteractor
from statisfactory.IO.interpolation import check_path, scheme_of
from statisfactory.IO.signatures import select

if TYPE_CHECKING:
    from statisfactory.IO.versions import StoredVersion, VersionStore


def empty_local_file(handle: BinaryIO) -> str | None:
    """The path of ``handle`` when it is a local file nothing was written to yet, else ``None``.

    A writer given this path writes the very file (the temporary a local save renames over
    its target, then syncs); pyarrow writes a path it opens itself faster than a Python handle.
    """
    name = getattr(handle, "name", None)
    if not isinstance(handle, io.BufferedWriter) or not isinstance(name, str):
        return None
    if handle.tell() != 0 or not os.path.isfile(name):
        return None
    return name


class FileExtra(BaseModel):
    """``extra`` of a file type: ``path``; other fields are handed to the backend."""

    model_config = ConfigDict(extra="allow")

    path: str


class FileInteractor(ArtifactInteractor):
    """Reads and writes one file through the backend of ``extra.path``'s scheme.

    A format implements ``read(source, context)``, where ``source`` is a local path (``str``) or
    a binary file object, and ``write(asset, handle, context)`` on a binary file object; it may
    implement ``check_asset(asset)`` to refuse an object before anything is written.
    ``options(function, "load" | "save", context)`` gives a reader or writer its options.

    Each entry of ``load_options``/``save_options`` goes where it is accepted: to the backend
    when the backend's methods name it (``lake_ref`` for ``lakefs://``), else to the reader or
    writer. The backend also gets the entry's other ``extra`` fields and the call's context, as
    far as its signatures accept them. A name given several ways takes the call's keyword
    argument (the context), else the option's value, else the ``extra`` field's: as in the
    original, ``load("t", index_col=1)`` overrides ``load_options: {index_col: 2}``. What the backend raises (not the reader or
    writer) becomes a :class:`StorageError` naming the artifact and its location.
    """

    Extra = FileExtra
    dynamic_checks = {"path": check_path}

    # --- to implement by a format ------------------------------------------------------------
    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def check_asset(self, asset: Any) -> None:
        """Raise :class:`CatalogError` if the format cannot hold ``asset``."""

    # --- the interactor contract -------------------------------------------------------------
    def load(self, **context: Any) -> Any:
        return self.read_stored(self.read, context)

    def read_stored(
        self, reader: Callable[[str | BinaryIO, Mapping[str, Any]], Any], context: Mapping[str, Any]
    ) -> Any:
        """What ``reader(source, context)`` returns from the stored file: ``source`` is its local
        path, else a stream from the backend (``read`` for a load; a format's partial reader)."""
        backend, fragment = self.storage
        local = backend.local_path(fragment)
        if local is None:
            with self._streamed(backend.open_read, "load", context) as handle:
                return reader(handle, context)
        try:
            return reader(str(local), context)
        except FileNotFoundError as error:
            if isinstance(error, CatalogError):
                raise
            raise self._missing(None) from error

    def save(self, asset: Any, **context: Any) -> None:
        self.check_asset(asset)
        versioned = self.catalog.versioned(self.name)
        opener = self.versions.open_write if versioned else self.storage[0].open_write
        with self._streamed(opener, "save", context) as handle:
            self.write(asset, handle, context)

    def exists(self, **context: Any) -> bool:
        backend, fragment = self.storage
        with self._backend_errors("exists"):
            kwargs = self._backend_kwargs(backend.exists, "exists", context)
            try:
                return bool(backend.exists(fragment=fragment, **kwargs))
            except FileNotFoundError:
                return False

    def locate(self, **context: Any) -> str:
        backend, fragment = self.storage
        return backend.locate(fragment)

    def backend_arguments(self, operation: str, context: Mapping[str, Any]) -> dict[str, Any]:
        """What the backend is offered for ``operation`` (``load``, ``save``, ``exists``): the
        other ``extra`` fields, the options it takes (``lake_ref``...), then the context; each
        of its methods then receives those its signature accepts."""
        taken = self.storage[0].option_names(operation)
        options = {k: v for k, v in self._declared_options(operation).items() if k in taken}
        fields = getattr(self.artifact.extra, "model_extra", None) or {}
        values = {**fields, **options, **context}
        for name in RESERVED_ARGUMENTS.intersection(values):
            del values[name]
        return values

    # --- versions (see statisfactory.IO.versions) ---------------------------------------------
    @functools.cached_property
    def versions(self) -> VersionStore:
        """The version store of the artifact's storage."""
        from statisfactory.IO.versions import version_store

        return version_store(self.storage[0])

    def stored_versions(self, context: Mapping[str, Any]) -> list[StoredVersion]:
        """The versions stored for this location, oldest first."""
        return self._on_versions(self.versions.list, "load", context)

    def current_version(self, context: Mapping[str, Any], digest: str | None = None) -> str | None:
        """The id of the version stored at the location now, if it is one."""
        return self._on_versions(self.versions.current, "load", context, digest=digest)

    def load_version(self, version: str, context: Mapping[str, Any]) -> Any:
        """The value of the stored version ``version`` (an id, its prefix or content hash)."""
        from statisfactory.IO.versions import choose

        chosen = choose(self.name, version, self.stored_versions(context))
        with self._backend_errors("load"):
            manager = self._on_versions(self.versions.open_read, "load", context, chosen)
            source = manager.__enter__()
        try:
            return self.read(source, context)
        finally:
            manager.__exit__(None, None, None)

    def restore_version(self, version: str, context: Mapping[str, Any]) -> StoredVersion:
        """Make the stored version ``version`` the current one; returns it."""
        from statisfactory.IO.versions import choose

        chosen = choose(self.name, version, self.stored_versions(context))
        self._on_versions(self.versions.restore, "save", context, chosen)
        return chosen

    def delete_version(self, version: StoredVersion, context: Mapping[str, Any]) -> None:
        self._on_versions(self.versions.delete, "save", context, version)

    def _on_versions(
        self,
        method: Callable[..., Any],
        operation: str,
        context: Mapping[str, Any],
        *args: Any,
        **more: Any,
    ) -> Any:
        with self._backend_errors(operation):
            return method(
                self.storage[1], *args, **more, **self._backend_kwargs(method, operation, context)
            )

    # --- helpers for formats -----------------------------------------------------------------
    def options(
        self,
        function: Callable[..., Any],
        kind: str,
        context: Mapping[str, Any],
        *,
        positional: int = 1,
    ) -> dict[str, Any]:
        """Keyword arguments for ``function``: the entry's ``load_options``/``save_options`` that
        the backend does not take, overridden by the context values that ``function`` names
        explicitly.
        Options the function does not accept are dropped with a warning. The first
        ``positional`` parameters are the caller's."""
        taken = self.storage[0].option_names(kind)
        declared = {k: v for k, v in self._declared_options(kind).items() if k not in taken}
        from_context, _ = select(function, context, into_var_keyword=False, positional=positional)
        options, dropped = select(function, declared, positional=positional)
        if dropped:
            self.warning(
                "%s: %s_options %s are accepted neither by %s nor by the %s backend, and are "
                "ignored",
                self.artifact.where,
                kind,
                ", ".join(dropped),
                getattr(function, "__qualname__", function),
                self.storage[1].scheme or "local",
            )
        return {**options, **from_context}

    @staticmethod
    def opened(source: str | BinaryIO) -> Any:
        """A context manager giving a binary file object for ``source`` (a path or a handle)."""
        return open(source, "rb") if isinstance(source, str) else nullcontext(source)

    # --- storage ------------------------------------------------------------------------------
    @functools.cached_property
    def storage(self) -> tuple[Backend, ParseResult]:
        """The backend of ``extra.path`` and the parsed path."""
        path = self.artifact.extra.path
        scheme = scheme_of(path)
        # A local path is not parsed as a URL: '#' or '?' are valid characters in a file name.
        fragment = urlparse(path) if scheme else ParseResult("", "", path, "", "", "")
        return self.catalog.backend(scheme), fragment

    def _declared_options(self, operation: str) -> Mapping[str, Any]:
        """``save_options`` for a save, else ``load_options`` (an existence check is a read)."""
        return self.artifact.save_options if operation == "save" else self.artifact.load_options

    def _backend_kwargs(
        self, method: Callable[..., Any], operation: str, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The :meth:`backend_arguments` that ``method`` of the backend accepts."""
        return select(method, self.backend_arguments(operation, context))[0]

    @contextmanager
    def _streamed(
        self, method: Callable[..., Any], operation: str, context: Mapping[str, Any]
    ) -> Iterator[BinaryIO]:
        """The handle of ``method`` (the backend's ``open_read`` or ``open_write``), entered and
        left so that what the backend raises, not what the reader or writer raises, becomes
        a storage error."""
        fragment = self.storage[1]
        with self._backend_errors(operation):
            manager = method(fragment, **self._backend_kwargs(method, operation, context))
            handle = manager.__enter__()
        try:
            yield handle
        except BaseException as error:
            with self._backend_errors(operation):
                suppressed = manager.__exit__(type(error), error, error.__traceback__)
            if not suppressed:
                raise
        else:
            with self._backend_errors(operation):
                manager.__exit__(None, None, None)

    @contextmanager
    def _backend_errors(self, operation: str) -> Iterator[None]:
        """Errors of the backend as catalog errors naming the artifact and its location."""
        try:
            yield
        except StatisfactoryError:
            raise
        except FileNotFoundError as error:
            if operation != "load":
                raise StorageError(self._failure(operation, error)) from error
            raise self._missing(error) from error
        except Exception as error:
            raise StorageError(self._failure(operation, error)) from error

    def _failure(self, operation: str, error: BaseException) -> str:
        action = "check" if operation == "exists" else operation
        return self.artifact.failure(action, self.locate(), error)

    def _missing(self, error: BaseException | None) -> MissingArtifactError:
        """Nothing at the artifact's location; ``error`` is the backend's own explanation."""
        location = self.locate()
        said = str(error or "").strip("'\"")
        # Most backends only repeat the path; keep what says more (an endpoint, a reference).
        repeats = said.endswith(self.storage[1].path) or getattr(error, "filename", None)
        detail = f" ({said})" if said and not repeats else ""
        return MissingArtifactError(
            f"{self.artifact.where}: nothing is stored at {location}{detail}; save the "
            f"artifact first, or fix extra.path (or the values of its !{{}} variables)"
        )


@contextmanager
def text_handle(handle: BinaryIO, encoding: str = "utf-8") -> Iterator[Any]:
    """A text view of a binary handle that leaves the handle open (its owner closes it)."""
    wrapper = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        yield wrapper
        wrapper.flush()
    finally:
        wrapper.detach()
