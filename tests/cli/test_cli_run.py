"""``statisfactory run``: parameters, summary, exit statuses and interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shop_project import SHOP, statisfactory

from project_files import python


@pytest.fixture
def shop(project_factory) -> Path:
    """A project with three pipelines (orders, broken, slow) and three parameter sets."""
    return project_factory(SHOP, name="shop")


def test_run_with_a_configuration_writes_artifacts_and_summarises(shop: Path) -> None:
    result = statisfactory("run", "orders", "big", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert json.loads((shop / "data/summary_big.json").read_text()) == {
        "label": "big",
        "revenue": 1100.0,  # 10 orders of 10..100, factor 2 for total only
    }
    summary = result.stdout
    assert "Run of orders with big: 3 craft(s)" in summary
    for craft in ("shop.crafts.make_orders", "shop.crafts.total", "shop.crafts.write_total"):
        assert craft in summary
    assert "orders -> data/orders_10.json" in summary
    assert "summary -> data/summary_big.json" in summary
    assert "craft shop.crafts.total done in" in result.stderr  # plain log lines: not a terminal


HELD_TO_THE_END = """
import gc, sys
from statisfactory.cli.main import main

own = sys.argv[1] == "own"
sys.argv = ["statisfactory", "run", "orders", "big"]
status = main() if own else main(sys.argv[1:])
print(status, gc.get_freeze_count() > 0)
"""


def test_what_a_run_loaded_stays_frozen_only_when_the_process_ends_with_the_command(
    shop: Path,
) -> None:
    own = python("-c", HELD_TO_THE_END, "own", cwd=shop)  # as the `statisfactory` script
    assert own.stdout.split()[-2:] == ["0", "True"], own.stderr
    caller = python("-c", HELD_TO_THE_END, "caller", cwd=shop)  # main(argv): its process goes on
    assert caller.stdout.split()[-2:] == ["0", "False"], caller.stderr


def test_params_are_shared_or_given_to_one_craft_and_parse_as_yaml(shop: Path) -> None:
    result = statisfactory(
        "run",
        "orders",
        "base",
        "--param",
        "n_orders=2",
        "--param",
        "total:factor=0.5",  # short name
        "--param",
        "shop.crafts.write_total:label=half",  # qualified name
        cwd=shop,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads((shop / "data/summary_half.json").read_text()) == {
        "label": "half",
        "revenue": 15.0,
    }


def test_a_param_overrides_the_configuration_for_its_craft_only(shop: Path) -> None:
    result = statisfactory("run", "orders", "big", "--param", "total:factor=3", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert json.loads((shop / "data/summary_big.json").read_text())["revenue"] == 1650.0


def test_runs_from_a_subfolder_and_with_path_to_folder_or_pyproject(shop: Path) -> None:
    (shop / "lib" / "deep").mkdir()
    assert statisfactory("run", "orders", "base", cwd=shop / "lib" / "deep").returncode == 0
    elsewhere = shop.parent
    for target in (shop, shop / "pyproject.toml"):
        result = statisfactory(
            "-p", str(target), "run", "orders", "base", "--param", "label=p", cwd=elsewhere
        )
        assert result.returncode == 0, result.stderr
    assert (shop / "data/summary_p.json").exists()
    assert not (elsewhere / "data").exists()  # paths resolve against the project root


def test_threads_runner_and_workers(shop: Path) -> None:
    result = statisfactory(
        "run", "orders", "base", "--runner", "threads", "--workers", "2", cwd=shop
    )

    assert result.returncode == 0, result.stderr
    assert "ThreadRunner(max_workers=2)" in result.stderr
    assert json.loads((shop / "data/summary_total.json").read_text())["revenue"] == 100.0


def test_unknown_pipeline_suggests_close_names(shop: Path) -> None:
    result = statisfactory("run", "ordres", cwd=shop)

    assert result.returncode == 2
    assert "No pipeline named 'ordres'" in result.stderr
    assert "Did you mean orders" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_configuration_suggests_close_names(shop: Path) -> None:
    result = statisfactory("run", "orders", "bigg", cwd=shop)

    assert result.returncode == 2
    assert "bigg" in result.stderr and "Did you mean big" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_params_are_usage_errors(shop: Path) -> None:
    for bad, expected in [
        ("n_orders", "has no '='"),
        (":x=1", "empty name"),
        ("x=[1,", "invalid YAML"),
        ("nope:x=1", "no craft 'nope'"),
    ]:
        result = statisfactory("run", "orders", "base", "--param", bad, cwd=shop)
        assert result.returncode == 2, (bad, result.stderr)
        assert expected in result.stderr, (bad, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unknown_runner_is_a_usage_error(shop: Path) -> None:
    result = statisfactory("run", "orders", "base", "--runner", "quantum", cwd=shop)

    assert result.returncode == 2
    assert "quantum" in result.stderr and "sequential" in result.stderr


def test_a_missing_craft_parameter_is_a_usage_error_before_anything_runs(project_factory) -> None:
    root = project_factory(
        {
            "lib/needy.py": """
                from statisfactory import Craft, Volatile

                @Craft()
                def needs(alpha: float) -> Volatile("x"):
                    return alpha
            """,
            "pipelines/definitions/p.yaml": "needy: [needy.needs]\n",
        }
    )
    result = statisfactory("run", "needy", cwd=root)

    assert result.returncode == 2
    assert "needs parameter(s) ['alpha']" in result.stderr
    assert statisfactory("run", "needy", "--param", "alpha=1", cwd=root).returncode == 0


def test_craft_failure_exits_1_naming_the_craft_and_what_completed(shop: Path) -> None:
    result = statisfactory("run", "broken", "base", cwd=shop)

    assert result.returncode == 1
    assert "Run of broken with base failed: Craft 'shop.crafts.explode'" in result.stderr
    assert "the orders are cursed" in result.stderr
    assert "completed: shop.crafts.make_orders" in result.stderr
    assert "Traceback" not in result.stderr


def test_verbose_shows_the_traceback(shop: Path) -> None:
    failing = statisfactory("-v", "run", "broken", "base", cwd=shop)
    assert failing.returncode == 1
    assert "Traceback" in failing.stderr and "ValueError" in failing.stderr

    unknown = statisfactory("--verbose", "run", "ordres", cwd=shop)
    assert unknown.returncode == 2
    assert "Traceback" in unknown.stderr


def test_outside_a_project_is_a_usage_error(tmp_path: Path) -> None:
    result = statisfactory("run", "orders", cwd=tmp_path)

    assert result.returncode == 2
    assert "No Statisfactory project" in result.stderr
    assert "statisfactory new" in result.stderr


def test_ctrl_c_exits_130_and_says_what_completed(shop: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "statisfactory.cli.main", "run", "slow", "base"],
        cwd=shop,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if "craft shop.crafts.wait started" in line:
            break
    else:
        process.kill()
        raise AssertionError("the slow craft never started: " + "".join(lines))
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # never leave the child running
        _, stderr = process.communicate()
        raise AssertionError("no exit 30 s after Ctrl-C: " + "".join(lines) + stderr) from None

    assert process.returncode == 130
    assert "interrupted" in stderr
    assert "completed: shop.crafts.make_orders" in stderr
    assert "Traceback" not in stderr


def test_processes_runner_summary_still_names_where_artifacts_went(shop: Path) -> None:
    result = statisfactory("run", "orders", "big", "--runner", "processes", "-w", "2", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "orders -> data/orders_10.json" in result.stdout
    assert "summary -> data/summary_big.json" in result.stdout


def test_a_dry_run_creates_no_run_history(shop: Path) -> None:
    result = statisfactory("run", "orders", "big", "--dry-run", "--incremental", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "Dry run of orders with big: nothing was run." in result.stdout
    assert (shop / ".statisfactory/cache").is_dir()  # the parse cache, as any command keeps it
    assert not list(shop.glob(".statisfactory/history.db*"))
