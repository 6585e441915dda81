"""Integrations are built on first access; missing settings name the keys to provide."""

from __future__ import annotations

import pytest

from statisfactory.errors import IntegrationError


def test_aws_missing_settings_names_every_key(session_factory):
    sess = session_factory({"conf/locals.yaml": "aws_region: eu-west-1\n"})
    with pytest.raises(IntegrationError) as caught:
        sess.aws_session
    message = str(caught.value)
    assert "aws_access_key" in message
    assert "aws_secret_access_key" in message
    assert "aws_region," not in message  # it is set
    assert "in conf/locals.yaml" in message
    assert "STATISFACTORY_AWS_ACCESS_KEY, STATISFACTORY_AWS_SECRET_ACCESS_KEY." in message


def test_missing_settings_name_the_project_s_configuration_folder(project_factory):
    from statisfactory import Session

    root = project_factory()
    (root / "conf").rename(root / "settings")
    text = (root / "pyproject.toml").read_text().replace('"conf"', '"settings"')
    (root / "pyproject.toml").write_text(text)
    with pytest.raises(IntegrationError, match="lakefs_access_key.* in settings/locals.yaml"):
        Session(root_folder=root).lakefs_client


def test_aws_session_is_a_boto3_session_built_once(session_factory):
    import boto3

    sess = session_factory(
        {
            "conf/locals.yaml": """
                aws_access_key: AKIATEST
                aws_secret_access_key: not-a-real-secret
                aws_region: eu-west-3
            """
        }
    )
    aws = sess.aws_session
    assert isinstance(aws, boto3.Session)
    assert aws.region_name == "eu-west-3"
    assert aws.get_credentials().access_key == "AKIATEST"
    assert sess.aws_session is aws


def test_aws_settings_from_environment(session_factory, monkeypatch):
    monkeypatch.setenv("STATISFACTORY_AWS_ACCESS_KEY", "AKIAENV")
    monkeypatch.setenv("STATISFACTORY_AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("STATISFACTORY_AWS_REGION", "us-east-1")
    assert session_factory().aws_session.get_credentials().access_key == "AKIAENV"


def test_git_outside_a_repository(session_factory):
    sess = session_factory()
    with pytest.raises(IntegrationError, match="not inside a git repository"):
        sess.git


def test_git_repository_enclosing_the_project(project_factory):
    import pygit2

    from statisfactory import Session

    root = project_factory()
    pygit2.init_repository(str(root), initial_head="feature/x")
    (root / "lib" / "nested").mkdir()
    sess = Session(root_folder=root)
    assert isinstance(sess.git, pygit2.Repository)
    assert sess.git.workdir.rstrip("/") == str(root.resolve())
    assert sess.git.head_is_unborn


def test_lakefs_missing_settings(session_factory):
    sess = session_factory({"conf/locals.yaml": "lakefs_endpoint: http://127.0.0.1:1\n"})
    with pytest.raises(IntegrationError) as caught:
        sess.lakefs_client
    assert "lakefs_access_key" in str(caught.value)
    assert "lakefs_secret_access_key" in str(caught.value)
    with pytest.raises(IntegrationError):
        sess.lakefs_repo


def test_spark_settings_and_aws_ones_become_spark_conf(session_factory):
    from statisfactory.session.integrations import spark_conf

    sess = session_factory(
        {
            "conf/globals.yaml": "spark: {app_name: nightly, conf: {spark.sql.adaptive.enabled: false}}\n",
            "conf/locals.yaml": """
                aws_access_key: AKIATEST
                aws_secret_access_key: not-a-real-secret
                aws_region: eu-west-1
                aws_s3_endpoint: http://127.0.0.1:5555
            """,
        }
    )
    conf = spark_conf(sess.settings, slug="demo", root=sess.root)
    assert conf["spark.master"] == "local[*]"
    assert conf["spark.app.name"] == "nightly"
    assert conf["spark.sql.adaptive.enabled"] == "false"
    assert conf["spark.sql.warehouse.dir"] == (sess.root / "spark-warehouse").as_posix()
    assert conf["spark.hadoop.fs.s3a.access.key"] == "AKIATEST"
    assert conf["spark.hadoop.fs.s3a.secret.key"] == "not-a-real-secret"
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:5555"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-1"


def test_spark_without_aws_settings_has_no_s3a_conf(session_factory):
    from statisfactory.session.integrations import spark_conf

    sess = session_factory()
    conf = spark_conf(sess.settings, slug="demo", root=sess.root)
    assert conf["spark.app.name"] == "demo"
    assert not [key for key in conf if "s3a" in key]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("spark: [local]\n", "must be a mapping"),
        ("spark: {mastr: local}\n", r"unknown key\(s\) mastr: its keys are master, app_name, conf"),
        ("spark: {conf: [a]}\n", r"'spark.conf' must map Spark options"),
    ],
)
def test_a_wrong_spark_setting_names_itself(session_factory, setting, message):
    sess = session_factory({"conf/globals.yaml": setting})
    with pytest.raises(IntegrationError, match=message):
        sess.spark
    assert "spark" not in sess.resources


def test_outside_a_repository_pygit2_is_not_even_imported(tmp_path):
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from statisfactory.errors import IntegrationError\n"
        "from statisfactory.session.integrations import build_git_repository\n"
        "try:\n"
        "    build_git_repository(Path(sys.argv[1]))\n"
        "except IntegrationError as error:\n"
        "    print('refused:', error)\n"
        "print('pygit2 imported:', 'pygit2' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "refused:" in done.stdout and "not inside a git repository" in done.stdout
    assert "pygit2 imported: False" in done.stdout


@pytest.mark.parametrize("layout", ["above", "worktree file", "bare"])
def test_a_repository_above_or_linked_is_still_found(tmp_path, layout):
    import pygit2

    from statisfactory.session.integrations import build_git_repository

    if layout == "above":
        pygit2.init_repository(str(tmp_path))
        project = tmp_path / "deep" / "project"
    elif layout == "worktree file":  # a linked worktree or a submodule: `.git` is a file
        main = tmp_path / "main"
        repository = pygit2.init_repository(str(main))
        signature = pygit2.Signature("Ana Lyst", "ana@example.org")
        tree = repository.index.write_tree()
        repository.create_commit("HEAD", signature, signature, "first", tree, [])
        repository.add_worktree("linked", str(tmp_path / "linked"))
        project = tmp_path / "linked" / "project"
    else:
        pygit2.init_repository(str(tmp_path / "bare.git"), bare=True)
        project = tmp_path / "bare.git"
    project.mkdir(parents=True, exist_ok=True)
    assert isinstance(build_git_repository(project), pygit2.Repository)
