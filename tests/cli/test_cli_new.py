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


def test_new_template_depends_on_the_published_distribution(tmp_path: Path) -> None:
    assert statisfactory("new", "dist", "--no-git", cwd=tmp_path).returncode == 0
    pyproject = (tmp_path / "dist" / "pyproject.toml").read_text()
    assert f'dependencies = ["{DISTRIBUTION}"]' in pyproject  # the name pyproject publishes
