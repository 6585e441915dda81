"""Which lakeFS reference a ``lakefs://`` artifact uses: the current git branch, or ``lake_ref``.

Without ``lake_ref``, an artifact lives on the lakeFS branch named after the git branch the
project is checked out on, so that data versions follow code versions. lakeFS branch names allow
ASCII letters, digits, ``_`` and ``-`` and start with a letter, digit or ``_``; the ``/`` and ``.``
of git names become ``-`` (``feature/new.model`` → ``feature-new-model``). Any other character is
an error rather than a silent rewrite, because two git branches must not share one lakeFS branch
by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statisfactory.errors import IntegrationError, LakeFSBranchError

DEFAULT_SOURCE_BRANCH = "main"
_VALID_BRANCH = re.compile(r"\A\w[-\w]*\Z", re.ASCII)
_GIT_SEPARATORS = re.compile(r"[/.]+")
_HEADS = "refs/heads/"


@dataclass(frozen=True)
class LakeRef:
    """A lakeFS reference to read or write, and where it comes from.

    ``from_git`` references are branches created from :data:`DEFAULT_SOURCE_BRANCH` when
    missing; a ``lake_ref`` given by the user (a branch, a commit id or a tag) is used as is.
    """

    ref: str
    from_git: bool

    def describe(self) -> str:
        origin = "named after the current git branch" if self.from_git else "given as lake_ref"
        return f"{self.ref!r} ({origin})"


def lakefs_branch_name(git_branch: str) -> str:
    """The lakeFS branch of ``git_branch``: its ``/`` and ``.`` replaced by ``-``."""
    candidate = _GIT_SEPARATORS.sub("-", git_branch)
    if not _VALID_BRANCH.match(candidate):
        refused = sorted({char for char in candidate if not re.match(r"[-\w]", char, re.ASCII)})
        reason = (
            f"it holds {', '.join(map(repr, refused))}"
            if refused
            else "it must start with a letter, a digit or '_'"
        )
        raise LakeFSBranchError(
            f"the git branch {git_branch!r} cannot name a lakeFS branch ({candidate!r}: {reason}; "
            f"lakeFS allows ASCII letters, digits, '_' and '-'). Rename the git branch "
            f"(git branch -m NEW_NAME), or choose the lakeFS branch or commit with lake_ref "
            f"(in the artifact's extra, or catalog.load/save(..., lake_ref=...))."
        )
    return candidate


def current_git_branch(repository: Any) -> str:
    """The short name of the branch a ``pygit2.Repository`` is on (also before its first commit)."""
    if repository.head_is_detached:
        commit = str(repository.head.target)[:12]
        raise LakeFSBranchError(
            f"the git repository at {repository.workdir or repository.path} is on a detached HEAD "
            f"(commit {commit}), so no lakeFS branch follows it. Check out a branch "
            f"(git switch NAME), or choose the lakeFS branch or commit with lake_ref."
        )
    target = repository.lookup_reference("HEAD").target
    return str(target).removeprefix(_HEADS)


def select_ref(lake_ref: str | None, git_repository: Callable[[], Any]) -> LakeRef:
    """``lake_ref`` when given, else the lakeFS branch of the git checkout.

    ``git_repository()`` (``session.git``) is only called without ``lake_ref``; the error it
    raises outside a git repository is completed with how to choose a reference instead.
    """
    if lake_ref is not None and str(lake_ref).strip():
        return LakeRef(str(lake_ref).strip(), from_git=False)
    try:
        repository = git_repository()
    except IntegrationError as error:
        raise LakeFSBranchError(
            f"lakefs:// artifacts live on the lakeFS branch named after the current git branch, "
            f"but no git branch is available: {error} Otherwise choose the lakeFS branch or "
            f"commit with lake_ref."
        ) from error
    return LakeRef(lakefs_branch_name(current_git_branch(repository)), from_git=True)
