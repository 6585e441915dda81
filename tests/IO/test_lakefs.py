"""``lakefs://`` artifacts: which reference they use, the errors they give, and a real server.

No lakeFS server runs on the test machines: the tests against one run when ``LAKEFS_ENDPOINT``,
``LAKEFS_ACCESS_KEY`` and ``LAKEFS_SECRET_ACCESS_KEY`` are set (and ``LAKEFS_BUCKET`` when its
storage namespace is not under ``s3://lakefs/``), and are skipped otherwise, in CI too.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from _servers import free_port
from statisfactory.errors import IntegrationError, StorageError
from statisfactory.IO.backends.lakefs import Target, translated_errors
from statisfactory.IO.lakefs_refs import (
    LakeFSBranchError,
    LakeRef,
    current_git_branch,
    lakefs_branch_name,
    select_ref,
)


def git_repository(root: Path, branch: str, *, commit: bool = False):
    """A git repository at ``root`` on ``branch`` (unborn unless ``commit``)."""
    import pygit2

    repository = pygit2.init_repository(str(root), initial_head=branch)
    if commit:
        signature = pygit2.Signature("Test", "test@example.org")
        tree = repository.TreeBuilder().write()
        repository.create_commit("HEAD", signature, signature, "first", tree, [])
    return repository


# --- git branch -> lakeFS branch ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("git_branch", "lakefs_branch"),
    [
        ("main", "main"),
        ("feature/new.model", "feature-new-model"),
        ("release/2024.10", "release-2024-10"),
        ("user/ana//wip", "user-ana-wip"),
        ("_private_1", "_private_1"),
    ],
)
def test_git_branches_become_lakefs_branches(git_branch, lakefs_branch):
    assert lakefs_branch_name(git_branch) == lakefs_branch


@pytest.mark.parametrize(("git_branch", "culprit"), [("fix#12", "'#'"), ("données", "'é'")])
def test_a_git_branch_lakefs_cannot_hold_is_refused(git_branch, culprit):
    with pytest.raises(LakeFSBranchError) as caught:
        lakefs_branch_name(git_branch)
    message = str(caught.value)
    assert repr(git_branch) in message
    assert culprit in message
    assert "lake_ref" in message  # how to get around it


def test_a_git_name_starting_with_a_separator_is_refused():
    with pytest.raises(LakeFSBranchError, match="must start with a letter"):
        lakefs_branch_name(".hidden")


def test_current_branch_before_and_after_the_first_commit(tmp_path):
    unborn = git_repository(tmp_path / "unborn", "feature/x")
    assert current_git_branch(unborn) == "feature/x"
    committed = git_repository(tmp_path / "committed", "experiments/run.2", commit=True)
    assert current_git_branch(committed) == "experiments/run.2"


def test_a_detached_head_has_no_branch(tmp_path):
    repository = git_repository(tmp_path, "main", commit=True)
    repository.set_head(repository.head.target)
    with pytest.raises(LakeFSBranchError) as caught:
        current_git_branch(repository)
    assert "detached HEAD" in str(caught.value)
    assert str(repository.head.target)[:12] in str(caught.value)


# --- selecting the reference ----------------------------------------------------------------------
def test_lake_ref_wins_and_git_is_not_consulted():
    def no_git():
        raise AssertionError("git must not be read when lake_ref is given")

    assert select_ref("0f3c9e1a", no_git) == LakeRef("0f3c9e1a", from_git=False)


def test_without_lake_ref_the_git_branch_is_used(session_factory):
    session = session_factory()
    git_repository(session.root, "feature/lake.io")
    assert select_ref(None, lambda: session.git) == LakeRef("feature-lake-io", from_git=True)


def test_without_lake_ref_outside_git_the_error_says_what_to_do(session_factory):
    session = session_factory()
    with pytest.raises(LakeFSBranchError) as caught:
        select_ref(None, lambda: session.git)
    message = str(caught.value)
    assert "git init" in message
    assert "lake_ref" in message


# --- errors of the SDK, translated ----------------------------------------------------------------
def target(*, writing: bool, from_git: bool = True) -> Target:
    ref = LakeRef("feature-x", from_git=from_git)
    return Target(None, "data/t.csv", ref, "demo", "http://lakefs.example:8000", writing)


def raised_through(error: Exception, **target_options) -> Exception:
    with pytest.raises(Exception) as caught, translated_errors(target(**target_options)):
        raise error
    return caught.value


def test_a_missing_object_is_a_missing_file_naming_reference_and_repository():
    from lakefs.exceptions import NotFoundException

    translated = raised_through(NotFoundException(404, "Not Found"), writing=False)
    assert isinstance(translated, FileNotFoundError)
    assert "'data/t.csv'" in str(translated)
    assert "'feature-x'" in str(translated) and "'demo'" in str(translated)


def test_writing_to_something_that_is_not_a_branch():
    from lakefs.exceptions import NotFoundException

    translated = raised_through(NotFoundException(404, "Not Found"), writing=True, from_git=False)
    assert not isinstance(translated, FileNotFoundError)
    assert "not a branch" in str(translated)


def test_refused_credentials_name_the_settings_and_the_endpoint():
    from lakefs.exceptions import NotAuthorizedException

    translated = raised_through(NotAuthorizedException(401, "Unauthorized"), writing=False)
    assert isinstance(translated, PermissionError)
    assert "lakefs_access_key" in str(translated)
    assert "http://lakefs.example:8000" in str(translated)


def test_an_unreachable_server_is_a_connection_error():
    from urllib3.exceptions import MaxRetryError

    translated = raised_through(MaxRetryError(None, "/api/v1", "refused"), writing=True)
    assert isinstance(translated, ConnectionError)
    assert "lakefs_endpoint" in str(translated)


# --- through the catalog, without a server --------------------------------------------------------
LAKE_CATALOG = """
    - name: table
      type: csv
      extra: {path: "lakefs://tables/table.csv"}
    - name: pinned
      type: csv
      extra: {path: "lakefs://tables/table.csv", lake_ref: main}
    - name: read_from_main
      type: csv
      extra: {path: "lakefs://tables/table.csv"}
      load_options: {lake_ref: main}
    - name: versioned
      type: json
      versioned: true
      extra: {path: "lakefs://models/model.json"}
"""


def test_lakefs_artifacts_need_the_lakefs_settings(session_factory):
    session = session_factory({"catalog/catalog.yaml": LAKE_CATALOG})
    with pytest.raises(IntegrationError) as caught:
        session.catalog.load("table")
    assert "'table'" in str(caught.value)
    assert "lakefs_endpoint" in str(caught.value)
    assert "lakefs_access_key" in str(caught.value)


def test_an_unreachable_lakefs_names_the_endpoint_never_the_secret(session_factory):
    endpoint = f"http://127.0.0.1:{free_port()}"
    session = session_factory(
        {
            "catalog/catalog.yaml": LAKE_CATALOG,
            "conf/locals.yaml": f"""
                lakefs_endpoint: {endpoint}
                lakefs_access_key: AKIAJEXAMPLE
                lakefs_secret_access_key: lake-secret-value-42
            """,
        }
    )
    with pytest.raises(IntegrationError) as caught:
        session.catalog.save("pinned", pd.DataFrame({"x": [1]}))
    assert endpoint in str(caught.value)
    assert "lake-secret-value-42" not in str(caught.value)


def test_lake_ref_in_load_options_reaches_the_backend_for_reads_only(session_factory, caplog):
    # No git repository: an artifact needs a lake_ref to get as far as the (unreachable) server.
    endpoint = f"http://127.0.0.1:{free_port()}"
    session = session_factory(
        {
            "catalog/catalog.yaml": """
                - name: reference
                  type: csv
                  extra: {path: "lakefs://tables/reference.csv"}
                  load_options: {lake_ref: main, sep: ";"}
            """,
            "conf/locals.yaml": f"""
                lakefs_endpoint: {endpoint}
                lakefs_access_key: AKIAJEXAMPLE
                lakefs_secret_access_key: lake-secret-value-42
            """,
        }
    )
    for read in (session.catalog.load, session.catalog.exists):
        with pytest.raises(IntegrationError) as caught:
            read("reference")
        assert "'reference'" in str(caught.value) and endpoint in str(caught.value)
    with pytest.raises(LakeFSBranchError, match="'reference'.*no git branch"):
        session.catalog.save("reference", pd.DataFrame({"x": [1]}))  # writes have no lake_ref
    assert "lake_ref" not in caplog.text  # not handed to read_csv, not dropped


def test_a_project_slug_lakefs_cannot_hold_is_named(project_factory):
    from statisfactory import Session

    root = project_factory(
        {
            "conf/locals.yaml": """
                lakefs_endpoint: http://127.0.0.1:1
                lakefs_access_key: AKIAJEXAMPLE
                lakefs_secret_access_key: lake-secret
            """
        }
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"demo"', '"My_Project"'))
    with pytest.raises(IntegrationError, match="project_slug 'My_Project'"):
        Session(root_folder=root).lakefs_repo


# --- against a real lakeFS ------------------------------------------------------------------------
@pytest.fixture
def lakefs_project(project_factory):
    """``make(git_branch) -> Session`` on a fresh repository of the lakeFS server in the env."""
    names = ("LAKEFS_ENDPOINT", "LAKEFS_ACCESS_KEY", "LAKEFS_SECRET_ACCESS_KEY")
    if not all(os.environ.get(name) for name in names):
        pytest.skip(f"no lakeFS server: set {', '.join(names)} to run this test")
    from statisfactory import Session

    sessions = []

    def make(git_branch: str):
        slug = f"statisfactory-{uuid.uuid4().hex[:10]}"
        bucket = os.environ.get("LAKEFS_BUCKET", "s3://lakefs/")
        root = project_factory(
            {
                "catalog/catalog.yaml": LAKE_CATALOG,
                "conf/locals.yaml": f"""
                    lakefs_endpoint: {os.environ["LAKEFS_ENDPOINT"]}
                    lakefs_access_key: {os.environ["LAKEFS_ACCESS_KEY"]}
                    lakefs_secret_access_key: {os.environ["LAKEFS_SECRET_ACCESS_KEY"]}
                    lakefs_bucket: {bucket}
                """,
            }
        )
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"demo"', f'"{slug}"'))
        git_repository(root, git_branch)
        sessions.append(Session(root_folder=root))
        return sessions[-1]

    yield make
    for session in sessions:
        session.lakefs_repo.delete()


def test_artifacts_live_on_the_branch_of_the_git_checkout(lakefs_project):
    session = lakefs_project("feature/lake.io")
    frame = pd.DataFrame({"x": [1, 2, 3]})
    session.catalog.save("table", frame)
    pd.testing.assert_frame_equal(session.catalog.load("table"), frame)
    repository = session.lakefs_repo
    assert repository.branch("feature-lake-io").object("tables/table.csv").exists()
    assert not repository.branch("main").object("tables/table.csv").exists()


def test_lake_ref_reads_another_branch_or_a_commit(lakefs_project):
    session = lakefs_project("main")
    session.catalog.save("table", pd.DataFrame({"x": [1]}))
    commit = session.lakefs_repo.branch("main").commit(message="first version").get_commit()
    session.catalog.save("table", pd.DataFrame({"x": [2]}))
    assert session.catalog.load("table")["x"].tolist() == [2]  # the branch, uncommitted
    assert session.catalog.load("table", lake_ref=commit.id)["x"].tolist() == [1]
    assert session.catalog.load("pinned")["x"].tolist() == [2]  # lake_ref: main in extra
    assert session.catalog.load("read_from_main")["x"].tolist() == [2]  # in load_options


def test_writing_to_a_commit_is_refused(lakefs_project):
    session = lakefs_project("main")
    session.catalog.save("table", pd.DataFrame({"x": [1]}))
    commit = session.lakefs_repo.branch("main").commit(message="v1").get_commit()
    with pytest.raises(StorageError, match="not a branch"):
        session.catalog.save("table", pd.DataFrame({"x": [9]}), lake_ref=commit.id)


def test_versions_live_beside_the_object_on_the_branch(lakefs_project):
    session = lakefs_project("main")
    for value in ({"a": 1}, {"a": 2}):
        session.catalog.save("versioned", value)
    first, second = session.catalog.versions("versioned")
    assert second.current and session.catalog.load("versioned", version=first.version) == {"a": 1}
    session.catalog.restore("versioned", first.version)
    assert session.catalog.load("versioned") == {"a": 1}
    listed = session.lakefs_repo.branch("main").objects(prefix="models/.statisfactory/versions/")
    assert len(list(listed)) == 2


def test_urls_keep_their_whole_path():
    from statisfactory.IO.backends.lakefs import object_path

    assert object_path(urlparse("lakefs://data/raw/x.csv")) == "data/raw/x.csv"
