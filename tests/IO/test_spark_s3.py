"""A Spark artifact round trip on S3 (the moto server) through s3a.

pyspark ships no ``hadoop-aws`` connector, and Maven Central may be out of reach: the test runs
when ``STATISFACTORY_SPARK_S3_JARS`` lists the connector's jar files (``hadoop-aws`` and the AWS
SDK bundle matching pyspark's Hadoop), or when pyspark's own jars folder holds them.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest
from test_spark import write_project

pyspark = pytest.importorskip("pyspark")


def s3a_jars() -> list[str]:
    listed = [j for j in os.environ.get("STATISFACTORY_SPARK_S3_JARS", "").split(",") if j]
    shipped = glob.glob(str(Path(pyspark.__file__).parent / "jars" / "hadoop-aws-*.jar"))
    return listed or shipped


@pytest.mark.service
@pytest.mark.skipif(not s3a_jars(), reason="no hadoop-aws jars for s3a (see the module docstring)")
def test_a_spark_artifact_round_trips_on_s3(tmp_path, moto_server) -> None:
    from statisfactory import Session

    jars = ",".join(s3a_jars()) if os.environ.get("STATISFACTORY_SPARK_S3_JARS") else ""
    conf = f", conf: {{spark.jars: '{jars}'}}" if jars else ""
    root = write_project(
        tmp_path / "project",
        {
            "conf/globals.yaml": f"spark: {{master: 'local[1]'{conf}}}\n",
            "conf/locals.yaml": moto_server.locals_yaml(),
            "catalog/catalog.yaml": """
                - name: remote
                  type: spark.parquet
                  extra: {path: "s3://spark-bucket/frames/!{day}"}
            """,
        },
    )
    moto_server.client().create_bucket(
        Bucket="spark-bucket",
        CreateBucketConfiguration={"LocationConstraint": moto_server.region},
    )
    session = Session(root_folder=root)
    try:
        frame = session.spark.createDataFrame([(1, "a"), (2, "b")], ["n", "letter"])
        session.catalog.save("remote", frame, day="d1")
        assert session.catalog.locate("remote", day="d1") == "s3a://spark-bucket/frames/d1"
        assert session.catalog.load("remote", day="d1").count() == 2
        interactor = session.catalog.interactor("remote", {"day": "d1"})
        assert "part-" in interactor.fingerprint()
    finally:
        session.spark.stop()
