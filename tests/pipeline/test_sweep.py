"""Sweeps: many members as one graph, shared crafts run once, each member its own run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.errors import PipelineError
from statisfactory.history.store import store_for
from statisfactory.hookspecs import hookimpl
from sweep_project import SWEPT


@pytest.fixture
def swept(project_factory) -> Path:
    return project_factory(SWEPT, name="swept")


def sweep(root: Path, name: str, **options):
    session = Session(root_folder=root)
    sets = session.parameters
    with session:
        result = session.pipelines_definitions["swept"].sweep(
            [(member, sets[member]) for member in sets.members(name)], **options
        )
    store_for(session).flush()
    return session, result


def executions(session, result) -> dict[str, list[tuple[str, str]]]:
    """Each member's crafts as recorded: (short craft name, status)."""
    store = store_for(session)
    return {
        member: [(row["craft"].rsplit(".", 1)[-1], row["status"]) for row in store.executions(run)]
        for member, run in result.run_ids.items()
    }


@pytest.mark.parametrize("runner", ["sequential", "processes"])
def test_a_shared_craft_runs_once_and_each_member_is_its_own_run(swept, runner) -> None:
    session, result = sweep(swept, "grid", runner=runner, max_workers=2)
    assert result.succeeded and result.crafts_run == 1 + 4 * 2
    members = list(result.run_ids)
    assert members == [
        "grid[model=a,alpha=0.25]",
        "grid[model=a,alpha=0.5]",
        "grid[model=b,alpha=0.25]",
        "grid[model=b,alpha=0.5]",
    ]
    recorded = executions(session, result)
    ingest = [
        status for crafts in recorded.values() for craft, status in crafts if craft == "ingest"
    ]
    assert sorted(ingest) == ["ran", "shared", "shared", "shared"]  # ran exactly once
    for crafts in recorded.values():
        assert [item for item in crafts if item[0] != "ingest"] == [
            ("fit", "ran"),
            ("score", "ran"),
        ]
    store = store_for(session)
    runs = store.runs_by_id(list(result.run_ids.values()))
    assert {run["sweep_id"] for run in runs} == {result.sweep_id}
    assert [run["configuration"] for run in runs] == members
    assert store.runs_of_sweep(result.sweep_id) == list(result.run_ids.values())
    # every member's metrics, and each member's lineage names the shared write
    metrics = store.metrics_of(list(result.run_ids.values()))
    losses = {member: metrics[run]["loss"] for member, run in result.run_ids.items()}
    assert losses == {
        "grid[model=a,alpha=0.25]": 1.5,
        "grid[model=a,alpha=0.5]": 0.0,
        "grid[model=b,alpha=0.25]": 1.5,
        "grid[model=b,alpha=0.5]": 0.0,
    }
    for run in result.run_ids.values():
        assert "raw" in {write["name"] for write in store.writes(run)}
    shared = [
        row
        for run in result.run_ids.values()
        for row in store.executions(run)
        if row["status"] == "shared"
    ]
    first = result.run_ids["grid[model=a,alpha=0.25]"]
    assert {row["reason"] for row in shared} == {f"shared from run {first}"}
    assert json.loads((swept / "data/fitted_b_0.5.json").read_text())["weight"] == 3.0


class Journal:
    """Notes each member's hooks around each craft; fails the runs given when they take the
    shared craft."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.failing = failing

    @hookimpl
    def before_craft(self, run, craft):
        self.events.append((run.configuration, craft.name, "before"))

    @hookimpl
    def after_craft(self, run, craft):
        self.events.append((run.configuration, craft.name, "after"))
        if run.configuration in self.failing and craft.name == "ingest":
            raise RuntimeError("cannot take it")


@pytest.mark.parametrize("runner", ["sequential", "processes"])
def test_the_crafts_a_shared_craft_unblocks_start_before_the_others_take_it(swept, runner) -> None:
    journal = Journal()
    session, result = sweep(swept, "grid", runner=runner, max_workers=2, plugins=[journal])
    assert result.succeeded
    events = journal.events
    first_fit = events.index(("grid[model=a,alpha=0.25]", "fit", "before"))
    taken = [i for i, (_, craft, when) in enumerate(events) if (craft, when) == ("ingest", "after")]
    assert len(taken) == 4 and taken[0] < first_fit < taken[-1]
    for member in result.run_ids:  # each member's steps in order, the shared one first
        assert [(craft, when) for name, craft, when in events if name == member] == [
            (craft, when) for craft in ("ingest", "fit", "score") for when in ("before", "after")
        ]
    for crafts in executions(session, result).values():
        assert [craft for craft, _ in crafts] == ["ingest", "fit", "score"]


@pytest.mark.parametrize("runner", ["sequential", "processes"])
def test_a_member_failing_to_take_a_shared_craft_fails_alone(swept, runner) -> None:
    failing = "grid[model=b,alpha=0.25]"
    journal = Journal(failing=(failing,))
    session, result = sweep(swept, "grid", runner=runner, max_workers=2, plugins=[journal])
    assert list(result.failures) == [failing]
    assert "cannot take it" in str(result.failures[failing])
    assert len(result.results) == 3
    recorded = executions(session, result)
    assert [craft for craft, _ in recorded[failing]] == ["ingest"]  # it ran nothing more
    assert not (swept / "data/fitted_b_0.25.json").exists()
    for member in result.results:
        assert recorded[member] == [
            ("ingest", "shared" if "a,alpha=0.25" not in member else "ran"),
            ("fit", "ran"),
            ("score", "ran"),
        ]


def test_a_failing_member_does_not_stop_the_others(swept) -> None:
    session, result = sweep(swept, "with_bad")
    assert list(result.failures) == ["with_bad[model=bad,alpha=-1.0]"]
    assert "alpha must be positive" in str(result.failures["with_bad[model=bad,alpha=-1.0]"])
    assert set(result.results) == {"with_bad[model=a,alpha=0.5]", "with_bad[model=c,alpha=1.0]"}
    statuses = {
        member: run["status"]
        for member, run in zip(
            result.run_ids,
            store_for(session).runs_by_id(list(result.run_ids.values())),
            strict=True,
        )
    }
    assert statuses == {
        "with_bad[model=a,alpha=0.5]": "succeeded",
        "with_bad[model=bad,alpha=-1.0]": "failed",
        "with_bad[model=c,alpha=1.0]": "succeeded",
    }
    assert executions(session, result)["with_bad[model=bad,alpha=-1.0]"][1:] == [("fit", "failed")]


def test_an_incremental_sweep_again_runs_nothing(swept) -> None:
    sweep(swept, "grid", incremental=True)  # fingerprints the volatiles too
    session, result = sweep(swept, "grid", incremental=True)
    assert result.succeeded and result.crafts_run == 0
    for crafts in executions(session, result).values():
        assert {status for _, status in crafts} == {"skipped"}
    metrics = store_for(session).metrics_of(list(result.run_ids.values()))
    assert [values["loss"] for values in metrics.values()] == [1.5, 0.0, 1.5, 0.0]  # as stored


def test_members_that_would_overwrite_each_other_are_refused_before_running(swept) -> None:
    with pytest.raises(PipelineError, match="would both save artifact 'fitted' to") as caught:
        sweep(swept, "clashing")
    assert "clashing[n=3,alpha=1.0]" in str(caught.value)
    assert caught.value.artifact == "fitted"
    assert not (swept / "data").exists()  # nothing ran


def test_a_dry_run_counts_the_crafts_and_runs_nothing(swept) -> None:
    session, result = sweep(swept, "grid", dry_run=True)
    assert result.crafts_run == 1 + 4 * 2 and not result.run_ids
    assert not (swept / "data").exists()
    assert store_for(session).runs() == []


def test_members_differing_in_a_value_their_artifacts_options_use_are_not_shared(
    project_factory,
) -> None:
    """A value filling ``!{}`` in an entry's save options changes what its craft writes, like
    one in its path: members differing in it are told apart (here they would overwrite each
    other's files, which is refused), never shared."""
    files = dict(SWEPT)
    files["catalog/catalog.yaml"] = SWEPT["catalog/catalog.yaml"].replace(
        'extra: {path: "data/raw_!{n}.json"}',
        'extra: {path: "data/raw_!{n}.json"}\n          save_options: {indent: "!{indent}"}',
    )
    files["pipelines/parameters/sets.yaml"] = SWEPT["pipelines/parameters/sets.yaml"].rstrip() + (
        "\n        indented:\n"
        "          +from: [base]\n"
        "          model: a\n"
        "          alpha: 0.5\n"
        "          +grid: {indent: [1, 2]}\n"
    )
    root = project_factory(files, name="indented")

    with pytest.raises(PipelineError, match="would both save artifact 'raw' to"):
        sweep(root, "indented")
    assert not (root / "data").exists()  # nothing ran
