"""Fingerprints of artifacts, and the ``!{}`` variables that locate them.

An artifact's fingerprint is a streaming digest of a local file (remembered in the run history
by path, size, modification time, inode and change time, as git's index does, and read back in
one query), else what its storage backend gives
(:meth:`~statisfactory.IO.backends.base.Backend.fingerprint`: the ETag of an S3 object, the
checksum of a lakeFS object, the checksum fsspec reports for other schemes), or what the
artifact's type says of it (``ArtifactInteractor.fingerprint``: a Spark folder's listing). Other
types that are not files (SQL tables, custom types) have none.
Code fingerprints are in :mod:`statisfactory.history.code`.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from statisfactory.hashing import noted_digest
from statisfactory.history.code import RACY_SECONDS
from statisfactory.history.digests import bytes_digest, file_digest, folder_digest
from statisfactory.IO.interactors.base import FILE_TYPES
from statisfactory.IO.interpolation import scheme_of, substitute
from statisfactory.protocols import DigestStore

if TYPE_CHECKING:
    from statisfactory.IO.catalog import Catalog

_NONE: frozenset[str] = frozenset()  # the variables of most entries: one object for them all


# --- artifacts ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stored:
    """What is stored for an artifact now: where, and the fingerprint of its content.

    ``digest`` is None when nothing is stored (``missing``) or when the storage gives no
    fingerprint (``problem`` says why).
    """

    location: str
    digest: str | None
    missing: bool = False
    problem: str = ""


class ArtifactFingerprints:
    """Fingerprints of artifacts through a catalog; a local file is hashed once per path, size,
    modification time, inode and change time (remembered in ``store`` across runs).

    What this trusts, as git and make do: a file whose content changes also changes one of
    these (any write or ``os.utime`` sets the change time; a replacing rename brings another
    inode). A file changed within :data:`RACY_SECONDS` of its last change is not remembered,
    so a second write within the same timestamp tick is never missed.
    """

    def __init__(self, catalog: Catalog, store: DigestStore | None = None) -> None:
        self.catalog = catalog
        self.store = store
        # Digests by path, size, modification time, inode and change time, for this object's
        # lifetime: an artifact written then read in one run is hashed once.
        self._known: dict[tuple[str, int, int, int, int], str] = {}
        self._remembered: dict[str, tuple[int, int, int, int, str]] | None = None  # from store
        self._root = str(catalog.root) if catalog is not None else ""
        self._variables: dict[str, frozenset[str]] = {}
        self._static: dict[str, str] = {}  # local paths without `!{}`, by artifact name

    def release(self) -> None:
        """Forget the digests and locations read so far (read again if asked after)."""
        self._known = {}
        self._remembered = None
        self._static = {}

    def of(self, name: str, context: Mapping[str, Any]) -> Stored:
        """The fingerprint of artifact ``name`` as it is stored now for ``context``."""
        return self.at(self.locate(name, context), self.catalog.artifacts[name], context)

    def variables(self, name: str) -> frozenset[str]:
        """The ``!{}`` variables artifact ``name``'s entry uses (:meth:`Catalog.variables`,
        asked once)."""
        found = self._variables.get(name)
        if found is None:
            found = self._variables[name] = frozenset(self.catalog.variables(name)) or _NONE
        return found

    def locate(self, name: str, context: Mapping[str, Any]) -> str:
        """``catalog.locate(name, **context)``; for a local file of a built-in type, computed
        from ``extra.path`` alone (no interactor is built, nothing is imported)."""
        static = self._static.get(name)
        if static is not None:
            return static
        entry = self.catalog.artifacts[name]
        path = entry.extra.get("path") if isinstance(entry.extra, Mapping) else None
        if entry.type in FILE_TYPES and isinstance(path, str) and "+{" not in path:
            dynamic = "!" in path
            if dynamic:
                path = substitute(path, context, where=entry.where, key="extra.path")[0]
            if not scheme_of(path):
                local = os.path.expanduser(path) if path.startswith("~") else path
                local = local if os.path.isabs(local) else os.path.join(self._root, local)
                if not dynamic:  # the same for every context: found once
                    self._static[name] = local
                return local
        return self.catalog.locate(name, **context)

    def at(
        self, location: str, artifact: Any, context: Mapping[str, Any], operation: str = "load"
    ) -> Stored:
        """The fingerprint of what is stored at ``location`` (as ``catalog.locate`` gives it)
        for ``artifact`` (its catalog entry); ``operation`` ("load" or "save") says whose
        options choose a lakeFS reference."""
        scheme = urlparse(location).scheme if "://" in location else ""
        try:
            if artifact.type not in FILE_TYPES and _own_fingerprint(artifact):
                return self._from_interactor(location, artifact, context)
            if scheme in ("", "file"):
                return self._local(location, artifact)
            if not _is_file_type(artifact):
                return Stored(location, None, problem=_no_fingerprint(artifact))
            return self._from_backend(location, artifact, context, operation)
        except FileNotFoundError:
            return Stored(location, None, missing=True)

    # --- per storage ----------------------------------------------------------------------------
    def _from_interactor(self, location: str, artifact: Any, context: Mapping[str, Any]) -> Stored:
        """What the artifact's type says of its content (a Spark folder's listing…)."""
        said = self.catalog.interactor(artifact.name, context).fingerprint(**context)
        if said is None:
            return Stored(location, None, problem=_no_fingerprint(artifact))
        return Stored(location, bytes_digest(str(said).encode()))

    def _from_backend(
        self, location: str, artifact: Any, context: Mapping[str, Any], operation: str
    ) -> Stored:
        """What the artifact's backend gives (:meth:`Backend.fingerprint`), with the arguments
        the operation would give it (``lake_ref`` from the load or save options…)."""
        from statisfactory.IO.interactors.files import FileInteractor
        from statisfactory.IO.signatures import select

        interactor = self.catalog.interactor(artifact.name, context)
        assert isinstance(interactor, FileInteractor)  # only file types come here (see at())
        backend, fragment = interactor.storage
        offered = interactor.backend_arguments(operation, context)
        digest = backend.fingerprint(fragment=fragment, **select(backend.fingerprint, offered)[0])
        if digest is None:
            return Stored(
                location,
                None,
                problem=f"the storage of {location} ({type(backend).__name__}) gives no "
                "content fingerprint: implement Backend.fingerprint",
            )
        return Stored(location, digest)

    def _local(self, location: str, artifact: Any) -> Stored:
        path = location.removeprefix("file://")
        if not os.path.isabs(path):
            path = os.path.join(self._root, path)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if _is_file_type(artifact):
                return Stored(location, None, missing=True)
            return Stored(location, None, problem=_no_fingerprint(artifact))
        if stat.S_ISDIR(info.st_mode):
            return Stored(location, folder_digest(Path(path)))
        key = (path, info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
        digest = self._known.get(key)
        if digest is None:
            digest = self._remembered_digest(key)
            if digest is None:  # else hashed by this process as it wrote it (a versioned save)
                digest = noted_digest(info) or file_digest(path)
                self._remember(key, info, digest)
            self._known[key] = digest
        return Stored(location, digest)

    def _remembered_digest(self, key: tuple[str, int, int, int, int]) -> str | None:
        """The digest ``store`` remembers for this version of the file (every remembered
        digest is read at the first lookup, in one query)."""
        if self.store is None:
            return None
        if self._remembered is None:
            self._remembered = self.store.file_digests()
        found = self._remembered.get(key[0])
        return found[4] if found is not None and found[:4] == key[1:] else None

    def _remember(
        self, key: tuple[str, int, int, int, int], info: os.stat_result, digest: str
    ) -> None:
        """Remember the digest in ``store``, unless the file changed too recently to be sure
        that a later write within the same timestamp would change its times."""
        if self.store is None or time.time() - max(info.st_mtime, info.st_ctime) <= RACY_SECONDS:
            return
        path, size, mtime_ns, inode, ctime_ns = key
        self.store.remember_digest(path, size, mtime_ns, digest, inode=inode, ctime_ns=ctime_ns)
        if self._remembered is not None:
            self._remembered[path] = (size, mtime_ns, inode, ctime_ns, digest)


def _own_fingerprint(artifact: Any) -> bool:
    """Whether the artifact's type fingerprints what it stores itself."""
    from statisfactory.IO.interactors.base import interactor_class

    return interactor_class(artifact.type).fingerprint is not None


def _is_file_type(artifact: Any) -> bool:
    if artifact.type in FILE_TYPES:
        return True
    from statisfactory.IO.interactors.base import interactor_class
    from statisfactory.IO.interactors.files import FileInteractor

    return issubclass(interactor_class(artifact.type), FileInteractor)


def _no_fingerprint(artifact: Any) -> str:
    return f"type {artifact.type!r} of artifact {artifact.name!r} gives no content fingerprint"
