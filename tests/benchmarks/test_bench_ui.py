"""The UI benchmark's CPU count of a process tree (benchmarks/bench_ui.py), on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_ui import tree_cpu_seconds

BUSY = "import time\nend = time.process_time() + {}\nwhile time.process_time() < end: pass\n"
WAIT = "import sys\nsys.stdin.read()\n"  # alive until its input closes


def start(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code + "print('done', flush=True)\n" + WAIT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_the_tree_s_cpu_counts_the_children_less_the_one_left_out() -> None:
    # Other children of this process (the suite's servers) count in both figures alike.
    busy, idle = start(BUSY.format(0.3)), start(BUSY.format(0.0))
    try:
        for process in (busy, idle):
            assert process.stdout is not None and process.stdout.readline() == "done\n"
        with_busy = tree_cpu_seconds(os.getpid(), idle.pid)
        with_idle = tree_cpu_seconds(os.getpid(), busy.pid)
    finally:
        for process in (busy, idle):
            process.communicate("")

    assert with_busy - with_idle >= 0.2
