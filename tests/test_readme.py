"""The README's quick tour, run as written from an empty folder, so that it cannot drift.

The tour's fenced blocks are read in order: a block right after a line "`some/file`…:" is that
file's text; a ``bash`` block is commands, run in one shell (so `cd` carries over) with this
environment's `python` and `statisfactory` first on PATH. Other blocks (the layout tree) are
prose.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
FILE_LABEL = re.compile(r"^`([\w./-]+)`[^\n]*:\s*$")


def tour_script(readme: str) -> str:
    """The quick tour as one bash script: heredocs for its files, its commands verbatim."""
    section = readme.split("\n## A quick tour\n", 1)[1].split("\n## ", 1)[0]
    lines = ["set -euo pipefail"]
    position = 0
    for block in FENCE.finditer(section):
        before = section[position : block.start()].strip().splitlines()
        position = block.end()
        language, body = block.groups()
        label = FILE_LABEL.match(before[-1]) if before else None
        if label:
            lines += [
                f"cat > {label[1]} <<'END_OF_TOUR_FILE'",
                body.rstrip("\n"),
                "END_OF_TOUR_FILE",
            ]
        elif language == "bash":
            lines.append(body)
    return "\n".join(lines) + "\n"


def test_the_tour_has_files_and_commands() -> None:
    script = tour_script(README.read_text(encoding="utf-8"))

    for part in ("mkdir", "cat > pyproject.toml", "cat > lib/models.py", "python lib/models.py"):
        assert part in script


def test_the_quick_tour_runs_as_written_from_an_empty_folder(tmp_path: Path) -> None:
    script = tour_script(README.read_text(encoding="utf-8"))
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    environment = {**os.environ, "PATH": path, "NO_COLOR": "1", "COLUMNS": "200"}
    environment.pop("PYTHONPATH", None)  # the tour knows only the installed package

    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True
    )

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Warning" not in result.stderr, result.stderr  # as written, the tour is clean
    assert "simulate -> fit -> keep_coefficients" in result.stdout
    assert "[ 1.5 -2.   0.5] [ 1.5 -2.   0.5]" in result.stdout  # the README's comment
    project = tmp_path / "my-project"
    for written in ("raw/samples_100.parquet", "raw/samples_500.parquet", "models/coef_100.pkl"):
        assert (project / "data" / written).is_file()
    assert "coefficients" in result.stdout  # `statisfactory artifacts ls`
    assert result.stdout.count(" succeeded ") == 2  # `statisfactory runs ls`: the two runs
