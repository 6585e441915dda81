"""Start-up cost: cold ``import statisfactory`` + ``Session()`` on a minimal project."""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

from _measure import VENV_BIN, new_project, ratio, run_python, wall_of_command
from _table import Row

HEAVY = ("pandas", "pyarrow", "boto3", "pygit2", "lakefs", "sqlalchemy", "dask", "distributed")
TARGET_SECONDS = 0.35


def _minimal_project(folder: Path) -> Path:
    new_project(folder, {"conf/globals.yaml": "answer: 42\n"})
    (folder / "catalog" / "catalog.yaml").write_text(
        "- name: table\n  type: csv\n  extra: {path: data/table.csv}\n"
    )
    return folder


def run() -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="statisfactory-bench-"))
    try:
        root = _minimal_project(folder)
        snippet = f"import statisfactory; statisfactory.Session(root_folder={str(root)!r})"
        ours = wall_of_command([sys.executable, "-c", snippet], repeat=7)
        heavy = run_python(
            textwrap.dedent(
                f"""
                import sys
                {snippet}
                print(",".join(m for m in {HEAVY!r} if m in sys.modules))
                """
            )
        ).strip()
        kedro_bin = VENV_BIN / "kedro"
        kedro = (
            wall_of_command([str(kedro_bin), "--version"], repeat=5) if kedro_bin.exists() else None
        )
        return [
            Row(
                "start-up",
                "cold import statisfactory + Session() (s)",
                f"{ours:.3f}",
                f"Kedro {kedro:.3f} (kedro --version)" if kedro else "—",
                ratio(ours, kedro) if kedro else "",
                f"≤ {TARGET_SECONDS}",
                ours <= TARGET_SECONDS,
            ),
            Row(
                "start-up",
                "heavy modules imported by Session()",
                heavy or "none",
                target="none of " + ", ".join(HEAVY),
                ok=not heavy,
            ),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
