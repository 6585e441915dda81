"""A chain of 10,000 and 100,000 crafts run the way a user first meets it: a freshly written
project folder and module, in a fresh interpreter, beside Hamilton (and Kedro for memory).

* new project: the project folder and its module are written just before the run (no
  ``__pycache__``, no ``.statisfactory``): the run is timed from ``Session()`` to the end of
  the process, so the import (parse) of the module, building the pipeline, the run and the flush
  of the run history at exit are all in; interpreter start-up and ``import statisfactory`` are
  not (the start-up group measures them);
* history kept: the same again in the same project (a fresh interpreter; the module's bytecode
  and the run history are there from the first run);
* without a session: the same module and pipeline, no ``Session`` (nothing recorded);
* Hamilton: a generated module of the same shape (one function per node), the driver built
  from it and executed; timed the same way, from before importing the module to the end;
* CPU: the process's CPU time over the same span (all its threads), in brackets: what a loaded
  machine skews far less than the wall time;
* peak memory: the resident high-water mark (``VmHWM``) of each of those processes, what
  ``resource.getrusage(...).ru_maxrss`` reports for an interpreter started by a small process
  (``ru_maxrss`` itself carries over, across ``exec``, the high-water of the process that
  started the child: the benchmark runner's, which has loaded other groups). The whole
  process's peak is the row's figure and what the target judges. It is shown split in two,
  since importing the module is Python's work, not the run's: the peak reached while the module
  is imported (the mark is then reset through ``/proc/self/clear_refs``), and the run's own
  rise (building the pipeline, the run, the history and its flush) above what the import left
  resident. Compiling a 10,000-function module from source (a new project: no bytecode yet)
  peaks near 110 MiB, and the C allocator keeps most of what the compiler freed (about
  65 MiB, which ``malloc_trim`` gives back), so a new project's process cannot peak below that
  whatever the run does; with the bytecode there (history kept) the import stays near 60 MiB.
  Kedro's figure is a ``SequentialRunner`` run of the same chain at 1,000 nodes (its run time
  grows faster than the chain: 10,000 nodes took over 5 minutes on this machine).

In quick mode (``scripts/bench --quick``) the 100,000-craft sizes are skipped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from _measure import new_project, ratio, run_snippet
from _table import Row, quick

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "project"
NEW_TARGET_US = 20.0
KEPT_TARGET_US = 12.0
MEMORY_TARGET_MIB = 80.0
SCALING_TARGET = 1.5
MEMORY_SIZE = 10_000
KEDRO_MEMORY_SIZE = 1_000  # its SequentialRunner took over 5 min on 10,000 nodes here

# The report is registered before anything else, so that it runs last at exit: after the
# history's own exit handler has flushed what the run queued.
PROLOGUE = """
import atexit, importlib, json, sys, time
sys.setrecursionlimit(1_000_000)  # Hamilton's graph walk recurses once per node of a chain
clock, memory = {}, {}

def status(key):  # see the module's docstring: VmHWM, not ru_maxrss
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(key)) / 1024

def imported():
    \"\"\"The module is imported: note the peak so far, then reset the high-water mark so that
    the run's own peak is seen apart.\"\"\"
    memory["import_peak"], memory["import_rss"] = status("VmHWM"), status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")

def report():
    run_peak = status("VmHWM")
    print("RESULT " + json.dumps({"seconds": time.perf_counter() - clock["started"],
                                  "cpu": time.process_time() - clock["cpu"],
                                  "rss_mib": max(run_peak, memory.get("import_peak", 0)),
                                  "import_peak_mib": memory.get("import_peak"),
                                  "import_rss_mib": memory.get("import_rss"),
                                  "run_peak_mib": run_peak}), flush=True)

atexit.register(report)
engine, root, module, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
"""

OURS = (
    PROLOGUE
    + """
from statisfactory import Pipeline, Session

def run():
    crafts = importlib.import_module(module)
    imported()
    Pipeline(*(getattr(crafts, f"step_{i}") for i in range(size))).run()

clock["started"], clock["cpu"] = time.perf_counter(), time.process_time()
if engine == "session":
    with Session(root_folder=root):  # puts the project's lib/ on sys.path
        run()
else:
    sys.path.insert(0, root + "/lib")
    run()
"""
)

HAMILTON = (
    PROLOGUE
    + """
from hamilton import driver

clock["started"], clock["cpu"] = time.perf_counter(), time.process_time()
sys.path.insert(0, root)
functions = importlib.import_module(module)
imported()
result = driver.Builder().with_modules(functions).build().execute([f"v{size - 1}"])
assert result[f"v{size - 1}"] == size
"""
)

KEDRO = (
    PROLOGUE
    + """
sys.path.insert(0, root)
import _crafts
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
imported()

clock["started"], clock["cpu"] = time.perf_counter(), time.process_time()
SequentialRunner().run(_crafts.kedro_chain(size), DataCatalog())
"""
)


def write_project(root: Path, size: int) -> str:
    """A new project whose module ``lib/chain_<size>.py`` defines a chain of ``size`` crafts
    passing volatiles; returns the module's name."""
    new_project(root)
    crafts = ["from statisfactory import Craft, Volatile\n\n\n"]
    crafts.append('@Craft()\ndef step_0() -> Volatile("v0"):\n    return 1\n')
    crafts += [
        f'\n\n@Craft()\ndef step_{i}(v{i - 1}: Volatile) -> Volatile("v{i}"):\n'
        f"    return v{i - 1} + 1\n"
        for i in range(1, size)
    ]
    module = f"chain_{size}"
    (root / "lib" / f"{module}.py").write_text("".join(crafts))
    return module


def write_hamilton_module(folder: Path, size: int) -> str:
    """A new module of ``size`` Hamilton functions, each taking the previous one's output."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    functions = ["def v0() -> int:\n    return 1\n"]
    functions += [
        f"\n\ndef v{i}(v{i - 1}: int) -> int:\n    return v{i - 1} + 1\n" for i in range(1, size)
    ]
    module = f"hamilton_chain_{size}"
    (folder / f"{module}.py").write_text("".join(functions))
    return module


def measure(size: int) -> dict[str, dict]:
    """One fresh-interpreter run of each variant at ``size`` crafts."""
    root = WORK / f"ours_{size}"
    module = write_project(root, size)
    figures = {"new": run_snippet(OURS, "session", root, module, size)}
    figures["kept"] = run_snippet(OURS, "session", root, module, size)
    figures["bare"] = run_snippet(OURS, "bare", root, module, size)
    folder = WORK / f"hamilton_{size}"
    module = write_hamilton_module(folder, size)
    figures["hamilton_new"] = run_snippet(HAMILTON, "hamilton", folder, module, size)
    figures["hamilton_kept"] = run_snippet(HAMILTON, "hamilton", folder, module, size)
    if size == MEMORY_SIZE:  # Kedro's run time grows faster than its size: 1,000 nodes only
        figures["kedro"] = run_snippet(KEDRO, "kedro", HERE, "", KEDRO_MEMORY_SIZE)
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def _us(figure: dict, size: int, key: str = "seconds") -> float:
    return figure[key] * 1e6 / size


def _time_rows(results: dict[int, dict[str, dict]]) -> list[Row]:
    rows = []
    cases = (
        ("new", "hamilton_new", "new project, first run", NEW_TARGET_US),
        ("kept", "hamilton_kept", "history kept (second run, same project)", KEPT_TARGET_US),
    )
    for ours_key, peer_key, label, target in cases:
        for size, figures in results.items():
            mine, theirs = _us(figures[ours_key], size), _us(figures[peer_key], size)
            rows.append(
                Row(
                    "project",
                    f"chain of {size:,} crafts, {label}, fresh interpreter, all in "
                    "(module import, run, history flush): µs/craft",
                    f"{mine:.1f} (CPU {_us(figures[ours_key], size, 'cpu'):.1f})",
                    f"Hamilton {theirs:.1f} (CPU {_us(figures[peer_key], size, 'cpu'):.1f})",
                    ratio(mine, theirs),
                    f"≤ {target:.0f}",
                    mine <= target,
                )
            )
        if len(results) > 1:
            small, large = min(results), max(results)
            scaling = _us(results[large][ours_key], large) / _us(results[small][ours_key], small)
            rows.append(
                Row(
                    "project",
                    f"  {label}: µs/craft at {large:,} ÷ at {small:,}",
                    f"{scaling:.2f}×",
                    target=f"≤ {SCALING_TARGET}× (linear)",
                    ok=scaling <= SCALING_TARGET,
                )
            )
        else:
            rows.append(Row("project", f"  {label} at 100,000 crafts", "skipped (quick mode)"))
    return rows


def _memory_rows(figures: dict[str, dict]) -> list[Row]:
    hamilton = figures["hamilton_new"]
    peers = (
        f"Kedro {figures['kedro']['rss_mib']:.0f} (at {KEDRO_MEMORY_SIZE:,} nodes), "
        f"Hamilton {hamilton['rss_mib']:.0f} (import {hamilton['import_peak_mib']:.0f}, "
        f"run {_run_rise(hamilton)})"
    )
    return [
        Row(
            "project",
            f"peak RSS (VmHWM) of the whole {MEMORY_SIZE:,}-craft process, {label}: MiB "
            "(in brackets: the peak while Python imports the module, then the run's own rise "
            "above what the import left resident)",
            f"{figures[key]['rss_mib']:.0f} (import {figures[key]['import_peak_mib']:.0f}, "
            f"run {_run_rise(figures[key])})",
            peers,
            target=f"≤ {MEMORY_TARGET_MIB:.0f}",
            ok=figures[key]["rss_mib"] <= MEMORY_TARGET_MIB,
        )
        for key, label in (
            ("new", "new project"),
            ("kept", "history kept"),
            ("bare", "without a session"),
        )
    ]


def _run_rise(figure: dict) -> str:
    """The run's peak above the resident memory the module's import left, in MiB."""
    return f"+{figure['run_peak_mib'] - figure['import_rss_mib']:.0f}"


def run() -> list[Row]:
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        sizes = (10_000,) if quick() else (10_000, 100_000)
        results = {size: measure(size) for size in sizes}
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    return _time_rows(results) + _memory_rows(results[MEMORY_SIZE])


if __name__ == "__main__":
    for row in run():
        print(row)
