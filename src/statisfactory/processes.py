"""Whether a process is still alive: the owner of a run, the writer of a temporary file.

A process is named by its host, its pid and its start time, so that a pid the system has since
given to another process is not taken for the owner. The start time comes from
``/proc/<pid>/stat`` on Linux (with the boot id, since the counter restarts at each boot) and
from ``ps`` elsewhere. A process on another host cannot be checked from here: it is ``unknown``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Liveness = Literal["alive", "dead", "unknown"]


@dataclass(frozen=True)
class Owner:
    """A process: ``host``, ``pid`` and ``started`` (an opaque start-time token, may be "")."""

    host: str
    pid: int
    started: str

    @property
    def tag(self) -> str:
        """A short, file-name-safe form: ``<host key>-<pid>-<start key>``."""
        return f"{short_key(self.host)}-{self.pid}-{short_key(self.started)}"


def this_process() -> Owner:
    """The calling process (a forked child is itself, not its parent)."""
    return _owner(os.getpid())


@functools.cache
def _owner(pid: int) -> Owner:
    return Owner(host_name(), pid, start_token(pid) or "")


@functools.cache
def host_name() -> str:
    return socket.gethostname()


def liveness(owner: Owner) -> Liveness:
    """Whether ``owner`` still runs: ``unknown`` on another host, ``dead`` once its pid is gone
    or belongs to a process started at another time."""
    if owner.host != host_name():
        return "unknown"
    return _liveness(owner.pid, lambda token: not owner.started or token == owner.started)


def tag_liveness(tag: str) -> Liveness:
    """:func:`liveness` of the process an :attr:`Owner.tag` names (``unknown`` if malformed)."""
    host, _, rest = tag.partition("-")
    pid, _, started = rest.partition("-")
    if not pid.isdigit() or host != short_key(host_name()):
        return "unknown"
    return _liveness(int(pid), lambda token: short_key(token) == started)


def _liveness(pid: int, same_start: Callable[[str], bool]) -> Liveness:
    if pid <= 0:
        return "unknown"
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return "dead"
    except PermissionError:
        pass  # another user's process: it exists
    except (OSError, OverflowError):  # no such pid can exist here
        return "unknown"
    token = start_token(pid)
    if token is None:
        return "alive"  # cannot tell a reused pid here: assume the owner
    return "alive" if same_start(token) else "dead"


def short_key(text: str) -> str:
    """Eight hex digits standing for ``text`` in file names."""
    return hashlib.blake2s(text.encode(), digest_size=4).hexdigest()


def start_token(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque text; None when it cannot be known."""
    if not _has_proc():
        return _ps_start(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rpartition(")")[2].split()
    return f"{_boot_id()}:{fields[19]}" if len(fields) > 19 else None


@functools.cache
def _has_proc() -> bool:
    return Path("/proc/self/stat").exists()


@functools.cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _ps_start(pid: int) -> str | None:
    """The portable way, where there is no /proc (macOS, the BSDs): ``ps -o lstart``."""
    try:
        done = subprocess.run(
            ["ps", "-o", "lstart=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
