"""Versioned artifacts: every save kept in a content-addressed version store.

The current version stays at the declared path (other tools reading the file see the latest);
each version is kept in a version store beside it, as a file named by its version id, a sortable
UTC time to the millisecond and a short content hash (``20261201T214512123-3fa2c9d1e0``),
followed by the artifact's suffix. Identical bytes are stored once: a save whose content is
already a version makes that version current again.

Where the versions of a location live:

- a local file inside the project: ``<root>/.statisfactory/versions/<path from the root>/``
  (relative to the root: moving the project keeps them);
- a local file outside the project, and an object of any other storage:
  ``.statisfactory/versions/<file name>/`` in the file's own folder.

On the local disk a save writes its bytes once (the atomic save's temporary file), hard-links
that file into the version store, then renames it into place (a copy only across file systems):
a save killed at any moment leaves the previous current version whole and no half version. On
other storage the version object is written first, then copied to the declared location (a
server-side copy on S3).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import ParseResult

from statisfactory.errors import VersionNotFoundError
from statisfactory.IO.backends.base import Backend, spooled
from statisfactory.IO.signatures import select

VERSIONS_FOLDER = PurePosixPath(".statisfactory", "versions")
HASH_LENGTH = 10
_ID = re.compile(rf"^(\d{{8}}T\d{{9}})-([0-9a-f]{{{HASH_LENGTH}}})")
SHOWN_IN_ERRORS = 10  # versions named when the one asked for does not exist


@dataclass(frozen=True, slots=True)
class ArtifactVersion:
    """One stored version of an artifact, with what the run history says about its writing.

    ``fingerprint`` is the content fingerprint the history recorded (else the version's short
    content hash); ``run_id``, ``craft``, ``commit`` and ``params`` are None for a version
    saved outside any recorded run.
    """

    version: str
    time: float
    size: int | None
    fingerprint: str | None
    run_id: str | None = None
    craft: str | None = None
    commit: str | None = None
    params: Mapping[str, Any] | None = None
    current: bool = False
    kept: bool = False


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A version as the version store has it: its id, where its bytes are and their size."""

    version: str
    location: str
    size: int | None = None


# --- version ids ------------------------------------------------------------------------------
def content_hash(digest: str) -> str:
    """The short content hash of a version id, from a digest (``xxh3:…``)."""
    return digest.partition(":")[2][:HASH_LENGTH] or digest[:HASH_LENGTH]


def new_version_id(digest: str, now: float | None = None) -> str:
    """A version id: the UTC time to the millisecond, then the short content hash."""
    now = time.time() if now is None else now
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}{int(now * 1000) % 1000:03d}-{content_hash(digest)}"


def parse_version(name: str) -> str | None:
    """The version id a version store's file name starts with, or None (a temporary...)."""
    match = _ID.match(name)
    return match.group(0) if match else None


def version_time(version: str) -> float:
    """When version ``version`` was first stored (seconds since the epoch)."""
    import calendar

    stamp = version[:15]
    seconds = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%S"))
    return seconds + int(version[15:18]) / 1000


def version_hash(version: str) -> str:
    return version.rpartition("-")[2]


def choose(artifact: str, asked: str, versions: Sequence[StoredVersion]) -> StoredVersion:
    """The version ``asked`` names: its id, a unique prefix of it, or its content hash."""
    exact = [v for v in versions if v.version == asked]
    if exact:
        return exact[0]
    found = [
        v
        for v in versions
        if asked and (v.version.startswith(asked) or version_hash(v.version) == asked)
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise VersionNotFoundError(
            f"artifact {artifact!r}: version {asked!r} is ambiguous, it names "
            f"{', '.join(v.version for v in found[:SHOWN_IN_ERRORS])}; give more of the id",
            artifact=artifact,
        )
    raise VersionNotFoundError(
        f"artifact {artifact!r}: no version {asked!r} is stored; {existing(versions)}",
        artifact=artifact,
    )


def existing(versions: Sequence[StoredVersion]) -> str:
    """``the versions stored are …`` (the newest ones), or that none is."""
    if not versions:
        return "none is stored yet (a versioned save stores one)"
    newest = [v.version for v in versions[-SHOWN_IN_ERRORS:]]
    more = f" (and {len(versions) - len(newest)} older)" if len(versions) > len(newest) else ""
    return f"the versions stored are {', '.join(reversed(newest))}{more}"


# --- the stores ---------------------------------------------------------------------------------
class VersionStore:
    """The versions of the locations of one backend (see the module docstring)."""

    def open_write(self, fragment: ParseResult, **kwargs: Any) -> Any:
        """A handle to save through: the bytes become a version and the current one."""
        raise NotImplementedError

    def list(self, fragment: ParseResult, **kwargs: Any) -> list[StoredVersion]:
        """The versions of ``fragment``, oldest first."""
        raise NotImplementedError

    def current(
        self, fragment: ParseResult, digest: str | None = None, **kwargs: Any
    ) -> str | None:
        """The id of the version stored at ``fragment`` now (None when it is none of them);
        ``digest``, when known, is the digest of the current content."""
        raise NotImplementedError

    def restore(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> None:
        """Make ``version`` the current one, atomically."""
        raise NotImplementedError

    def open_read(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> Any:
        """A handle on ``version``'s bytes (a local path for a local file)."""
        raise NotImplementedError

    def delete(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> None:
        """Delete ``version`` from the store."""
        raise NotImplementedError


def version_store(backend: Backend) -> VersionStore:
    """The version store of ``backend``'s locations."""
    from statisfactory.IO.backends.local import LocalBackend

    if isinstance(backend, LocalBackend):
        return LocalVersions(backend)
    return RemoteVersions(backend)


class LocalVersions(VersionStore):
    """Versions of local files, hard links to the bytes each save wrote."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def folder(self, target: Path) -> Path:
        root = Path(self.backend.root)
        try:
            relative = target.relative_to(root)
        except ValueError:
            return target.parent / VERSIONS_FOLDER / target.name
        return root / VERSIONS_FOLDER / relative

    @contextmanager
    def open_write(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        from statisfactory.hashing import file_digest, note_digest
        from statisfactory.IO.backends.local import atomic_write

        target = self.backend.path(fragment)
        digests: list[str] = []  # of the whole temporary, hashed while it is being synced
        with atomic_write(
            target,
            while_syncing=lambda temporary: digests.append(file_digest(temporary)),
            before_replace=lambda temporary: self._keep(temporary, target, digests[0]),
        ) as handle:
            yield handle
        if digests:  # the run history's fingerprint of the save reuses it
            note_digest(target, digests[0])

    def _keep(self, temporary: Path, target: Path, digest: str) -> None:
        """Store the saved bytes (fsynced in ``temporary``, of ``digest``) as a version, unless
        stored already."""
        folder = self.folder(target)
        if self._by_hash(folder, content_hash(digest)) is not None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        link_or_copy(temporary, folder / f"{new_version_id(digest)}{target.suffix}")

    def _names(self, folder: Path) -> list[tuple[str, str]]:
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        found = [(version, name) for name in names if (version := parse_version(name))]
        return sorted(found)

    def _by_hash(self, folder: Path, hashed: str) -> str | None:
        for version, _ in self._names(folder):
            if version_hash(version) == hashed:
                return version
        return None

    def list(self, fragment: ParseResult, **kwargs: Any) -> list[StoredVersion]:
        folder = self.folder(self.backend.path(fragment))
        versions = []
        for version, name in self._names(folder):
            path = folder / name
            try:
                size = path.stat().st_size
            except FileNotFoundError:  # deleted meanwhile (gc)
                continue
            versions.append(StoredVersion(version, str(path), size))
        return versions

    def current(
        self, fragment: ParseResult, digest: str | None = None, **kwargs: Any
    ) -> str | None:
        target = self.backend.path(fragment)
        folder = self.folder(target)
        if digest is None:
            try:
                info = target.stat()
            except FileNotFoundError:
                return None
            if info.st_nlink > 1:  # a hard link of its version: found without reading it
                for version, name in self._names(folder):
                    try:
                        if os.stat(folder / name).st_ino == info.st_ino:
                            return version
                    except FileNotFoundError:
                        continue
            from statisfactory.hashing import file_digest

            digest = file_digest(target)
        return self._by_hash(folder, content_hash(digest))

    def restore(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> None:
        from statisfactory.IO.backends.local import replace_by_link

        replace_by_link(Path(version.location), self.backend.path(fragment))

    @contextmanager
    def open_read(
        self, fragment: ParseResult, version: StoredVersion, **kwargs: Any
    ) -> Iterator[Any]:
        yield version.location

    def delete(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> None:
        with suppress(FileNotFoundError):
            os.unlink(version.location)


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source``, else (another file system) an atomic copy;
    an existing ``target`` (the same bytes, stored by another process) is kept."""
    from statisfactory.IO.backends.local import atomic_write, fsync_folder

    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
        with open(source, "rb") as reader, atomic_write(target) as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
        return
    fsync_folder(target.parent)


class RemoteVersions(VersionStore):
    """Versions on any other storage, through the backend's streams: the version object is
    written first, then copied to the declared location (:meth:`Backend.copy`)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def folder(self, fragment: ParseResult) -> ParseResult:
        path = PurePosixPath(fragment.path or "/")
        return fragment._replace(path=str(path.parent / VERSIONS_FOLDER / path.name) + "/")

    def _at(self, fragment: ParseResult, name: str) -> ParseResult:
        folder = self.folder(fragment)
        return folder._replace(path=folder.path + name)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return method(*args, **select(method, kwargs, positional=len(args))[0])

    @contextmanager
    def open_write(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        from statisfactory.hashing import stream_digest

        with spooled() as spool:
            yield spool
            spool.seek(0)
            digest = stream_digest(spool)
            versions = self.list(fragment, **kwargs)
            known = [v for v in versions if version_hash(v.version) == content_hash(digest)]
            if known:
                stored = known[0]
            else:
                version = new_version_id(digest)
                suffix = PurePosixPath(fragment.path).suffix
                location = self._at(fragment, version + suffix)
                spool.seek(0)
                with self._call(
                    self.backend.open_write, location, **kwargs, stored_version=version
                ) as out:
                    shutil.copyfileobj(spool, out, 1024 * 1024)
                stored = StoredVersion(version, location.geturl())
            self.restore(fragment, stored, **kwargs)

    def list(self, fragment: ParseResult, **kwargs: Any) -> list[StoredVersion]:
        folder = self.folder(fragment)
        try:
            entries = self._call(self.backend.list_folder, folder, **kwargs)
        except FileNotFoundError:
            return []
        found = []
        for name, size in entries:
            version = parse_version(name)
            if version is not None:
                found.append(StoredVersion(version, self._at(fragment, name).geturl(), size))
        return sorted(found, key=lambda v: v.version)

    def current(
        self, fragment: ParseResult, digest: str | None = None, **kwargs: Any
    ) -> str | None:
        tag = self._call(self.backend.version_tag, fragment, **kwargs)
        if tag is not None:
            return str(tag)
        from statisfactory.hashing import stream_digest

        try:
            with self._call(self.backend.open_read, fragment, **kwargs) as handle:
                hashed = content_hash(stream_digest(handle))
        except FileNotFoundError:
            return None
        for version in self.list(fragment, **kwargs):
            if version_hash(version.version) == hashed:
                return version.version
        return None

    def _parsed(self, version: StoredVersion) -> ParseResult:
        from urllib.parse import urlparse

        return urlparse(version.location)

    def restore(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> None:
        self._call(self.backend.copy, self._parsed(version), fragment, **kwargs)

    def open_read(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> Any:
        return self._call(self.backend.open_read, self._parsed(version), **kwargs)

    def delete(self, fragment: ParseResult, version: StoredVersion, **kwargs: Any) -> None:
        self._call(self.backend.delete, self._parsed(version), **kwargs)


def with_history(
    stored: Sequence[StoredVersion],
    writes: Sequence[Mapping[str, Any]],
    current: str | None,
    kept_runs: set[str] | frozenset[str] = frozenset(),
) -> list[ArtifactVersion]:
    """The stored versions with what the history's ``writes`` rows (newest last) say of them."""
    latest: dict[str, Mapping[str, Any]] = {}
    kept: set[str] = set()  # versions a kept run wrote (any of the runs that wrote them)
    for row in writes:
        if row.get("version"):
            latest.setdefault(row["version"], row)  # the first write of those bytes
            if row.get("run_id") in kept_runs:
                kept.add(row["version"])
    versions = []
    for version in stored:
        row = latest.get(version.version, {})
        run_id = row.get("run_id")
        versions.append(
            ArtifactVersion(
                version=version.version,
                time=version_time(version.version),
                size=version.size,
                fingerprint=row.get("fingerprint") or f"hash:{version_hash(version.version)}",
                run_id=run_id,
                craft=row.get("craft"),
                commit=row.get("git_commit"),
                params=row.get("params"),
                current=version.version == current,
                kept=version.version in kept,
            )
        )
    return versions


__all__ = [
    "ArtifactVersion",
    "StoredVersion",
    "VersionStore",
    "choose",
    "new_version_id",
    "version_store",
    "with_history",
]
