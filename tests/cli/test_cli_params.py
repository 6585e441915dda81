"""``--param`` parsing and merging into a parameter set."""

from __future__ import annotations

import pytest

from statisfactory.cli.params import ParamOverride, apply_overrides, parse_param
from statisfactory.errors import ConfigurationError

CRAFTS = [("models.fit", "fit"), ("data.split", "split")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpha=0.5", ParamOverride(None, "alpha", 0.5)),
        ("flag=true", ParamOverride(None, "flag", True)),
        ("name=ridge", ParamOverride(None, "name", "ridge")),
        ("name='007'", ParamOverride(None, "name", "007")),
        ("models=[a, b]", ParamOverride(None, "models", ["a", "b"])),
        ("url=http://x/?a=b", ParamOverride(None, "url", "http://x/?a=b")),
        ("empty=", ParamOverride(None, "empty", "")),
        ("fit:alpha=2", ParamOverride("fit", "alpha", 2)),
        ("models.fit:alpha=2", ParamOverride("models.fit", "alpha", 2)),
    ],
)
def test_parse_param(text: str, expected: ParamOverride) -> None:
    assert parse_param(text) == expected


@pytest.mark.parametrize("text", ["alpha", "=1", "fit:=1", ":alpha=1", "x={unclosed"])
def test_malformed_params_name_the_option(text: str) -> None:
    with pytest.raises(ConfigurationError, match="--param"):
        parse_param(text)


def test_overrides_join_the_entry_the_set_already_has_for_that_craft() -> None:
    base = {"alpha": 1, "models.fit": {"alpha": 0.5, "l1": 0.1}}
    merged = apply_overrides(
        base,
        [parse_param("fit:alpha=5"), parse_param("seed=3"), parse_param("split:ratio=0.2")],
        CRAFTS,
    )

    assert merged == {
        "alpha": 1,
        "seed": 3,
        "models.fit": {"alpha": 5, "l1": 0.1},
        "split": {"ratio": 0.2},
    }
    assert base["models.fit"]["alpha"] == 0.5  # the set itself is untouched


def test_later_overrides_win() -> None:
    merged = apply_overrides({}, [parse_param("a=1"), parse_param("a=2")], CRAFTS)
    assert merged == {"a": 2}


def test_unknown_craft_suggests_close_names() -> None:
    with pytest.raises(ConfigurationError, match="Did you mean fit"):
        apply_overrides({}, [parse_param("fitt:alpha=1")], CRAFTS)


def test_a_craft_entry_that_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="not to a mapping"):
        apply_overrides({"fit": 3}, [parse_param("fit:alpha=1")], CRAFTS)


def test_a_malformed_secret_value_is_not_shown() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_param("fit:api_token=[s3cr3t-value-42")

    assert "s3cr3t" not in str(caught.value)
    assert str(caught.value).startswith("--param 'fit:api_token=***', line ")


SPLIT = {
    "lib/split/__init__.py": "",
    "lib/split/crafts.py": """
        from statisfactory import Artifact, Craft


        @Craft()
        def split_data(random_state: int = 0) -> Artifact("split"):
            return {"seed": random_state}


        @Craft()
        def evaluate(split: Artifact, random_state: int = 0) -> Artifact("metrics"):
            return {"seed": split["seed"]}
    """,
    "catalog/catalog.yaml": """
        - {name: split, type: json, extra: {path: "data/split.json"}}
        - {name: metrics, type: json, extra: {path: "data/metrics_rs!{random_state}.json"}}
    """,
    "pipelines/definitions/pipelines.yaml": """
        model:
          +operators: [split.crafts.split_data, split.crafts.evaluate]
    """,
}


def test_a_craft_scoped_override_of_a_path_key_is_warned_about_before_the_run(
    project_factory,
) -> None:
    from shop_project import statisfactory

    project = project_factory(SPLIT, name="split")
    scoped = statisfactory(
        "run",
        "model",
        "--param",
        "random_state=3",
        "--param",
        "split_data:random_state=7",
        "--dry-run",
        cwd=project,
    )
    assert scoped.returncode == 0, scoped.stderr
    assert "--param split_data:random_state=7 applies to split_data only" in scoped.stderr
    assert "metrics (by split.crafts.evaluate)" in scoped.stderr
    assert "split (by" not in scoped.stderr  # no !{random_state} in its path
    shared = statisfactory("run", "model", "--param", "random_state=7", "--dry-run", cwd=project)
    assert "Warning" not in shared.stderr
