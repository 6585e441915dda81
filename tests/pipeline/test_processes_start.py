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


EARLY = """
import os
from pathlib import Path

from statisfactory import Session
from statisfactory.pipeline import Pipeline


def fork_server() -> str:
    \"\"\"The command line of this process's fork server ("" when none runs).\"\"\"
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
            command = (status.parent / "cmdline").read_text()
        except (OSError, ValueError):
            continue
        if int(fields["PPid"]) == os.getpid() and "forkserver import main" in command:
            return command
    return ""


if __name__ == "__main__":
    with Session(root_folder="."):
        import steps  # from lib/, on the path with the session

        try:  # refused while its job is built: nothing gives x
            Pipeline(steps.needs_x).run(runner="processes", max_workers=2)
        except Exception as error:
            print(type(error).__name__)
    print(fork_server())
"""


def test_the_fork_server_boots_while_the_job_is_built_with_the_sessions_modules(tmp_path):
    from project_files import write_project
    from statisfactory.pipeline.runners.processes import _fresh_start_method

    if _fresh_start_method() != "forkserver":
        return  # a platform without fork servers: workers spawn, there is none to start
    root = write_project(tmp_path / "early")
    (root / "lib" / "steps.py").write_text(
        "from statisfactory.pipeline import Craft, Volatile\n\n\n"
        "@Craft()\ndef needs_x(x: int) -> Volatile('y'):\n    return x\n"
    )
    (root / "early.py").write_text(textwrap.dedent(EARLY))

    result = _python("early.py", cwd=root)

    assert result.returncode == 0, result.stderr
    refused, server = result.stdout.strip().splitlines()
    assert "Error" in refused
    # started before the job was refused, importing what every worker's session needs
    for module in ("statisfactory.pipeline.runners.worker", "statisfactory.session.session"):
        assert repr(module) in server
    assert "'dynaconf" in server
