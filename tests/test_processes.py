"""Whether a process is alive: by host, pid and start time, so that a reused pid is not it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from statisfactory.processes import Owner, liveness, tag_liveness, this_process


def a_finished_process() -> Owner:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = Owner(this_process().host, child.pid, "")
    child.wait()
    return owner


def test_this_process_is_alive_by_itself_and_by_its_tag() -> None:
    me = this_process()
    assert liveness(me) == "alive"
    assert tag_liveness(me.tag) == "alive"
    assert me.started  # Linux: boot id and start ticks


def test_a_finished_process_is_dead() -> None:
    gone = a_finished_process()
    assert liveness(gone) == "dead"
    assert tag_liveness(gone.tag) == "dead"


def test_a_live_pid_started_at_another_time_is_not_the_owner() -> None:
    impostor = replace(this_process(), started="another-boot:12345")
    assert liveness(impostor) == "dead"
    assert tag_liveness(impostor.tag) == "dead"


def test_a_process_on_another_host_cannot_be_checked() -> None:
    elsewhere = replace(this_process(), host="some-other-host")
    assert liveness(elsewhere) == "unknown"
    assert tag_liveness(elsewhere.tag) == "unknown"
    assert tag_liveness("not a tag") == "unknown"


def test_a_pid_no_process_can_have_is_unknown() -> None:
    me = this_process()
    assert liveness(replace(me, pid=10**30)) == "unknown"
    assert liveness(replace(me, pid=-1)) == "unknown"
    assert tag_liveness(f"{me.tag.split('-')[0]}-{10**30}-00000000") == "unknown"
