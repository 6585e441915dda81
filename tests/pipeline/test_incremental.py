"""Incremental runs: a craft is skipped when its code, parameters, context and inputs are
unchanged and its outputs are still as written; exactly the affected crafts run again."""

from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path

import pytest

from project_files import snippet_result
from statisfactory import Craft, Volatile
from statisfactory.errors import PipelineError
from statisfactory.history.store import store_for

STEPS = """
    import threading

    from statisfactory import Artifact, Craft, Volatile

    CALLS = []
    THREADS = []  # where `scale` ran


    @Craft()
    def clean(source: Artifact) -> Artifact("cleaned"):
        CALLS.append("clean")
        return sorted(set(source))


    @Craft()
    def count(source: Artifact) -> Artifact("count"):
        CALLS.append("count")
        return len(source)


    @Craft()
    def scale(cleaned: Artifact, factor: int = 2) -> Volatile("scaled"):
        CALLS.append("scale")
        THREADS.append(threading.current_thread().name)
        return [value * factor for value in cleaned]


    @Craft()
    def report(scaled: Volatile, title: str = "report") -> Artifact("report"):
        CALLS.append("report")
        return {"title": title, "values": scaled}
"""

PROJECT = {
    "lib/chain/__init__.py": "",
    "lib/chain/steps.py": STEPS,
    "catalog/catalog.yaml": """
        - name: source
          type: json
          extra: {path: data/source.json}
        - name: cleaned
          type: json
          extra: {path: data/cleaned.json}
        - name: count
          type: json
          extra: {path: data/count.json}
        - name: report
          type: json
          extra: {path: "data/report_!{title}.json"}
    """,
    "pipelines/definitions/pipelines.yaml": """
        chain:
          +operators: [chain.steps.clean, chain.steps.count, chain.steps.scale, chain.steps.report]
    """,
    "data/source.json": "[3, 1, 2, 3]",
}


@pytest.fixture
def project(session_factory):
    """``(session, pipeline, steps module)`` of the four-craft chain project."""
    session = session_factory(PROJECT)
    pipeline = session.pipelines_definitions["chain"]
    steps = importlib.import_module("chain.steps")
    return session, pipeline, steps


def run(session, pipeline, params=None, **options) -> dict[str, str]:
    """Run incrementally; return each craft's status in the run history (short names)."""
    with session:
        pipeline.run(params or {}, incremental=True, **options)
    return last_statuses(session)


def last_statuses(session) -> dict[str, str]:
    store = store_for(session)
    store.flush()
    (last,) = store.find_runs("last")
    return {
        row["craft"].rsplit(".", 1)[1]: row["status"] for row in store.executions(last["run_id"])
    }


def reasons(session) -> dict[str, str]:
    store = store_for(session)
    store.flush()
    (last,) = store.find_runs("last")
    return {
        row["craft"].rsplit(".", 1)[1]: row["reason"] for row in store.executions(last["run_id"])
    }


ALL_RAN = {"clean": "ran", "count": "ran", "scale": "ran", "report": "ran"}
ALL_SKIPPED = {"clean": "skipped", "count": "skipped", "scale": "skipped", "report": "skipped"}


def test_an_unchanged_rerun_executes_no_craft(project) -> None:
    session, pipeline, steps = project
    assert run(session, pipeline) == ALL_RAN
    steps.CALLS.clear()

    assert run(session, pipeline) == ALL_SKIPPED
    assert steps.CALLS == []
    assert "unchanged since run" in reasons(session)["report"]


@pytest.mark.parametrize("runner", ["threads", "processes"])
def test_parallel_runners_skip_the_same_way(project, runner: str) -> None:
    session, pipeline, _ = project
    assert run(session, pipeline, runner=runner) == ALL_RAN
    assert run(session, pipeline, runner=runner) == ALL_SKIPPED


def test_a_parameter_change_reruns_only_the_crafts_that_use_it(project) -> None:
    session, pipeline, steps = project
    run(session, pipeline)
    steps.CALLS.clear()

    statuses = run(session, pipeline, {"scale": {"factor": 3}})

    assert statuses == {"clean": "skipped", "count": "skipped", "scale": "ran", "report": "ran"}
    assert "factor (2 -> 3)" in reasons(session)["scale"]
    assert json.loads((session.root / "data/report_report.json").read_text())["values"] == [3, 6, 9]


def test_an_edited_input_file_reruns_its_readers_and_what_their_outputs_change(project) -> None:
    session, pipeline, _ = project
    run(session, pipeline)
    (session.root / "data/source.json").write_text("[3, 1, 2, 4]")

    assert run(session, pipeline) == ALL_RAN
    assert "input artifact 'source' changed" in reasons(session)["clean"]
    assert "input artifact 'cleaned' changed" in reasons(session)["scale"]


def test_early_cutoff_a_rerun_writing_identical_bytes_skips_its_dependents(project) -> None:
    session, pipeline, _ = project
    run(session, pipeline)
    (session.root / "data/source.json").write_text("[1, 2, 3, 3]")  # same set, same length

    statuses = run(session, pipeline)

    assert statuses == {"clean": "ran", "count": "ran", "scale": "skipped", "report": "skipped"}


def test_a_missing_or_modified_output_reruns_its_producer_only(project) -> None:
    session, pipeline, _ = project
    run(session, pipeline)
    (session.root / "data/cleaned.json").unlink()
    (session.root / "data/count.json").write_text("99")

    statuses = run(session, pipeline)

    assert statuses == {"clean": "ran", "count": "ran", "scale": "skipped", "report": "skipped"}
    assert "output artifact 'cleaned' is missing" in reasons(session)["clean"]
    assert "output artifact 'count' was modified" in reasons(session)["count"]
    assert (session.root / "data/count.json").read_text() == "4"


def test_a_volatile_a_rerun_craft_needs_from_a_skipped_one_is_recomputed(project) -> None:
    session, pipeline, steps = project
    run(session, pipeline)
    steps.CALLS.clear()

    statuses = run(session, pipeline, {"title": "other"})

    assert statuses == {"clean": "skipped", "count": "skipped", "scale": "ran", "report": "ran"}
    assert "to provide volatile 'scaled'" in reasons(session)["scale"]
    assert steps.CALLS == ["scale", "report"]
    (latest, _) = store_for(session).runs()
    assert latest["counts"] == {"skipped": 2, "ran": 2}  # scale counts once, as it ended
    assert json.loads((session.root / "data/report_other.json").read_text())["values"] == [2, 4, 6]


def test_a_skipped_producer_runs_again_through_the_runner(project) -> None:
    session, pipeline, steps = project
    run(session, pipeline, runner="threads")
    steps.THREADS.clear()

    statuses = run(session, pipeline, {"title": "other"}, runner="threads")

    assert statuses["scale"] == "ran" and statuses["report"] == "ran"
    assert len(steps.THREADS) == 1 and steps.THREADS[0].startswith("statisfactory-craft")


def test_the_volatile_cache_restores_a_skipped_crafts_volatile(project) -> None:
    session, pipeline, steps = project
    run(session, pipeline, volatile_cache=True)
    steps.CALLS.clear()

    statuses = run(session, pipeline, {"title": "other"}, volatile_cache=True)

    assert statuses == {"clean": "skipped", "count": "skipped", "scale": "skipped", "report": "ran"}
    assert steps.CALLS == ["report"]
    assert json.loads((session.root / "data/report_other.json").read_text())["values"] == [2, 4, 6]
    assert list((session.root / ".statisfactory/volatiles").glob("*.pkl"))


def test_the_volatile_cache_setting_turns_it_on(session_factory) -> None:
    session = session_factory({**PROJECT, "conf/globals.yaml": "volatile_cache: true\n"})
    pipeline = session.pipelines_definitions["chain"]
    run(session, pipeline)

    assert run(session, pipeline, {"title": "other"})["scale"] == "skipped"


def explained(text: str) -> dict[str, tuple[str, str]]:
    """``--explain`` lines as craft -> (verdict, reason)."""
    found = {}
    for line in text.splitlines()[1:]:
        line = line.strip()
        verdict = "may skip" if line.startswith("may skip") else line.split()[0]
        craft, reason = line[len(verdict) :].strip().split(maxsplit=1)
        found[craft] = (verdict, reason)
    return found


def test_explain_predicts_runs_skips_and_early_cutoff(project, capsys) -> None:
    session, pipeline, _ = project
    run(session, pipeline)
    (session.root / "data/source.json").write_text("[1, 2, 3, 3]")
    capsys.readouterr()

    with session:
        pipeline.run({}, incremental=True, explain=True)

    output = capsys.readouterr().out
    assert output.startswith("Pipeline 'chain': 2 craft(s) will run, 0 will be skipped, 2 may")
    predicted = explained(output)
    assert predicted["chain.steps.clean"] == (
        "run",
        "input artifact 'source' changed since run "
        + predicted["chain.steps.clean"][1].split()[-1],
    )
    assert predicted["chain.steps.scale"] == (
        "may skip",
        "may be skipped after upstream reruns (chain.steps.clean)",
    )
    assert predicted["chain.steps.report"][0] == "may skip"
    assert last_statuses(session)["scale"] == "skipped"  # the prediction's "may" came true


def test_a_craft_whose_code_cannot_be_read_always_runs(session_factory, capsys) -> None:
    session = session_factory()

    def from_a_cell() -> Volatile("value"):
        return 1

    from_a_cell.__module__ = "a_notebook_cell"  # what a craft defined in a notebook looks like
    pipeline = Craft(from_a_cell) + readable

    with session:
        pipeline.run({}, incremental=True)
        assert last_statuses(session) == {"from_a_cell": "ran", "readable": "ran"}
        capsys.readouterr()
        pipeline.run({}, incremental=True, explain=True)

    verdict, reason = explained(capsys.readouterr().out)["a_notebook_cell.from_a_cell"]
    assert verdict == "run"
    assert "its code cannot be read" in reason and "no source file" in reason
    # It ran again; its volatile is unchanged, so the craft reading it is cut off.
    assert last_statuses(session) == {"from_a_cell": "ran", "readable": "skipped"}


@Craft()
def readable(value: Volatile) -> Volatile("kept"):
    return value


def test_skipped_crafts_call_the_on_skip_hooks_not_the_run_hooks(project) -> None:
    session, pipeline, _ = project
    seen: list[tuple[str, str]] = []

    @Craft.hook_on_skip()
    def on_skip(target, reason):
        seen.append(("skip", target.name))

    @Craft.hook_pre_run()
    def on_start(target):
        seen.append(("start", target.name))

    try:
        run(session, pipeline)
        seen.clear()
        run(session, pipeline)
    finally:
        Craft.discard_hook(on_skip)
        Craft.discard_hook(on_start)
    assert seen == [("skip", "clean"), ("skip", "count"), ("skip", "scale"), ("skip", "report")]


def test_an_incremental_run_needs_a_session() -> None:
    with pytest.raises(PipelineError, match="needs a session"):
        (Craft(_plain) + Craft(_plain_consumer)).run({}, incremental=True)


def _plain() -> Volatile("x"):
    return 1


def _plain_consumer(x: Volatile) -> Volatile("y"):
    return x


def test_an_incremental_run_needs_the_history(session_factory) -> None:
    session = session_factory({**PROJECT, "conf/globals.yaml": "history: false\n"})
    pipeline = session.pipelines_definitions["chain"]

    with session, pytest.raises(PipelineError, match="history"):
        pipeline.run({}, incremental=True)
    with session:
        pipeline.run({})  # a plain run works without it
    assert not (session.root / ".statisfactory/history.db").exists()


# --- code edits, seen by a fresh process -------------------------------------------------------
RUN_IN_A_FRESH_PROCESS = """
import json, sys
from statisfactory import Session
from statisfactory.history.store import store_for

session = Session(root_folder=sys.argv[1])
with session:
    session.pipelines_definitions["chain"].run({}, incremental=True)
store = store_for(session)
store.flush()
(last,) = store.find_runs("last")
executions = store.executions(last["run_id"])
print(json.dumps({e["craft"].rsplit(".", 1)[1]: e["status"] for e in executions}))
"""


def run_in_a_fresh_process(root: Path) -> dict[str, str]:
    return snippet_result(RUN_IN_A_FRESH_PROCESS, str(root), cwd=root)


def test_editing_one_craft_reruns_it_and_what_depends_on_it_not_its_neighbours(
    project_factory,
) -> None:
    root = project_factory(PROJECT)
    assert run_in_a_fresh_process(root) == ALL_RAN
    assert run_in_a_fresh_process(root) == ALL_SKIPPED

    module = root / "lib/chain/steps.py"
    module.write_text(
        module.read_text().replace(
            "return [value * factor for value in cleaned]",
            "return [factor * value for value in cleaned]  # same values, new code",
        )
    )
    statuses = run_in_a_fresh_process(root)

    # scale reran; its volatile is the same, so report is cut off.
    assert statuses == {"clean": "skipped", "count": "skipped", "scale": "ran", "report": "skipped"}


def test_a_module_level_name_no_craft_reaches_reruns_nothing(project_factory) -> None:
    root = project_factory(PROJECT)
    run_in_a_fresh_process(root)
    module = root / "lib/chain/steps.py"
    module.write_text(module.read_text() + textwrap.dedent("\n\nLIMIT = 10\n"))

    assert run_in_a_fresh_process(root) == ALL_SKIPPED


def test_plain_runs_are_recorded_and_an_incremental_run_can_follow(project) -> None:
    session, pipeline, _ = project
    with session:
        pipeline.run({})
    assert last_statuses(session) == ALL_RAN

    # The plain run fingerprinted scale's volatile by scale's state: nothing runs again.
    assert run(session, pipeline) == ALL_SKIPPED


def test_a_shared_parameter_no_craft_uses_changes_nothing(project) -> None:
    session, pipeline, _ = project
    run(session, pipeline)

    # A shared parameter that no craft takes and no artifact path uses changes nothing.
    assert run(session, pipeline, {"unused": 1}) == ALL_SKIPPED


def test_a_namespaced_parameter_matches_the_same_shared_one(project) -> None:
    session, pipeline, _ = project
    run(session, pipeline, {"factor": 3})

    assert run(session, pipeline, {"scale": {"factor": 3}}) == ALL_SKIPPED


def test_a_failed_craft_is_recorded_and_reruns_next_time(session_factory) -> None:
    files = dict(PROJECT)
    files["lib/chain/steps.py"] = textwrap.dedent(STEPS) + textwrap.dedent(
        """

        @Craft()
        def fragile(count: Artifact, fail: bool = False) -> Artifact("checked"):
            if fail:
                raise ValueError("asked to fail")
            return count
        """
    )
    files["catalog/more.yaml"] = "- {name: checked, type: json, extra: {path: data/checked.json}}\n"
    session = session_factory(files)
    steps = importlib.import_module("chain.steps")
    pipeline = session.pipelines_definitions["chain"] + steps.fragile

    with session, pytest.raises(Exception, match="asked to fail"):
        pipeline.run({"fail": True}, incremental=True)
    store = store_for(session)
    store.flush()
    (last,) = store.find_runs("last")
    assert last["status"] == "failed"
    assert last_statuses(session)["fragile"] == "failed"

    assert run(session, pipeline)["fragile"] == "ran"
    assert run(session, pipeline)["fragile"] == "skipped"


def _reachable(root: object, kinds: tuple[type, ...], limit: int = 200_000) -> list[object]:
    """The objects of ``kinds`` that ``root`` references, directly or not (not through
    classes or modules: what they hold is not the run's)."""
    import gc
    import types

    seen, found, pending = {id(root)}, [], [root]
    while pending and len(seen) < limit:
        for referent in gc.get_referents(pending.pop()):
            kind = type(referent)  # not isinstance: a lazy object would answer by loading
            if id(referent) in seen or issubclass(kind, type | types.ModuleType):
                continue
            seen.add(id(referent))
            if kind in kinds:
                found.append(referent)
            pending.append(referent)
    return found


@pytest.mark.parametrize("failing", [False, True])
def test_a_kept_run_result_holds_none_of_its_crafts_fingerprints(project, failing) -> None:
    """Once a run has ended, its history plugin and skip policy let go of what they kept per
    craft (fingerprints, recorded states, progress): a result kept in a notebook, or a run
    that failed, no longer holds them."""
    from statisfactory.history.decisions import Facts, RecordedStates
    from statisfactory.history.fingerprints import Stored
    from statisfactory.history.recording import RunHistory
    from statisfactory.hookspecs import hookimpl

    class Keeper:  # keeps the run object, as a result (or a failing run's report) does
        run = None

        @hookimpl
        def before_run(self, run) -> None:
            self.run = run

    session, pipeline, _ = project
    run(session, pipeline)  # recorded states to compare with
    if failing:
        (session.root / "data/source.json").write_text("not json")  # its readers fail
    keeper = Keeper()
    with session:
        try:
            pipeline.run({}, incremental=True, plugins=[keeper])
        except Exception:
            assert failing
        else:
            assert not failing
    result = keeper.run
    plugins = _reachable(result, (RunHistory, RecordedStates))
    assert any(type(p) is RunHistory for p in plugins)  # the walk does reach them
    for plugin in plugins:
        if type(plugin) is RunHistory:
            assert plugin._facts == plugin._progress == {}
        else:
            assert plugin._states == {}
    assert _reachable(result, (Facts, Stored)) == []
