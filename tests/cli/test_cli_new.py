"""``statisfactory new NAME``: a git repository that runs at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shop_project import statisfactory


def test_new_project_runs_at_once(tmp_path: Path) -> None:
    created = statisfactory("new", "my-study", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "my-study"
    assert (root / ".git").is_dir()
    assert "conf/locals.yaml" in (root / ".gitignore").read_text()

    listing = statisfactory("pipelines", "ls", cwd=root)
    assert "my_study.crafts.simulate" in listing.stdout

    small = statisfactory("run", "example", "small", cwd=root)
    assert small.returncode == 0, small.stderr
    summary = json.loads((root / "data/reports/summary_200.json").read_text())
    assert summary["n_samples"] == 200
    expected = {"a": 1.5, "b": -2.0, "c": 0.5}  # the simulation's true coefficients
    assert summary["coefficients"] == pytest.approx(expected, abs=0.05)

    large = statisfactory("run", "example", "large", "--param", "n_samples=1000", cwd=root)
    assert large.returncode == 0, large.stderr
    assert (root / "data/raw/samples_1000.parquet").is_file()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")

    result = statisfactory("new", "taken", cwd=tmp_path)

    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "taken" / "pyproject.toml").exists()


def test_new_without_git(tmp_path: Path) -> None:
    result = statisfactory("new", "plain", "--no-git", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "plain" / ".git").exists()
    assert (tmp_path / "plain" / "pyproject.toml").is_file()


def test_a_name_with_spaces_and_accents_gives_a_usable_slug_and_package(tmp_path: Path) -> None:
    result = statisfactory("new", "My Étude", "--no-git", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "cd 'My Étude'" in result.stdout  # a command the user can paste
    root = tmp_path / "My Étude"
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "my-etude"' in pyproject and 'project_slug = "my-etude"' in pyproject
    assert (root / "lib" / "my_etude" / "crafts.py").is_file()
    run = statisfactory("run", "example", "small", cwd=root)
    assert run.returncode == 0, run.stderr
