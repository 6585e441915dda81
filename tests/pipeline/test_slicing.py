"""Slicing pipelines from Python: only, downstream_of, upstream_of, filter, and craft tags."""

from __future__ import annotations

import pytest

from statisfactory.errors import CraftError, PipelineError
from statisfactory.pipeline import Craft, Pipeline, Volatile


@Craft(tags=["load"])
def source(start: int = 1) -> Volatile("a"):
    return start


@Craft()
def double(a: Volatile) -> Volatile("b"):
    return 2 * a


@Craft(tags=["math"])
def square(a: Volatile = 3) -> Volatile("c"):
    return a * a


@Craft()
def combine(b: Volatile, c: Volatile) -> Volatile("d"):
    return b + c


PIPELINE = Pipeline(source + double, name="inner", tags=["first"]) + square + combine


def names(pipeline: Pipeline) -> list[str]:
    return [craft.name for craft in pipeline.plan.crafts]


def test_slices_are_pipelines_of_the_selected_crafts():
    assert names(PIPELINE.upstream_of("combine")) == names(PIPELINE)
    assert names(PIPELINE.upstream_of("b")) == ["source", "double"]  # a volatile's producer
    assert names(PIPELINE.downstream_of("source")) == names(PIPELINE)
    assert names(PIPELINE.only("source", "square")) == ["source", "square"]
    assert PIPELINE.only("source").run() == {"a": 1}


def test_tags_come_from_the_craft_and_from_the_pipelines_that_include_it():
    assert PIPELINE.tags_of(source) == ("load", "first")
    assert names(PIPELINE.filter(tags=["first"])) == ["source", "double"]
    assert names(PIPELINE.filter(tags=["math", "load"])) == ["source", "square"]


def test_a_slice_needing_a_volatile_from_a_left_out_craft_names_both():
    with pytest.raises(PipelineError, match=r"needs volatile 'b', which craft '.*double'"):
        PIPELINE.downstream_of("square")


def test_a_volatile_with_a_default_is_not_needed_from_a_left_out_craft():
    assert PIPELINE.only("square").run() == {"c": 9}


def test_bad_tags_are_refused():
    with pytest.raises(CraftError, match="tags are a list"):
        Craft(tags="model")(lambda: None)


def test_a_single_name_may_be_given_as_a_string():
    assert names(PIPELINE.filter(tags="math")) == ["square"]
    with pytest.raises(PipelineError, match="leaves no craft to run"):
        PIPELINE.filter(tags=["nothing"])
