"""Make Ctrl-C interrupt a command even when it lands just before a blocking call.

Python handles a signal in two steps: a C handler notes it at once, then the main thread runs the
Python handler (raising ``KeyboardInterrupt``) at its next bytecode. A SIGINT noted while the
main thread is about to block (preempted between its last check and ``sleep``, a lock or a
read), or noted by another thread, does not wake it: a craft sleeping or waiting for a minute
would only then see the interrupt, and the command would seem to ignore Ctrl-C.

:func:`interrupts_delivered` closes that gap: the C handler also writes to a pipe
(:func:`signal.set_wakeup_fd`), a watcher thread reads it, and while the Python handler has not
run since, it sends SIGINT to the main thread itself every :data:`GRACE` seconds, which makes
the blocking call return (``EINTR``) and the interrupt be raised.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

GRACE = 0.25  # how long the main thread has to raise the interrupt on its own


@contextlib.contextmanager
def interrupts_delivered() -> Iterator[None]:
    """Within the block (entered in the main thread), every SIGINT raises ``KeyboardInterrupt``
    in the main thread within :data:`GRACE` seconds, whatever it is blocked in. Elsewhere, or
    when SIGINT is ignored (a background job), the block runs unchanged."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        or not hasattr(signal, "pthread_kill")
    ):
        yield
        return
    watcher = _Watcher()
    previous_fd = signal.set_wakeup_fd(watcher.write_end, warn_on_full_buffer=False)
    previous_handler = signal.signal(signal.SIGINT, watcher.on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        signal.set_wakeup_fd(previous_fd)
        watcher.stop()


class _Watcher:
    """The pipe the C handler writes signal numbers to, and the thread that reads it."""

    def __init__(self) -> None:
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.write_end, False)  # required by set_wakeup_fd
        self.main = threading.get_ident()  # built in the main thread (see the caller)
        self.handled_at = 0.0  # when the Python handler last ran
        self._stopping = False
        self._thread = threading.Thread(
            target=self._watch, name="statisfactory-interrupts", daemon=True
        )
        self._thread.start()

    def on_sigint(self, signum: int, frame: object) -> None:
        self.handled_at = time.monotonic()
        raise KeyboardInterrupt

    def _watch(self) -> None:
        while True:
            try:
                received = os.read(self.read_end, 64)
            except OSError:  # closed by stop()
                return
            if self._stopping or not received:
                return
            if signal.SIGINT not in received:
                continue
            # The Python handler usually runs at once, maybe before this thread reads the pipe:
            # one that ran since shortly before counts.
            arrived = time.monotonic() - GRACE
            time.sleep(GRACE)
            while self.handled_at < arrived and not self._stopping:
                signal.pthread_kill(self.main, signal.SIGINT)  # wakes a blocked main thread
                time.sleep(GRACE)
            self._drain()  # the bytes of the SIGINTs sent here: not new interrupts

    def _drain(self) -> None:
        os.set_blocking(self.read_end, False)
        with contextlib.suppress(OSError):  # empty (BlockingIOError) or closed
            while os.read(self.read_end, 64):
                pass
        os.set_blocking(self.read_end, True)

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            os.write(self.write_end, b"\0")  # wakes the watcher, which then leaves
        self._thread.join(timeout=1)
        for end in (self.read_end, self.write_end):
            with contextlib.suppress(OSError):
                os.close(end)
