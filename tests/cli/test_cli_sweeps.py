"""``statisfactory run PIPELINE SWEEP`` and ``runs compare``: exit statuses and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shop_project import statisfactory

from sweep_project import SWEPT


@pytest.fixture
def swept(project_factory) -> Path:
    return project_factory(SWEPT, name="swept")


def test_a_sweep_runs_every_member_and_compares(swept: Path) -> None:
    ran = statisfactory("run", "swept", "grid", "--param", "n=3", cwd=swept)
    assert ran.returncode == 0, ran.stderr
    assert "4 member(s), 9 craft(s) run for 12" in ran.stdout
    assert "grid[model=b,alpha=0.5]" in ran.stdout
    assert (swept / "data/raw_3.json").is_file()  # --param applies to every member
    compared = statisfactory(
        "runs", "compare", "--sort", "loss", "--format", "markdown", cwd=swept
    ).stdout.splitlines()
    assert compared[0] == (
        "| run | pipeline | configuration | status | started | alpha | model | loss | weight |"
    )
    losses = [line.split(" | ")[-2] for line in compared[2:]]
    assert losses == ["1.5", "1.5", "2.25", "2.25"]  # |3 * alpha - 3|, sorted
    described = statisfactory("configurations", "describe", "grid", cwd=swept).stdout
    assert "a sweep of 4 members" in described and "#   grid[model=a,alpha=0.25]" in described


def test_a_failing_member_exits_1_naming_it_and_the_others_complete(swept: Path) -> None:
    ran = statisfactory("run", "swept", "with_bad", cwd=swept)
    assert ran.returncode == 1
    assert "1 of 3 members of sweep" in ran.stderr
    assert "failed: with_bad[model=bad,alpha=-1.0];" in ran.stderr
    assert (swept / "data/scores_c_1.0.json").is_file()
    compared = json.loads(
        statisfactory("runs", "compare", "--sweep", "last", "--format", "json", cwd=swept).stdout
    )
    assert [row["status"] for row in compared] == ["succeeded", "failed", "succeeded"]


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ("s: {+grid: {alpha: []}}", "parameter set 's': +grid key 'alpha' has an empty list"),
        ("s: {+zip: {alpha: [1, 2], model: [a]}}", "+zip lists must have one length"),
        ("s: {+grid: {alpha: [1]}, +zip: {alpha: [2]}}", "'alpha' is in both +grid and +zip"),
        (
            f"s: {{+grid: {{alpha: {list(range(101))}, n: {list(range(100))}}}}}",
            "'s' sweeps 10100 members, more than 10000: pass --yes",
        ),
    ],
)
def test_bad_sweeps_are_refused_before_running(swept: Path, sets: str, message: str) -> None:
    (swept / "pipelines/parameters/sets.yaml").write_text(sets + "\n")
    ran = statisfactory("run", "swept", "s", cwd=swept)
    assert ran.returncode == 2, ran.stderr
    assert message in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (swept / "data").exists()
