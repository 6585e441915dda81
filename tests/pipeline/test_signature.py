"""A craft's signature is read from its code object as ``inspect.signature`` reads it.

No ``from __future__ import annotations`` here: markers are objects, and strings where quoted."""

import functools
import inspect

import pytest

from statisfactory.errors import CraftError
from statisfactory.pipeline.markers import Artifact, Volatile
from statisfactory.pipeline.signature import _parameters, read_signature


def plain(a, b: int = 2, *rest, c, d: Volatile = 4, **more) -> Artifact("out"):
    return a


def only_keywords(*, x: Artifact, y: Volatile("v")) -> None:
    return None


def no_parameters():
    return 1


def string_annotations(a: "Artifact", b: "Volatile('other')" = 1) -> "Volatile('w')":
    return a


def wrapper(function):
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        return function(*args, **kwargs)

    return wrapped


CASES = [plain, only_keywords, no_parameters, string_annotations, wrapper(plain)]
CASES += [functools.partial(plain, 1), lambda q, r=3: q]


@pytest.mark.parametrize("function", CASES, ids=lambda f: getattr(f, "__name__", "partial"))
def test_parameters_are_those_inspect_reads(function) -> None:
    signature = inspect.signature(function)
    expected = [(p.name, p.kind, p.default, p.annotation) for p in signature.parameters.values()]
    assert _parameters(function, "craft") == (expected, signature.return_annotation)


def test_the_signature_of_a_plain_function() -> None:
    read = read_signature(plain, "mod.plain")
    assert read.keywords == (
        ("a", inspect.Parameter.empty),
        ("b", 2),
        ("c", inspect.Parameter.empty),
    )
    assert read.volatiles == (("d", "d", True),)
    assert read.var_keyword == "more"
    assert read.positional == ("a", "b")
    assert read.parameters == {"a", "b", "c", "d"}
    assert [o.name for o in read.outputs] == ["out"]


def test_a_positional_only_parameter_is_an_error_naming_the_craft() -> None:
    def positional(a, /, b):
        return a

    with pytest.raises(
        CraftError, match=r"Craft 'mod.positional': parameter 'a' is positional-only"
    ):
        read_signature(positional, "mod.positional")
