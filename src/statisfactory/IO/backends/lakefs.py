"""lakeFS: ``lakefs://path/in/repository`` in the project's repository, through the ``lakefs`` SDK.

The repository is ``session.lakefs_repo`` (named after ``project_slug``). The reference is the
lakeFS branch of the current git branch, created from the repository's default branch when
missing, or ``lake_ref`` when given: in the entry's ``load_options`` (reads) or ``save_options``
(writes), in its ``extra`` (both), or as a keyword argument of ``catalog.load``/``save``; a
branch, a commit id or a tag to read, a branch to write. Saves are uploaded to the branch,
uncommitted: commit them with lakeFS when the data is worth a version.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import ParseResult

from statisfactory.IO.backends.base import StreamingBackend, spooled
from statisfactory.IO.lakefs_refs import DEFAULT_SOURCE_BRANCH, LakeRef, select_ref

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """One object to read or write, and what error messages say about it."""

    stored: Any  # lakefs.StoredObject, or lakefs.WriteableObject for a write
    path: str
    ref: LakeRef
    repository: str
    endpoint: str
    writing: bool
    reference: Any = None  # the lakefs.Reference (a Branch for a write) holding the object

    def describe(self) -> str:
        return (
            f"{self.path!r} on reference {self.ref.describe()} of the lakeFS repository "
            f"{self.repository!r} at {self.endpoint}"
        )


class LakeFSBackend(StreamingBackend, prefix="lakefs"):
    """Objects in the project's lakeFS repository, on the git branch's lakeFS branch.

    Reads and writes go through a spooled temporary file (large objects never become one
    ``bytes``); an object is uploaded only when the save completes. Errors say which reference,
    repository and endpoint, never a secret; the catalog adds the artifact.
    """

    def exists(self, *, fragment: ParseResult, lake_ref: str | None = None, **kwargs: Any) -> bool:
        target = self.target(fragment, lake_ref, writing=False)
        with translated_errors(target):
            return bool(target.stored.exists())

    def fingerprint(
        self, *, fragment: ParseResult, lake_ref: str | None = None, **kwargs: Any
    ) -> str | None:
        """The object's checksum on the reference the operation uses."""
        target = self.target(fragment, lake_ref, writing=False)
        with translated_errors(target):
            return f"lakefs:{target.stored.stat().checksum}"

    @contextmanager
    def open_read(
        self, fragment: ParseResult, lake_ref: str | None = None, **kwargs: Any
    ) -> Iterator[BinaryIO]:
        target = self.target(fragment, lake_ref, writing=False)
        with spooled() as spool:
            with translated_errors(target), target.stored.reader(mode="rb") as reader:
                shutil.copyfileobj(reader, spool, CHUNK)
            spool.seek(0)
            yield spool

    @contextmanager
    def open_write(
        self, fragment: ParseResult, lake_ref: str | None = None, **kwargs: Any
    ) -> Iterator[BinaryIO]:
        with spooled() as spool:
            yield spool
            spool.seek(0)
            target = self.target(fragment, lake_ref, writing=True)
            with translated_errors(target), target.stored.writer(mode="wb") as writer:
                shutil.copyfileobj(spool, writer, CHUNK)

    # --- where an object lives ------------------------------------------------------------------
    def target(self, fragment: ParseResult, lake_ref: str | None, *, writing: bool) -> Target:
        """The object at ``fragment`` on the selected reference of the project's repository."""
        session = self.session
        session.lakefs_client  # noqa: B018 - checks the settings, sends no request
        ref = select_ref(lake_ref, lambda: session.git)  # before any request too
        repository = session.lakefs_repo
        path = object_path(fragment)
        endpoint = str(session.settings.get("lakefs_endpoint"))
        placeholder = Target(None, path, ref, repository.id, endpoint, writing)
        if ref.from_git:
            with translated_errors(placeholder):
                ensure_branch(session, repository, ref.ref)
        reference = repository.branch(ref.ref) if writing else repository.ref(ref.ref)
        return Target(
            reference.object(path), path, ref, repository.id, endpoint, writing, reference
        )

    # --- versions: a folder beside the object, on the same reference ------------------------
    def list_folder(
        self, fragment: ParseResult, lake_ref: str | None = None, **kwargs: Any
    ) -> list[tuple[str, int | None]]:
        target = self.target(fragment, lake_ref, writing=False)
        prefix = object_path(fragment)
        with translated_errors(target):
            entries = list(target.reference.objects(prefix=prefix, delimiter="/"))
        return [
            (entry.path[len(prefix) :], getattr(entry, "size_bytes", None))
            for entry in entries
            if hasattr(entry, "size_bytes")  # objects, not the common prefixes of sub-folders
        ]

    def delete(self, fragment: ParseResult, lake_ref: str | None = None, **kwargs: Any) -> None:
        target = self.target(fragment, lake_ref, writing=True)
        with translated_errors(target):
            target.stored.delete()


def object_path(fragment: ParseResult) -> str:
    """The path inside the repository of ``lakefs://path/in/repo``."""
    path = fragment.geturl().split("://", 1)[-1].lstrip("/")
    if not path:
        raise ValueError(
            f"{fragment.geturl()!r} names no object: write lakefs://path/in/the/repository"
        )
    return path


@dataclass
class KnownBranches:
    """The branches a session knows to exist: one creation call each (a session resource)."""

    names: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def ensure_branch(session: Any, repository: Any, branch: str) -> None:
    """Create ``branch`` from the repository's default branch unless it is known to exist."""
    key = (repository.id, branch)
    known = session.resource("lakefs_branches", KnownBranches)
    with known.lock:
        if key in known.names:
            return
    properties = getattr(repository, "properties", None)
    source = getattr(properties, "default_branch", None) or DEFAULT_SOURCE_BRANCH
    if branch != source:
        repository.branch(branch).create(source_reference=source, exist_ok=True)
    with known.lock:
        known.names.add(key)


@contextmanager
def translated_errors(target: Target) -> Iterator[None]:
    """Turn the SDK's errors into ``OSError``s that say what to fix (the catalog wraps them)."""
    from lakefs import exceptions
    from urllib3.exceptions import HTTPError

    try:
        yield
    except exceptions.NotFoundException as error:
        if target.writing:
            raise OSError(
                f"cannot write {target.describe()}: the reference is not a branch (or the "
                f"repository is gone). Writes need a branch: create it in lakeFS, or give a "
                f"branch as lake_ref"
            ) from error
        hint = "" if target.ref.from_git else " (or lake_ref names no branch, commit or tag)"
        raise FileNotFoundError(f"nothing is stored at {target.describe()}{hint}") from error
    except (exceptions.NotAuthorizedException, exceptions.ForbiddenException) as error:
        raise PermissionError(
            f"lakeFS at {target.endpoint} refused access to {target.describe()} "
            f"({error.status_code} {error.reason}): check lakefs_access_key and "
            f"lakefs_secret_access_key in conf/locals.yaml, and their lakeFS permissions"
        ) from error
    except exceptions.ServerException as error:
        raise OSError(
            f"lakeFS at {target.endpoint} answered {error.status_code} {error.reason} for "
            f"{target.describe()}: {error.body.get('message', '') or 'no details'}"
        ) from error
    except exceptions.LakeFSException as error:
        raise OSError(f"lakeFS failed on {target.describe()}: {error!r}") from error
    except HTTPError as error:
        raise ConnectionError(
            f"lakeFS at {target.endpoint} cannot be reached ({type(error).__name__}): check "
            f"lakefs_endpoint in conf/locals.yaml and that the server is up"
        ) from error
