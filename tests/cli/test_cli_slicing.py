"""Running part of the demo's `full` pipeline: --crafts, --from, --to, --tags, a single craft,
and --dry-run, through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from shop_project import statisfactory

DEMO = Path(__file__).resolve().parents[2] / "demo"
GENERATED = ("data", "reports", "jupyter", "manifest.json", "__pycache__")
INGEST, SPLIT = "jupyter.ingest.ingest", "diabetes.data.split"
FIT, EVALUATE = "diabetes.models.fit", "diabetes.models.evaluate"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, compiled, after one full run with `ridge` (so every artifact is stored)."""
    copy = tmp_path_factory.mktemp("slicing") / "demo"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns(*GENERATED))
    assert statisfactory("compile", cwd=copy).returncode == 0
    assert ran(copy, "run", "full", "ridge") == [INGEST, SPLIT, FIT, EVALUATE]
    return copy


def ran(project: Path, *args: str) -> list[str]:
    """The crafts the run's table lists as done."""
    result = statisfactory(*args, cwd=project)
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines() if " done " in line]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--crafts", "fit"], [FIT]),
        (["--crafts", "split,diabetes.models.evaluate"], [SPLIT, EVALUATE]),
        (["--from", "split"], [SPLIT, FIT, EVALUATE]),
        (["--from", "fit"], [FIT, EVALUATE]),
        (["--to", "fit"], [INGEST, SPLIT, FIT]),
        (["--to", "train"], [INGEST, SPLIT]),  # an artifact: its producer and upstream
        (["--tags", "data"], [INGEST, SPLIT]),
        (["--tags", "ml"], [FIT, EVALUATE]),
        (["--from", "split", "--to", "fit"], [SPLIT, FIT]),
        (["--tags", "ml", "--to", "fit"], [FIT]),
        (["--tags", "data,ml", "--from", "fit", "--crafts", "evaluate,fit"], [FIT, EVALUATE]),
    ],
)
def test_each_option_alone_and_combined_runs_exactly_the_selected_crafts(
    demo: Path, options: list[str], expected: list[str]
) -> None:
    assert ran(demo, "run", "full", "ridge", *options) == expected


def test_a_craft_name_runs_that_craft_alone(demo: Path) -> None:
    assert ran(demo, "run", "evaluate", "ridge") == [EVALUATE]


def test_an_artifact_of_a_left_out_craft_must_be_stored_before_anything_runs(demo: Path) -> None:
    result = statisfactory(
        "run", "full", "forest", "--from", "evaluate", "--param", "model=unseen", cwd=demo
    )

    assert result.returncode == 2
    assert "loads artifact 'fitted_model'" in result.stderr
    assert f"'{FIT}' (left out of the selection)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (demo / "data/metrics/unseen.json").exists()


def test_an_unknown_craft_in_a_selection_is_an_error(demo: Path) -> None:
    result = statisfactory("run", "full", "ridge", "--crafts", "fitt", cwd=demo)

    assert result.returncode == 2
    assert "no craft is called 'fitt'" in result.stderr


def test_a_name_that_is_neither_pipeline_nor_craft_is_an_error(demo: Path) -> None:
    result = statisfactory("run", "nothing", "ridge", cwd=demo)

    assert result.returncode == 2
    assert "no craft of these pipelines is called 'nothing'" in result.stderr


def test_dry_run_prints_the_plan_and_runs_nothing(demo: Path) -> None:
    before = (demo / "data/models/ridge.pkl").stat().st_mtime_ns
    result = statisfactory("run", "full", "ridge", "--from", "fit", "--dry-run", cwd=demo)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "full with ridge: 2 craft(s) would run, in this order",
        f"  run  {FIT}",
        f"  run  {EVALUATE}",
        "Dry run of full with ridge: nothing was run.",
    ]
    assert (demo / "data/models/ridge.pkl").stat().st_mtime_ns == before


def test_dry_run_with_incremental_says_why_each_craft_runs_or_is_skipped(demo: Path) -> None:
    history = statisfactory("runs", "ls", cwd=demo).stdout
    result = statisfactory(
        "run", "full", "ridge", "--incremental", "--dry-run", "--param", "seed=7", cwd=demo
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:2] == ["skip", INGEST]
    assert lines[2].split()[:2] == ["run", SPLIT] and "parameters changed" in lines[2]
    assert lines[-1] == "Dry run of full with ridge: nothing was run."
    assert statisfactory("runs", "ls", cwd=demo).stdout == history  # nothing recorded


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--crafts", ","], "--crafts ',': give one or more comma-separated names"),
        (["--tags", "zzz"], "leaves no craft to run; check the names and tags (its crafts' tags: "),
    ],
)
def test_an_empty_selection_is_an_error(demo: Path, options: list[str], message: str) -> None:
    result = statisfactory("run", "full", "ridge", *options, cwd=demo)

    assert result.returncode == 2
    assert message in result.stderr
