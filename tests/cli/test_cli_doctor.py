"""``statisfactory doctor``: what killed processes left behind is cleaned up, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from statisfactory.history.store import open_store
from statisfactory.processes import this_process

HOLD_TEMPORARY = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from statisfactory.IO.backends.local import atomic_write

    with atomic_write(Path(sys.argv[1])) as handle:
        handle.write(b"half")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)
    """
)


def writer(target: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_TEMPORARY, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "writing\n"
    return process


def doctor(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", "doctor"],
        cwd=root,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def temporaries(root: Path) -> list[str]:
    return sorted(path.name for path in root.rglob("*.tmp"))


def test_doctor_removes_killed_saves_temporaries_and_marks_died_runs(project_factory) -> None:
    root = project_factory({"catalog/catalog.yaml": "[]\n"})
    killed = writer(root / "data/deep/never_saved_again.parquet")
    killed.kill()
    killed.wait()
    live = writer(root / "data/being_saved.csv")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    me = this_process()
    store = open_store(root)
    base = {"pipeline": "p", "started": 1.0, "status": "running", "host": me.host}
    store.begin_run({**base, "run_id": "1-killed", "pid": gone.pid, "process_started": "x"})
    store.begin_run({**base, "run_id": "2-live", "pid": live.pid, "process_started": ""})
    store.close()
    try:
        done = doctor(root)
        left = temporaries(root)
    finally:
        live.kill()
        live.wait()

    assert done.returncode == 0, done.stderr
    assert "removed data/deep/.never_saved_again.parquet." in done.stdout
    assert "1 temporary file(s) of killed saves removed" in done.stdout
    assert [name for name in left if name.startswith(".being_saved.csv.")] == left  # live kept
    assert len(left) == 1
    assert "run 1-killed marked died" in done.stdout and "2-live" not in done.stdout
    stored = open_store(root).query("SELECT run_id, status FROM runs ORDER BY run_id")
    assert stored == [
        {"run_id": "1-killed", "status": "died"},
        {"run_id": "2-live", "status": "running"},  # as its process was when doctor ran
    ]
