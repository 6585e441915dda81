"""Lineage: the runs, crafts, parameters and inputs behind an artifact's current version."""

from __future__ import annotations

from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.errors import ArtifactNotFoundError, CatalogError
from statisfactory.history.lineage import artifact_lineage, render
from statisfactory.history.store import store_for


def run_lab(root: Path, params: dict) -> Session:
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["lab"].run(params, incremental=True)
    return session


def lineage(session: Session, name: str, **context) -> str:
    return render(artifact_lineage(session, store_for(session), name, context))


def test_the_lineage_of_a_three_level_chain(lab) -> None:
    root = lab()
    session = run_lab(root, {"n": 5, "fit": {"alpha": 0.5}})
    (run,) = store_for(session).runs()

    text = lineage(session, "summary")

    lines = text.splitlines()
    assert lines[0].startswith("artifact summary  data/summary.txt  xxh3:")
    assert f"written by craft lab.models.summarise in run {run['run_id']}" in lines[1]
    assert "pipeline lab" in lines[1] and "no git commit" in lines[1]
    assert lines[2].startswith("└── artifact coefficients  data/coefficients.json")
    assert "written by craft lab.models.keep" in lines[3]
    assert lines[4].strip() == "└── volatile model"
    assert "produced by craft lab.models.fit" in lines[5]
    assert lines[6].strip() == "parameters: alpha=0.5, n=5"
    assert lines[7].strip().startswith("└── artifact samples  data/samples_5.json")
    assert "written by craft lab.models.simulate" in lines[8]
    assert lines[9].strip() == "parameters: n=5, seed=0"
    assert len(lines) == 10


def test_lineage_follows_the_version_each_input_had(lab) -> None:
    root = lab()
    run_lab(root, {"n": 5})
    first = store_for(Session(root_folder=root)).runs()[0]["run_id"]
    session = run_lab(root, {"n": 5, "fit": {"alpha": 2.0}})  # only fit and after rerun
    second = store_for(session).runs()[0]["run_id"]

    text = lineage(session, "coefficients")

    assert f"written by craft lab.models.keep in run {second}" in text
    assert "parameters: alpha=2.0, n=5" in text
    assert f"written by craft lab.models.simulate in run {first}" in text  # skipped since


def test_a_hand_edited_artifact_says_so_and_shows_the_recorded_version(lab) -> None:
    root = lab()
    session = run_lab(root, {"n": 5})
    (root / "data/summary.txt").write_text("edited by hand")

    text = lineage(session, "summary")

    assert "changed outside any pipeline run (by catalog.save, a craft called alone, or by " in text
    assert "written by craft lab.models.summarise" in text


def test_an_input_made_outside_any_run_ends_the_tree(lab) -> None:
    root = lab(
        {
            "catalog/more.yaml": "- {name: notes, type: text, extra: {path: notes.txt}}\n",
            "notes.txt": "written by a person",
        }
    )
    session = Session(root_folder=root)

    text = lineage(session, "notes")

    assert "no recorded write: saved outside any pipeline run" in text


def test_a_save_outside_any_run_is_named_as_such(lab) -> None:
    root = lab()
    session = run_lab(root, {"n": 5})
    run_id = store_for(session).runs()[0]["run_id"]
    session.catalog.save("summary", "saved from a notebook")
    session.catalog.save("samples", [1, 2], n=7)

    replaced, new = lineage(session, "summary"), lineage(session, "samples", n=7)

    outside = "changed outside any pipeline run (by catalog.save, a craft called alone, or by hand)"
    assert f"{outside} since run {run_id} wrote it" in replaced
    assert f"written by craft lab.models.summarise in run {run_id}" in replaced
    assert "no recorded write: saved outside any pipeline run (by catalog.save" in new


def test_dynamic_paths_take_their_values_or_the_latest_write(lab) -> None:
    root = lab()
    run_lab(root, {"n": 5})
    session = run_lab(root, {"n": 6})

    assert "data/samples_5.json" in lineage(session, "samples", n=5)
    assert "nothing is stored there now" in lineage(session, "samples", n=9)
    # Without the values, every stored variant is listed rather than one picked.
    variants = lineage(session, "samples")
    assert "2 variants recorded" in variants
    assert variants.index("--param n=6  data/samples_6.json") < variants.index(
        "--param n=5  data/samples_5.json"
    )


def test_one_recorded_variant_is_traced_without_values(lab) -> None:
    root = lab()
    session = run_lab(root, {"n": 5})
    assert "written by craft lab.models.simulate" in lineage(session, "samples")


def test_a_consumed_input_is_never_shown_as_written_after_the_run_that_read_it(lab) -> None:
    from statisfactory.cli.selection import chosen_pipeline

    root = lab()
    first = run_lab(root, {"n": 5})
    reader = store_for(first).runs(limit=1)[0]["run_id"]
    # A later run writes the same coefficients again, and not the summary that read them.
    session = Session(root_folder=root)
    with session:
        chosen_pipeline(session, "lab", to="lab.models.keep").run({"n": 5})
    later = store_for(session).runs(limit=1)[0]["run_id"]
    assert later != reader
    traced = lineage(session, "summary")
    assert f"written by craft lab.models.keep in run {reader}" in traced
    assert later not in traced


def test_dynamic_paths_without_values_or_writes_are_an_error(lab) -> None:
    session = Session(root_folder=lab())
    with pytest.raises(CatalogError, match=r"needs n .*--param n="):
        lineage(session, "samples")
    with pytest.raises(ArtifactNotFoundError, match="did you mean 'samples'"):
        lineage(session, "sample")
