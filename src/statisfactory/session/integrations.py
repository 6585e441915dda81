"""Builders for the session's integrations: AWS (boto3), git (pygit2) and lakeFS (``lakefs`` SDK).

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
    sdk = _import("pygit2", "git")
    found = sdk.discover_repository(str(root))
    if found is None:
        raise IntegrationError(
            f"{root} is not inside a git repository: run `git init` in the project root "
            f"(or clone the project) to use session.git."
        )
    repository: pygit2.Repository = sdk.Repository(found)
    return repository


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
