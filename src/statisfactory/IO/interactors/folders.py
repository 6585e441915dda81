"""Artifacts stored as a folder of files (Spark's part files, MLflow models).

One place for what they share: the folder's fingerprint for incremental runs and lineage (its
listing: each file's relative name, size and modification time, or ETag on a remote store),
and the staging of a folder between a local temporary folder and a remote backend (``s3://``),
for libraries that only write to and read from local paths.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# (relative name, size, modification time or content tag) of each file of a folder
Listing = list[tuple[str, int, int | str]]


def local_listing(folder: Path) -> Listing | None:
    """The files under a local ``folder`` (a file lists itself); None when nothing is there."""
    if not folder.exists():
        return None
    if folder.is_file():
        info = folder.stat()
        return [(folder.name, info.st_size, info.st_mtime_ns)]
    found: Listing = []
    for directory, _, names in os.walk(folder):
        for name in names:
            if name.startswith(".") and name.endswith(".crc"):
                continue  # Hadoop's checksums of the files listed: its listing leaves them out
            path = Path(directory, name)
            info = path.stat()
            found.append((path.relative_to(folder).as_posix(), info.st_size, info.st_mtime_ns))
    return sorted(found)


def remote_listing(backend: Any, url: str) -> Listing | None:
    """The files under the remote folder ``url``, through the backend's ``list_tree``; None when
    nothing is stored there."""
    found = list(backend.list_tree(urlparse(_folder_url(url))))
    return sorted(found) or None


def listing_text(listing: Iterable[tuple[str, int, int | str]]) -> str:
    """A folder's fingerprint: one ``name size time-or-tag`` line per file (the history digests
    it)."""
    return "\n".join(f"{name} {size} {tag}" for name, size, tag in listing)


def upload_folder(backend: Any, local: Path, url: str, *, replace: bool = True) -> None:
    """Store the files of the local folder ``local`` under ``url``, then (``replace``) delete
    the files left there from before: what was stored stays until the new files are all
    uploaded."""
    root = _folder_url(url)
    before = {name for name, _, _ in remote_listing(backend, url) or []} if replace else set()
    written = set()
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        name = path.relative_to(local).as_posix()
        if "/." in f"/{name}":
            continue  # hidden files (Hadoop's local checksums): not part of what is stored
        with path.open("rb") as source, backend.open_write(urlparse(root + name)) as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        written.add(name)
    for stale in sorted(before - written):
        backend.delete(urlparse(root + stale))


def download_folder(backend: Any, url: str, local: Path) -> bool:
    """Copy the files under ``url`` into the local folder ``local``; False when none is stored."""
    listing = remote_listing(backend, url)
    if listing is None:
        return False
    root = _folder_url(url)
    for name, _, _ in listing:
        target = local / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with backend.open_read(urlparse(root + name)) as source, target.open("wb") as handle:
            shutil.copyfileobj(source, handle, 1024 * 1024)
    return True


def replace_folder(built: Path, target: Path) -> None:
    """Put the folder ``built`` (a sibling of ``target``) in place of ``target``: the previous
    folder is moved aside first and removed only once the new one is in place."""
    aside = target.with_name(f".{target.name}.previous")
    if aside.exists():
        shutil.rmtree(aside)
    if target.exists():
        target.rename(aside)
    try:
        built.rename(target)
    except BaseException:
        if aside.exists():
            aside.rename(target)  # the previous folder is kept when the new one cannot go in
        raise
    if aside.exists():
        shutil.rmtree(aside, ignore_errors=True)


def _folder_url(url: str) -> str:
    return url.rstrip("/") + "/"
