"""``statisfactory run PIPELINE SWEEP`` and ``runs compare``: exit statuses and messages."""

from __future__ import annotations

import json
import sqlite3
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
        "| run | pipeline | configuration | status | started | model | alpha | loss | weight |"
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


def test_a_swept_secret_is_masked_in_the_stored_member_names(swept: Path) -> None:
    secrets = ["tok-secret-aaaa1111", "tok-secret-bbbb2222"]
    (swept / "pipelines/parameters/sets.yaml").write_text(
        f"s: {{n: 4, alpha: 0.5, +zip: {{model: [a, b], api_token: {secrets}}}}}\n"
    )
    ran = statisfactory("run", "swept", "s", cwd=swept)
    assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(swept / ".statisfactory/history.db") as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        stored = [
            str(value)
            for table in tables
            if not table.startswith("sqlite_")
            for row in connection.execute(f"SELECT * FROM {table}")
            for value in row
        ]
    configurations = [text for text in stored if text.startswith("s[")]
    assert configurations, "the members' names are recorded"
    assert not [text for text in stored if any(secret in text for secret in secrets)]


def test_runs_ls_shows_each_runs_sweep_and_filters_by_sweep(swept: Path) -> None:
    alone = ("--param", "alpha=1.0", "--param", "model=z")
    assert statisfactory("run", "swept", "base", *alone, cwd=swept).returncode == 0
    ran = statisfactory("run", "swept", "grid", cwd=swept)
    assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(swept / ".statisfactory/history.db") as connection:
        (sweep_id,) = {row[0] for row in connection.execute("SELECT sweep_id FROM runs") if row[0]}
    listed = statisfactory("runs", "ls", cwd=swept).stdout
    assert "sweep" in listed.splitlines()[1]
    assert listed.count(sweep_id) == 4
    only = statisfactory("runs", "ls", "--sweep", "last", cwd=swept)
    assert only.returncode == 0, only.stderr
    members = [line for line in only.stdout.splitlines() if "grid[" in line]
    assert len(members) == 4 and only.stdout.count(sweep_id) == 4
    assert " base " not in only.stdout
    assert statisfactory("runs", "ls", "--sweep", sweep_id, cwd=swept).stdout == only.stdout
    unknown = statisfactory("runs", "ls", "--sweep", "sweep-nope", cwd=swept)
    assert unknown.returncode == 2 and "sweep 'sweep-nope' is not recorded" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_runs_compare_shows_swept_parameters_in_their_declared_order(swept: Path) -> None:
    (swept / "pipelines/parameters/sets.yaml").write_text(
        "s: {n: 4, +grid: {model: [b, a], alpha: [0.5, 0.25]}}\n"
    )
    assert statisfactory("run", "swept", "s", cwd=swept).returncode == 0
    compared = statisfactory("runs", "compare", "--format", "csv", cwd=swept).stdout
    assert compared.splitlines()[0].split(",")[5:7] == ["model", "alpha"]
