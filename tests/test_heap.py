"""A run keeps the heap that was there before it out of the garbage collector's full passes,
and gives it back when it ends, however it ends."""

from __future__ import annotations

import gc

import pytest

from statisfactory.pipeline import Craft, Pipeline, Volatile


@Craft()
def frozen_count() -> Volatile("frozen"):
    return gc.get_freeze_count()


@Craft()
def inner_then_count() -> Volatile("counts"):
    inner = Pipeline(frozen_count).run()["frozen"]
    return inner, gc.get_freeze_count()


@Craft()
def explode() -> Volatile("nothing"):
    raise ValueError("boom")


def test_the_heap_is_frozen_during_a_run_only() -> None:
    before = gc.get_freeze_count()
    assert Pipeline(frozen_count).run()["frozen"] > before
    assert gc.get_freeze_count() == before


def test_a_run_inside_a_craft_leaves_the_outer_run_frozen() -> None:
    inner, after_inner = Pipeline(inner_then_count).run()["counts"]
    assert inner > 0 and after_inner > 0
    assert gc.get_freeze_count() == 0


def test_a_failed_run_gives_the_heap_back() -> None:
    with pytest.raises(Exception, match="boom"):
        Pipeline(explode).run()
    assert gc.get_freeze_count() == 0
