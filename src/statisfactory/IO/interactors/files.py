"""The base of the types stored as one file at ``extra.path``, on any backend."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any, BinaryIO
from urllib.parse import ParseResult, urlparse

from pydantic import BaseModel, ConfigDict

from statisfactory.errors import CatalogError, StorageError
from statisfactory.IO.backends.base import Backend
from statisfactory.IO.interactors.base import ArtifactInteractor
from statisfactory.IO.interpolation import check_local_path, scheme_of
from statisfactory.IO.signatures import select


class MissingArtifactError(StorageError, FileNotFoundError):
    """An artifact is declared but nothing is stored at its (resolved) location."""


class FileExtra(BaseModel):
    """``extra`` of a file type: ``path``; other fields are handed to the backend."""

    model_config = ConfigDict(extra="allow")

    path: str


class FileInteractor(ArtifactInteractor):
    """Reads and writes one file through the backend of ``extra.path``'s scheme.

    A format implements ``read(source, context)``, where ``source`` is a local path (``str``) or
    a binary file object, and ``write(asset, handle, context)`` on a binary file object; it may
    implement ``check_asset(asset)`` to refuse an object before anything is written.
    ``options(function, "load" | "save", context)`` gives a reader or writer the entry's options
    plus the context values it names in its signature.
    """

    Extra = FileExtra
    dynamic_checks = {"path": check_local_path}

    # --- to implement by a format ------------------------------------------------------------
    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def check_asset(self, asset: Any) -> None:
        """Raise :class:`CatalogError` if the format cannot hold ``asset``."""

    # --- the interactor contract -------------------------------------------------------------
    def load(self, **context: Any) -> Any:
        backend, fragment = self._storage()
        local = backend.local_path(fragment)
        try:
            if local is not None:
                return self.read(str(local), context)
            with backend.open_read(fragment, **self._backend_kwargs(context)) as handle:
                return self.read(handle, context)
        except FileNotFoundError as error:
            if isinstance(error, CatalogError):
                raise
            raise MissingArtifactError(
                f"{self.artifact.where}: nothing is stored at {backend.locate(fragment)}; "
                f"save the artifact first, or fix extra.path (or the values of its !{{}} variables)"
            ) from error

    def save(self, asset: Any, **context: Any) -> None:
        self.check_asset(asset)
        backend, fragment = self._storage()
        with backend.open_write(fragment, **self._backend_kwargs(context)) as handle:
            self.write(asset, handle, context)

    def exists(self, **context: Any) -> bool:
        backend, fragment = self._storage()
        kwargs = select(backend.exists, self._backend_kwargs(context))[0]
        return backend.exists(fragment=fragment, **kwargs)

    def locate(self, **context: Any) -> str:
        backend, fragment = self._storage()
        return backend.locate(fragment)

    # --- helpers for formats -----------------------------------------------------------------
    def options(
        self,
        function: Callable[..., Any],
        kind: str,
        context: Mapping[str, Any],
        *,
        positional: int = 1,
    ) -> dict[str, Any]:
        """Keyword arguments for ``function``: the entry's ``load_options``/``save_options``,
        plus the context values that ``function`` names explicitly. Options the function does not
        accept are dropped with a warning. The first ``positional`` parameters are the caller's."""
        declared = self.artifact.load_options if kind == "load" else self.artifact.save_options
        from_context, _ = select(function, context, into_var_keyword=False, positional=positional)
        options, dropped = select(function, declared, positional=positional)
        if dropped:
            self.warning(
                "%s: %s_options %s are not accepted by %s and are ignored",
                self.artifact.where,
                kind,
                ", ".join(dropped),
                getattr(function, "__qualname__", function),
            )
        return {**from_context, **options}

    @staticmethod
    def opened(source: str | BinaryIO) -> Any:
        """A context manager giving a binary file object for ``source`` (a path or a handle)."""
        return open(source, "rb") if isinstance(source, str) else nullcontext(source)

    # --- storage ------------------------------------------------------------------------------
    def _storage(self) -> tuple[Backend, ParseResult]:
        path = self.artifact.extra.path
        scheme = scheme_of(path)
        # A local path is not parsed as a URL: '#' or '?' are valid characters in a file name.
        fragment = urlparse(path) if scheme else ParseResult("", "", path, "", "", "")
        return self.catalog.backend(scheme), fragment

    def _backend_kwargs(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """What a backend may receive: the other ``extra`` fields, then the context."""
        return {**(getattr(self.artifact.extra, "model_extra", None) or {}), **context}


@contextmanager
def text_handle(handle: BinaryIO, encoding: str = "utf-8") -> Iterator[Any]:
    """A text view of a binary handle that leaves the handle open (its owner closes it)."""
    wrapper = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        yield wrapper
        wrapper.flush()
    finally:
        wrapper.detach()
