"""Where bytes live: the storage backends, chosen by the scheme of ``extra.path``.

A backend is a subclass with ``prefix="myscheme"`` implementing ``put`` and ``get`` on whole
payloads. The streaming methods ``open_read``/``open_write`` fall back to those two; built-in
backends derive from :class:`StreamingBackend` instead, which implements the streams and
derives ``get``/``put`` from them, so large files never go through one ``bytes`` copy. A scheme
with no registered backend goes to fsspec (``memory://``, ``gs://``, ``http://``, ...).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MethodType
from typing import Any, BinaryIO, ClassVar
from urllib.parse import ParseResult

from statisfactory.errors import BackendRegistrationError
from statisfactory.IO.registry import ConstructorForm, Registry, constructor_form, qualified_name
from statisfactory.IO.signatures import accepted, select
from statisfactory.logger import MixinLogable
from statisfactory.scope import active_session_or_none, get_active_session
from statisfactory.secrets import redact_url

# Built-in schemes -> module defining their backend, imported on first use.
BUILTIN_MODULES: dict[str, str] = {"": "local", "file": "local", "s3": "s3", "lakefs": "lakefs"}
# Objects up to this size stay in memory on their way to or from a remote store; larger ones go
# to a temporary file, so that a big artifact never exists as one ``bytes`` object.
SPOOL_IN_MEMORY_UP_TO = 32 * 1024 * 1024

# The methods of each operation: the options their signatures name go to the backend.
_OPERATION_METHODS = {
    "load": ("open_read", "get"),
    "save": ("open_write", "put"),
    "exists": ("exists", "get"),
}
# Given by the catalog itself, never taken from options or the context (``stored_version``:
# the version id a versioned save stores with the object, see statisfactory.IO.versions).
RESERVED_ARGUMENTS = frozenset({"fragment", "payload", "stored_version"})


def _conflict(scheme: str, known: type, new: type) -> BackendRegistrationError:
    return BackendRegistrationError(
        f"the storage scheme {scheme!r} is already handled by {qualified_name(known)}; "
        f"{qualified_name(new)} must use another prefix"
    )


_registry = Registry("statisfactory.IO.backends", BUILTIN_MODULES, _conflict, "backends")


class Backend(MixinLogable):
    """Stores and fetches an artifact's bytes for one URL scheme.

    ``fragment`` is the :class:`urllib.parse.ParseResult` of the interpolated ``extra.path``.
    Extra keyword arguments reach ``put``/``get`` only when their signature accepts them: the
    entry's other ``extra`` fields, the call's context, and the entries of ``load_options`` or
    ``save_options`` that the signature names (those then skip the reader or writer).
    """

    prefix: ClassVar[str | None] = None
    _constructor: ClassVar[ConstructorForm] = ConstructorForm.CURRENT

    def __init_subclass__(
        cls, prefix: str | None = None, aliases: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls._constructor = constructor_form(cls.__init__, "root")
        if prefix is not None:
            cls.prefix = prefix
            for scheme in (prefix, *aliases):
                _registry.add(scheme, cls)

    def __init__(self, session: Any = None, *, root: Path | None = None, **kwargs: Any) -> None:
        # ``session`` first and ``**kwargs``: the original's subclasses call
        # ``super().__init__(session=session)`` (or ``super().__init__(session)``).
        if root is not None:
            self.root = root
        if session is not None or not hasattr(self, "_session"):
            self._session = session

    @classmethod
    def build(cls, *, root: Path, session: Any = None) -> Backend:
        """A backend constructed the way ``cls.__init__`` is written: ``(*, root, session)``,
        or the original's ``(session)``."""
        if cls._constructor is ConstructorForm.CURRENT:
            return cls(root=root, session=session)
        if session is None:  # the original's code uses the session it is given at once
            session = active_session_or_none()
        backend = cls.__new__(cls)
        backend.root, backend._session = root, session  # before the original's __init__ runs
        initialize = MethodType(cls.__init__, backend)  # the original's, on the prepared object
        initialize(**select(initialize, {"session": session})[0])
        return backend

    @property
    def session(self) -> Any:
        """The catalog's session, else the active one (``with session:``)."""
        if self._session is None:
            return get_active_session()
        return self._session

    # --- the contract of a custom backend -------------------------------------------------------
    def put(self, *, payload: bytes, fragment: ParseResult, **kwargs: Any) -> None:
        """Store ``payload`` at ``fragment``, replacing what was there."""
        raise NotImplementedError(f"backend {type(self).__name__} cannot write")

    def get(self, *, fragment: ParseResult, **kwargs: Any) -> bytes:
        """The bytes stored at ``fragment``; raise ``FileNotFoundError`` when there are none."""
        raise NotImplementedError(f"backend {type(self).__name__} cannot read")

    def fingerprint(self, *, fragment: ParseResult, **kwargs: Any) -> str | None:
        """A short text that changes whenever what is stored at ``fragment`` changes (an ETag,
        a checksum, like fsspec's ``checksum``/``ukey``), for incremental runs and lineage;
        ``FileNotFoundError`` when nothing is stored; None (the default) when the storage
        gives none, and the artifact then never counts as unchanged."""
        return None

    # --- derived operations, overridden by built-in backends ---------------------------------
    def exists(self, *, fragment: ParseResult, **kwargs: Any) -> bool:
        """Whether something is stored at ``fragment`` (by default: whether ``get`` succeeds)."""
        try:
            self.get(fragment=fragment, **select(self.get, kwargs)[0])
        except FileNotFoundError:
            return False
        return True

    @contextmanager
    def open_read(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        """A binary file object to read the artifact from."""
        yield io.BytesIO(self.get(fragment=fragment, **select(self.get, kwargs)[0]))

    @contextmanager
    def open_write(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        """A binary file object to write to; stored only if the block ends without error."""
        buffer = io.BytesIO()
        yield buffer
        self.put(payload=buffer.getvalue(), fragment=fragment, **select(self.put, kwargs)[0])

    # --- what versioned artifacts need (see statisfactory.IO.versions) ------------------------
    def list_folder(self, fragment: ParseResult, **kwargs: Any) -> list[tuple[str, int | None]]:
        """The names and sizes of the objects directly in the folder ``fragment`` (its path
        ends with ``/``); empty, or ``FileNotFoundError``, when there are none."""
        raise NotImplementedError(
            f"backend {type(self).__name__} cannot list a folder, which versioned artifacts "
            "need: implement list_folder and delete"
        )

    def list_tree(self, fragment: ParseResult) -> list[tuple[str, int, int | str]]:
        """Every object under the folder ``fragment`` (its path ends with ``/``), at any depth:
        ``(name relative to the folder, size, content tag)``; empty when there are none.
        Artifacts stored as folders on this storage (MLflow models, staged Spark) need it."""
        raise NotImplementedError(
            f"backend {type(self).__name__} cannot list a folder tree, which artifacts stored "
            "as folders need: implement list_tree, delete and open_read/open_write"
        )

    def delete(self, fragment: ParseResult, **kwargs: Any) -> None:
        """Delete what is stored at ``fragment``."""
        raise NotImplementedError(f"backend {type(self).__name__} cannot delete")

    def copy(self, source: ParseResult, target: ParseResult, **kwargs: Any) -> None:
        """Store at ``target`` what is stored at ``source`` (by default through the streams;
        a storage that copies by itself overrides it)."""
        import shutil

        with (
            self.open_read(source, **select(self.open_read, kwargs, positional=1)[0]) as reader,
            self.open_write(target, **select(self.open_write, kwargs, positional=1)[0]) as writer,
        ):
            shutil.copyfileobj(reader, writer, 1024 * 1024)

    def version_tag(self, fragment: ParseResult, **kwargs: Any) -> str | None:
        """The version id stored with the object at ``fragment`` (S3 metadata), when the
        storage keeps one; None, and the current version is found by its content."""
        return None

    def local_path(self, fragment: ParseResult) -> Path | None:
        """The local file behind ``fragment``, when there is one (readers then open it directly)."""
        return None

    def locate(self, fragment: ParseResult) -> str:
        """The location to show the user: the URL, without the password it may hold."""
        return redact_url(fragment.geturl())

    def option_names(self, operation: str) -> frozenset[str]:
        """The options this backend takes for ``operation`` (``load``, ``save``, ``exists``):
        the parameters its methods for it name explicitly (``lake_ref`` for lakeFS)."""
        names: set[str] = set()
        for method in _OPERATION_METHODS[operation]:
            names |= accepted(getattr(self, method))[0].names
        return frozenset(names - RESERVED_ARGUMENTS)


def spooled() -> Any:
    """A binary temporary file, in memory up to :data:`SPOOL_IN_MEMORY_UP_TO` bytes."""
    import tempfile  # only remote backends need it: not at catalog build time

    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_UP_TO)


class StreamingBackend(Backend):
    """A backend that implements ``open_read``/``open_write`` (and ``exists``) itself; whole
    payloads (``get``/``put``) go through those streams."""

    def get(self, *, fragment: ParseResult, **kwargs: Any) -> bytes:
        with self.open_read(fragment, **select(self.open_read, kwargs, positional=1)[0]) as handle:
            return handle.read()

    def put(self, *, payload: bytes, fragment: ParseResult, **kwargs: Any) -> None:
        options = select(self.open_write, kwargs, positional=1)[0]
        with self.open_write(fragment, **options) as handle:
            handle.write(payload)


def backend_class(scheme: str) -> type[Backend]:
    """The backend registered for ``scheme``, a built-in one, or the fsspec fallback."""
    cls = _registry.get(scheme)
    if cls is None:
        from statisfactory.IO.backends.fsspec_backend import FsspecBackend

        cls = FsspecBackend
    return cls
