"""``session.git``: the repository a project is in, on real repositories with named branches."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from statisfactory import Session
from statisfactory.errors import IntegrationError

SIGNATURE = pygit2.Signature("Ana Lyst", "ana@example.org")


def commit_all(repository: pygit2.Repository, message: str) -> pygit2.Oid:
    """Commit every file of the working tree on the current branch."""
    repository.index.add_all()
    repository.index.write()
    tree = repository.index.write_tree()
    parents = [] if repository.head_is_unborn else [repository.head.target]
    return repository.create_commit("HEAD", SIGNATURE, SIGNATURE, message, tree, parents)


def switch(repository: pygit2.Repository, branch: str) -> None:
    """Create ``branch`` at HEAD and check it out, as ``git switch -c`` does."""
    created = repository.branches.local.create(branch, repository.head.peel(pygit2.Commit))
    repository.checkout(created)


def test_the_project_repository_and_its_named_branch(project_factory):
    root = project_factory()
    repository = pygit2.init_repository(str(root), initial_head="analysis/q3")
    commit_all(repository, "project skeleton")
    session = Session(root_folder=root)
    assert Path(session.git.workdir).resolve() == root.resolve()
    assert session.git.head.shorthand == "analysis/q3"
    assert session.git is session.git  # built once per session


def test_a_project_inside_a_larger_repository(tmp_path, project_factory):
    monorepo = tmp_path / "project0"  # project_factory writes its first project there
    pygit2.init_repository(str(tmp_path), initial_head="trunk")
    root = project_factory()
    assert root == monorepo
    session = Session(root_folder=root)
    assert Path(session.git.workdir).resolve() == tmp_path.resolve()
    assert session.git.lookup_reference("HEAD").target == "refs/heads/trunk"


def test_the_branch_follows_checkouts(project_factory):
    root = project_factory()
    repository = pygit2.init_repository(str(root), initial_head="main")
    first = commit_all(repository, "first")
    switch(repository, "feature/new-model")
    (root / "lib" / "model.py").write_text("ALPHA = 1\n")
    commit_all(repository, "a model")

    session = Session(root_folder=root)
    assert session.git.head.shorthand == "feature/new-model"
    assert session.git.head.peel(pygit2.Commit).parents[0].id == first

    repository.checkout(repository.branches.local["main"])
    assert Session(root_folder=root).git.head.shorthand == "main"
    assert session.git.head.shorthand == "main"  # the repository is read live, not cached


def test_an_unborn_branch_keeps_its_name(project_factory):
    root = project_factory()
    pygit2.init_repository(str(root), initial_head="develop")
    session = Session(root_folder=root)
    assert session.git.head_is_unborn
    assert session.git.lookup_reference("HEAD").target == "refs/heads/develop"


def test_outside_a_repository_the_error_names_the_project(project_factory):
    root = project_factory()
    session = Session(root_folder=root)
    with pytest.raises(IntegrationError) as caught:
        session.git
    assert str(root) in str(caught.value)
    assert "git init" in str(caught.value)
