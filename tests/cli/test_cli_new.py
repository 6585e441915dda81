"""``statisfactory new NAME``: a git repository that runs at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from shop_project import statisfactory

from statisfactory.cli.new import DISTRIBUTION, create_project, init_git


def test_new_project_runs_at_once(tmp_path: Path) -> None:
    created = statisfactory("new", "my-study", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "my-study"
    assert (root / ".git").is_dir()
    assert "conf/locals.yaml" in (root / ".gitignore").read_text()

    listing = statisfactory("pipelines", "ls", cwd=root)
    assert "my_study.crafts.simulate" in listing.stdout

    bare = statisfactory("run", "example", cwd=root)  # no parameter set: the crafts' defaults
    assert bare.returncode == 0, bare.stderr
    summary = json.loads((root / "data/reports/summary.json").read_text())
    assert summary["n_samples"] == 200
    expected = {"a": 1.5, "b": -2.0, "c": 0.5}  # the simulation's true coefficients
    assert summary["coefficients"] == pytest.approx(expected, abs=0.05)

    small = statisfactory("run", "example", "small", "--param", "n_samples=300", cwd=root)
    assert small.returncode == 0, small.stderr
    assert json.loads((root / "data/reports/summary.json").read_text())["n_samples"] == 300

    large = statisfactory("run", "example", "large", "--param", "n_samples=1000", cwd=root)
    assert large.returncode == 0, large.stderr
    assert json.loads((root / "data/reports/summary.json").read_text())["n_samples"] == 1000


def test_new_project_is_committed_so_runs_record_a_commit(tmp_path: Path) -> None:
    # No git identity anywhere: the initial commit still gets made, with a fallback author.
    home = tmp_path / "home"
    home.mkdir()
    no_identity = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / "none"),
        "EMAIL": "",
    }
    created = statisfactory("new", "study", cwd=tmp_path, env=no_identity)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "study"
    log = subprocess.run(
        ["git", "log", "--format=%H %s"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **no_identity},
    )
    assert log.returncode == 0, log.stderr
    head, subject = log.stdout.strip().split(" ", 1)
    assert subject == "New Statisfactory project"
    author = subprocess.run(
        ["git", "log", "--format=%an"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert author == "Statisfactory"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "pyproject.toml" in tracked and ".gitignore" in tracked
    assert "conf/locals.yaml" not in tracked  # ignored: it is the user's, for secrets

    run = statisfactory("run", "example", cwd=root, env=no_identity)
    assert run.returncode == 0, run.stderr
    shown = statisfactory("runs", "show", "last", cwd=root, env=no_identity)
    assert f"commit: {head[:10]} " in shown.stdout, shown.stdout


def test_new_keeps_the_users_git_identity(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Ada\n\temail = ada@example.org\n")
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}
    env = {**env, "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}
    assert statisfactory("new", "mine", cwd=tmp_path, env=env).returncode == 0
    author = subprocess.run(
        ["git", "log", "--format=%an <%ae>"],
        cwd=tmp_path / "mine",
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    ).stdout.strip()
    assert author == "Ada <ada@example.org>"


@pytest.mark.parametrize("identity", [False, True])
def test_the_git_program_makes_the_same_commit_without_pygit2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, identity: bool
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if identity:
        (home / ".gitconfig").write_text("[user]\n\tname = Ada\n\temail = ada@example.org\n")
    for key, value in {"HOME": home, "XDG_CONFIG_HOME": home, "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.delenv("EMAIL", raising=False)
    monkeypatch.setitem(sys.modules, "pygit2", None)  # import pygit2 raises ImportError
    root = create_project(tmp_path / "plain")

    assert init_git(root) == ", under git (initial commit made)"

    log = subprocess.run(
        ["git", "log", "--format=%an|%s"], cwd=root, capture_output=True, text=True, check=True
    )
    author = "Ada" if identity else "Statisfactory"
    assert log.stdout.strip() == f"{author}|New Statisfactory project"
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True)
    assert "conf/locals.yaml" not in tracked.stdout.split()


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


def test_new_template_depends_on_the_published_distribution(tmp_path: Path) -> None:
    assert statisfactory("new", "dist", "--no-git", cwd=tmp_path).returncode == 0
    pyproject = (tmp_path / "dist" / "pyproject.toml").read_text()
    assert f'dependencies = ["{DISTRIBUTION}"]' in pyproject  # the name pyproject publishes


def test_a_commit_the_git_program_refuses_leaves_the_project_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's own pre-commit hook refuses every commit: the project stays, uncommitted.
    home = tmp_path / "home"
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    (home / ".gitconfig").write_text(f"[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setitem(sys.modules, "pygit2", None)
    root = create_project(tmp_path / "hooked")

    said = init_git(root)

    assert "initial commit failed" in said and "refused by policy" in said
    assert "commit the files yourself" in said
    assert (root / ".git").is_dir() and (root / "pyproject.toml").is_file()
