"""Artifacts in S3 are fingerprinted by their ETag: incremental runs and lineage work there too."""

from __future__ import annotations

import pytest

from servers import unique_name
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
