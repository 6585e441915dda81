"""Parameter sets: inheritance, merge strategies, precedence, tags, Jinja and errors."""

import pytest

from statisfactory.errors import ConfigurationError, ParametersError
from statisfactory.project.parameters import load_parameters

BASE = """
    base:
      shared_param: 1
      models.fit: {alpha: 0.5, beta: 2}
    ridge_strong:
      +from: [base]
      +precedence: 10
      +tags: [ridge]
      models.fit: {alpha: 5}
    flat:
      +from: base
      +merge: override
      models.fit: {alpha: 7}
    """


def write(tmp_path, files):
    import textwrap

    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_inheritance_merges_recursively_by_default_and_tags_are_apart(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": BASE}), {})
    assert sets.names() == ["base", "ridge_strong", "flat"]
    assert sets["base"] == {"shared_param": 1, "models.fit": {"alpha": 0.5, "beta": 2}}
    assert sets["ridge_strong"] == {"shared_param": 1, "models.fit": {"alpha": 5, "beta": 2}}
    assert sets.tags("ridge_strong") == ("ridge",)
    assert sets.tags("base") == ()


def test_override_replaces_top_level_keys(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": BASE}), {})
    assert sets["flat"] == {"shared_param": 1, "models.fit": {"alpha": 7}}


def test_several_parents_apply_in_order_then_own_keys(tmp_path):
    text = """
        a: {x: 1, y: 1, nested: {p: 1}}
        b: {y: 2, nested: {q: 2}}
        child:
          +from: [a, b]
          x: 3
        """
    sets = load_parameters(write(tmp_path, {"sets.yaml": text}), {})
    assert sets["child"] == {"x": 3, "y": 2, "nested": {"p": 1, "q": 2}}


def test_returned_sets_are_copies(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": BASE}), {})
    sets["base"]["models.fit"]["alpha"] = 100
    assert sets["base"]["models.fit"]["alpha"] == 0.5
    assert sets["ridge_strong"]["models.fit"]["alpha"] == 5


def test_folder_files_are_rendered_with_jinja(tmp_path):
    folder = write(
        tmp_path,
        {
            "params/a.yaml": "first: {size: {{ default_size }}}\n",
            "params/sub/b.yml": "second: {+from: first, label: '{{ label }}'}\n",
        },
    )
    sets = load_parameters(folder / "params", {"default_size": 10, "label": "x"})
    assert sets["second"] == {"size": 10, "label": "x"}
    assert sets.source("second") == folder / "params" / "sub" / "b.yml"


def test_lowest_precedence_wins_across_files(tmp_path):
    folder = write(
        tmp_path,
        {
            "p/a.yaml": "run: {+precedence: 5, size: 1}\n",
            "p/b.yaml": "run: {+precedence: -1, size: 2}\n",
            "p/c.yaml": "run: {+precedence: 3, size: 3}\n",
        },
    )
    assert load_parameters(folder / "p", {})["run"] == {"size": 2}


def test_none_means_no_sets():
    sets = load_parameters(None, {})
    assert len(sets) == 0 and sets.names() == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: {+from: [ghost]}\n", r"sets.yaml: parameter set 'a' has \+from 'ghost'"),
        (
            "a: {+from: b}\nb: {+from: c}\nc: {+from: a}\n",
            r"sets.yaml: parameter set 'a' inherits from itself.*a -> b -> c -> a",
        ),
        ("a: {+merge: deep}\n", r"sets.yaml: parameter set 'a': \+merge is 'deep'.*override"),
        ("a: [1, 2]\n", r"sets.yaml: parameter set 'a' must be a mapping.*got a list"),
        ("a: {+precedence: high}\n", r"parameter set 'a': \+precedence must be an integer"),
        ("a: {+form: [b]}\n", r"parameter set 'a': unknown key\(s\) \['\+form'\]"),
        ("a: {+tags: 3}\n", r"\+tags must be a name or a list"),
    ],
)
def test_errors_name_the_file_and_the_set(tmp_path, text, message):
    sets = load_parameters(write(tmp_path, {"sets.yaml": text}), {})  # a broken set loads
    assert "a" in sets.names()
    with pytest.raises(ParametersError, match=message):
        sets["a"]  # and is an error when used
    assert sets.error("a") is not None


def test_a_broken_set_leaves_the_others_usable(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": "a: {+from: [ghost]}\nb: {x: 1}\n"}), {})

    assert sets["b"] == {"x": 1} and sets.error("b") is None
    with pytest.raises(ParametersError, match="ghost"):
        sets["a"]


def test_equal_precedence_duplicates_name_both_files(tmp_path):
    folder = write(tmp_path, {"p/a.yaml": "run: {size: 1}\n", "p/b.yaml": "run: {size: 2}\n"})
    sets = load_parameters(folder / "p", {})
    with pytest.raises(ParametersError, match=r"'run' is declared in .*a.yaml and in .*b.yaml"):
        sets["run"]


def test_unknown_set_name_lists_close_ones(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": BASE}), {})
    with pytest.raises(ParametersError, match=r"No parameter set named 'bse'. Did you mean base"):
        sets["bse"]
    assert "bse" not in sets


def test_undefined_jinja_variable_names_the_file(tmp_path):
    with pytest.raises(ConfigurationError, match=r"sets.yaml.*undefined_thing"):
        load_parameters(write(tmp_path, {"sets.yaml": "a: {x: {{ undefined_thing }}}\n"}), {})


def test_the_session_exposes_the_project_sets(session_factory):
    session = session_factory({"pipelines/parameters/sets.yaml": BASE})
    assert session.parameters["ridge_strong"]["models.fit"]["alpha"] == 5
    assert session.parameters.tags("ridge_strong") == ("ridge",)


def test_a_file_that_is_no_mapping_is_an_error_when_read(tmp_path):
    with pytest.raises(ParametersError, match=r"sets.yaml: a parameters file is a mapping"):
        load_parameters(write(tmp_path, {"sets.yaml": "- a\n"}), {})
