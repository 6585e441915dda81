"""Artifacts in S3 are fingerprinted by their ETag: incremental runs and lineage work there too."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from _servers import unique_name
from statisfactory import Session
from statisfactory.history.lineage import artifact_lineage, render
from statisfactory.history.store import store_for

pytestmark = pytest.mark.service


def test_incremental_runs_on_s3_artifacts(lab, s3_locals, moto_server) -> None:
    bucket = unique_name("bucket")
    root = lab(
        {
            "catalog/catalog.yaml": f"""
                - name: samples
                  type: json
                  extra: {{path: "s3://{bucket}/samples_!{{n}}.json"}}
                - name: coefficients
                  type: json
                  extra: {{path: "s3://{bucket}/coefficients.json"}}
                - name: summary
                  type: text
                  extra: {{path: data/summary.txt}}
            """,
            "conf/locals.yaml": s3_locals(),
        }
    )

    def run() -> dict[str, str]:
        session = Session(root_folder=root)
        with session:
            session.pipelines_definitions["lab"].run({"n": 5}, incremental=True)
        store = store_for(session)
        (last,) = store.find_runs("last")
        return {e["craft"].rsplit(".", 1)[1]: e["status"] for e in store.executions(last["run_id"])}

    assert set(run().values()) == {"ran"}
    assert set(run().values()) == {"skipped"}

    moto_server.client().put_object(Bucket=bucket, Key="coefficients.json", Body=b"{}")
    statuses = run()
    assert statuses["keep"] == "ran"  # its output was modified: it is written again…
    assert statuses["summarise"] == "skipped"  # …with the same bytes, so summary is cut off

    session = Session(root_folder=root)
    text = render(artifact_lineage(session, store_for(session), "coefficients", {}))
    assert text.startswith(f"artifact coefficients  s3://{bucket}/coefficients.json  etag:")
    assert "written by craft lab.models.keep" in text


def statisfactory(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def git(*args: str, cwd: Path) -> None:
    identity = ["-c", "user.name=Alice", "-c", "user.email=alice@example.org"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def fresh_database(postgres_server) -> str:
    """The URL of a new, empty database on the test PostgreSQL server."""
    import sqlalchemy as sa

    name = unique_name("team").replace("-", "_").lower()
    admin = sa.create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_server.url().rsplit("/", 1)[0] + f"/{name}"


def statuses(result: subprocess.CompletedProcess) -> dict[str, str]:
    """``{craft: ran|skipped}`` from the table a run prints."""
    assert result.returncode == 0, result.stderr
    found = {}
    for line in result.stdout.splitlines():
        match = re.match(r"\s*lab\.models\.(\w+)\s+(done|skipped)\b", line)
        if match:
            found[match[1]] = "ran" if match[2] == "done" else "skipped"
    return found


def test_two_checkouts_share_a_postgresql_history_and_s3_artifacts(
    lab, tmp_path: Path, s3_locals, moto_server, postgres_server
) -> None:
    bucket = unique_name("team")
    catalog = "\n".join(
        f'- {{name: {name}, type: {kind}, extra: {{path: "s3://{bucket}/{path}"}}}}'
        for name, kind, path in (
            ("samples", "json", "samples_!{n}.json"),
            ("coefficients", "json", "coefficients.json"),
            ("summary", "text", "summary.txt"),
        )
    )
    alice = lab(
        {"catalog/catalog.yaml": catalog, ".gitignore": "conf/locals.yaml\n.statisfactory/\n"}
    )
    git("init", "-q", cwd=alice)
    git("add", "-A", cwd=alice)
    git("commit", "-q", "-m", "lab", cwd=alice)
    bob = tmp_path / "bob" / "lab"
    git("clone", "-q", str(alice), str(bob), cwd=tmp_path)
    history = f"history_url: {json.dumps(fresh_database(postgres_server))}\n"
    for checkout in (alice, bob):
        (checkout / "conf/locals.yaml").write_text(s3_locals() + history)

    assert set(statuses(statisfactory("run", "lab", "small", cwd=alice)).values()) == {"ran"}

    assert statuses(statisfactory("run", "lab", "small", "--incremental", cwd=bob)) == {
        craft: "skipped" for craft in ("simulate", "fit", "keep", "summarise")
    }
    lineage = statisfactory("artifacts", "lineage", "summary", cwd=bob)
    assert lineage.returncode == 0, lineage.stderr
    assert "written by craft lab.models.simulate" in lineage.stdout
    assert "no recorded write" not in lineage.stdout

    models = bob / "lib/lab/models.py"
    models.write_text(models.read_text().replace('f"mean={', 'f"mean: {'))
    assert statuses(statisfactory("run", "lab", "small", "--incremental", cwd=bob)) == {
        "simulate": "skipped",
        "fit": "skipped",
        "keep": "skipped",
        "summarise": "ran",
    }
    # the last state recorded is bob's: alice's summarise now differs from it
    assert statuses(statisfactory("run", "lab", "small", "--incremental", cwd=alice)) == {
        "simulate": "skipped",
        "fit": "skipped",
        "keep": "skipped",
        "summarise": "ran",
    }
