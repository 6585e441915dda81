"""The Dask runner's parallelism: 8 independent crafts of ~0.5 s CPU each on a LocalCluster of
2 single-threaded worker processes.

The single craft's work is timed first (alone, in this process); the ideal wall is then
8 × that ÷ 2 workers. The same work split over 2 plain processes started together (no Dask,
no Statisfactory) is timed too: what the machine's cores give when all of them are busy, which
the ideal, measured on one busy core, does not see. The run is timed on a cluster already started (best of 3, after one small
run that warms the workers' imports), and once more with the LocalCluster started and stopped
by the run itself, as ``runner="dask"`` does without an address. The CPU seconds the crafts
report from the workers are shown too: on a busy machine the wall grows, not the CPU time.
Everything runs in a fresh interpreter (this file, with ``--measure``), so other benchmarks'
imports and logging do not interfere. Kedro's core has no Dask runner: its documentation shows
one to write by hand.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _measure import new_project
from _table import Row

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "dask"
CRAFT_SECONDS = 0.5
WORKERS = 2
TARGET = 1.3
KEDRO = "no Dask runner in Kedro's core (its docs show one to write by hand)"


def run() -> list[Row]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure"],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    ideal, warm, cold = figures["ideal"], figures["warm"], figures["cold"]
    work = f"{figures['crafts']} crafts × {figures['single']:.2f} s"
    return [
        Row(
            "dask",
            f"{work}, {WORKERS} workers × 1 thread, cluster running: wall s (ideal {ideal:.2f}; "
            f"{WORKERS} plain processes side by side {figures['side_by_side']:.2f}; "
            f"crafts' CPU on the workers {figures['cpu']:.2f} s)",
            f"{warm:.2f}",
            KEDRO,
            f"{warm / ideal:.2f} × ideal",
            f"≤ {TARGET} × ideal = {TARGET * ideal:.2f}",
            warm <= TARGET * ideal,
        ),
        Row(
            "dask",
            f"same, LocalCluster started and stopped by the run: wall s (ideal {ideal:.2f})",
            f"{cold:.2f}",
            KEDRO,
            f"{cold / ideal:.2f} × ideal",
        ),
    ]


# --- the measurement, in a fresh interpreter ------------------------------------------------
def _project() -> Path:
    """A project whose sources are this folder, so workers import ``_dask_crafts``."""
    root = WORK / "project"
    new_project(root, sources=HERE.as_posix())
    return root


def _timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def _run(pipeline, params: dict, runner) -> tuple[float, float]:
    """Wall seconds of one run, and the CPU seconds its crafts spent."""
    started = time.perf_counter()
    state = pipeline.run(params, runner=runner)
    return time.perf_counter() - started, sum(state.values())


def _side_by_side(crafts: int, iterations: int) -> float:
    """Wall seconds of ``crafts`` × the work split over ``WORKERS`` plain processes that start
    it at the same moment (after their imports): the longest of them."""
    code = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from _crafts import burn\n"
        "start = float(sys.argv[1])\n"
        "time.sleep(max(0.0, start - time.time()))\n"
        "started = time.perf_counter()\n"
        f"for _ in range({crafts // WORKERS}):\n"
        f"    burn({iterations})\n"
        "print(time.perf_counter() - started)\n"
    )
    start = str(time.time() + 2.0)  # every process has imported by then
    processes = [
        subprocess.Popen([sys.executable, "-c", code, start], stdout=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    return max(float(process.communicate()[0]) for process in processes)


def _measure() -> dict:
    from distributed import LocalCluster

    from statisfactory import Session
    from statisfactory.pipeline.runners.dask import DaskRunner

    session = Session(root_folder=_project())
    import _dask_crafts as crafts

    probe = 2_000_000
    iterations = int(probe * CRAFT_SECONDS / crafts.spin(probe))
    single = statistics.median(_timed(crafts.spin, iterations) for _ in range(3))
    side_by_side = _side_by_side(crafts.CRAFTS, iterations)
    pipeline = crafts.independent_pipeline()
    params = {"iterations": iterations}
    with session:
        with LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, dashboard_address=":0"
        ) as cluster:
            runner = DaskRunner(address=cluster.scheduler_address)
            pipeline.run({"iterations": 1}, runner=runner)  # workers import what they need
            warm, cpu = min(_run(pipeline, params, runner) for _ in range(3))
        local = DaskRunner(max_workers=WORKERS, cluster_options={"dashboard_address": ":0"})
        cold = _timed(pipeline.run, params, runner=local)
    return {
        "crafts": crafts.CRAFTS,
        "single": single,
        "ideal": crafts.CRAFTS * single / WORKERS,
        "side_by_side": side_by_side,
        "warm": warm,
        "cpu": cpu,
        "cold": cold,
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        sys.path.insert(0, str(HERE))
        print(json.dumps(_measure()))
    else:
        for row in run():
            print(row)
