"""The original's parameter sets (``pipelines/parameters.yaml``), as its README documents them."""

from __future__ import annotations

import pytest

from statisfactory.errors import ParametersError

# The README's high-ground example: two files of a parameters folder.
HIGH_GROUND = {
    "pipelines/configurations/base.yaml": """
        base_config:
          foo:
            param_1: anakin
        """,
    "pipelines/configurations/base.overriding.yaml": """
        base_config:
          +precedence: 0
          foo:
            param_1: obiwan
        """,
}

TABLE_WITH_A_FOLDER = """\
[tool.statisfactory]
project_slug = "exemple"
configuration = "configuration"
catalog = "catalog"
parameters = "pipelines/configurations"
"""


def test_an_explicit_precedence_beats_the_default_of_ten(original_session) -> None:
    sess = original_session(HIGH_GROUND, table=TABLE_WITH_A_FOLDER)

    assert sess.parameters["base_config"] == {"foo": {"param_1": "obiwan"}}  # the high ground


def test_an_explicit_ten_against_the_default_is_a_tie(original_session) -> None:
    files = dict(HIGH_GROUND)
    files["pipelines/configurations/base.overriding.yaml"] = "base_config: {+precedence: 10}\n"

    parameters = original_session(files, table=TABLE_WITH_A_FOLDER).parameters
    with pytest.raises(ParametersError, match=r"same \+precedence \(10\)"):
        parameters["base_config"]  # a broken set is an error when used


def test_the_original_override_spelling_is_accepted(original_session) -> None:
    sess = original_session(
        {
            "pipelines/parameters.yaml": """
                base_predict:
                  shared_param_1: foo
                  jupyter.modelisation.prediction.step_predict: {a: 1, b: 2}
                custom_predict:
                  +from: [base_predict]
                  +merge: overide
                  jupyter.modelisation.prediction.step_predict: {a: 3}
                """
        }
    )

    assert sess.parameters["custom_predict"] == {
        "shared_param_1": "foo",
        "jupyter.modelisation.prediction.step_predict": {"a": 3},
    }
