"""Server fixtures for the tests, as a pytest plugin that ``tests/conftest.py`` registers with
``pytest_plugins``. Each server starts once
per test session and stops at its end. A server that cannot start skips its tests on a
developer's machine and fails them in CI.

- ``moto_server``: an authenticated moto S3 server (:class:`_servers.MotoServer`).
- ``s3_locals``: ``make(**overrides)``, the ``conf/locals.yaml`` text pointing a project at it.
- ``postgres_server``: a PostgreSQL cluster (:class:`_servers.PostgresServer`).
- ``mlflow_server``: an MLflow tracking server on SQLite (:class:`_servers.MlflowServer`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from _servers import MlflowServer, MotoServer, PostgresServer, start_postgres
from service_guard import service_unavailable


@contextlib.contextmanager
def running_moto(*, authenticated: bool = True) -> Iterator[MotoServer]:
    """A moto server for the duration of the block (skipped or failed when it cannot start)."""
    server = MotoServer(authenticated=authenticated)
    try:
        server.start()
    except Exception as error:
        service_unavailable(f"moto S3 server: {error}")
    try:
        yield server
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One authenticated moto S3 server for the whole test session."""
    with running_moto() as server:
        yield server


@pytest.fixture
def s3_locals(moto_server: MotoServer) -> Callable[..., str]:
    """``make(**overrides) -> locals.yaml text`` for the shared moto server."""
    return moto_server.locals_yaml


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole test session, removed at the end."""
    try:
        server = start_postgres()
    except Exception as error:
        service_unavailable(f"PostgreSQL did not start: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server() -> Iterator[MlflowServer]:
    """One MLflow tracking server for the whole test session, removed at the end."""
    import shutil

    server = MlflowServer()
    try:
        server.start()
    except Exception as error:
        shutil.rmtree(server.base, ignore_errors=True)
        service_unavailable(f"mlflow server: {error}")
    yield server
    server.stop()
    shutil.rmtree(server.base, ignore_errors=True)
