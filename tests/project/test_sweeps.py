"""Sweeps in parameter sets: +grid and +zip members, their names, and the mistakes refused."""

import pytest
from test_parameters import write

from statisfactory.errors import SweepError, UnknownParameterSetError
from statisfactory.project.parameters import load_parameters

SETS = """
    base:
      n: 5
      models.fit: {alpha: 0.5, beta: 2}
    models_grid:
      +from: [base]
      +tags: [sweep]
      +grid: {model: [ridge, lasso], models.fit: {alpha: [0.1, 1.0]}}
    seeds:
      +from: [base]
      +zip: {seed: [1, 2], split.test: {size: [0.2, 0.3]}}
    both:
      +grid: {model: [a, b]}
      +zip: {seed: [1, 2], other.seed: [3, 4]}
    """


def test_a_grid_is_the_product_named_in_declaration_order(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": SETS}), {})
    assert sets.members("models_grid") == [
        "models_grid[model=ridge,alpha=0.1]",
        "models_grid[model=ridge,alpha=1.0]",
        "models_grid[model=lasso,alpha=0.1]",
        "models_grid[model=lasso,alpha=1.0]",
    ]
    assert sets["models_grid[model=lasso,alpha=1.0]"] == {
        "n": 5,
        "model": "lasso",
        "models.fit": {"alpha": 1.0, "beta": 2},
    }
    assert sets["models_grid"] == {"n": 5, "models.fit": {"alpha": 0.5, "beta": 2}}
    assert sets.tags("models_grid[model=ridge,alpha=0.1]") == ("sweep",)
    assert sets.sweep("models_grid").size == 4 and sets.sweep("base") is None
    assert sets.members("base") == []


def test_a_zip_pairs_and_an_ambiguous_key_is_named_whole(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": SETS}), {})
    assert sets.members("seeds") == ["seeds[seed=1,size=0.2]", "seeds[seed=2,size=0.3]"]
    assert sets["seeds[seed=2,size=0.3]"]["split.test"] == {"size": 0.3}
    assert sets.members("both") == [
        "both[model=a,seed=1,other.seed=3]",
        "both[model=a,seed=2,other.seed=4]",
        "both[model=b,seed=1,other.seed=3]",
        "both[model=b,seed=2,other.seed=4]",
    ]


def test_an_unknown_member_names_the_sweep(tmp_path):
    sets = load_parameters(write(tmp_path, {"sets.yaml": SETS}), {})
    with pytest.raises(UnknownParameterSetError, match="no member of sweep 'models_grid'"):
        sets["models_grid[model=svm,alpha=0.1]"]


@pytest.mark.parametrize(
    ("body", "message", "key"),
    [
        ("+grid: {model: []}", "key 'model' has an empty list", "model"),
        ("+grid: {m.fit: {alpha: []}}", "key 'm.fit.alpha' has an empty list", "m.fit.alpha"),
        ("+grid: {seed: [1]}\n  +zip: {seed: [2]}", r"'seed' is in both \+grid and \+zip", "seed"),
        ("+zip: {a: [1, 2], b: [1]}", r"one length, to be paired \(a: 2, b: 1\)", "a"),
        ("+grid: {model: ridge}", "key 'model' must be a list of values", "model"),
        ("+grid: [1, 2]", r"\+grid must be a mapping", "+grid"),
        ("+grid: {}", "sweeps no key", None),
    ],
)
def test_a_malformed_sweep_names_the_file_the_set_and_the_key(tmp_path, body, message, key):
    sets = load_parameters(write(tmp_path, {"sets.yaml": f"ok: {{}}\nbad:\n  {body}\n"}), {})
    assert sets["ok"] == {}  # the others stay usable
    with pytest.raises(SweepError, match=message) as caught:
        sets["bad"]
    assert "sets.yaml: parameter set 'bad'" in str(caught.value)
    assert caught.value.key == key


def test_a_members_name_gives_its_axes_in_declaration_order():
    from statisfactory.project.sweeps import member_labels

    assert member_labels("grid[model=ridge,alpha=0.1]") == ["model", "alpha"]
    assert member_labels("g[fit.alpha=1,ids=[1, 2]]") == ["fit.alpha", "ids"]
    assert member_labels("base") == []
