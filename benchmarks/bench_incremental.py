"""Incremental runs and the run history, beside Kedro's ``--only-missing-outputs``.

* a 200-craft pipeline, each craft reading the previous craft's small parquet artifact and
  writing its own: the first run, plain and incremental (the cost of fingerprinting and
  recording), then a no-op incremental rerun. Kedro runs the same chain of nodes with
  ``ParquetDataset``s, then again with ``only_missing_outputs=True`` (which checks that outputs
  exist, nothing more);
* hashing a 1 GB local artifact (created under ``benchmarks/.work/``, deleted after);
* the demo project's first run (``run prepare base`` then ``run train ridge``, whole processes,
  after ``compile``), plain and ``--incremental``, and, in the incremental one, the time spent
  fingerprinting the crafts' code (``CodeFingerprints.of``, which analyses each module the first
  time it is reached: no analysis is stored yet) as a share of the processes' wall time.

Each figure is the best of a few runs, each in a fresh interpreter: imports, the session and
the project's modules are loaded before the clock starts; opening the history is timed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

from _measure import VENV_BIN, new_project, ratio, run_snippet
from _table import Row

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "incremental"
CRAFTS = 200
REPEAT = 3
NOOP_SHARE_TARGET = 0.05
NOOP_SECONDS_TARGET = 1.0
OVERHEAD_TARGET = 0.10
HASH_BYTES = 1024**3
HASH_TARGET_GBPS = 1.0
DEMO = HERE.parent / "demo"
DEMO_RUNS = (["run", "prepare", "base"], ["run", "train", "ridge"])
DEMO_TARGET = 0.05

OURS = """
import json, sys, time
from statisfactory import Session

root, mode = sys.argv[1], sys.argv[2]
session = Session(root_folder=root)
pipeline = session.pipelines_definitions["chain"]
_ = pipeline.plan, session.catalog
import pandas, pyarrow.parquet  # what the first craft would import: not the framework's cost
with session:
    started = time.perf_counter()
    pipeline.run({"rows": 50}, incremental=mode == "incremental")
    seconds = time.perf_counter() - started
from statisfactory.history.store import store_for
(run,) = store_for(session).runs(limit=1)
print("RESULT " + json.dumps({"seconds": seconds, "counts": run["counts"]}))
"""

KEDRO = """
import json, sys, time
import pandas as pd
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner
from kedro_datasets.pandas import ParquetDataset

root, only_missing = sys.argv[1], sys.argv[2] == "only-missing"
count = int(sys.argv[3])

def first(rows=50):
    return pd.DataFrame({"x": range(rows), "y": [0.5] * rows})

def step(frame):
    return frame.assign(y=frame.y + 1)

catalog = DataCatalog({f"a{i}": ParquetDataset(filepath=f"{root}/data/a{i}.parquet")
                       for i in range(count)})
nodes = [node(first, None, "a0", name="n0")]
nodes += [node(step, f"a{i - 1}", f"a{i}", name=f"n{i}") for i in range(1, count)]
pipeline = Pipeline(nodes)
started = time.perf_counter()
SequentialRunner().run(pipeline, catalog, only_missing_outputs=only_missing)
print("RESULT " + json.dumps({"seconds": time.perf_counter() - started}))
"""


def write_project(root: Path) -> None:
    """A project whose module defines CRAFTS top-level crafts chained by parquet artifacts."""
    new_project(root, {"lib/bench_chain/__init__.py": ""})
    crafts = [
        textwrap.dedent(
            """
            from statisfactory import Artifact, Craft


            @Craft()
            def step_0(rows: int = 50) -> Artifact("a0"):
                import pandas as pd

                return pd.DataFrame({"x": range(rows), "y": [0.5] * rows})
            """
        )
    ]
    crafts += [
        f'\n\n@Craft()\ndef step_{i}(a{i - 1}: Artifact) -> Artifact("a{i}"):\n'
        f"    return a{i - 1}.assign(y=a{i - 1}.y + 1)\n"
        for i in range(1, CRAFTS)
    ]
    (root / "lib" / "bench_chain" / "crafts.py").write_text("".join(crafts))
    (root / "catalog" / "catalog.yaml").write_text(
        "".join(
            f"- {{name: a{i}, type: parquet, extra: {{path: data/a{i}.parquet}}}}\n"
            for i in range(CRAFTS)
        )
    )
    operators = ", ".join(f"bench_chain.crafts.step_{i}" for i in range(CRAFTS))
    (root / "pipelines" / "definitions" / "chain.yaml").write_text(
        f"chain:\n  +operators: [{operators}]\n"
    )


def _fresh(root: Path) -> None:
    shutil.rmtree(root / "data", ignore_errors=True)
    shutil.rmtree(root / ".statisfactory", ignore_errors=True)


def measure_ours(root: Path) -> dict[str, float]:
    plain, first, noop = [], [], []
    for _ in range(REPEAT):
        _fresh(root)
        plain.append(run_snippet(OURS, str(root), "plain")["seconds"])
        _fresh(root)
        first.append(run_snippet(OURS, str(root), "incremental")["seconds"])
        result = run_snippet(OURS, str(root), "incremental")
        if result["counts"] != {"skipped": CRAFTS}:
            raise RuntimeError(f"the no-op rerun did not skip every craft: {result['counts']}")
        noop.append(result["seconds"])
    return {"plain": min(plain), "first": min(first), "noop": min(noop)}


def measure_kedro(root: Path) -> dict[str, float]:
    first, noop = [], []
    for _ in range(REPEAT):
        _fresh(root)
        first.append(run_snippet(KEDRO, str(root), "all", str(CRAFTS))["seconds"])
        noop.append(run_snippet(KEDRO, str(root), "only-missing", str(CRAFTS))["seconds"])
    return {"first": min(first), "noop": min(noop)}


def measure_hashing(folder: Path) -> float:
    """GB/s of :func:`file_digest` on a 1 GB file (the best of two passes)."""
    from statisfactory.history.digests import file_digest

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "one-gigabyte.bin"
    block = os.urandom(64 * 1024**2)
    try:
        with open(target, "wb") as handle:
            for _ in range(HASH_BYTES // len(block)):
                handle.write(block)
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            file_digest(target)
            best = min(best, time.perf_counter() - started)
    finally:
        target.unlink(missing_ok=True)
    return HASH_BYTES / 1e9 / best


DEMO_RUN = """
import json, sys, time
started = time.perf_counter()
from statisfactory.history import code
from statisfactory.cli.main import main

spent = [0.0]
fingerprint = code.CodeFingerprints.of

def timed(self, craft):
    begun = time.perf_counter()
    try:
        return fingerprint(self, craft)
    finally:
        spent[0] += time.perf_counter() - begun

code.CodeFingerprints.of = timed
status = main(sys.argv[1:])
seconds = time.perf_counter() - started
print("RESULT " + json.dumps({"status": status, "code": spent[0], "seconds": seconds}))
"""


def measure_demo(folder: Path) -> dict[str, float]:
    """Best wall time (of 2) of the demo's first run, plain and incremental, from a clean copy;
    ``code``: the share of the incremental run spent fingerprinting code (of its best round)."""
    demo = folder / "demo"
    shutil.rmtree(demo, ignore_errors=True)
    ignored = shutil.ignore_patterns("data", "reports", "__pycache__", ".statisfactory")
    shutil.copytree(DEMO, demo, ignore=ignored)
    statisfactory = str(VENV_BIN / "statisfactory")
    subprocess.run([statisfactory, "compile"], cwd=demo, capture_output=True, check=True)
    best = {"plain": float("inf"), "incremental": float("inf"), "code": 0.0}
    for _ in range(2):
        for mode in ("plain", "incremental"):
            shutil.rmtree(demo / "data", ignore_errors=True)
            shutil.rmtree(demo / ".statisfactory", ignore_errors=True)
            flags = ["--incremental"] if mode == "incremental" else []
            started = time.perf_counter()
            spent = 0.0
            for argv in DEMO_RUNS:
                if mode == "plain":
                    subprocess.run(
                        [statisfactory, *argv], cwd=demo, capture_output=True, check=True
                    )
                    continue
                result = run_snippet(DEMO_RUN, *argv, *flags, cwd=demo)
                if result["status"] != 0:
                    raise RuntimeError(f"the demo's `{' '.join(argv)}` failed")
                spent += result["code"]
            seconds = time.perf_counter() - started
            if seconds < best[mode]:
                best[mode] = seconds
                if mode == "incremental":
                    best["code"] = spent / seconds
    return best


def run() -> list[Row]:
    root = WORK / "project"
    write_project(root)
    try:
        ours = measure_ours(root)
        kedro = measure_kedro(WORK / "kedro")
        gbps = measure_hashing(WORK)
        demo = measure_demo(WORK)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    share = ours["noop"] / ours["first"]
    demo_share = demo["code"]
    overhead = ours["first"] / ours["plain"] - 1
    group = "incremental"
    return [
        Row(
            group,
            f"first run, {CRAFTS} crafts / parquet artifacts (plain, history recorded)",
            f"{ours['plain']:.2f} s",
            f"Kedro {kedro['first']:.2f} s",
            ratio(ours["plain"], kedro["first"]),
        ),
        Row(
            group,
            "fingerprinting overhead of a first incremental run vs plain",
            f"{overhead * 100:+.1f} % ({ours['first']:.2f} s)",
            target=f"≤ {OVERHEAD_TARGET * 100:.0f} %",
            ok=overhead <= OVERHEAD_TARGET,
        ),
        Row(
            group,
            f"no-op incremental rerun, {CRAFTS} crafts (share of the first run)",
            f"{ours['noop'] * 1000:.0f} ms ({share * 100:.1f} %)",
            f"Kedro {kedro['noop'] * 1000:.0f} ms (--only-missing-outputs checks existence only)",
            ratio(ours["noop"], kedro["noop"]),
            f"≤ {NOOP_SHARE_TARGET * 100:.0f} % and ≤ {NOOP_SECONDS_TARGET:.0f} s",
            share <= NOOP_SHARE_TARGET and ours["noop"] <= NOOP_SECONDS_TARGET,
        ),
        Row(
            group,
            "code-fingerprinting cost of the demo project's first run (prepare + train, whole "
            "processes, no analysis stored yet): time in code fingerprints / the run's wall time; "
            f"incremental {demo['incremental']:.2f} s, plain {demo['plain']:.2f} s",
            f"{demo_share * 100:.1f} %",
            target=f"≤ {DEMO_TARGET * 100:.0f} % of the run",
            ok=demo_share <= DEMO_TARGET,
        ),
        Row(
            group,
            "hashing a 1 GB local artifact",
            f"{gbps:.2f} GB/s",
            target=f"≥ {HASH_TARGET_GBPS:.0f} GB/s",
            ok=gbps >= HASH_TARGET_GBPS,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
