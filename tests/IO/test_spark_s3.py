"""Spark artifacts on S3 (the moto server).

pyspark ships no ``hadoop-aws`` connector: without it on Spark's classpath an ``s3://`` or
``s3a://`` Spark artifact is staged through the driver (Spark writes and reads a local folder,
the project's S3 backend moves the part files), and that is what runs here. With
``STATISFACTORY_SPARK_S3_JARS`` listing the connector's jars (``hadoop-aws`` and the AWS SDK
bundle matching pyspark's Hadoop), the same test runs through s3a natively.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from test_spark import write_project

from _servers import unique_name
from service_guard import service_unavailable

pytest.importorskip("pyspark")


@pytest.mark.service
def test_a_spark_artifact_round_trips_on_s3(tmp_path, moto_server, caplog) -> None:
    from statisfactory import Session

    if shutil.which("java") is None and not Path("/usr/lib/jvm").exists():
        service_unavailable("no Java runtime for Spark (apt-get install openjdk-17-jre-headless)")
    jars = os.environ.get("STATISFACTORY_SPARK_S3_JARS", "")
    conf = f", conf: {{spark.jars: '{jars}'}}" if jars else ""
    bucket = unique_name("spark")
    root = write_project(
        tmp_path / "project",
        {
            "conf/globals.yaml": f"spark: {{master: 'local[1]'{conf}}}\n",
            "conf/locals.yaml": moto_server.locals_yaml(),
            "pipelines/definitions/p.yaml": "{}\n",
            "catalog/catalog.yaml": f"""
                - name: remote
                  type: spark.parquet
                  extra: {{path: "s3://{bucket}/frames/!{{day}}", partition_by: [letter]}}
                - name: appended
                  type: spark.json
                  extra: {{path: "s3a://{bucket}/appended", mode: append}}
            """,
        },
    )
    client = moto_server.client()
    session = Session(root_folder=root)
    try:
        frame = session.spark.createDataFrame([(1, "a"), (2, "b")], ["n", "letter"])
        with caplog.at_level(logging.WARNING, logger="statisfactory"):
            assert not session.catalog.exists("remote", day="d1")
            session.catalog.save("remote", frame, day="d1")
            assert session.catalog.locate("remote", day="d1") == f"s3a://{bucket}/frames/d1"
            loaded = session.catalog.load("remote", day="d1")
            assert sorted(loaded.toPandas()["n"]) == [1, 2]
            interactor = session.catalog.interactor("remote", {"day": "d1"})
            fingerprint = interactor.fingerprint()
            assert "letter=a/part-" in fingerprint

            # Overwrite: the folder holds the new part files only.
            client.put_object(Bucket=bucket, Key="frames/d1/letter=z/stale.parquet", Body=b"x")
            session.catalog.save("remote", frame.limit(1), day="d1")
            assert session.catalog.load("remote", day="d1").count() == 1
            assert "stale" not in interactor.fingerprint()
            assert interactor.fingerprint() != fingerprint

            session.catalog.save("appended", frame)
            session.catalog.save("appended", frame)
            assert session.catalog.load("appended").count() == 4
        staging = [r.getMessage() for r in caplog.records if "hadoop-aws" in r.getMessage()]
        assert len(staging) == (0 if jars else 1), staging
        assert "spark.jars.packages" in "".join(staging) or jars
    finally:
        session.spark.stop()
