"""``!{var}``, ``!!`` and ``+{ literal }+``: resolved per call, safely."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_files import make_catalog

from statisfactory.errors import InterpolationError


def test_dynamic_variables_choose_the_file(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: model, type: pickle, extra: {path: 'models/!{family}/coef_!{n}.pkl'}}]"
    )
    catalog.save("model", "small", family="ridge", n=100)
    catalog.save("model", "large", family="ridge", n=500)
    assert (tmp_path / "models/ridge/coef_100.pkl").is_file()
    assert catalog.load("model", family="ridge", n=100) == "small"
    assert catalog.load("model", family="ridge", n=500) == "large"
    assert catalog.locate("model", family="lasso", n=1) == str(tmp_path / "models/lasso/coef_1.pkl")


def test_double_bang_is_a_literal_bang(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: loud, type: text, extra: {path: 'notes/wow!!{x}.txt'}}]"
    )
    catalog.save("loud", "hi")
    assert (tmp_path / "notes/wow!{x}.txt").read_text() == "hi"


def test_a_missing_variable_names_the_artifact_and_the_variable(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: model, type: pickle, extra: {path: 'm_!{n_samples}.pkl'}}]"
    )
    with pytest.raises(InterpolationError, match=r"'model'.*'n_samples' is missing"):
        catalog.load("model", other=1)
    with pytest.raises(InterpolationError, match="'n_samples'"):
        catalog.save("model", 1)


def test_a_literal_expression_gives_a_python_value(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: sample
          type: csv
          extra: {path: data/s.csv}
          load_options: {nrows: "+{ !{rows} }+", usecols: "+{ ['a', 'b'] }+"}
        """,
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data/s.csv").write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    frame = catalog.load("sample", rows=2)
    assert list(frame.columns) == ["a", "b"] and len(frame) == 2


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('touch {marker}')",
        "open('{marker}', 'w')",
        "(lambda: open('{marker}', 'w'))()",
        "[x for x in ().__class__.__base__.__subclasses__()]",
    ],
)
def test_a_literal_expression_never_runs_code(tmp_path: Path, expression: str):
    marker = tmp_path / "pwned"
    code = expression.format(marker=marker).replace("'", "''")
    catalog = make_catalog(
        tmp_path,
        f"""
        - name: thing
          type: csv
          extra: {{path: data/t.csv}}
          load_options: {{nrows: '+{{ {code} }}+'}}
        """,
    )
    with pytest.raises(InterpolationError, match="not a Python literal"):
        catalog.load("thing")
    assert not marker.exists()


def test_a_dynamic_value_cannot_smuggle_code_into_a_literal(tmp_path: Path):
    marker = tmp_path / "pwned"
    catalog = make_catalog(
        tmp_path,
        "[{name: t, type: csv, extra: {path: t.csv}, load_options: {nrows: '+{ !{n} }+'}}]",
    )
    with pytest.raises(InterpolationError):
        catalog.load("t", n=f"__import__('os').system('touch {marker}')")
    assert not marker.exists()


@pytest.mark.parametrize("value", ["../escaped", "/etc/passwd", "a/../../b", "~", "..", "x/.."])
def test_a_dynamic_value_cannot_leave_the_declared_folder(tmp_path: Path, value):
    catalog = make_catalog(
        tmp_path, "[{name: out, type: text, extra: {path: 'data/runs/!{run}.txt'}}]"
    )
    with pytest.raises(InterpolationError, match="'out'.*leave"):
        catalog.save("out", "x", run=value)
    assert not any(tmp_path.rglob("*.txt"))


def test_values_that_combine_into_a_parent_folder_are_refused(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: out, type: text, extra: {path: 'data/.!{a}/x.txt'}}]")
    with pytest.raises(InterpolationError, match="leave its declared folder"):
        catalog.save("out", "x", a=".")


def test_sub_folders_inside_the_declared_folder_are_allowed(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: out, type: text, extra: {path: 'data/!{day}/x.txt'}}]"
    )
    catalog.save("out", "x", day="2024/01/31")
    assert (tmp_path / "data/2024/01/31/x.txt").read_text() == "x"


def test_a_malformed_placeholder_is_an_error(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: out, type: text, extra: {path: 'data/!{not a name}.txt'}}]"
    )
    with pytest.raises(InterpolationError, match="not a variable name"):
        catalog.save("out", "x")


def test_static_jinja_is_rendered_when_the_catalog_is_read(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        {% for split in ["train", "test"] %}
        - name: {{ split }}
          type: text
          extra: {path: "{{ data_folder }}/{{ split }}.txt"}
        {% endfor %}
        """,
        variables={"data_folder": "datasets"},
    )
    assert list(catalog.artifacts) == ["train", "test"]
    assert catalog.locate("test") == str(tmp_path / "datasets/test.txt")


def test_a_literal_longer_than_the_limit_is_refused_before_it_is_parsed(tmp_path: Path):
    from statisfactory.IO.interpolation import LITERAL_LIMIT

    catalog = make_catalog(
        tmp_path,
        "[{name: t, type: csv, extra: {path: t.csv}, load_options: {usecols: '+{ !{cols} }+'}}]",
    )
    columns = repr(list(range(LITERAL_LIMIT)))

    with pytest.raises(InterpolationError) as caught:
        catalog.load("t", cols=columns)

    message = str(caught.value)
    assert "artifact 't'" in message and "load_options.usecols" in message
    assert f"longer than {LITERAL_LIMIT:,} characters" in message and len(message) < 400
