"""``statisfactory new NAME``: a project that runs at once, under git.

The template lives in ``templates/project/``: every file is a Jinja template (``.j2``) given
``slug`` (the folder's name, lower-cased, dashes between words) and ``package`` (that name as a
Python package, which replaces the ``lib/package`` folder) and ``distribution`` (the name this
package is installed under, for the project's dependencies). ``gitignore.j2`` becomes
``.gitignore``. Under git, the files make an initial commit, so that runs record a commit.
"""

from __future__ import annotations

import functools
import re
import shlex
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from statisfactory.cli.state import CliState
from statisfactory.errors import DISTRIBUTION, ConfigurationError

TEMPLATE = Path(__file__).parent / "templates" / "project"
COMMIT_MESSAGE = "New Statisfactory project"
# The author of the initial commit when the user has no git identity configured (that commit only).
FALLBACK_AUTHOR = ("Statisfactory", "statisfactory@localhost")


@click.command()
@click.argument("name", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-git", is_flag=True, help="Do not initialise a git repository.")
@click.pass_obj
def new(state: CliState, name: Path, no_git: bool) -> None:
    """Create the project NAME (a folder): an example pipeline and parameter sets, committed."""
    root = create_project(name)
    git = "" if no_git else init_git(root)
    click.echo(f"Created project {root.name} in {root}{git}.")
    click.echo(
        f"Try it:\n  cd {shlex.quote(str(name))}\n  statisfactory run example\n"
        f"  statisfactory run example small"
    )


def create_project(folder: Path) -> Path:
    """Render the template into ``folder`` (which must be absent or empty); return it."""
    from jinja2 import Environment, StrictUndefined

    from statisfactory.notebooks.naming import module_part

    folder = folder.expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigurationError(
            f"{folder} already exists and is not an empty folder: choose another name, or "
            f"remove it first."
        )
    variables = {
        "slug": project_slug(folder.name),
        "package": module_part(folder.name),
        "distribution": DISTRIBUTION,
    }
    environment = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
    for template in sorted(TEMPLATE.rglob("*.j2")):
        relative = template.relative_to(TEMPLATE).with_suffix("")
        parts = list(relative.parts)
        if parts[:2] == ["lib", "package"]:
            parts[1] = variables["package"]
        if parts == ["gitignore"]:
            parts = [".gitignore"]
        target = folder.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = environment.from_string(template.read_text(encoding="utf-8")).render(variables)
        target.write_text(text, encoding="utf-8")
    return folder


def project_slug(name: str) -> str:
    """``My Study`` → ``my-study``: a valid distribution name, S3 bucket and lakeFS repository."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "project"


def init_git(root: Path) -> str:
    """Make ``root`` a git repository with an initial commit (pygit2, else the git program).

    Returns how it went, for the message; a refused commit leaves the project in place.
    """
    try:
        import pygit2
    except ImportError:
        if shutil.which("git") is None:
            return " (not under git: neither pygit2 nor the git program is installed)"
        commit: Callable[[], None] = functools.partial(commit_with_git_program, root)
        failures: tuple[type[Exception], ...] = (subprocess.CalledProcessError, OSError)
    else:
        commit = functools.partial(commit_with_pygit2, pygit2, root)
        failures = (pygit2.GitError, OSError)
    try:
        commit()
    except failures as error:
        reason = (getattr(error, "stderr", None) or str(error)).strip()
        return f", under git, but the initial commit failed ({reason}): commit the files yourself"
    return ", under git (initial commit made)"


def commit_with_pygit2(pygit2: Any, root: Path) -> None:
    """Initialise ``root`` and commit its files (``.gitignore`` honoured)."""
    repository = pygit2.init_repository(str(root), initial_head="main")
    repository.index.add_all()
    repository.index.write()
    tree = repository.index.write_tree()
    try:
        author = repository.default_signature
    except (KeyError, pygit2.GitError):  # no user.name / user.email configured
        author = pygit2.Signature(*FALLBACK_AUTHOR)
    repository.create_commit("HEAD", author, author, COMMIT_MESSAGE, tree, [])


def commit_with_git_program(root: Path) -> None:
    """The same with the git program, giving the fallback identity only when none is set."""

    def git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(root), *args], check=check, capture_output=True, text=True
        )

    git("init", "--quiet")
    git("symbolic-ref", "HEAD", "refs/heads/main")  # `init --initial-branch` needs git 2.28
    git("add", "--all")
    identity: list[str] = []
    for key, fallback in zip(("user.name", "user.email"), FALLBACK_AUTHOR, strict=True):
        if git("config", key, check=False).returncode != 0:
            identity += ["-c", f"{key}={fallback}"]
    git(*identity, "commit", "--quiet", "--message", COMMIT_MESSAGE)
