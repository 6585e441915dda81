"""Values built from the parser's events: the same as from nodes, or left to the nodes."""

from __future__ import annotations

import datetime

import pytest
import yaml

from statisfactory.errors import ConfigurationError
from statisfactory.project import yaml_loader
from statisfactory.project.templating import parse_yaml
from statisfactory.project.yaml_events import UNSURE, build_from_events
from statisfactory.project.yaml_loader import DEPTH_LIMIT, BoundedLoader, _load_from_nodes

pytestmark = pytest.mark.skipif(
    not hasattr(yaml, "CSafeLoader"), reason="the event builder reads the C parser's events"
)

BUILT_FROM_EVENTS = [
    "",
    "---\n",
    "plain\n",
    "'quoted'\n",
    "- name: table_1\n  type: parquet\n  extra: {path: 'data/table_1.parquet'}\n",
    "train:\n  type: csv\n  extra:\n    path: data/!{run}/train.csv\n    sep: ';'\n",
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: 0x1F\ng: 1_000\nh: .inf\ni: '1'\nj: \"yes\"\n",
    "k: 2024-01-02\nl: 2024-01-02 03:04:05\nm: [1, 2, [3, [4]], {n: o}]\n",
    "1: one\n2.5: two\nnull: three\nfalse: four\nw: [0, false, null, '', 0, false, null]\n",
    'p: ! 12\nq: {}\nr: []\ns: [{}, []]\nv: ! "12"\n',
    "t: |\n  line one\n  line two\nu: >\n  folded\n  text\n",
    "path: a&b.csv\nquery: '?x=1&y=2'\n",
    "- [a, b]\n- - c\n  - d\n",
]


@pytest.mark.parametrize("text", BUILT_FROM_EVENTS)
def test_the_events_give_the_values_the_nodes_give(text):
    from_events = build_from_events(BoundedLoader(text))

    assert from_events is not UNSURE
    assert from_events == _load_from_nodes(text, anchored=False)
    assert type(from_events) is type(_load_from_nodes(text, anchored=False))


def test_equal_plain_texts_give_equal_values_of_the_same_type():
    value = build_from_events(BoundedLoader("a: [1, 1, 2024-01-02, 2024-01-02, x, x]\n"))

    assert value == {"a": [1, 1, datetime.date(2024, 1, 2), datetime.date(2024, 1, 2), "x", "x"]}


LEFT_TO_THE_NODES = {
    "anchor and alias": "a: &x [1]\nb: *x\n",
    "explicit tag on a scalar": "a: !!str 12\n",
    "explicit tag on a collection": "a: !!set {x: null}\n",
    "unknown tag": "a: !custom 12\n",
    "merge key": "a: {<<: {b: 1}, c: 2}\n",
    "key written twice": "a: 1\na: 2\n",
    "keys equal once read": "1: a\n0x1: b\n",
    "collection as a key": "? [a, b]\n: c\n",
    "an integer too long": "a: " + "9" * 5000 + "\n",
    "a date that is none": "a: 2024-13-45\n",
    "second document": "a: 1\n---\nb: 2\n",
    "nested too deep": "[" * (DEPTH_LIMIT + 1) + "]" * (DEPTH_LIMIT + 1) + "\n",
}


@pytest.mark.parametrize("text", LEFT_TO_THE_NODES.values(), ids=LEFT_TO_THE_NODES.keys())
def test_what_the_events_do_not_settle_is_left_to_the_nodes(text):
    assert build_from_events(BoundedLoader(text)) is UNSURE


def test_a_refusal_met_by_the_events_keeps_its_message_from_the_nodes():
    text = "train:\n  type: csv\n  extra:\n    path: a.csv\n    path: b.csv\n"

    with pytest.raises(ConfigurationError, match=r"lines 4 and 5: the key 'path' is written twice"):
        parse_yaml(text, source="catalog.yaml")


def test_a_syntax_error_is_the_parsers_own():
    with pytest.raises(ConfigurationError, match=r"f.yaml, line 2, column \d+: invalid YAML"):
        parse_yaml("a: [1, 2\nb: 3\n", source="f.yaml")


def test_a_large_plain_catalog_is_built_from_the_events():
    text = "".join(
        f"- name: table_{i}\n  type: parquet\n  extra: {{path: 'data/table_{i}.parquet'}}\n"
        for i in range(2_000)
    )

    value = build_from_events(BoundedLoader(text))

    assert value is not UNSURE
    assert value == _load_from_nodes(text, anchored=False)


def test_a_merge_key_written_as_a_value_is_refused_as_pyyaml_refuses_it():
    assert build_from_events(BoundedLoader("a: <<\n")) is UNSURE
    with pytest.raises(ConfigurationError, match="could not determine a constructor"):
        parse_yaml("a: <<\n", source="f.yaml")


MISUSE = [
    "a: *undefined\n",
    "path: !{run}/x\n",
    "a:\n\tb: 1\n",
    "a: [1, 2\n",
    "- a\nb: c\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: !!binary aGVsbG8=\n",
    "{a: 1, a: 1}",
    "---\n---\n",
    "a: b: c",
    "'a': 1\na: 2\n",
]


def _outcome(text: str) -> tuple[str, object]:
    try:
        return "value", parse_yaml(text, source="f.yaml")
    except ConfigurationError as error:
        return "error", str(error)


@pytest.mark.parametrize("text", MISUSE)
def test_misuse_reads_as_through_the_nodes_alone(text, monkeypatch):
    through_events = _outcome(text)
    monkeypatch.setattr(yaml_loader, "_Base", yaml.SafeLoader)  # turns the event builder off

    assert through_events == _outcome(text)
