"""Crafts: how a decorated function reads its annotations, is called alone, and fails."""

import functools
import importlib
import json

import pytest

from statisfactory.errors import (
    CraftError,
    CraftOutputError,
    NoActiveSessionError,
    StatisfactoryError,
)
from statisfactory.pipeline import Artifact, Craft, Volatile

CATALOG = {
    "catalog/catalog.yaml": """
        - name: numbers
          type: json
          extra: {path: "data/numbers_!{size}.json"}
        - name: total
          type: json
          extra: {path: "data/total_!{size}.json"}
        - name: report
          type: text
          extra: {path: "data/report.txt"}
        """
}


@Craft()
def make_numbers(size: int = 3) -> Artifact("numbers"):
    return list(range(size))


@Craft
def add_up(numbers: Artifact, offset: int = 0) -> [Artifact("total"), Volatile("count")]:
    return sum(numbers) + offset, len(numbers)


@Craft()
def split(values: Volatile) -> Volatile.of("low", "high"):
    return min(values), max(values)


def test_both_decorator_forms_make_crafts_with_names_and_io():
    assert isinstance(make_numbers, Craft) and isinstance(add_up, Craft)
    assert add_up.name == "add_up"
    assert add_up.fqname == f"{__name__}.add_up"
    assert add_up.requires == ("numbers",)
    assert add_up.produces == ("total", "count")
    assert split.requires == ("values",)
    assert split.produces == ("low", "high")
    assert add_up.__doc__ is None and add_up.__wrapped__.__name__ == "add_up"


def test_named_markers_read_and_write_other_names():
    @Craft()
    def train(data: Artifact("train_set"), model: Volatile("estimator")) -> Artifact.of("m", "n"):
        return 1, 2

    assert train.requires == ("train_set", "estimator")
    assert train.produces == ("m", "n")


def test_called_alone_in_a_session_loads_saves_and_returns(session_factory):
    session = session_factory(CATALOG)
    with session:
        assert make_numbers() == [0, 1, 2]  # default size=3 fills !{size}
        assert make_numbers(size=5) == [0, 1, 2, 3, 4]
        assert add_up(size=5, offset=10) == (20, 5)
    assert json.loads((session.root / "data/numbers_3.json").read_text()) == [0, 1, 2]
    assert json.loads((session.root / "data/total_5.json").read_text()) == 20


def test_every_keyword_of_a_direct_call_is_context_even_if_not_a_parameter(session_factory):
    @Craft()
    def write_report(title: str) -> Artifact("report"):
        return title

    @Craft()
    def reread(numbers: Artifact) -> Volatile("n"):
        return numbers

    session = session_factory(CATALOG)
    with session:
        write_report(title="hello")
        make_numbers(size=2)
        # `size` is not a parameter of reread, yet it selects the file it loads
        assert reread(size=2) == [0, 1]


def test_explicit_values_bypass_loading_and_volatile_defaults_apply():
    @Craft()
    def scale(numbers: Artifact, factor: Volatile = 2) -> Volatile("scaled"):
        return [n * factor for n in numbers]

    # no session needed: the artifact is given, the volatile takes its default
    assert scale(numbers=[1, 2]) == [2, 4]
    assert scale([1, 2], factor=3) == [3, 6]
    assert split(values=[4, 1, 9]) == (1, 9)


def test_var_keyword_receives_every_key_not_bound():
    @Craft()
    def collect(a: int, **rest) -> Volatile("out"):
        return a, rest

    assert collect(a=1, b=2, c=3) == (1, {"b": 2, "c": 3})
    assert collect(a=1, self=2) == (1, {"self": 2})  # any name can be a run parameter


def test_namespaced_mapping_overrides_for_a_direct_call():
    @Craft()
    def pick(alpha: float = 1.0) -> Volatile("alpha"):
        return alpha

    assert pick(alpha=2.0, pick={"alpha": 5.0}) == 5.0


def test_string_annotations_are_resolved_in_the_function_globals(project_factory):
    from statisfactory import Session

    root = project_factory(
        {
            "lib/future_crafts.py": """
                from __future__ import annotations

                from typing import TYPE_CHECKING

                import statisfactory as sf
                from statisfactory import Artifact, Craft
                from statisfactory.pipeline import markers

                if TYPE_CHECKING:
                    import pandas as pd  # never imported at run time

                @Craft()
                def first(raw: Artifact, frame: pd.DataFrame = None) -> sf.Volatile("clean"):
                    return raw

                @Craft()
                def second(clean: markers.Volatile) -> [Artifact("out"), sf.Volatile.of("a", "b")]:
                    return clean, 1, 2
                """
        }
    )
    Session(root_folder=root)
    module = importlib.import_module("future_crafts")
    assert module.first.requires == ("raw",)
    assert module.first.produces == ("clean",)
    assert module.second.requires == ("clean",)
    assert module.second.produces == ("out", "a", "b")


def test_artifact_craft_outside_a_session_is_an_error_naming_the_craft():
    with pytest.raises(NoActiveSessionError, match="make_numbers.*with session"):
        make_numbers()


def test_missing_parameter_names_craft_and_parameter():
    @Craft()
    def needs(alpha, beta=1) -> Volatile("x"):
        return alpha

    with pytest.raises(CraftError, match=r"needs\b.*\['alpha'\]"):
        needs()


def test_missing_volatile_without_default_is_an_error():
    with pytest.raises(CraftError, match=r"split.*volatile 'values'"):
        split()


def test_return_count_differing_from_annotation_names_the_craft():
    @Craft()
    def two() -> Volatile.of("a", "b"):
        return 1

    @Craft()
    def three() -> Volatile.of("a", "b"):
        return 1, 2, 3

    with pytest.raises(CraftOutputError, match=r"two' returned a single value.*2 outputs"):
        two()
    with pytest.raises(CraftOutputError, match=r"returned 3 values"):
        three()


def test_output_artifact_not_in_catalog_fails_naming_the_craft(session_factory):
    ran = []

    @Craft()
    def lost() -> Artifact("nowhere"):
        ran.append(1)
        return 1

    with session_factory(CATALOG), pytest.raises(CraftError, match=r"lost.*nowhere") as info:
        lost()
    assert isinstance(info.value.__cause__, StatisfactoryError)
    assert ran == []  # refused before the function did its work


def test_a_craft_saving_artifacts_outside_a_session_does_not_run():
    ran = []

    @Craft()
    def produce() -> Artifact("numbers"):
        ran.append(1)
        return [1]

    with pytest.raises(NoActiveSessionError, match=r"produce.*with session"):
        produce()
    assert ran == []


def test_a_raising_function_is_a_craft_error_chaining_the_original():
    @Craft()
    def broken() -> Volatile("x"):
        raise ValueError("bad input")

    with pytest.raises(CraftError, match=r"broken' failed: ValueError: bad input") as info:
        broken()
    assert isinstance(info.value.__cause__, ValueError)


def _positional_only(a, /) -> Volatile("x"): ...
def _unnamed_output() -> Artifact: ...
def _not_a_marker() -> [Artifact("a"), int]: ...
def _two_markers(a: [Artifact("a"), Volatile("b")]): ...
def _same_output_twice() -> Volatile.of("a", "a"): ...


@pytest.mark.parametrize(
    "function, message",
    [
        (_positional_only, "positional-only"),
        (_unnamed_output, "has no name"),
        (_not_a_marker, "neither"),
        (_two_markers, "several markers"),
        (_same_output_twice, "more than once"),
    ],
)
def test_bad_declarations_fail_at_decoration(function, message):
    with pytest.raises(CraftError, match=message):
        Craft(function)


def test_hooks_run_around_a_call_and_on_error():
    events = []

    class Traced(Craft):
        pass

    @Traced.hook_pre_run()
    def before(target):
        events.append(("pre", target.name))

    @Traced.hook_post_run()
    def after(target):
        events.append(("post", target.name))

    @Traced.hook_on_error()
    def failed(target, error):
        events.append(("error", target.name, type(error).__name__))

    @Traced.hook_pre_run(last=False)
    def very_first(target):
        events.append(("first", target.name))

    @Traced()
    def ok() -> Volatile("x"):
        return 1

    @Traced()
    def ko() -> Volatile("y"):
        raise KeyError("k")

    @Craft()
    def untraced() -> Volatile("z"):
        return 0

    ok()
    untraced()
    with pytest.raises(CraftError):
        ko()
    assert events == [
        ("first", "ok"),
        ("pre", "ok"),
        ("post", "ok"),
        ("first", "ko"),
        ("pre", "ko"),
        ("error", "ko", "KeyError"),
    ]
    Traced.discard_hook(before)
    events.clear()
    ok()
    assert events == [("first", "ok"), ("post", "ok")]


def test_crafts_pickle_by_reference():
    import pickle

    assert pickle.loads(pickle.dumps(add_up)) is add_up


class Scale:
    def __call__(self, x: int = 1) -> Volatile("scaled"):
        return 2 * x


def scale(x: int = 1, factor: int = 2) -> Volatile("scaled"):
    return factor * x


@pytest.mark.parametrize(
    ("given", "shown"),
    [(Scale(), "Scale object"), (functools.partial(scale, factor=3), "functools.partial")],
)
def test_a_craft_of_a_callable_object_is_an_error_saying_what_to_pass(given, shown) -> None:
    with pytest.raises(CraftError, match="decorates a function") as info:
        Craft(given)

    assert shown in str(info.value) and "def " in str(info.value)
