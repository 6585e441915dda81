"""No-op incremental reruns as whole processes, beside DVC 3's ``dvc repro``.

The shape: one source file and N independent stages (crafts), each reading the source and
writing its own small file. Both tools are run once to make everything up to date, then the
no-op rerun is timed as a whole process (best of a few):

* ``statisfactory run noop --incremental`` on a project whose catalog has one text artifact per
  craft, at 200, 2,000 and 10,000 crafts;
* ``dvc repro`` in a real git repository (``git init`` + ``dvc init``) whose ``dvc.yaml`` is
  generated with one stage per output, at 200 and 2,000 stages (no analytics, no remote);
* in process, the decision alone: ``Session()``, the pipeline and the catalog loaded before
  the clock, then the no-op ``run(incremental=True)`` timed, at 1,000 and 10,000 crafts; the
  loading time is reported as part of the breakdown of the CLI figure.

Every no-op run is checked to have rewritten no output (their modification times are kept).
DVC's first ``repro`` rewrites ``dvc.lock`` after each stage (about 3 s a stage here), so the
outputs are written as the commands would write them and recorded at once with
``dvc commit -f``; one untimed ``dvc repro`` follows, then the timed ones. DVC at 2,000 stages
(about 10 minutes) runs only in long mode (``scripts/bench --long``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from _measure import VENV_BIN, new_project, ratio, run_snippet
from _table import Row, long_mode

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "noop"
CLI_TARGET_SECONDS = 1.0
DVC_TARGET = 2.0
DECISION_TARGETS = {1_000: 0.05, 10_000: 0.5}
REPEAT = 3

DECISION = """
import json, sys, time
from statisfactory import Session

started = time.perf_counter()
session = Session(root_folder=sys.argv[1])
pipeline = session.pipelines_definitions["noop"]
_ = pipeline.plan, session.catalog
loaded = time.perf_counter()
with session:
    pipeline.run(incremental=True)
decided = time.perf_counter()
print("RESULT " + json.dumps({"load": loaded - started, "decide": decided - loaded}))
"""


def write_project(root: Path, size: int) -> None:
    """A project of ``size`` crafts, each reading the ``source`` text and writing its own."""
    new_project(root)
    (root / "data" / "source.txt").write_text("source\n")
    crafts = ["from statisfactory import Artifact, Craft\n"]
    crafts += [
        f'\n\n@Craft()\ndef step_{i}(source: Artifact) -> Artifact("out_{i}"):\n'
        f'    return "{i}\\n"\n'
        for i in range(size)
    ]
    (root / "lib" / "noop_crafts.py").write_text("".join(crafts))
    entries = ["- {name: source, type: text, extra: {path: data/source.txt}}\n"]
    entries += [
        f"- {{name: out_{i}, type: text, extra: {{path: data/out_{i}.txt}}}}\n" for i in range(size)
    ]
    (root / "catalog" / "catalog.yaml").write_text("".join(entries))
    operators = "".join(f"    - noop_crafts.step_{i}\n" for i in range(size))
    (root / "pipelines" / "definitions" / "noop.yaml").write_text(
        f"noop:\n  +operators:\n{operators}"
    )


def write_dvc_repo(root: Path, size: int) -> None:
    """A git + DVC repository whose ``dvc.yaml`` has ``size`` stages reading ``source.txt``."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "out").mkdir(parents=True)
    (root / "source.txt").write_text("source\n")
    stages = "".join(
        f"  s{i}:\n    cmd: echo {i} > out/{i}.txt\n    deps: [source.txt]\n"
        f"    outs: [out/{i}.txt]\n"
        for i in range(size)
    )
    (root / "dvc.yaml").write_text(f"stages:\n{stages}")
    _quiet(["git", "init", "-q"], root)
    _quiet([str(VENV_BIN / "dvc"), "init", "-q"], root)
    _quiet([str(VENV_BIN / "dvc"), "config", "core.analytics", "false"], root)
    # A first `dvc repro` rewrites dvc.lock after every stage (about 3 s a stage here): write
    # the outputs as the commands would, then record them all at once.
    for i in range(size):
        (root / "out" / f"{i}.txt").write_text(f"{i}\n")
    _quiet([str(VENV_BIN / "dvc"), "commit", "-f", "-q"], root)


def _environment() -> dict[str, str]:
    return {**os.environ, "DVC_NO_ANALYTICS": "1", "DO_NOT_TRACK": "1"}


def _quiet(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(argv, cwd=cwd, env=_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed in {cwd}:\n{done.stderr[-3000:]}")


def _outputs(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}


def timed_noop(argv: list[str], cwd: Path, outputs: Path, repeat: int = REPEAT) -> float:
    """Best wall time of ``argv`` (a no-op rerun), after one run that makes all up to date;
    fails if a timed run rewrote any file under ``outputs``."""
    _quiet(argv, cwd)
    before = _outputs(outputs)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        _quiet(argv, cwd)
        best = min(best, time.perf_counter() - started)
    if _outputs(outputs) != before:
        raise RuntimeError(f"the no-op rerun of {' '.join(argv)} in {cwd} rewrote outputs")
    return best


def ours_cli(size: int) -> float:
    root = WORK / f"ours_{size}"
    write_project(root, size)
    argv = [str(VENV_BIN / "statisfactory"), "run", "noop", "--incremental"]
    return timed_noop(argv, root, root / "data")


def dvc_cli(size: int) -> float:
    root = WORK / f"dvc_{size}"
    write_dvc_repo(root, size)
    repeat = REPEAT if size <= 200 else 1  # about 100 s a run at 2,000 stages
    return timed_noop([str(VENV_BIN / "dvc"), "repro", "-q"], root, root / "out", repeat)


def decision(size: int) -> dict[str, float]:
    """In-process figures of a no-op incremental rerun (its project made up to date by the CLI)."""
    root = WORK / f"ours_{size}"
    if not (root / "lib").exists():
        write_project(root, size)
        _quiet([str(VENV_BIN / "statisfactory"), "run", "noop", "--incremental"], root)
    runs = [run_snippet(DECISION, root) for _ in range(REPEAT)]
    return min(runs, key=lambda figures: figures["decide"])


def _dvc_rows(dvc: dict[int, float]) -> list[Row]:
    rows = []
    for size in (200, 2_000):
        if size not in dvc:
            rows.append(Row("no-op", f"DVC comparison at {size:,} stages", "long mode only"))
            continue
        mine = ours_cli(size)
        rows.append(
            Row(
                "no-op",
                f"no-op rerun of {size:,} stages writing a small file each, whole process: "
                "`statisfactory run --incremental` vs `dvc repro` (s)",
                f"{mine:.2f}",
                f"DVC {dvc[size]:.2f}",
                ratio(mine, dvc[size]),
                f"≥ {DVC_TARGET:.0f}× faster than DVC",
                dvc[size] / mine >= DVC_TARGET,
            )
        )
    return rows


def _cli_rows(dvc: dict[int, float]) -> list[Row]:
    size = 10_000
    wall = ours_cli(size)
    figures = decision(size)
    rest = wall - figures["load"] - figures["decide"]
    largest = max(dvc)
    rows = [
        Row(
            "no-op",
            f"no-op `statisfactory run --incremental` of {size:,} crafts, whole CLI process (s): "
            f"loading {figures['load']:.2f}, checking {figures['decide']:.2f}, start-up + "
            f"history flush + exit {rest:.2f}",
            f"{wall:.2f}",
            f"DVC {dvc[largest]:.1f} at {largest:,} stages",
            target=f"≤ {CLI_TARGET_SECONDS:.1f}",
            ok=wall <= CLI_TARGET_SECONDS,
        )
    ]
    for crafts, target in DECISION_TARGETS.items():
        seconds = figures["decide"] if crafts == size else decision(crafts)["decide"]
        rows.append(
            Row(
                "no-op",
                f"in-process decision of a no-op incremental rerun, {crafts:,} crafts (s)",
                f"{seconds:.3f}",
                target=f"≤ {target}",
                ok=seconds <= target,
            )
        )
    return rows


def run() -> list[Row]:
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        dvc = {size: dvc_cli(size) for size in ((200, 2_000) if long_mode() else (200,))}
        return _cli_rows(dvc) + _dvc_rows(dvc)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    for row in run():
        print(row)
