"""Sweeps: 20 members as one graph, beside 20 separate runs and DVC 3's experiment queue; and
``runs compare`` over 10,000 recorded runs.

* a pipeline of one shared craft (1 s of CPU) and one craft per member (0.25 s of CPU, its
  ``seed`` swept over 20 values by ``+grid``), on the processes runner with 2 workers: the ideal
  wall is 1 + 20 × 0.25 ÷ 2 = 3.5 s. The sweep is timed in a fresh interpreter, the session and
  the project's modules loaded first (the worker pool's start is timed), and as the whole
  ``statisfactory run sweep grid`` command;
* the same work as 20 separate ``statisfactory run sweep 'grid[seed=N]'`` commands, one after
  the other (each computes the shared craft again);
* DVC 3: the same two stages (``python -c`` commands spinning the CPU as long), 20 ``dvc exp run
  --queue -S seed=N``, then ``dvc queue start -j 2``, timed until ``dvc queue status`` shows none
  queued or running (when DVC is installed: the ``bench`` extra);
* ``runs compare`` of a sweep of 10,000 recorded runs (two swept parameters, three metrics each):
  ``sess.runs.compare(sweep="last")`` in a fresh interpreter (the store open), and the whole
  ``statisfactory runs compare --sweep last --format csv`` command.

CPU crafts spin until their process has used its share of CPU time, so a busy machine lengthens
the wall, not the work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _measure import VENV_BIN, new_project, run_snippet
from _table import Row

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "sweep"
MEMBERS = 20
SHARED_SECONDS, MEMBER_SECONDS, WORKERS = 1.0, 0.25, 2
IDEAL = SHARED_SECONDS + MEMBERS * MEMBER_SECONDS / WORKERS
TARGET = 1.25
RUNS = 10_000
COMPARE_TARGET = 0.5
DVC_TIMEOUT = 1200.0  # seconds for DVC's queue to run the 20 experiments, else the row fails

SPIN = """
def spin(seconds):
    import time
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
"""

CRAFTS = f"""
import json

from statisfactory import Artifact, Craft
{SPIN}

@Craft()
def shared() -> Artifact("base"):
    spin({SHARED_SECONDS})
    return {{"base": 1}}


@Craft()
def member(base: Artifact, seed: int) -> Artifact("result"):
    spin({MEMBER_SECONDS})
    return {{"seed": seed, "score": base["base"] * seed / 10}}
"""

SWEEP = """
import json, sys, time
from statisfactory import Session

root = sys.argv[1]
session = Session(root_folder=root)
sets = session.parameters
pipeline = session.pipelines_definitions["sweep"]
members = [(name, sets[name]) for name in sets.members("grid")]
_ = pipeline.plan, session.catalog
import bench_sweep_crafts  # the project's modules, loaded before the clock starts
with session:
    started = time.perf_counter()
    result = pipeline.sweep(members, runner="processes", max_workers=2)
    seconds = time.perf_counter() - started
assert result.succeeded and result.crafts_run == 1 + len(members), result
print("RESULT " + json.dumps({"seconds": seconds}))
"""

COMPARE = """
import json, sys, time
from statisfactory import Session

session = Session(root_folder=sys.argv[1])
store = session.history_store
store.query("SELECT 1")
import pandas  # noqa: F401  (what the comparison is returned as: not its own cost)
started = time.perf_counter()
frame = session.runs.compare(sweep="last", sort="-r2")
seconds = time.perf_counter() - started
assert len(frame) == int(sys.argv[2]), len(frame)
print("RESULT " + json.dumps({"seconds": seconds, "columns": list(frame.columns)}))
"""

FILL = """
import json, sys
from statisfactory import Session

session = Session(root_folder=sys.argv[1])
store = session.history_store
for i in range(int(sys.argv[2])):
    run_id = f"20250101-000000-{i:06x}"
    params = {"seed": i, "fit": {"alpha": i % 7, "tol": 0.001}}
    store.begin_run({"run_id": run_id, "pipeline": "p", "configuration": f"grid[seed={i}]",
                     "params": json.dumps(params), "started": 1.0 + i, "status": "succeeded",
                     "sweep_id": "sweep-bench"})
    store.record_metrics(run_id, {"r2": i / 1e4, "rmse": 1 - i / 1e4, "mae": 0.5}, "scores")
assert store.flush(timeout=600)
print("RESULT {}")
"""


def write_project(root: Path) -> None:
    new_project(root)
    (root / "lib" / "bench_sweep_crafts.py").write_text(CRAFTS)
    (root / "catalog" / "catalog.yaml").write_text(
        "- {name: base, type: json, extra: {path: data/base.json}}\n"
        '- {name: result, type: json, extra: {path: "data/result_!{seed}.json"}}\n'
    )
    (root / "pipelines" / "definitions" / "sweep.yaml").write_text(
        "sweep:\n  +operators: [bench_sweep_crafts.shared, bench_sweep_crafts.member]\n"
    )
    (root / "pipelines" / "parameters" / "grid.yaml").write_text(
        f"grid:\n  +grid: {{seed: {list(range(MEMBERS))}}}\n"
    )


def _timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed in {cwd}:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def sweep_figures() -> dict[str, float]:
    root = WORK / "project"
    write_project(root)
    statisfactory = str(VENV_BIN / "statisfactory")
    in_process = min(run_snippet(SWEEP, root)["seconds"] for _ in range(2))
    command = _timed([statisfactory, "run", "sweep", "grid", "-r", "processes", "-w", "2"], root)
    separate = sum(
        _timed([statisfactory, "run", "sweep", f"grid[seed={seed}]"], root)
        for seed in range(MEMBERS)
    )
    return {"in_process": in_process, "command": command, "separate": separate}


def dvc_figure() -> float | None:
    """The DVC experiment queue's wall for the same work; None when DVC is not installed."""
    dvc = VENV_BIN / "dvc"
    if not dvc.exists():
        return None
    root = WORK / "dvc"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    python = sys.executable
    (root / "spin.py").write_text(SPIN + "\nimport sys\nspin(float(sys.argv[1]))\n")
    (root / "params.yaml").write_text("seed: 0\n")
    (root / "dvc.yaml").write_text(
        "stages:\n"
        f"  shared:\n    cmd: {python} spin.py {SHARED_SECONDS} && echo 1 > base.txt\n"
        "    deps: [spin.py]\n    outs: [base.txt]\n"
        f"  member:\n    cmd: {python} spin.py {MEMBER_SECONDS} && cp base.txt result.txt\n"
        "    deps: [base.txt, spin.py]\n    params: [seed]\n    outs: [result.txt]\n"
    )
    # The queue's workers start `dvc` (and the stages `python`) from PATH: this venv's first.
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    environment = {"DVC_NO_ANALYTICS": "1", "DO_NOT_TRACK": "1", "PATH": path}
    for argv in (
        ["git", "init", "-q"],
        [str(dvc), "init", "-q"],
        [str(dvc), "config", "core.analytics", "false"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=bench", "-c", "user.email=b@x", "commit", "-qm", "bench"],
    ):
        _run(argv, root, environment)
    started = time.perf_counter()
    for seed in range(MEMBERS):
        _run([str(dvc), "exp", "run", "--queue", "-q", "-S", f"seed={seed}"], root, environment)
    # Not waited for: `queue start` spawns the workers and may outlive them (seen: a zombie
    # child kept it and its output pipe open after every experiment had succeeded).
    starter = subprocess.Popen(
        [str(dvc), "queue", "start", "-j", str(WORKERS)],
        cwd=root,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = started + DVC_TIMEOUT
    try:
        while True:
            status = _run([str(dvc), "queue", "status"], root, environment)
            if not any(word in status for word in ("Queued", "Running")):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"DVC's queue did not finish in {DVC_TIMEOUT:g} s (status below); "
                    f"its workers' logs: `dvc queue logs` in {root}\n{status}"
                )
            time.sleep(0.5)
        seconds = time.perf_counter() - started
    finally:  # never leave the queue's workers running
        subprocess.run(
            [str(dvc), "queue", "stop", "--kill"],
            cwd=root,
            env={**os.environ, **environment},
            capture_output=True,
        )
        if starter.poll() is None:
            starter.kill()
        starter.wait()
    if status.count("Success") < MEMBERS:
        raise RuntimeError(f"DVC's queue did not run every experiment:\n{status}")
    return seconds


def _run(argv: list[str], cwd: Path, extra: dict[str, str]) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env={**os.environ, **extra}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed in {cwd}:\n{done.stderr[-3000:]}")
    return done.stdout


def compare_figures() -> dict[str, float]:
    root = WORK / "compare"
    write_project(root)
    run_snippet(FILL, root, RUNS)
    in_process = min(run_snippet(COMPARE, root, RUNS)["seconds"] for _ in range(3))
    argv = [str(VENV_BIN / "statisfactory"), "runs", "compare", "--sweep", "last"]
    command = min(_timed([*argv, "--format", "csv"], root) for _ in range(3))
    return {"in_process": in_process, "command": command}


def run() -> list[Row]:
    figures = sweep_figures()
    dvc = dvc_figure()
    ours = figures["in_process"]
    work = f"{MEMBERS} members: 1 shared craft ({SHARED_SECONDS:g} s CPU) + 1 craft each "
    work += f"({MEMBER_SECONDS:g} s CPU), processes × {WORKERS}"
    rows = [
        Row(
            "sweep",
            f"{work}: one sweep, wall s (ideal {IDEAL:.2f})",
            f"{ours:.2f}",
            f"DVC {dvc:.1f}" if dvc is not None else "DVC not installed (the bench extra)",
            f"{ours / IDEAL:.2f} × ideal",
            f"≤ {TARGET} × ideal = {TARGET * IDEAL:.2f}",
            ours <= TARGET * IDEAL,
        ),
        Row(
            "sweep",
            "same, the whole `statisfactory run sweep grid` command: wall s",
            f"{figures['command']:.2f}",
            f"20 separate `statisfactory run` {figures['separate']:.1f}",
            f"{figures['separate'] / figures['command']:.1f}× faster",
        ),
    ]
    compare = compare_figures()
    rows += [
        Row(
            "sweep",
            f"`sess.runs.compare(sweep='last')` of {RUNS:,} recorded runs: s",
            f"{compare['in_process']:.2f}",
            "DVC `exp show`: not measured",
            "",
            f"≤ {COMPARE_TARGET}",
            compare["in_process"] <= COMPARE_TARGET,
        ),
        Row(
            "sweep",
            f"the whole `statisfactory runs compare --sweep last --format csv` ({RUNS:,} runs): s",
            f"{compare['command']:.2f}",
        ),
    ]
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
