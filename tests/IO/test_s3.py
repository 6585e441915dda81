"""``s3://`` artifacts on a real S3 server (moto, in its own process, with authentication on)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from _servers import free_port, unique_name
from statisfactory.errors import MissingArtifactError, StorageError, VersionNotFoundError


def catalog_yaml(bucket: str) -> str:
    return f"""
        - name: table
          type: parquet
          extra: {{path: "s3://{bucket}/tables/table.parquet"}}
        - name: by_day
          type: csv
          extra: {{path: "s3://{bucket}/days/!{{day}}.csv"}}
        - name: blob
          type: binary
          extra: {{path: "s3://{bucket}/blobs/blob.bin"}}
    """


@pytest.fixture
def s3_session(session_factory, s3_locals):
    """``make(**locals_overrides) -> (session, bucket)``: a project whose catalog lives in S3."""

    def make(**overrides: str):
        bucket = unique_name("bucket")
        session = session_factory(
            {
                "catalog/catalog.yaml": catalog_yaml(bucket),
                "conf/locals.yaml": s3_locals(**overrides),
            }
        )
        return session, bucket

    return make


def test_save_creates_the_bucket_and_load_reads_it_back(s3_session, moto_server):
    session, bucket = s3_session()
    frame = pd.DataFrame({"x": range(1000), "y": [f"v{i}" for i in range(1000)]})
    assert not session.catalog.exists("table")
    session.catalog.save("table", frame)
    assert session.catalog.exists("table")
    pd.testing.assert_frame_equal(session.catalog.load("table"), frame)
    # The object is where the entry says, on the configured endpoint.
    stored = moto_server.client().head_object(Bucket=bucket, Key="tables/table.parquet")
    assert stored["ContentLength"] > 0


def test_dynamic_keys_select_the_object(s3_session, moto_server):
    session, bucket = s3_session()
    for day in ("monday", "tuesday"):
        session.catalog.save("by_day", pd.DataFrame({"day": [day]}), day=day)
    assert session.catalog.load("by_day", day="tuesday")["day"].tolist() == ["tuesday"]
    keys = moto_server.client().list_objects_v2(Bucket=bucket, Prefix="days/")["Contents"]
    assert sorted(item["Key"] for item in keys) == ["days/monday.csv", "days/tuesday.csv"]


def test_large_objects_travel_in_parts(s3_session, moto_server):
    session, bucket = s3_session()
    payload = os.urandom(40 * 1024 * 1024)
    session.catalog.save("blob", payload)
    head = moto_server.client().head_object(Bucket=bucket, Key="blobs/blob.bin")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three 16 MiB parts
    assert session.catalog.load("blob") == payload


def test_a_failed_save_leaves_the_previous_object(s3_session):
    session, _ = s3_session()
    session.catalog.save("table", pd.DataFrame({"x": [1, 2]}))
    unwritable = pd.DataFrame({"x": [object(), object()]})  # pyarrow cannot serialise it
    with pytest.raises(Exception, match="table"):
        session.catalog.save("table", unwritable)
    assert session.catalog.load("table")["x"].tolist() == [1, 2]


def test_a_missing_object_names_the_artifact_and_the_url(s3_session):
    session, bucket = s3_session()
    with pytest.raises(MissingArtifactError) as caught:
        session.catalog.load("table")
    message = str(caught.value)
    assert "'table'" in message
    assert f"s3://{bucket}/tables/table.parquet" in message


def test_wrong_credentials_name_the_endpoint_never_the_secret(s3_session, moto_server):
    session, _ = s3_session(aws_secret_access_key="wrong-secret-value-123")
    with pytest.raises(StorageError) as caught:
        session.catalog.save("table", pd.DataFrame({"x": [1]}))
    message = str(caught.value)
    assert "'table'" in message
    assert moto_server.endpoint in message
    assert "aws_secret_access_key" in message
    assert "wrong-secret-value-123" not in message


def test_an_unreachable_endpoint_fails_after_bounded_retries(s3_session):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    session, _ = s3_session(aws_s3_endpoint=endpoint, aws_max_attempts=2)
    with pytest.raises(StorageError) as caught:
        session.catalog.load("table")
    message = str(caught.value)
    assert "'table'" in message
    assert endpoint in message
    assert "2 attempt(s)" in message
    assert "aws_s3_endpoint" in message


def test_a_silent_endpoint_fails_after_the_read_timeout(session_factory):
    import socket

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        session = session_factory(
            {
                "catalog/catalog.yaml": catalog_yaml("any-bucket"),
                "conf/locals.yaml": f"""
                    aws_access_key: AKIAEXAMPLE
                    aws_secret_access_key: silent-secret-value
                    aws_region: eu-west-1
                    aws_s3_endpoint: {endpoint}
                    aws_read_timeout: 0.5
                    aws_max_attempts: 2
                """,
            }
        )
        with pytest.raises(StorageError) as caught:
            session.catalog.save("blob", b"x")
    message = str(caught.value)
    assert "'blob'" in message and endpoint in message
    assert "did not answer within 0.5 s (2 attempt(s))" in message
    assert "aws_read_timeout" in message and "silent-secret-value" not in message


def test_settings_from_environment_variables(session_factory, moto_server, monkeypatch):
    bucket = unique_name("bucket")
    monkeypatch.setenv("STATISFACTORY_AWS_ACCESS_KEY", moto_server.access_key)
    monkeypatch.setenv("STATISFACTORY_AWS_SECRET_ACCESS_KEY", moto_server.secret_key)
    monkeypatch.setenv("STATISFACTORY_AWS_REGION", moto_server.region)
    monkeypatch.setenv("STATISFACTORY_AWS_S3_ENDPOINT", moto_server.endpoint)
    session = session_factory({"catalog/catalog.yaml": catalog_yaml(bucket)})
    session.catalog.save("blob", b"from the environment")
    assert moto_server.client().get_object(Bucket=bucket, Key="blobs/blob.bin")["Body"].read() == (
        b"from the environment"
    )


def test_one_client_per_session(s3_session):
    from statisfactory.IO.backends.s3 import S3Backend

    first, _ = s3_session()
    second, _ = s3_session()
    backend = first.catalog.backend("s3")
    assert isinstance(backend, S3Backend)
    assert backend.connection() is backend.connection()
    assert backend.connection().client is not second.catalog.backend("s3").connection().client


# --- the server dies in the middle of a pipeline --------------------------------------------------
PIPELINE_CRAFTS = """
    import json

    import pandas as pd

    from statisfactory import Artifact, Craft


    @Craft()
    def ingest(version: int) -> Artifact("raw"):
        return pd.DataFrame({"version": [version] * 100, "x": range(100)})


    @Craft()
    def publish(raw: Artifact) -> Artifact("shared"):
        return raw.assign(y=raw.x * 2)


    @Craft()
    def report(shared: Artifact) -> Artifact("report"):
        return {"version": int(shared.version.iloc[0]), "total": int(shared.y.sum())}
"""


def test_a_server_killed_mid_pipeline_fails_cleanly_and_a_rerun_succeeds(session_factory):
    from services import running_moto
    from statisfactory import Craft
    from statisfactory.errors import StatisfactoryError
    from statisfactory.pipeline import Pipeline

    with running_moto(authenticated=False) as server:
        session = session_factory(
            {
                "catalog/catalog.yaml": """
                    - {name: raw, type: parquet, extra: {path: data/raw.parquet}}
                    - {name: shared, type: parquet, extra: {path: "s3://shared-bucket/shared.parquet"}}
                    - {name: report, type: json, extra: {path: data/report.json}}
                """,
                "conf/locals.yaml": server.locals_yaml(aws_max_attempts=2),
                "lib/steps.py": PIPELINE_CRAFTS,
            }
        )
        import steps

        pipeline: Pipeline = steps.report + steps.publish + steps.ingest
        with session:
            pipeline(version=1)
        assert session.catalog.load("report") == {"version": 1, "total": 9900}

        def outage(target):  # the server dies as the craft that writes to it starts
            if getattr(target, "name", None) == "publish":
                server.kill()

        Craft.hook_pre_run()(outage)
        try:
            with session, pytest.raises(StatisfactoryError) as caught:
                pipeline(version=2)
        finally:
            Craft.discard_hook(outage)
        chain = []
        error: BaseException | None = caught.value
        while error is not None:
            chain.append(str(error))
            error = error.__cause__
        assert any("'shared'" in text and server.endpoint in text for text in chain)

        # Local artifacts are whole: the new raw table, the previous report, no stray files.
        assert session.catalog.load("raw")["version"].iloc[0] == 2
        assert session.catalog.load("report") == {"version": 1, "total": 9900}
        assert sorted(p.name for p in (session.root / "data").iterdir()) == [
            "raw.parquet",
            "report.json",
        ]

        server.start()  # back, empty: the bucket is created again on the next save
        with session:
            pipeline(version=3)
        assert session.catalog.load("report") == {"version": 3, "total": 9900}


def test_versions_live_beside_the_object_and_restore_copies_server_side(
    session_factory, s3_locals, moto_server
):
    bucket = unique_name("bucket")
    session = session_factory(
        {
            "catalog/catalog.yaml": f"""
                - name: model
                  type: pickle
                  versioned: true
                  extra: {{path: "s3://{bucket}/models/model.pkl"}}
            """,
            "conf/locals.yaml": s3_locals(),
        }
    )
    catalog = session.catalog
    for value in ({"alpha": 1}, {"alpha": 2}, {"alpha": 1}):
        catalog.save("model", value)
    versions = catalog.versions("model")
    assert [v.current for v in versions] == [True, False]  # identical bytes stored once
    listed = moto_server.client().list_objects_v2(
        Bucket=bucket, Prefix="models/.statisfactory/versions/model.pkl/"
    )
    assert len(listed["Contents"]) == 2
    assert catalog.load("model", version=versions[1].version) == {"alpha": 2}
    catalog.restore("model", versions[1].version)
    assert catalog.load("model") == {"alpha": 2}
    assert [v.current for v in catalog.versions("model")] == [False, True]
    with pytest.raises(VersionNotFoundError) as caught:
        catalog.load("model", version="nope")
    assert versions[0].version in str(caught.value) and "'model'" in str(caught.value)
