"""A project written for the original Statisfactory starts and runs as it did."""

from __future__ import annotations

import shutil
import warnings

import pytest

from statisfactory import Artifact, Craft, Session
from statisfactory.cli.main import main as cli
from statisfactory.errors import CatalogError


def test_a_project_without_configuration_folder_starts_with_a_warning(project_factory) -> None:
    root = project_factory(
        {"catalog/catalog.yaml": "- name: t\n  type: text\n  extra: {path: t.txt}\n"}
    )
    shutil.rmtree(root / "conf")
    with pytest.warns(UserWarning, match="conf"):
        session = Session(root_folder=root)
    session.catalog.save("t", "hello")
    assert session.catalog.load("t") == "hello"
    assert session.settings.project_slug == "demo"


def test_a_null_setting_renders_as_yaml_null(project_factory) -> None:
    root = project_factory(
        {
            "conf/globals.yaml": "threshold: null\nlabel: ~\n",
            "pipelines/parameters/params.yaml": """\
            base:
              threshold: {{ threshold }}
              text: "x{{ label }}"
            """,
            "catalog/catalog.yaml": """\
            - name: t
              type: csv
              extra: {path: t.csv}
              load_options: {nrows: {{ threshold }}}
            """,
        }
    )
    session = Session(root_folder=root)
    assert session.parameters["base"]["threshold"] is None
    assert session.catalog.artifacts["t"].load_options == {"nrows": None}


CATALOG = """\
- name: good
  type: json
  extra: {path: good.json}
- name: report
  type: jsno
  extra: {path: report.json}
"""

CRAFTS = """\
from statisfactory import Artifact, Craft


@Craft()
def make_good() -> Artifact("good"):
    return [1]


@Craft()
def make_report(good: Artifact) -> Artifact("report"):
    return good
"""


@pytest.fixture
def typo_project(project_factory):
    return project_factory(
        {
            "catalog/catalog.yaml": CATALOG,
            "lib/crafts.py": CRAFTS,
            "pipelines/definitions/pipelines.yaml": """\
            both:
              +operators: [crafts.make_good, crafts.make_report]
            only_good:
              +operators: [crafts.make_good]
            """,
        }
    )


def test_an_unknown_type_warns_and_other_artifacts_still_work(typo_project) -> None:
    with pytest.warns(UserWarning, match=r"'report'.*'jsno'.*did you mean 'json'"):
        session = Session(root_folder=typo_project)
    session.catalog.save("good", [1])
    assert session.catalog.load("good") == [1]
    with pytest.raises(CatalogError, match=r"'report'.*'jsno'.*did you mean 'json'"):
        session.catalog.load("report")


def test_a_pipeline_using_an_unknown_type_fails_before_anything_runs(typo_project) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = Session(root_folder=typo_project)
    with session:
        session.pipelines_definitions["only_good"]()
        (typo_project / "good.json").unlink()
        with pytest.raises(CatalogError, match=r"make_report.*'report'.*'jsno'"):
            session.pipelines_definitions["both"]()
    assert not (typo_project / "good.json").exists()  # make_good did not run


def test_the_cli_reports_the_unknown_type_in_one_message(typo_project, capsys) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli(["-p", str(typo_project), "run", "only_good"]) == 0
        assert cli(["-p", str(typo_project), "run", "both"]) == 2
    err = capsys.readouterr().err
    assert "'jsno'" in err and "Traceback" not in err


def test_a_craft_alone_using_an_unknown_type_fails_before_its_work(typo_project) -> None:
    calls = []

    @Craft()
    def write() -> Artifact("report"):
        calls.append(1)
        return [1]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = Session(root_folder=typo_project)
    with session, pytest.raises(CatalogError, match="'jsno'"):
        write()
    assert calls == []
