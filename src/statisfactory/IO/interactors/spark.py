"""Spark DataFrames as artifacts, through the session's ``sess.spark``.

``spark.parquet``, ``spark.csv`` and ``spark.json`` are folders of part files at ``extra.path``
(a local path, relative to the project root, or any URL Spark reaches: ``s3a://``, and
``s3://`` read as ``s3a://``); ``spark.table`` is a table of Spark's catalog (``extra.table``).
``load_options`` go to ``DataFrameReader.options``, ``save_options`` to
``DataFrameWriter.options``; ``extra.mode`` is the save mode (default ``overwrite``) and
``extra.partition_by`` the partition columns. A pandas DataFrame saved to one of these types is
turned into a Spark one first.

The fingerprint of a folder (for incremental runs) is its listing: each file's relative name,
size and modification time; a local folder is listed without starting Spark.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from statisfactory.errors import CatalogError, MissingArtifactError
from statisfactory.IO.interactors import folders
from statisfactory.IO.interactors.base import ArtifactInteractor
from statisfactory.IO.interpolation import check_path, check_sql_values, scheme_of
from statisfactory.logger import get_logger

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SaveMode = Literal["overwrite", "append", "ignore", "error", "errorifexists"]
# Spark's Hadoop connector for S3 is s3a; s3:// locations are read and written through it.
SCHEME_ALIASES = {"s3": "s3a"}


class SparkExtra(BaseModel):
    """``extra`` of a Spark artifact: where (``path`` or ``table``), the save mode, partitions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    mode: SaveMode = "overwrite"
    partition_by: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("partition_by", "partitionBy")
    )


class SparkPathExtra(SparkExtra):
    path: str


class SparkTableExtra(SparkExtra):
    table: str


class SparkInteractor(ArtifactInteractor):
    """The base of the Spark types: reads and writes with ``sess.spark``."""

    spark_format: ClassVar[str] = ""

    @property
    def spark(self) -> SparkSession:
        session = self.session
        if session is None:
            raise CatalogError(
                f"{self.artifact.where}: a Spark artifact needs a session (sess.spark): load "
                f"it from a session's catalog, or inside `with session:`"
            )
        spark: SparkSession = session.spark
        return spark

    def load(self, **context: Any) -> DataFrame:
        reader = self.spark.read.options(**_texts(self.artifact.load_options))
        return self._read(reader)

    def save(self, asset: Any, **context: Any) -> None:
        frame = self._spark_frame(asset)
        extra = self.artifact.extra
        writer = frame.write.mode(extra.mode).options(**_texts(self.artifact.save_options))
        if extra.partition_by:
            missing = [c for c in extra.partition_by if c not in frame.columns]
            if missing:
                raise CatalogError(
                    f"{self.artifact.where}: extra.partition_by names {', '.join(missing)}, "
                    f"not columns of the DataFrame saved ({', '.join(frame.columns)})"
                )
            writer = writer.partitionBy(*extra.partition_by)
        self._write(writer)

    def _spark_frame(self, asset: Any) -> DataFrame:
        from pyspark.sql import DataFrame

        if isinstance(asset, DataFrame):
            return asset
        import pandas as pd

        if isinstance(asset, pd.DataFrame):
            return self.spark.createDataFrame(asset)
        raise CatalogError(
            f"{self.artifact.where}: type {self.interactor_name} saves a Spark (or pandas) "
            f"DataFrame, got {type(asset).__name__}"
        )

    def _read(self, reader: Any) -> DataFrame:
        raise NotImplementedError

    def _write(self, writer: Any) -> None:
        raise NotImplementedError


class SparkFiles(SparkInteractor):
    """A folder of part files in one of Spark's formats, at ``extra.path``."""

    Extra = SparkPathExtra
    dynamic_checks = {"path": check_path}

    def locate(self, **context: Any) -> str:
        path = str(self.artifact.extra.path)
        scheme = scheme_of(path)
        if scheme in SCHEME_ALIASES:
            return f"{SCHEME_ALIASES[scheme]}{path[len(scheme) :]}"
        if scheme:
            return path
        local = Path(path).expanduser()
        return str(local if local.is_absolute() else self.root / local)

    def _local(self) -> Path | None:
        location = self.locate()
        if location.startswith("file://"):
            return Path(location.removeprefix("file://"))
        return None if scheme_of(location) else Path(location)

    def _read(self, reader: Any) -> DataFrame:
        local = self._local()
        staged = self._staged()
        if staged is not None:
            local = _staging_folder()
            if not folders.download_folder(self._s3_backend(), staged, local):
                local = Path(staged)  # for the message below: nothing is there
        if local is not None and not local.exists():
            raise MissingArtifactError(
                f"{self.artifact.where}: nothing is stored at {staged or local}; save the "
                f"artifact first, or fix extra.path (or the values of its !{{}} variables)"
            )
        where = str(local) if staged is not None else self.locate()
        frame: DataFrame = reader.format(self.spark_format).load(where)
        return frame

    def _write(self, writer: Any) -> None:
        staged = self._staged()
        if staged is None:
            writer.format(self.spark_format).save(self.locate())
            return
        mode = self.artifact.extra.mode
        if mode != "overwrite" and self.exists():
            if mode == "ignore":
                return
            if mode in ("error", "errorifexists"):
                raise CatalogError(
                    f"{self.artifact.where}: {staged} already exists and extra.mode is {mode}"
                )
        local = _staging_folder()
        try:
            writer.mode("overwrite").format(self.spark_format).save(str(local))
            folders.upload_folder(self._s3_backend(), local, staged, replace=mode == "overwrite")
        finally:
            shutil.rmtree(local, ignore_errors=True)

    def exists(self, **context: Any) -> bool:
        local = self._local()
        if local is not None:
            return local.exists()
        return self._remote_listing() is not None

    def fingerprint(self, **context: Any) -> str | None:
        """The listing of the folder's files, one ``name size modification-time`` line each
        (the run history digests it); ``FileNotFoundError`` when nothing is stored."""
        local = self._local()
        listing = folders.local_listing(local) if local is not None else self._remote_listing()
        if listing is None:
            raise FileNotFoundError(self.locate())
        return folders.listing_text(listing)

    def _remote_listing(self) -> folders.Listing | None:
        staged = self._staged()
        if staged is not None:
            return folders.remote_listing(self._s3_backend(), staged)
        return self._listing()

    def _staged(self) -> str | None:
        """The ``s3://`` URL when this S3 folder goes through the driver (Spark has no s3a file
        system on its classpath), else None (Spark reaches the location itself)."""
        location = self.locate()
        if scheme_of(location) != "s3a" or _has_file_system(self.spark, "s3a"):
            return None
        _warn_staging_once()
        return "s3" + location[len("s3a") :]

    def _s3_backend(self) -> Any:
        return self.catalog.backend("s3")

    def _listing(self) -> folders.Listing | None:
        """The files under a remote location, through Spark's Hadoop file system."""
        spark = self.spark
        jvm: Any = spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(self.locate())
        system = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if not system.exists(path):
            return None
        root = system.makeQualified(path).toString().rstrip("/") + "/"
        files = system.listFiles(path, True)
        found: folders.Listing = []
        while files.hasNext():
            status = files.next()
            name = status.getPath().toString().removeprefix(root)
            found.append((name, int(status.getLen()), int(status.getModificationTime())))
        return sorted(found)


# Folders staged on the driver's local disk: a Spark DataFrame is read lazily, so what was
# downloaded for it stays until the process ends.
_STAGING: list[Path] = []
_WARNED: list[bool] = []
STAGING_WARNING = (
    "spark: Spark has no s3a file system (the hadoop-aws jars are not on its classpath): "
    "s3:// and s3a:// Spark artifacts are copied through this process's local disk, which "
    "suits a local Spark only. For a cluster, give Spark the connector in the spark.conf "
    "setting: spark.jars.packages: org.apache.hadoop:hadoop-aws:<pyspark's Hadoop version>"
)


def _has_file_system(spark: SparkSession, scheme: str) -> bool:
    """Whether Spark's Hadoop has a file system for ``scheme`` (asked once per Spark session)."""
    known: dict[str, bool] = spark.__dict__.setdefault("_statisfactory_file_systems", {})
    if scheme not in known:
        jvm: Any = spark.sparkContext._jvm
        configuration = spark.sparkContext._jsc.hadoopConfiguration()
        try:
            jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(scheme, configuration)
            known[scheme] = True
        except Exception:  # UnsupportedFileSystemException, or the class cannot be loaded
            known[scheme] = False
    return known[scheme]


def _warn_staging_once() -> None:
    if not _WARNED:
        _WARNED.append(True)
        get_logger("IO.spark").warning(STAGING_WARNING)


def _staging_folder() -> Path:
    """A fresh local folder under this process's staging folder (removed at exit)."""
    import atexit
    import tempfile

    if not _STAGING:
        _STAGING.append(Path(tempfile.mkdtemp(prefix="statisfactory-spark-")))
        atexit.register(shutil.rmtree, _STAGING[0], True)
    return Path(tempfile.mkdtemp(dir=_STAGING[0])) / "frame"


class SparkParquet(SparkFiles, interactor_name="spark.parquet"):
    spark_format = "parquet"


class SparkCsv(SparkFiles, interactor_name="spark.csv"):
    spark_format = "csv"


class SparkJson(SparkFiles, interactor_name="spark.json"):
    spark_format = "json"


class SparkTable(SparkInteractor, interactor_name="spark.table"):
    """A table of Spark's catalog (the session's metastore), named by ``extra.table``."""

    Extra = SparkTableExtra
    dynamic_checks = {"table": check_sql_values}

    def locate(self, **context: Any) -> str:
        return f"spark.table:{self.artifact.extra.table}"

    def exists(self, **context: Any) -> bool:
        return bool(self.spark.catalog.tableExists(self.artifact.extra.table))

    def _read(self, reader: Any) -> DataFrame:
        table = self.artifact.extra.table
        if not self.exists():
            raise MissingArtifactError(
                f"{self.artifact.where}: Spark's catalog has no table {table!r}; save the "
                f"artifact first, or fix extra.table (or the values of its !{{}} variables)"
            )
        frame: DataFrame = reader.table(table)
        return frame

    def _write(self, writer: Any) -> None:
        writer.saveAsTable(self.artifact.extra.table)


def _texts(options: Mapping[str, Any] | None) -> dict[str, str]:
    """Reader and writer options as Spark takes them: text, booleans as ``true``/``false``."""
    return {
        str(key): str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in (options or {}).items()
    }
