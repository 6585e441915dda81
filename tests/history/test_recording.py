"""What a run records about its crafts: volatiles get a fingerprint after any run."""

from __future__ import annotations

from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.history.digests import value_digest
from statisfactory.history.store import store_for

CHAIN = ("simulate", "fit", "keep", "summarise")


def run_lab(root: Path, params: dict, **options) -> dict[str, str]:
    """Run the lab pipeline: ``{craft: status}`` of the run's executions (the last status
    of a craft skipped then run again to provide a volatile)."""
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["lab"].run(params, **options)
    store = store_for(session)
    (last,) = store.find_runs("last")
    return {e["craft"].rsplit(".", 1)[1]: e["status"] for e in store.executions(last["run_id"])}


@pytest.mark.parametrize("runner", ["sequential", "threads", "processes"])
def test_a_volatile_read_after_a_plain_run_is_not_run_again(lab, runner) -> None:
    root = lab()
    assert run_lab(root, {"n": 5}, runner=runner) == dict.fromkeys(CHAIN, "ran")

    assert run_lab(root, {"n": 5}, runner=runner, incremental=True) == dict.fromkeys(
        CHAIN, "skipped"
    )


def test_a_changed_producer_reruns_its_volatile_s_readers(lab) -> None:
    root = lab()
    run_lab(root, {"n": 5})

    statuses = run_lab(root, {"n": 5, "fit": {"alpha": 3.0}}, incremental=True)

    assert statuses == {"simulate": "skipped", "fit": "ran", "keep": "ran", "summarise": "ran"}
    assert run_lab(root, {"n": 5, "fit": {"alpha": 3.0}}, incremental=True) == dict.fromkeys(
        CHAIN, "skipped"
    )


def test_a_changed_input_of_the_producer_reruns_its_volatile_s_readers(lab) -> None:
    root = lab()
    run_lab(root, {"n": 5})

    statuses = run_lab(root, {"n": 5, "simulate": {"seed": 3}}, incremental=True)

    assert statuses == dict.fromkeys(CHAIN, "ran")


def test_a_plain_run_records_a_volatile_s_fingerprint_as_its_reader_s_input(lab) -> None:
    root = lab()
    run_lab(root, {"n": 5})
    session = Session(root_folder=root)
    store = store_for(session)
    (last,) = store.find_runs("last")
    fit = store.execution(last["run_id"], "lab.models.fit")
    keep = store.execution(last["run_id"], "lab.models.keep")
    assert fit["outputs"]["model"]["fingerprint"] is not None
    assert keep["inputs"]["model"]["fingerprint"] == fit["outputs"]["model"]["fingerprint"]


def test_a_volatile_s_recorded_fingerprint_is_the_digest_of_its_producer_s_state(lab) -> None:
    # The fingerprint stored for a volatile not hashed itself: the same digest as ever, of
    # its producer, code, parameters and context, and inputs (incremental runs compare it).
    root = lab()
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["lab"].run({"n": 5})
    store = store_for(session)
    (last,) = store.find_runs("last")
    checked = 0
    for execution in store.executions(last["run_id"]):
        inputs = {name: entry["fingerprint"] for name, entry in execution["inputs"].items()}
        for name, output in execution["outputs"].items():
            if output["kind"] != "volatile":
                continue
            state = [execution["craft"], name, execution["code_fp"], execution["state_key"]]
            assert output["fingerprint"] == value_digest(["produced", *state, inputs])
            checked += 1
    assert checked
