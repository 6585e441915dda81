"""Ctrl-C interrupts a run even when the main thread missed the signal's wake-up.

Python notes a signal in C at once but raises ``KeyboardInterrupt`` only when the main thread
runs Python code again. A SIGINT noted while the main thread was about to block (or by another
thread) used to leave a craft sleeping until its call returned: the run seemed to ignore Ctrl-C.
Sending SIGINT to a thread other than the main one reproduces that moment deterministically.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from statisfactory.cli.interrupts import GRACE, interrupts_delivered

COMMAND = (sys.executable, "-m", "statisfactory.cli.main")
NAPPING = {
    "lib/napping/__init__.py": "",
    "lib/napping/crafts.py": """
        import signal
        import threading
        import time

        from statisfactory import Craft, Volatile


        def _missed_interrupt():
            time.sleep(0.5)
            # Noted by this thread's C handler; the sleeping main thread is not woken.
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)


        @Craft()
        def first() -> Volatile("rested"):
            return True


        @Craft()
        def nap(rested: Volatile) -> Volatile("napped"):
            threading.Thread(target=_missed_interrupt, daemon=True).start()
            time.sleep(120)
            return True
    """,
    "lib/napping/workers.py": """
        import os
        import time
        from pathlib import Path

        from statisfactory import Craft, Volatile


        @Craft()
        def long_nap() -> Volatile("napped"):
            Path("worker.pid").write_text(str(os.getpid()))
            time.sleep(120)
            return True
    """,
    "pipelines/definitions/pipelines.yaml": """
        napping:
          +operators: [napping.crafts.first, napping.crafts.nap]
        napping_worker:
          +operators: [napping.workers.long_nap]
    """,
}


def _missed_interrupt(delay: float = 0.3) -> None:
    def send() -> None:
        time.sleep(delay)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    threading.Thread(target=send, daemon=True).start()


def test_a_run_interrupted_while_its_main_thread_blocks_exits_130(project_factory) -> None:
    root = project_factory(NAPPING, name="napping")
    process = subprocess.Popen(
        [*COMMAND, "run", "napping"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # never leave the child running
        _, stderr = process.communicate()
        raise AssertionError("the missed interrupt was never raised: " + stderr) from None

    assert process.returncode == 130, stderr
    assert "Run of napping interrupted" in stderr
    assert "completed: napping.crafts.first" in stderr
    assert "not completed: napping.crafts.nap" in stderr
    assert "Traceback" not in stderr


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:\tZ") for line in status)  # a zombie is gone
    except FileNotFoundError:
        return False


def test_sigint_to_the_command_alone_stops_the_processes_runner_workers(project_factory) -> None:
    """``kill -INT`` reaches the command, not its workers (a terminal's Ctrl-C reaches all)."""
    root = project_factory(NAPPING, name="napping_worker")
    process = subprocess.Popen(
        [*COMMAND, "run", "napping_worker", "--runner", "processes", "-w", "1"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    pid_file = root / "worker.pid"
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(worker, signal.SIGKILL)  # first: it holds the command's stderr open
        process.kill()
        _, stderr = process.communicate()
        raise AssertionError("the run waited for its worker's craft: " + stderr) from None

    assert process.returncode == 130, stderr
    assert "not completed: napping.workers.long_nap" in stderr
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


@pytest.fixture
def plain_sigint():
    """SIGINT as a fresh interpreter has it: an earlier test in this process may have left its
    own handler (a SparkContext installs one) or wake-up pipe."""
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    wakeup = signal.set_wakeup_fd(-1)
    try:
        yield
    finally:
        signal.set_wakeup_fd(wakeup)
        signal.signal(signal.SIGINT, handler)


@pytest.mark.usefixtures("plain_sigint")
def test_a_missed_interrupt_is_raised_in_the_main_thread_once() -> None:
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), interrupts_delivered():
        _missed_interrupt()
        time.sleep(30)  # without the watcher, only interrupted once this returns
    assert time.monotonic() - started < 15
    time.sleep(4 * GRACE)  # no second interrupt follows the first


@pytest.mark.usefixtures("plain_sigint")
def test_the_handler_and_wakeup_pipe_are_restored() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupts_delivered():
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before
    assert signal.set_wakeup_fd(-1) == -1  # none was left behind
    assert not [t for t in threading.enumerate() if t.name == "statisfactory-interrupts"]


@pytest.mark.usefixtures("plain_sigint")
def test_an_ignored_sigint_stays_ignored() -> None:
    """A background job of a shell (``cmd &``) ignores Ctrl-C: so does its run."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_delivered():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
