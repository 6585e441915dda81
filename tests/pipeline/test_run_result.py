"""What ``Pipeline.run`` returns: the mapping of final volatiles (the original API), with the
run's id, each craft's status and where its artifacts went, whatever the runner."""

from __future__ import annotations

import importlib

import pytest

from statisfactory.history.store import store_for
from statisfactory.pipeline import Craft, Pipeline, Volatile
from statisfactory.pipeline.run import CraftStatus, RunResult

STEPS = """
    from statisfactory import Artifact, Craft, Volatile


    @Craft()
    def numbers(n: int) -> Volatile("numbers"):
        return list(range(n))


    @Craft()
    def total(numbers: Volatile) -> Artifact("total"):
        return sum(numbers)


    @Craft()
    def report(total: Artifact, n: int) -> Volatile("report"):
        return f"{n} numbers, total {total}"
"""
CATALOG = """
    - name: total
      type: json
      extra: {path: "data/total_!{n}.json"}
"""


@pytest.fixture
def lab(session_factory):
    session = session_factory({"lib/result_steps.py": STEPS, "catalog/catalog.yaml": CATALOG})
    steps = importlib.import_module("result_steps")
    return session, steps.report + steps.total + steps.numbers


def check_result(result: RunResult, session) -> None:
    assert result == {"numbers": [0, 1, 2, 3], "report": "4 numbers, total 6"}
    assert isinstance(result, dict)
    assert result.statuses == {
        "result_steps.numbers": CraftStatus.DONE,
        "result_steps.total": CraftStatus.DONE,
        "result_steps.report": CraftStatus.DONE,
    }
    assert result.written == {"total": str(session.root / "data" / "total_4.json")}
    store = store_for(session)
    store.flush()
    assert store.runs(limit=1)[0]["run_id"] == result.run_id
    assert result.run_id in repr(result) and "3 done" in repr(result)
    assert "done     result_steps.total: total -> " in result.summary()


@pytest.mark.parametrize("runner", ["sequential", "threads", "processes"])
def test_a_run_returns_its_volatiles_id_statuses_and_writes(lab, runner):
    session, pipeline = lab
    with session:
        result = pipeline.run({"n": 4}, runner=runner, max_workers=2)
    check_result(result, session)


def test_calling_a_pipeline_returns_the_same_result(lab):
    session, pipeline = lab
    with session:
        result = pipeline(n=4)
    check_result(result, session)


def test_skipped_crafts_have_their_status(lab):
    session, pipeline = lab
    with session:
        pipeline.run({"n": 4}, incremental=True)
        again = pipeline.run({"n": 4}, incremental=True)
    assert set(again.statuses.values()) == {CraftStatus.SKIPPED}
    assert again == {} and again.written == {}
    assert "3 skipped" in repr(again)


def test_a_run_without_session_has_an_id_and_statuses():
    @Craft()
    def one() -> Volatile("one"):
        return 1

    result = Pipeline(one).run()
    assert result == {"one": 1}
    assert result.statuses == {one.fqname: CraftStatus.DONE}
    assert result.run_id and result.written == {}
