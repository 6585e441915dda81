"""The ``statisfactory`` group: lazy help, usage errors, terminal and plain output."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from shop_project import SHOP, statisfactory

from statisfactory.cli.main import COMMANDS

HEAVY = ("statisfactory.session", "pandas", "pyarrow", "rich", "dynaconf", "yaml", "jinja2")


@pytest.fixture
def shop(project_factory) -> Path:
    """A project with three pipelines (orders, broken, slow) and three parameter sets."""
    return project_factory(SHOP, name="shop")


def test_help_lists_every_command_without_importing_them(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from statisfactory.cli.main import main\n"
        "status = main(['--help'])\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])\n"
        "print('CLI', sorted(m for m in sys.modules if m.startswith('statisfactory.cli.')))\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    for name in COMMANDS:
        assert f"  {name} " in result.stdout
    assert "LOADED []" in result.stdout
    assert (
        "CLI ['statisfactory.cli.common_options', 'statisfactory.cli.lazy', "
        "'statisfactory.cli.main', 'statisfactory.cli.state']" in (result.stdout)
    )


def test_console_script_help_and_version(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "statisfactory"
    result = subprocess.run(
        [str(script), "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("statisfactory, version ")
    help_of_run = subprocess.run(
        [str(script), "run", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "--param [CRAFT:]KEY=VALUE" in help_of_run.stdout


def test_unknown_command_suggests_and_exits_2(tmp_path: Path) -> None:
    result = statisfactory("pipeline", "ls", cwd=tmp_path)

    assert result.returncode == 2
    assert "No such command 'pipeline'" in result.stderr
    assert "Did you mean pipelines" in result.stderr


def test_missing_argument_exits_2(shop: Path) -> None:
    result = statisfactory("run", cwd=shop)

    assert result.returncode == 2
    assert "Missing argument 'PIPELINE'" in result.stderr


def test_path_must_name_a_project(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = statisfactory("-p", str(tmp_path / "notes.txt"), "pipelines", "ls", cwd=tmp_path)

    assert result.returncode == 2
    assert "-p/--path" in result.stderr and "Traceback" not in result.stderr


def test_invalid_pyproject_is_one_message(project_factory) -> None:
    root = project_factory(tool='colour = "blue"\n')
    result = statisfactory("pipelines", "ls", cwd=root)

    assert result.returncode == 2
    assert "colour" in result.stderr and "pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr


def run_in_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; return (status, text without
    colour codes)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "LINES": "40", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "statisfactory.cli.main", *args],
        cwd=cwd,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    return process.wait(timeout=60), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)


def test_on_a_terminal_run_shows_progress_and_a_rich_summary(shop: Path) -> None:
    status, screen = run_in_terminal(["run", "orders", "big"], cwd=shop)

    assert status == 0, screen
    assert "✓" in screen and "shop.crafts.total" in screen  # a line per finished craft
    assert "━" in screen or "┃" in screen  # rich's table (and progress bar) drawing
    assert "summary -> data/summary_big.json" in screen


def test_on_a_terminal_listings_are_rich_tables(shop: Path) -> None:
    status, screen = run_in_terminal(["artifacts", "ls"], cwd=shop)

    assert status == 0, screen
    assert "┃ name" in screen
    assert "data/orders_!{n_orders}.json" in screen


EXIT_PROBE = """
import atexit, gc, sys
from pathlib import Path

marker = Path(sys.argv[1])
atexit.register(lambda: print("FROZEN AT THE END", gc.get_freeze_count() > 0))

from statisfactory.cli.main import main  # its exit handler runs before the one above


class Garbage:
    def __del__(self):
        marker.write_text("finalized")


cycle = Garbage()
cycle.itself = cycle
gc.disable()  # left for the exit handler, not for a collection of the command's own
del cycle
sys.exit(main(["--help"]))
"""


def test_the_command_s_exit_finalizes_its_garbage_then_skips_the_last_heap_walks(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    result = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, str(marker)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "finalized"  # garbage made before the exit is finalized
    assert "FROZEN AT THE END True" in result.stdout  # the heap is kept out of the last passes
