"""The local file system: paths relative to the project root, atomic and streamed saves."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import ParseResult

from statisfactory.IO.backends.base import StreamingBackend

TEMPORARY_SUFFIX = ".tmp"


class LocalBackend(StreamingBackend, prefix="file", aliases=("",)):
    """Files on this machine: ``data/x.csv`` (under the project root) or ``file:///abs/x.csv``.

    A save writes a temporary file in the target's folder, flushes and fsyncs it, then renames
    it over the target (``os.replace``): a crash leaves the old file or the new one, never a
    torn one. A failed save leaves the previous file untouched. The temporary's name carries
    the writing process (``.<name>.<host>-<pid>-<start>.<random>.tmp``): the next save of the
    same file deletes those whose process is gone.
    """

    def path(self, fragment: ParseResult) -> Path:
        """The absolute path of ``fragment``."""
        raw = fragment.netloc + fragment.path if fragment.scheme == "file" else fragment.path
        path = Path(raw).expanduser() if raw.startswith("~") else Path(raw)
        return path if path.is_absolute() else self.root / path

    def local_path(self, fragment: ParseResult) -> Path:
        return self.path(fragment)

    def locate(self, fragment: ParseResult) -> str:
        return str(self.path(fragment))

    def exists(self, *, fragment: ParseResult, **kwargs: Any) -> bool:
        return self.path(fragment).is_file()

    @contextmanager
    def open_read(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        with open(self.path(fragment), "rb") as handle:
            yield handle

    @contextmanager
    def open_write(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        target = self.path(fragment)
        with atomic_write(target) as handle:
            yield handle


@contextmanager
def atomic_write(
    target: Path,
    *,
    mode: int | None = None,
    before_replace: Callable[[Path], None] | None = None,
    while_syncing: Callable[[Path], None] | None = None,
    durable: bool = True,
) -> Iterator[BinaryIO]:
    """Write ``target`` through a temporary sibling file renamed over it on success.

    The file gets ``mode``, by default the one ``open()`` would give (0o666 minus the umask).
    ``before_replace(temporary)`` is called once the temporary is whole and synced, before the
    rename (the version store links it then); ``while_syncing(temporary)`` before it, once
    the temporary is whole, while its fsync runs (the version store hashes it then).
    ``durable=False`` skips the fsyncs, for a file whose reader detects a torn one (a cache).
    A large file is written back to the disk while it is written (see ``writeback``), so that
    the fsync at the end waits for its tail only.
    """
    from statisfactory.IO.backends.writeback import fsync_while, written_back
    from statisfactory.processes import this_process

    target.parent.mkdir(parents=True, exist_ok=True)
    untouched = _untouched_since_our_save(target.parent)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.{this_process().tag}.", suffix=TEMPORARY_SUFFIX, dir=target.parent
    )
    try:
        # Opened by its name, so that a writer may open it again by name (see empty_local_file).
        with open(temporary, "wb", opener=lambda *_: descriptor) as handle:
            with written_back(descriptor) if durable else contextlib.nullcontext():
                yield handle
                handle.flush()
            work = (lambda: while_syncing(Path(temporary))) if while_syncing else None
            if durable:
                fsync_while(descriptor, work)
            elif work is not None:
                work()
        os.chmod(temporary, _default_file_mode() if mode is None else mode)
        if before_replace is not None:
            before_replace(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        fsync_folder(target.parent)
    if untouched:  # no other process added a file since our last listing found no temporary
        _note_listed_clean(target.parent)
    else:
        remove_abandoned_temporaries(target)


def replace_by_link(source: Path, target: Path) -> None:
    """Make ``target`` a hard link to ``source``, atomically (a temporary link renamed over it;
    an atomic copy when the two are on different file systems)."""
    import secrets

    from statisfactory.processes import this_process

    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / (
        f".{target.name}.{this_process().tag}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
    )
    try:
        os.link(source, temporary)
    except OSError:  # another file system, or links refused: the bytes are copied once
        import shutil

        with open(source, "rb") as reader, atomic_write(target) as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
        return
    try:
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_folder(target.parent)


def remove_abandoned_temporaries(target: Path) -> list[Path]:
    """Delete the temporaries of ``target`` left by saves whose process was killed; those of a
    live process (on this host), and any this cannot tell, are kept. Returns what it deleted."""
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    prefix = f".{target.name}."
    removed = _remove_dead(target.parent, [name for name in names if name.startswith(prefix)])
    if not any(name.endswith(TEMPORARY_SUFFIX) for name in names if name[:1] == "."):
        _note_listed_clean(target.parent)
    return removed


# Listing a folder at every save costs a save in a folder of n files O(n): n saves there,
# O(n^2) (10,000 outputs in one folder: seconds of listings). A folder whose listing found no
# temporary at all, and whose modification time is still the one our last save there left,
# has had no file added by another process since, so no temporary of a killed one: by folder,
# (inode, modification time) right after that save. (A file another process adds within the
# same clock tick as our save keeps that time: its temporary, if it is killed, waits for a
# later listing, or for `statisfactory doctor`.)
_listed_clean: dict[str, tuple[int, int]] = {}


def _untouched_since_our_save(folder: Path) -> bool:
    known = _listed_clean.pop(str(folder), None)
    if known is None:
        return False
    try:
        info = os.stat(folder)
    except OSError:
        return False
    return (info.st_ino, info.st_mtime_ns) == known


def _note_listed_clean(folder: Path) -> None:
    try:
        info = os.stat(folder)
    except OSError:
        return
    _listed_clean[str(folder)] = (info.st_ino, info.st_mtime_ns)


def remove_abandoned_temporaries_under(root: Path) -> list[Path]:
    """:func:`remove_abandoned_temporaries` for every file in the folders under ``root``
    (``.git`` and virtual environments left out)."""
    removed = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in _NOT_SEARCHED]
        removed += _remove_dead(Path(folder), names)
    return removed


_NOT_SEARCHED = {".git", ".venv", "venv", "__pycache__", "node_modules"}


def _remove_dead(folder: Path, names: list[str]) -> list[Path]:
    from statisfactory.processes import tag_liveness

    removed = []
    for name in names:
        tag = writer_tag(name)
        if tag is None or tag_liveness(tag) != "dead":
            continue
        try:
            os.unlink(folder / name)
        except OSError:  # another save removed it first, or the folder is read-only
            continue
        removed.append(folder / name)
    return removed


def writer_tag(name: str) -> str | None:
    """The process tag in a temporary's name (``.<target>.<tag>.<random>.tmp``), or None."""
    if not (name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)):
        return None
    head = name[: -len(TEMPORARY_SUFFIX)].rpartition(".")[0]  # without mkstemp's random part
    target, _, tag = head.rpartition(".")
    return tag if target and tag.count("-") == 2 else None


def fsync_folder(folder: Path) -> None:
    """Persist the rename itself, so that a power loss does not bring the old file back."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is still atomic
    finally:
        os.close(descriptor)


@functools.cache
def _default_file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 minus the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
