"""Digests written directly are the digests of the canonical encoding."""

from __future__ import annotations

from typing import Any

import pytest

from statisfactory.history.digests import texts_digest, value_digest


@pytest.mark.parametrize(
    ("texts", "by_name"),
    [
        (("produced", "lib.steps.fit", "model", "xxh3:ab", "xxh3:cd"), {"table": "xxh3:ef"}),
        (("a",), {"z": "1", "b": "2", "m": "3"}),  # keys sorted as the encoder sorts them
        (('é, "quoted" \\ \n\t', "日本"), {"ключ": "valeur é", 'a"b': "\u2028"}),
        ((), {}),
        (("only",), {}),
        ((), {"x": "y"}),
        (("", ""), {"": ""}),
    ],
)
def test_texts_digest_is_the_value_digest_of_the_same_list(
    texts: tuple[str, ...], by_name: dict[str, str]
) -> None:
    assert texts_digest(texts, by_name) == value_digest([*texts, by_name])


@pytest.mark.parametrize(
    ("texts", "by_name"),
    [
        (("a", None), {"x": "y"}),
        (("a",), {"x": None}),
        (("a", 1.5), {"x": [1, 2]}),
        (("a",), {"x": {"nested": True}}),
    ],
)
def test_texts_digest_of_other_values_is_their_value_digest(
    texts: tuple[Any, ...], by_name: dict[str, Any]
) -> None:
    assert texts_digest(texts, by_name) == value_digest([*texts, by_name])
