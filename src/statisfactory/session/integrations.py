"""Builders for the session's integrations: AWS (boto3), git (pygit2), lakeFS (``lakefs`` SDK), Spark.

Each builder imports its SDK only when called, so that a project that does not use it never pays
for the import. Missing settings raise an :class:`IntegrationError` naming the keys to provide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from statisfactory.errors import IntegrationError, install_hint
from statisfactory.project.settings import ENVVAR_PREFIX

if TYPE_CHECKING:
    import boto3
    import lakefs
    import pygit2
    import pyspark.sql

AWS_KEYS = ("aws_access_key", "aws_secret_access_key", "aws_region")
AWS_OPTIONAL_KEYS = ("aws_s3_endpoint",)
AWS_ALIASES = {"aws_secret_access_key": "aws_secret_key"}  # the original README's spelling
LAKEFS_KEYS = ("lakefs_access_key", "lakefs_secret_access_key", "lakefs_endpoint")
LAKEFS_DEFAULT_BUCKET = "s3://lakefs/"
# lakeFS's own rule for repository names.
LAKEFS_REPOSITORY_NAME = re.compile(r"\A[a-z0-9][a-z0-9-]{2,62}\Z")


def require_settings(
    settings: Mapping[str, Any] | Any, keys: tuple[str, ...], *, what: str, extra: str = ""
) -> dict[str, Any]:
    """The values of ``keys``; when any is missing, an error naming each and where to set it."""
    values = {key: settings.get(key) for key in keys}
    missing = [key for key, value in values.items() if value in (None, "")]
    if missing:
        folder = settings.get("configuration") or "conf"  # as written in pyproject.toml
        variables = ", ".join(f"{ENVVAR_PREFIX}_{key.upper()}" for key in missing)
        raise IntegrationError(
            f"{what} is not configured: set {', '.join(missing)} in {folder}/locals.yaml, "
            f"or the environment variables {variables}.{extra}"
        )
    return values


def _import(module: str, extra: str) -> ModuleType:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise IntegrationError(f"{module} is not installed: {install_hint(extra)}.") from error


def build_aws_session(settings: Any) -> boto3.Session:
    """A ``boto3.Session`` from the ``aws_*`` settings."""
    with_aliases = {key: settings.get(key) for key in (*AWS_KEYS, "configuration")}
    for key, alias in AWS_ALIASES.items():
        if with_aliases[key] in (None, ""):
            with_aliases[key] = settings.get(alias)
    values = require_settings(
        with_aliases,
        AWS_KEYS,
        what="AWS",
        extra=" aws_s3_endpoint is optional (an S3-compatible server's URL).",
    )
    session: boto3.Session = _import("boto3", "s3").Session(
        aws_access_key_id=str(values["aws_access_key"]),
        aws_secret_access_key=str(values["aws_secret_access_key"]),
        region_name=str(values["aws_region"]),
    )
    return session


def build_git_repository(root: Path) -> pygit2.Repository:
    """The ``pygit2.Repository`` enclosing ``root``."""
    # pygit2 takes a noticeable share of a short command's start-up: outside any repository
    # (no `.git` at or above root, root not a bare repository) it is not imported at all.
    sdk = _import("pygit2", "git") if _may_be_in_repository(root) else None
    found = sdk.discover_repository(str(root)) if sdk is not None else None
    if sdk is None or found is None:
        raise IntegrationError(
            f"{root} is not inside a git repository: run `git init` in the project root "
            f"(or clone the project) to use session.git."
        )
    repository: pygit2.Repository = _import("pygit2", "git").Repository(found)
    return repository


def _may_be_in_repository(root: Path) -> bool:
    """Whether a ``.git`` (folder, or file of a linked worktree or submodule) is at or above
    ``root``, or ``root`` or a parent is a bare repository, as git's discovery looks for."""
    root = root.resolve()
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return True
        if (folder / "HEAD").is_file() and (folder / "objects").is_dir():
            return True
    return False


def build_lakefs_client(settings: Any) -> lakefs.Client:
    """A ``lakefs.Client`` from the ``lakefs_*`` settings (the maintained ``lakefs`` SDK)."""
    values = require_settings(settings, LAKEFS_KEYS, what="lakeFS")
    client: lakefs.Client = _import("lakefs", "lakefs").Client(
        host=str(values["lakefs_endpoint"]),
        username=str(values["lakefs_access_key"]),
        password=str(values["lakefs_secret_access_key"]),
    )
    return client


def build_lakefs_repository(
    client: lakefs.Client, *, slug: str, settings: Any
) -> lakefs.Repository:
    """The lakeFS repository named after the project slug, created when absent."""
    if not LAKEFS_REPOSITORY_NAME.match(slug):
        raise IntegrationError(
            f"project_slug {slug!r} (pyproject.toml, [tool.statisfactory]) cannot name a lakeFS "
            f"repository: lakeFS allows 3 to 63 lowercase letters, digits and '-', starting with "
            f"a letter or a digit. Change project_slug to use lakeFS."
        )
    sdk = _import("lakefs", "lakefs")
    bucket = str(settings.get("lakefs_bucket") or LAKEFS_DEFAULT_BUCKET)
    namespace = f"{bucket.rstrip('/')}/{slug}"
    try:
        repository: lakefs.Repository = sdk.Repository(slug, client=client).create(
            storage_namespace=namespace, default_branch="main", exist_ok=True
        )
        return repository
    except Exception as error:  # the SDK raises many transport and server errors
        raise IntegrationError(
            f"lakeFS repository {slug!r} at {settings.get('lakefs_endpoint')} cannot be opened "
            f"or created (storage namespace {namespace}): {type(error).__name__}. Check "
            f"lakefs_endpoint and the credentials in "
            f"{settings.get('configuration') or 'conf'}/locals.yaml."
        ) from error


# --- Spark ------------------------------------------------------------------------------------
SPARK_SETTING = "spark"
SPARK_KEYS = ("master", "app_name", "conf")
SPARK_DEFAULT_MASTER = "local[*]"


def spark_conf(settings: Any, *, slug: str, root: Path) -> dict[str, str]:
    """The Spark configuration of the ``spark`` settings (``master``, ``app_name``, ``conf``),
    with the ``aws_*`` settings mapped to ``s3a`` (Hadoop's S3 connector) when they are set."""
    raw = settings.get(SPARK_SETTING) or {}
    folder = settings.get("configuration") or "conf"
    if not isinstance(raw, Mapping):
        raise IntegrationError(
            f"Setting '{SPARK_SETTING}' must be a mapping such as {{master: 'local[*]', conf: "
            f"{{...}}}}, got {type(raw).__name__}: fix it in {folder}/globals.yaml."
        )
    unknown = sorted(set(raw) - set(SPARK_KEYS))
    if unknown:
        raise IntegrationError(
            f"Setting '{SPARK_SETTING}' has unknown key(s) {', '.join(unknown)}: its keys are "
            f"{', '.join(SPARK_KEYS)} (Spark's own options go under {SPARK_SETTING}.conf); fix "
            f"it in {folder}/globals.yaml."
        )
    conf = raw.get("conf") or {}
    if not isinstance(conf, Mapping):
        raise IntegrationError(
            f"Setting '{SPARK_SETTING}.conf' must map Spark options to values "
            f"(spark.sql.shuffle.partitions: 8), got {type(conf).__name__}: fix it in "
            f"{folder}/globals.yaml."
        )
    values = {
        "spark.master": str(raw.get("master") or SPARK_DEFAULT_MASTER),
        "spark.app.name": str(raw.get("app_name") or slug),
        # Tables of spark.table artifacts live in the project, not in the working directory.
        "spark.sql.warehouse.dir": (root / "spark-warehouse").as_posix(),
        **_s3a_conf(settings),
    }
    values.update({str(key): _spark_value(value) for key, value in conf.items()})
    return values


def _spark_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _s3a_conf(settings: Any) -> dict[str, str]:
    """Hadoop's ``fs.s3a.*`` options from the ``aws_*`` settings (none when they are unset)."""
    key = settings.get("aws_access_key")
    secret = settings.get("aws_secret_access_key") or settings.get(
        AWS_ALIASES["aws_secret_access_key"]
    )
    if key in (None, "") or secret in (None, ""):
        return {}
    prefix = "spark.hadoop.fs.s3a."
    conf = {
        f"{prefix}access.key": str(key),
        f"{prefix}secret.key": str(secret),
        f"{prefix}aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
    }
    region = settings.get("aws_region")
    if region:
        conf[f"{prefix}endpoint.region"] = str(region)
    endpoint = settings.get("aws_s3_endpoint")
    if endpoint:  # an S3-compatible server (moto, MinIO): addressed by path, TLS as its URL says
        conf[f"{prefix}endpoint"] = str(endpoint)
        conf[f"{prefix}path.style.access"] = "true"
        conf[f"{prefix}connection.ssl.enabled"] = str(str(endpoint).startswith("https")).lower()
    return conf


def build_spark_session(settings: Any, *, slug: str, root: Path) -> pyspark.sql.SparkSession:
    """A ``pyspark.sql.SparkSession`` from the ``spark`` settings, stopped when the process exits."""
    import atexit

    conf = spark_conf(settings, slug=slug, root=root)
    sql = _import("pyspark.sql", "spark")
    builder = sql.SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark: pyspark.sql.SparkSession = builder.getOrCreate()
    except Exception as error:  # no Java, a bad option: pyspark raises several kinds
        raise IntegrationError(
            f"The Spark session cannot start ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}). Spark needs a Java runtime "
            f"(17 or later: `java -version`, or set JAVA_HOME); check the '{SPARK_SETTING}' "
            f"settings."
        ) from error
    atexit.register(spark.stop)
    return spark
