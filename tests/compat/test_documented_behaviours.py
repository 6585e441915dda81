"""Behaviours the original's README documents, exercised as its examples write them."""

from __future__ import annotations

import pickle
from typing import Any, Optional

import pytest
from pydantic.dataclasses import dataclass

from statisfactory import Artifact, Craft, Pipeline, Session, Volatile
from statisfactory.IO import ArtifactInteractor
from statisfactory.session import BaseSession

CATALOG = """
- name: testDataset
  type: pickle
  # PIPELINE is a statically defined value, pulled from globals|locals by Jinja2
  extra:
    path: '20_transformed/{{ PIPELINE }}/testDataset.pkl'
- name: masterFile
  type: pickle
  extra:
    path: 's3://{{ base_bucket }}/10_raw/{{ datastore.database }}.pkl'
"""

GLOBALS = """
PIPELINE: alpha
base_bucket: my-bucket
datastore: {database: warehouse}
my_custom_variable: 42
"""


def test_settings_keep_the_spelling_the_templates_use(original_session) -> None:
    sess = original_session({"configuration/globals.yml": GLOBALS, "catalog/c.yaml": CATALOG})

    assert (
        sess.catalog.artifacts["testDataset"].extra["path"]
        == "20_transformed/alpha/testDataset.pkl"
    )
    assert (
        sess.catalog.artifacts["masterFile"].extra["path"] == "s3://my-bucket/10_raw/warehouse.pkl"
    )
    assert sess.settings["PIPELINE"] == "alpha"
    assert sess.settings["my_custom_variable"] == 42


def test_a_session_hook_stores_user_data_by_key(original_project) -> None:
    class HookedSession(BaseSession):
        pass

    @HookedSession.hook_post_init()
    def print_and_set_param(sess: BaseSession) -> BaseSession:
        sess._["value"] = sess.settings["my_custom_variable"]
        return sess

    root = original_project({"configuration/globals.yml": GLOBALS})
    sess = HookedSession(root_folder=str(root))

    assert sess._["value"] == 42
    assert sess._.value == 42  # the same data, as an attribute
    assert "value" in sess._
    assert isinstance(Session(root_folder=str(root))._, type(sess._))


def test_get_session_inside_a_craft_launches_a_pipeline(original_project) -> None:
    root = original_project(
        {
            "lib/training.py": """
                from statisfactory import Craft, Session, Volatile


                @Craft()
                def double(data) -> Volatile("doubled"):  # a run parameter, not a volatile
                    return data * 2


                @Craft()
                def start_training_pipeline(inner_pipeline_name="default") -> Volatile("out"):
                    sess = Session.get_session()
                    pipeline = sess.pipelines_definitions[inner_pipeline_name]
                    return pipeline(data=21)
                """,
            "pipelines/definitions.yml": "default:\n  +operators: [training.double]\n",
        }
    )
    sess = Session(root_folder=str(root))
    import training

    with sess:
        assert Session.get_session() is sess
        assert training.start_training_pipeline() == {"doubled": 42}


def test_a_pipeline_named_by_its_first_argument(original_session) -> None:
    @Craft()
    def add_col() -> Volatile("augmentedFile"):
        return [1]

    @Craft()
    def show_top(augmentedFile: Volatile) -> Volatile("top"):
        return augmentedFile[:1]

    p = Pipeline("A pipeline named Désir") + add_col + show_top

    assert p.name == "A pipeline named Désir"
    assert "Désir" in repr(p) or "Désir" in str(p)
    with original_session():
        assert p()["top"] == [1]


def test_registered_interactors_are_listed(original_session) -> None:
    before = ArtifactInteractor.interactors()
    assert {"csv", "pickle", "binary", "odbc", "feather", "xslx"} <= set(before)

    class Foobar(ArtifactInteractor, interactor_name="compat_foobarer"):
        @dataclass
        class Extra:
            egg: int
            ham: Optional[int] = 0  # noqa: UP045 - the original's spelling

        def load(self, **kwargs) -> Any:
            return self.artifact.extra.egg

        def save(self, asset: Any, **kwargs) -> None:
            pass

    assert ArtifactInteractor.interactors()["compat_foobarer"] is Foobar
    assert set(before) < set(ArtifactInteractor.interactors())


def test_the_documented_aws_key_names_configure_s3(original_session) -> None:
    pytest.importorskip("boto3")
    sess = original_session(
        {
            "configuration/locals.yml": """
                AWS_ACCESS_KEY: AKIAEXAMPLE
                AWS_SECRET_KEY: not-a-real-secret
                AWS_REGION: eu-west-1
                """
        }
    )

    credentials = sess.aws_session.get_credentials()
    assert credentials.access_key == "AKIAEXAMPLE"
    assert credentials.secret_key == "not-a-real-secret"


def test_tldr_absolute_paths_and_dynamic_values(original_session, tmp_path) -> None:
    folder = tmp_path / "foobar"
    sess = original_session(
        {
            "catalog/c.yaml": f"""
                - name: coeffs
                  type: pickle
                  extra:
                    path: {folder}/out/coeff_!{{samples}}.pkl
                """
        }
    )

    @Craft()
    def build(samples: int = 500) -> Volatile("reg"):
        return list(range(samples))

    @Craft()
    def save_coeff(reg: Volatile) -> Artifact("coeffs"):
        return len(reg)

    p = save_coeff + build
    with sess:
        p(samples=5)
        p(samples=3)

    assert sess.catalog.load("coeffs", samples=5) == 5
    assert pickle.loads((folder / "out" / "coeff_3.pkl").read_bytes()) == 3


# --- the changes "How it differs" lists, and that each one-line migration works ---------------
def test_relative_paths_start_at_the_project_root(original_session, tmp_path, monkeypatch) -> None:
    sess = original_session(
        {"catalog/c.yaml": "- name: coeffs\n  type: pickle\n  extra: {path: out/coeffs.pkl}\n"}
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    sess.catalog.save("coeffs", [1])

    assert (sess.root / "out" / "coeffs.pkl").is_file()
    assert not (elsewhere / "out").exists()


def test_an_unproduced_volatile_is_an_error_and_a_plain_parameter_the_migration() -> None:
    from statisfactory.errors import PipelineError

    @Craft()
    def use(data: Volatile) -> Volatile("used"):
        return data

    @Craft()
    def migrated(data) -> Volatile("used"):
        return data

    with pytest.raises(PipelineError, match=r"needs volatile 'data'"):
        Pipeline(use).batches

    assert [[c.name for c in batch] for batch in Pipeline(migrated).batches] == [["migrated"]]


def test_parameter_tags_are_read_apart(original_session) -> None:
    sess = original_session({"pipelines/parameters.yaml": "base:\n  +tags: [x]\n  seed: 1\n"})

    assert sess.parameters["base"] == {"seed": 1}
    assert sess.parameters.tags("base") == ("x",)


def test_plus_leaves_its_operands_and_plus_equals_extends() -> None:
    @Craft()
    def craft_1() -> Volatile("a"):
        return 1

    @Craft()
    def craft_2(a: Volatile) -> Volatile("b"):
        return a

    p1 = Pipeline() + craft_1
    x = p1 + craft_2
    assert len(p1) == 1 and len(x) == 2
    p1 += craft_2
    assert len(p1) == 2
