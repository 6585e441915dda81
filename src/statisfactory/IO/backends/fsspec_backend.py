"""Any other scheme, through fsspec: ``memory://``, ``gs://``, ``az://``, ``http://``...

``storage_options`` (in the entry's ``extra``, its ``load_options``/``save_options``, or the
context) are the keyword arguments of the fsspec file system: credentials, project, endpoint::

    - name: scores
      type: parquet
      extra: {path: "gs://bucket/scores.parquet", storage_options: {token: "{{ gcs_token }}"}}
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import ParseResult

from statisfactory.errors import StorageError
from statisfactory.IO.backends.base import StreamingBackend


class FsspecBackend(StreamingBackend):
    """Reads and writes through the fsspec file system of the URL's scheme.

    A write happens inside an fsspec transaction, so that a failed save does not leave half a
    file where the file systems support deferred commits. Writes to one file system are
    serialised because an fsspec transaction belongs to the whole file system instance; writes
    to different ones (``gs://`` and ``az://``) run side by side.
    """

    def _filesystem(self, fragment: ParseResult, storage_options: Mapping[str, Any] | None) -> Any:
        import fsspec

        try:
            return fsspec.filesystem(fragment.scheme, **(storage_options or {}))
        except (ImportError, ValueError) as error:
            raise StorageError(
                f"no storage backend for the scheme {fragment.scheme!r} of {fragment.geturl()!r}: "
                f"{error}. Install the fsspec implementation it needs, or register a Backend "
                f"subclass with prefix={fragment.scheme!r}"
            ) from error

    def exists(
        self,
        *,
        fragment: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> bool:
        return bool(self._filesystem(fragment, storage_options).isfile(fragment.geturl()))

    def fingerprint(
        self,
        *,
        fragment: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """The ETag, MD5 or checksum the file system reports, else its ``checksum()``."""
        filesystem = self._filesystem(fragment, storage_options)
        path = fragment.geturl()
        if not filesystem.exists(path):
            raise FileNotFoundError(path)
        info = filesystem.info(path)
        for key in ("ETag", "etag", "md5Hash", "checksum", "crc32c"):
            if info.get(key):
                return f"{key.lower()}:{str(info[key]).strip(chr(34))}"
        return f"fsspec:{filesystem.checksum(path)}"

    @contextmanager
    def open_read(
        self,
        fragment: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[BinaryIO]:
        filesystem = self._filesystem(fragment, storage_options)
        with filesystem.open(fragment.geturl(), "rb") as handle:
            yield handle

    @contextmanager
    def open_write(
        self,
        fragment: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[BinaryIO]:
        filesystem = self._filesystem(fragment, storage_options)
        with (
            _write_lock(filesystem),
            filesystem.transaction,
            filesystem.open(fragment.geturl(), "wb") as handle,
        ):
            yield handle

    # --- versions -------------------------------------------------------------------------------
    def list_folder(
        self,
        fragment: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, int | None]]:
        filesystem = self._filesystem(fragment, storage_options)
        entries = filesystem.ls(fragment.geturl().rstrip("/"), detail=True)
        return [
            (str(entry["name"]).rstrip("/").rpartition("/")[2], entry.get("size"))
            for entry in entries
            if entry.get("type") == "file"
        ]

    def delete(
        self,
        fragment: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._filesystem(fragment, storage_options).rm(fragment.geturl())

    def copy(
        self,
        source: ParseResult,
        target: ParseResult,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        filesystem = self._filesystem(target, storage_options)
        with _write_lock(filesystem):
            filesystem.copy(source.geturl(), target.geturl())


# One lock per file system instance (fsspec caches them): dropped with the file system.
_write_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_write_locks_lock = threading.Lock()


def _write_lock(filesystem: Any) -> threading.Lock:
    with _write_locks_lock:
        return _write_locks.setdefault(filesystem, threading.Lock())
