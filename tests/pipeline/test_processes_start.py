"""The processes runner starts fresh workers (forkserver or spawn), never forks the caller, and
says what to do when a fresh worker cannot import the crafts."""

import subprocess
import textwrap
from pathlib import Path

from project_files import python

SCRIPT = """
from statisfactory.pipeline import Craft, Pipeline, Volatile

@Craft()
def double(x: int) -> Volatile("y"):
    return 2 * x

{run}
"""
GUARDED = """
if __name__ == "__main__":
    print(Pipeline(double).run({"x": 21}, runner="processes", max_workers=2)["y"])
"""
UNGUARDED = 'print(Pipeline(double).run({"x": 21}, runner="processes", max_workers=2)["y"])'


def _python(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return python("-W", "error::DeprecationWarning", *args, cwd=cwd, stdin=stdin)


def test_a_guarded_script_runs_without_forking(tmp_path):
    script = tmp_path / "guarded.py"
    script.write_text(textwrap.dedent(SCRIPT.format(run=GUARDED)))

    result = _python(str(script), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"
    assert "fork()" not in result.stderr


def test_the_default_start_method_is_not_fork():
    from statisfactory.pipeline.runners.processes import _fresh_start_method

    assert _fresh_start_method() in ("forkserver", "spawn")


def test_an_unguarded_script_gets_the_main_guard_hint(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(SCRIPT.format(run=UNGUARDED)))

    result = _python(str(script), cwd=tmp_path)

    assert result.returncode != 0
    assert "if __name__ == '__main__':" in result.stderr
    assert str(script) in result.stderr


def test_crafts_given_through_stdin_or_dash_c_are_refused_before_running(tmp_path):
    code = textwrap.dedent(SCRIPT.format(run=UNGUARDED))

    for result in (_python("-", cwd=tmp_path, stdin=code), _python("-c", code, cwd=tmp_path)):
        assert result.returncode != 0
        assert "CraftUsageError" in result.stderr
        assert "python -c" in result.stderr and "runner='threads'" in result.stderr
