"""Writing a large file back to the disk while it is still being written.

A durable save ends with an fsync, which waits until every byte is on the disk: 0.1-0.3 s for
a 100 MB table that took half a second to encode. While a save is open, one background thread
of the process syncs its file each time it has grown by ``STEP`` bytes, so that the disk writes
while the writer still encodes and the save's own fsync waits only for the tail. That fsync is
still what makes the save durable (nothing here replaces it); a file that stays below ``STEP``
is never synced by the thread, and the thread ends once no save has been open for ``IDLE``
seconds (a process that saved once does not stay multi-threaded).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STEP = 16 * 1024 * 1024
POLL = 0.02  # seconds between two looks at the open files' sizes
IDLE = 1.0  # seconds without any save open after which the thread ends

_sync = getattr(os, "fdatasync", os.fsync)  # the size and the bytes, not the times


class _Syncer:
    """The open files (descriptor: size at its last sync) and the thread syncing them."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.files: dict[int, int] = {}
        self.syncing: int | None = None  # the descriptor being synced, outside the lock
        self.thread: threading.Thread | None = None

    def add(self, descriptor: int) -> None:
        with self.condition:
            idle = not self.files
            self.files[descriptor] = 0
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="statisfactory-writeback", daemon=True
                )
                self.thread.start()
            elif idle:  # else the thread looks at the sizes soon anyway
                self.condition.notify_all()

    def remove(self, descriptor: int) -> None:
        """Forget ``descriptor``; once this returns, the thread does not use it any more (its
        owner may close it)."""
        with self.condition:
            del self.files[descriptor]
            while self.syncing == descriptor:
                self.condition.wait()

    def _run(self) -> None:
        with self.condition:
            while True:
                while not self.files:
                    if not self.condition.wait(IDLE) and not self.files:
                        self.thread = None  # the next save starts another
                        return
                self.condition.wait(POLL)
                for descriptor in list(self.files):
                    if descriptor in self.files:  # not removed while the lock was released
                        self._sync_grown(descriptor)

    def _sync_grown(self, descriptor: int) -> None:
        """Sync ``descriptor`` if it grew by ``STEP`` since its last sync (called locked)."""
        try:
            size = os.fstat(descriptor).st_size
        except OSError:
            return
        if size - self.files[descriptor] < STEP:
            return
        self.syncing = descriptor
        self.condition.release()  # a save may open or end meanwhile
        try:
            _sync(descriptor)
        except OSError:
            pass  # the save's own fsync reports what is wrong
        finally:
            self.condition.acquire()
            self.syncing = None
            self.condition.notify_all()
        if descriptor in self.files:
            self.files[descriptor] = size


_syncer = _Syncer()


def _forget_after_fork() -> None:
    global _syncer
    _syncer = _Syncer()  # the thread does not exist in a forked child


os.register_at_fork(after_in_child=_forget_after_fork)


@contextmanager
def written_back(descriptor: int) -> Iterator[None]:
    """While inside, the file open at ``descriptor`` is synced in the background as it grows;
    the caller still fsyncs it at the end (then only its tail is left to write)."""
    syncer = _syncer
    syncer.add(descriptor)
    try:
        yield
    finally:
        if syncer is _syncer:  # else a fork happened meanwhile: this child has no thread
            syncer.remove(descriptor)


def fsync_while(descriptor: int, work: Callable[[], None] | None = None) -> None:
    """fsync the file open at ``descriptor``; ``work()`` (reading the file: hashing it) runs
    meanwhile when the file is large, the fsync in another thread (both release the GIL)."""
    if work is None or os.fstat(descriptor).st_size < STEP:  # a thread costs more than it saves
        if work is not None:
            work()
        os.fsync(descriptor)
        return
    failures: list[BaseException] = []

    def sync() -> None:
        try:
            os.fsync(descriptor)
        except BaseException as error:  # raised in the caller's thread below
            failures.append(error)

    syncing = threading.Thread(target=sync, name="statisfactory-fsync", daemon=True)
    syncing.start()
    try:
        work()
    finally:
        syncing.join()
    if failures:
        raise failures[0]
