"""A large local save is written back to the disk while it is written, never for a small one."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from catalog_files import make_catalog

from statisfactory.hashing import file_digest
from statisfactory.IO.backends import writeback
from statisfactory.IO.backends.local import atomic_write
from statisfactory.IO.versions import content_hash

WAIT = 60.0  # seconds: a generous bound on what the background thread does at once


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the files the background thread synced (a sync is then a real fdatasync)."""
    sizes: list[int] = []
    real = writeback._sync

    def sync(descriptor: int) -> None:
        sizes.append(os.fstat(descriptor).st_size)
        real(descriptor)

    monkeypatch.setattr(writeback, "_sync", sync)
    return sizes


def wait_until_synced(synced: list[int]) -> None:
    """Give the background thread time to see a grown file; it looks every POLL seconds."""
    done = threading.Event()
    for _ in range(int(WAIT / writeback.POLL)):
        if synced or done.wait(writeback.POLL):
            return


def test_a_growing_save_is_synced_while_it_is_still_being_written(
    tmp_path: Path, synced: list[int]
):
    target = tmp_path / "large.bin"
    block = b"x" * writeback.STEP
    with atomic_write(target) as handle:
        handle.write(block)
        handle.flush()
        wait_until_synced(synced)
        assert synced and synced[0] >= writeback.STEP  # before the save's own fsync
        handle.write(b"tail")
    assert target.read_bytes() == block + b"tail"


def test_a_small_save_is_left_to_its_own_fsync(tmp_path: Path, synced: list[int]):
    looked = threading.Event()
    original = writeback._Syncer._sync_grown

    def look(self: writeback._Syncer, descriptor: int) -> None:
        original(self, descriptor)
        looked.set()

    target = tmp_path / "small.bin"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writeback._Syncer, "_sync_grown", look)
        with atomic_write(target) as handle:
            handle.write(b"small")
            handle.flush()
            assert looked.wait(WAIT)  # the thread saw the file
    assert synced == []
    assert target.read_bytes() == b"small"


def test_a_save_ends_only_once_the_thread_no_longer_uses_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The save closes its descriptor after it left the thread's hands (a descriptor closed
    while being synced could be another file's by then)."""
    started, release = threading.Event(), threading.Event()

    def slow_sync(descriptor: int) -> None:
        started.set()
        release.wait(WAIT)

    monkeypatch.setattr(writeback, "_sync", slow_sync)
    ended = threading.Event()

    def save() -> None:
        with atomic_write(tmp_path / "large.bin") as handle:
            handle.write(b"x" * writeback.STEP)
            handle.flush()
            assert started.wait(WAIT)
        ended.set()

    saver = threading.Thread(target=save)
    saver.start()
    assert started.wait(WAIT)
    assert not ended.wait(0.5)  # held while its file is being synced
    release.set()
    saver.join(WAIT)
    assert ended.is_set()
    assert (tmp_path / "large.bin").stat().st_size == writeback.STEP


def test_a_forked_child_syncs_its_own_large_saves(tmp_path: Path, synced: list[int]):
    with atomic_write(tmp_path / "parent.bin") as handle:  # the parent's thread is running
        handle.write(b"x" * writeback.STEP)
        handle.flush()
        wait_until_synced(synced)
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            synced.clear()
            with atomic_write(tmp_path / "child.bin") as handle:
                handle.write(b"y" * writeback.STEP)
                handle.flush()
                wait_until_synced(synced)
            code = 0 if synced else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (tmp_path / "child.bin").stat().st_size == writeback.STEP


def test_a_large_versioned_save_is_hashed_while_its_fsync_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    catalog = make_catalog(
        tmp_path, "- {name: blob, type: binary, versioned: true, extra: {path: blob.bin}}\n"
    )
    syncing, hashing = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        if os.fstat(descriptor).st_size >= writeback.STEP:  # the temporary's own fsync
            syncing.set()
            assert hashing.wait(WAIT)  # the hash started before this fsync ended
        real_fsync(descriptor)

    def digest(path: Path | str) -> str:
        hashing.set()
        assert syncing.wait(WAIT)
        return file_digest(path)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr("statisfactory.hashing.file_digest", digest)
    payload = b"z" * writeback.STEP
    catalog.save("blob", payload)
    assert syncing.is_set() and hashing.is_set()
    (version,) = catalog.versions("blob")
    assert version.version.endswith(content_hash(file_digest(tmp_path / "blob.bin")))
    assert catalog.load("blob") == payload


def test_a_failed_fsync_fails_the_save_and_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    target = tmp_path / "large.bin"
    target.write_bytes(b"before")

    def fsync(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    digests: list[int] = []
    saving = atomic_write(target, while_syncing=lambda path: digests.append(1))
    with pytest.raises(OSError, match="Input/output"), saving as handle:
        handle.write(b"x" * writeback.STEP)
    assert digests == [1]
    assert target.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["large.bin"]  # no temporary left
