"""The YAML loader of every project file: duplicate keys, deep nesting and alias bombs refused."""

from __future__ import annotations

import pytest

from statisfactory.errors import ConfigurationError
from statisfactory.project.templating import parse_yaml
from statisfactory.project.yaml_loader import DEPTH_LIMIT, EXPANSION_LIMIT


def bomb(width: int = 9, levels: int = 8) -> str:
    """A "billion laughs": each level repeats the previous one ``width`` times (9⁸ leaves)."""
    lines = ["l0: &l0 [" + ",".join(["x"] * width) + "]"]
    lines += [
        f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)
    ]
    return "\n".join(lines) + "\n"


def test_a_key_twice_in_a_mapping_names_both_lines_and_the_key():
    text = "train:\n  type: csv\ntest:\n  type: csv\ntrain:\n  type: json\n"

    with pytest.raises(ConfigurationError) as caught:
        parse_yaml(text, source="catalog.yaml")

    message = str(caught.value)
    assert message.startswith("catalog.yaml, lines 1 and 5: the key 'train' is written twice")
    assert "rename or remove one" in message


def test_a_key_twice_inside_an_entry_is_refused_too():
    text = "train:\n  type: csv\n  extra:\n    path: a.csv\n    path: b.csv\n"

    with pytest.raises(ConfigurationError, match=r"lines 4 and 5: the key 'path' is written twice"):
        parse_yaml(text, source="catalog.yaml")


def test_a_key_twice_on_one_line_names_the_columns():
    with pytest.raises(ConfigurationError, match=r"line 1, columns 2 and 8: the key 'a'"):
        parse_yaml("{a: 1, a: 2}", source="--param")


def test_keys_that_are_equal_once_read_are_duplicates():
    with pytest.raises(ConfigurationError, match=r"lines 1 and 2: the key 1"):
        parse_yaml("1: a\n0x1: b\n", source="f.yaml")


def test_merge_keys_may_be_overridden():
    text = "base: &base {type: csv, extra: {path: a}}\nentry:\n  <<: *base\n  type: json\n"

    assert parse_yaml(text, source="f.yaml")["entry"] == {"type": "json", "extra": {"path": "a"}}


def test_ordinary_aliases_still_work():
    text = "opts: &o {sep: ';'}\na: {load_options: *o}\nb: [*o, *o]\n"

    assert parse_yaml(text, source="f.yaml") == {
        "opts": {"sep": ";"},
        "a": {"load_options": {"sep": ";"}},
        "b": [{"sep": ";"}, {"sep": ";"}],
    }


def test_an_alias_bomb_is_refused_at_once():
    text = bomb()
    assert len(text) < 400

    with pytest.raises(ConfigurationError) as caught:
        parse_yaml(text, source="params.yaml")

    assert str(caught.value).startswith("params.yaml, line ")
    assert f"repeat more than {EXPANSION_LIMIT:,} characters" in str(caught.value)


def test_a_long_string_repeated_by_aliases_counts_its_length():
    text = f"s: &s {'x' * 100_000}\nl: [{', '.join(['*s'] * 200)}]\n"

    with pytest.raises(ConfigurationError, match="repeat more than"):
        parse_yaml(text, source="f.yaml")


def test_aliases_below_the_limit_are_accepted():
    assert len(parse_yaml(bomb(levels=4), source="f.yaml")["l4"]) == 9


def test_an_alias_inside_itself_is_refused():
    with pytest.raises(ConfigurationError, match=r"f.yaml, line 1: an alias refers to the coll"):
        parse_yaml("a: &a [1, *a]\n", source="f.yaml")


@pytest.mark.parametrize("aliased", [False, True])
def test_nesting_deeper_than_the_limit_is_refused(aliased):
    depth = DEPTH_LIMIT + 1
    text = "[" * depth + "1" + "]" * depth
    if aliased:
        text = f"{{a: &a 1, b: {text}, c: *a}}"

    with pytest.raises(ConfigurationError, match=f"nested more than {DEPTH_LIMIT} levels deep"):
        parse_yaml(text, source="f.yaml")

    assert parse_yaml("[" * DEPTH_LIMIT + "]" * DEPTH_LIMIT, source="f.yaml") is not None


def test_a_jinja_loop_that_renders_too_much_stops_early(tmp_path, monkeypatch):
    from statisfactory.project import templating
    from statisfactory.project.templating import read_yaml_template

    monkeypatch.setattr(templating, "TEXT_LIMIT", 10_000)  # the same check, on a smaller text
    path = tmp_path / "catalog.yaml"
    path.write_text("{% for i in range(100000) %}- {name: a{{ i }}}\n{% endfor %}")

    with pytest.raises(ConfigurationError, match=r"catalog.yaml: the text is longer than 10,000"):
        read_yaml_template(path, {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: " + "1" * 5000, "line 2: '1111111111"),
        ("when: 2001-13-45", "line 1: '2001-13-45' cannot be read as a date"),
    ],
)
def test_a_value_that_cannot_be_built_names_its_line(text, expected):
    with pytest.raises(ConfigurationError, match=f"f.yaml, {expected}") as caught:
        parse_yaml(text, source="f.yaml")

    assert "quote it to keep it as text" in str(caught.value)


def test_text_made_of_undecodable_bytes_is_an_error():
    raw = b"x: caf\xe9".decode("utf-8", "surrogateescape")  # as Python decodes argv

    with pytest.raises(ConfigurationError, match="--param 'x', line 1: holds bytes that are not"):
        parse_yaml(raw, source="--param 'x'")


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",
        "{a: &x [1], b: *x}",
        '{"a":&x [1], "b": *x}',
        "- &x [1]\n- *x\n",
        "a:\n\t&x [1]\n",
    ],
)
def test_every_anchor_is_noticed(text):
    from statisfactory.project.yaml_loader import _ANCHOR

    assert _ANCHOR.search(text)


def test_the_tree_walk_hands_a_graph_with_aliases_to_the_expansion_check():
    from yaml.nodes import SequenceNode

    from statisfactory.project.yaml_loader import BoundedLoader, check_depth

    loader = BoundedLoader(bomb())
    root = loader.get_single_node()
    loader.dispose()
    assert isinstance(root.value[0][1], SequenceNode)

    with pytest.raises(Exception, match="repeat more than"):
        check_depth(root, len(bomb()))  # as if the anchors had gone unnoticed


@pytest.mark.parametrize(
    ("text", "expected"), [("just text", "just text"), ("&a text", "text"), ("42", 42)]
)
def test_a_document_may_be_a_single_value(text, expected):
    assert parse_yaml(text, source="f.yaml") == expected


@pytest.mark.parametrize(
    "text",
    [
        "- name: t\n  type: parquet\n  extra: {path: 'data/t.parquet'}\n",
        "a: 1\nb: 1.5\nc: true\nd: ~\ne: 2020-01-01\nf: '1'\ng: \"yes\"\nh: no\ni: ''\nj:\n",
        "a: [1, x, [y, {z: 0x1F}]]\n1: one\n? k\n: v\nnull: n\n",
        "base: {a: 1}\nchild:\n  <<: {a: 2, b: 3}\n  a: 4\n",
        "a: !!str 12\nb: !!int '7'\nc: !!binary aGVsbG8=\nd: !!set {x, y}\ne: !!omap [a: 1]\n",
        "'<<': literal\n=: value-key\n.5: half\n-1: minus\n+1: plus\n",
        "text: |\n  two\n  lines\nfolded: >\n  one\n  line\n",
    ],
)
def test_the_direct_construction_builds_what_pyyaml_builds(text):
    import yaml

    assert parse_yaml(text, source="f.yaml") == yaml.safe_load(text)


def test_a_key_twice_among_plain_strings_is_still_refused_by_the_direct_construction():
    text = "- name: a\n  extra: {path: x, path: y}\n"

    with pytest.raises(ConfigurationError, match=r"line 2, columns 11 and 20: the key 'path'"):
        parse_yaml(text, source="catalog.yaml")


def test_an_unknown_tag_is_still_an_error():
    with pytest.raises(ConfigurationError, match="f.yaml, line 1"):
        parse_yaml("a: !python/object:os.system echo\n", source="f.yaml")


def test_repeated_plain_and_quoted_scalars_keep_their_own_types():
    from statisfactory.project.yaml_loader import load_yaml

    text = "[{a: 1, b: '1', c: yes, d: 'yes'}, {a: 1, b: '1', c: yes, d: 'yes', e: ~, f: '~'}]"
    first, second = load_yaml(text)
    assert first == {"a": 1, "b": "1", "c": True, "d": "yes"}
    assert second == {**first, "e": None, "f": "~"}
