"""Spark artifacts with a real local Spark: one project and one SparkSession for the module
(a Spark start-up takes seconds). A mixed pandas and Spark pipeline, save modes and partitions,
``!{}`` locations, a metastore table, and incremental runs that skip unchanged crafts."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from service_guard import service_unavailable
from statisfactory.errors import CatalogError, MissingArtifactError

pytest.importorskip("pyspark")

PROJECT = {
    "lib/mixed.py": """
        import pandas as pd

        from statisfactory import Artifact, Craft


        @Craft()
        def raw(rows: int = 6) -> Artifact("raw"):
            return pd.DataFrame({"id": range(rows), "group": [i % 2 for i in range(rows)]})


        @Craft()
        def enrich(raw: Artifact) -> Artifact("events"):
            return raw.withColumn("double", raw["id"] * 2)   # a Spark DataFrame


        @Craft()
        def summarise(events: Artifact) -> Artifact("summary"):
            return events.groupBy("group").count().toPandas().sort_values("group")
    """,
    "catalog/catalog.yaml": """
        - name: raw
          type: spark.parquet
          extra: {path: data/raw}
        - name: events
          type: spark.parquet
          extra: {path: "data/events_!{rows}", partition_by: [group]}
        - name: summary
          type: parquet
          extra: {path: data/summary.parquet}
        - name: exported
          type: spark.csv
          extra: {path: data/exported, mode: append}
          save_options: {header: true}
          load_options: {header: true, inferSchema: true}
        - name: lines
          type: spark.json
          extra: {path: data/lines}
        - name: absent
          type: spark.json
          extra: {path: data/nowhere}
        - name: registered
          type: spark.table
          extra: {table: "events_!{rows}"}
    """,
    "pipelines/definitions/p.yaml": "mixed:\n  +operators: [mixed.raw, mixed.enrich, mixed.summarise]\n",
    "conf/globals.yaml": "spark: {master: 'local[1]', conf: {spark.sql.shuffle.partitions: 2, spark.ui.enabled: false}}\n",
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A project at ``root`` with ``files`` (the module-scoped fixture cannot take the
    function-scoped ``project_factory``)."""
    (root / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.statisfactory]\nproject_slug = "demo"\nconfiguration = "conf"\n'
        'catalog = "catalog"\npipelines_definitions = "pipelines/definitions"\n'
    )
    for relative, text in {"conf/locals.yaml": "", "conf/globals.yaml": "", **files}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(textwrap.dedent(text))
    return root


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from statisfactory import Session

    if shutil.which("java") is None and not Path("/usr/lib/jvm").exists():
        service_unavailable("no Java runtime for Spark (apt-get install openjdk-17-jre-headless)")
    root = write_project(tmp_path_factory.mktemp("spark") / "project", PROJECT)
    built = Session(root_folder=root)
    yield built
    if "spark" in built.resources:
        built.spark.stop()


def test_the_spark_session_follows_the_settings(session) -> None:
    spark = session.spark
    assert spark is session.spark  # built once
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.master") == "local[1]"
    assert conf.get("spark.app.name") == "demo"  # the project slug
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert conf.get("spark.sql.warehouse.dir").endswith("project/spark-warehouse")


def test_a_pipeline_mixes_pandas_and_spark_artifacts_and_skips_what_did_not_change(
    session,
) -> None:
    pipeline = session.pipelines_definitions["mixed"]
    with session:
        first = pipeline.run({"rows": 6}, incremental=True)
        again = pipeline.run({"rows": 6}, incremental=True)
    assert set(first.statuses.values()) == {"done"}, first.statuses
    assert set(again.statuses.values()) == {"skipped"}, again.statuses

    events = session.root / "data/events_6"
    assert sorted(p.name for p in events.iterdir() if p.is_dir()) == ["group=0", "group=1"]
    summary = session.catalog.load("summary")
    assert summary["count"].tolist() == [3, 3]
    assert first.written["events"] == str(events)  # lineage: where each save went

    # A part file changed since the run: its producer runs again, and what reads it after.
    (session.root / "data/raw").joinpath("_SUCCESS").write_text("touched")
    with session:
        third = pipeline.run({"rows": 6}, incremental=True)
    assert third.statuses["mixed.raw"] == "done" and third.statuses["mixed.enrich"] == "done"


def test_save_modes_and_options_reach_spark(session) -> None:
    frame = session.spark.createDataFrame([(1, "a"), (2, "b")], ["n", "letter"])
    session.catalog.save("exported", frame)
    session.catalog.save("exported", frame)  # mode: append
    loaded = session.catalog.load("exported")
    assert loaded.count() == 4
    assert dict(loaded.dtypes) == {"n": "int", "letter": "string"}  # header + inferSchema
    session.catalog.save("lines", frame)
    session.catalog.save("lines", frame)  # default mode: overwrite
    assert session.catalog.load("lines").count() == 2


def test_a_metastore_table_round_trips(session) -> None:
    frame = session.spark.createDataFrame([(1,), (2,), (3,)], ["n"])
    session.catalog.save("registered", frame, rows=3)
    assert session.catalog.load("registered", rows=3).count() == 3
    assert session.catalog.locate("registered", rows=3) == "spark.table:events_3"


def test_mistakes_name_the_artifact(session) -> None:
    with pytest.raises(
        MissingArtifactError, match=r"'absent'.*nothing is stored at .*data/nowhere"
    ):
        session.catalog.load("absent")
    with pytest.raises(CatalogError, match=r"saves a Spark \(or pandas\) DataFrame, got list"):
        session.catalog.save("exported", [1, 2])
    with pytest.raises(MissingArtifactError, match=r"no table 'events_404'"):
        session.catalog.load("registered", rows=404)


def test_a_remote_folder_is_listed_through_hadoop_as_a_local_one(session) -> None:
    from statisfactory.IO.interactors.folders import local_listing

    session.catalog.save("lines", session.spark.createDataFrame([(1,)], ["n"]))
    interactor = session.catalog.interactor("lines", {})
    through_hadoop = interactor._listing()  # what s3a:// folders are fingerprinted with
    assert through_hadoop is not None
    local = local_listing(session.root / "data/lines")
    assert [(name, size) for name, size, _ in through_hadoop] == [
        (name, size) for name, size, _ in local
    ]
    assert any(name.startswith("part-") for name, _, _ in local)
