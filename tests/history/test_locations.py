"""History locations are kept relative to the project root: a moved project keeps its lineage."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from statisfactory import Session
from statisfactory.history.lineage import artifact_lineage, render
from statisfactory.history.locations import Locations
from statisfactory.history.store import store_for

CHAIN = ("simulate", "fit", "keep", "summarise")


def run_lab(root: Path) -> dict[str, str]:
    """Run the lab pipeline incrementally: ``{craft: status}``."""
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["lab"].run({"n": 5}, incremental=True)
    store = store_for(session)
    (last,) = store.find_runs("last")
    return {e["craft"].rsplit(".", 1)[1]: e["status"] for e in store.executions(last["run_id"])}


def lineage(root: Path, name: str) -> str:
    session = Session(root_folder=root)
    return render(artifact_lineage(session, store_for(session), name, {}))


def stored_rows(root: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(root / ".statisfactory/history.db") as connection:
        return connection.execute(sql).fetchall()


def test_locations_are_stored_relative_to_the_root_and_read_back_absolute(lab) -> None:
    root = lab()
    run_lab(root)

    written = {row[0] for row in stored_rows(root, "SELECT location FROM writes")}
    assert written == {"data/samples_5.json", "data/coefficients.json", "data/summary.txt"}
    (inputs,) = stored_rows(root, "SELECT inputs FROM executions WHERE craft LIKE '%summarise'")
    assert json.loads(inputs[0])["coefficients"]["location"] == "data/coefficients.json"

    store = store_for(Session(root_folder=root))
    (last,) = store.find_runs("last")
    assert {w["location"] for w in store.writes(last["run_id"])} == {
        str(root / "data/samples_5.json"),
        str(root / "data/coefficients.json"),
        str(root / "data/summary.txt"),
    }


def test_a_moved_project_keeps_its_lineage_and_its_skips(lab, tmp_path: Path) -> None:
    root = lab()
    assert cli("run", "lab", "small", "--incremental", cwd=root).returncode == 0
    before = cli("artifacts", "lineage", "summary", cwd=root).stdout
    moved = tmp_path / "elsewhere" / "lab"
    moved.parent.mkdir()
    shutil.move(root, moved)

    after = cli("artifacts", "lineage", "summary", cwd=moved)
    shown = cli("runs", "show", "last", cwd=moved)
    again = cli("run", "lab", "small", "--incremental", cwd=moved)

    assert after.returncode == 0, after.stderr
    assert after.stdout == before
    assert "no recorded write" not in after.stdout
    assert "written by craft lab.models.simulate" in after.stdout
    assert str(moved / "data" / "summary.txt") in shown.stdout
    assert again.returncode == 0, again.stderr
    assert "4 craft(s), 4 skipped as unchanged" in again.stdout


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_store_with_absolute_locations_keeps_working(lab) -> None:
    """Earlier versions stored absolute locations: they are matched and shown as such."""
    root = lab()
    run_lab(root)
    with sqlite3.connect(root / ".statisfactory/history.db") as connection:
        connection.execute("UPDATE writes SET location = :root || '/' || location", (str(root),))
        for rowid, inputs, outputs in connection.execute(
            "SELECT rowid, inputs, outputs FROM executions"
        ).fetchall():
            connection.execute(
                "UPDATE executions SET inputs = ?, outputs = ? WHERE rowid = ?",
                (_absolute(inputs, root), _absolute(outputs, root), rowid),
            )
    assert all(
        row[0].startswith(str(root)) for row in stored_rows(root, "SELECT location FROM writes")
    )

    text = lineage(root, "summary")

    assert "no recorded write" not in text
    assert "written by craft lab.models.simulate" in text
    assert text.splitlines()[0].startswith("artifact summary  data/summary.txt  xxh3:")
    assert run_lab(root) == dict.fromkeys(CHAIN, "skipped")


def _absolute(entries: str, root: Path) -> str:
    decoded = json.loads(entries)
    for entry in decoded.values():
        if entry.get("location"):
            entry["location"] = f"{root}/{entry['location']}"
    return json.dumps(decoded)


def test_remote_and_outside_locations_are_kept_as_given(tmp_path: Path) -> None:
    root = tmp_path / "project"
    locations = Locations(root)
    outside = str(tmp_path / "shared" / "data.csv")

    assert locations.stored("s3://bucket/key.csv") == "s3://bucket/key.csv"
    assert locations.stored(outside) == outside
    assert locations.stored(str(root / "data" / "x.csv")) == "data/x.csv"
    assert locations.stored(str(root) + "-other/x.csv") == str(root) + "-other/x.csv"
    assert locations.resolved("data/x.csv") == str(root / "data" / "x.csv")
    assert locations.resolved("s3://bucket/key.csv") == "s3://bucket/key.csv"
    assert locations.resolved(outside) == outside
    assert locations.resolved("") == ""
