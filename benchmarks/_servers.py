"""Real servers in their own processes, for the benchmarks and the tests: moto's S3 server, a
PostgreSQL cluster and an MLflow tracking server. Nothing here needs pytest; the tests import it
from ``benchmarks`` (``pythonpath`` in ``pyproject.toml``) and ``tests/services.py`` turns the
servers into fixtures.

- :class:`MotoServer`: ``python -m moto.server`` on a free loopback port; with ``authenticated``,
  requests must carry the credentials of an IAM user it creates, so wrong ones are refused as
  by AWS.
- :class:`PostgresServer`: ``initdb`` + ``pg_ctl`` in a temporary folder, on a free port, as the
  ``postgres`` user when running as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 30.0
MOTO_REGION = "eu-west-1"


def free_port() -> int:
    """A TCP port nobody listens on at this moment (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen | None, timeout: float) -> bool:
    """Whether ``port`` accepts connections before ``timeout`` (False early if ``process`` dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


def unique_name(prefix: str) -> str:
    """A name no other test uses: ``prefix-`` and 12 hex digits (valid for buckets and tables)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- moto (S3) ------------------------------------------------------------------------------------
@dataclass
class MotoServer:
    """A moto server process; ``kill()`` then ``start()`` brings it back, empty, on the same port."""

    port: int = field(default_factory=free_port)
    authenticated: bool = True
    region: str = MOTO_REGION
    access_key: str = "AKIAUNAUTHENTICATED0"
    secret_key: str = "not-checked"
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix="-moto.log")[1]))
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
        if self.authenticated:  # requests after the IAM set-up below need valid credentials
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        if not wait_for_port(self.port, process=self.process, timeout=START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"moto server did not start on port {self.port}: {self.tail()}")
        if self.authenticated:
            self._create_user()

    def _create_user(self) -> None:
        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="statisfactory")
        everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        iam.put_user_policy(
            UserName="statisfactory",
            PolicyName="everything",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [everything]}),
        )
        key = iam.create_access_key(UserName="statisfactory")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]

    def kill(self) -> None:
        """Stop the server abruptly, as a crash would (its data is lost)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def client(self):
        """A boto3 S3 client on this server, with valid credentials."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def locals_yaml(self, **overrides: str) -> str:
        """``conf/locals.yaml`` lines pointing a project at this server."""
        values = {
            "aws_access_key": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "aws_region": self.region,
            "aws_s3_endpoint": self.endpoint,
            **overrides,
        }
        return "".join(f"{key}: {json.dumps(value)}\n" for key, value in values.items())


# --- PostgreSQL -----------------------------------------------------------------------------------
@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, reachable on 127.0.0.1 with a password."""

    port: int
    base: Path
    binaries: Path
    user: str = "statisfactory"
    password: str = "pg-secret-Zq81"
    database: str = "statisfactory"
    run_as: list[str] = field(default_factory=list)

    def url(self, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _run(self, tool: str, *args: str) -> None:
        argv = [*self.run_as, str(self.binaries / tool), *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        password_file = self.base / "password"
        password_file.write_text(self.password + "\n")
        self._give_to_server_user()
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--encoding=UTF8",
            "--no-sync",
        )
        # Durability is not under test: trade it for speed.
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.base / "server.log"
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "-o", options
        )
        self._create_database()

    def _give_to_server_user(self) -> None:
        if not self.run_as:
            return
        account = pwd.getpwnam("postgres")
        for folder, _, files in os.walk(self.base):
            for path in (folder, *(os.path.join(folder, name) for name in files)):
                os.chown(path, account.pw_uid, account.pw_gid)

    def _create_database(self) -> None:
        import sqlalchemy

        engine = sqlalchemy.create_engine(
            self.url().rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {self.database}")
        engine.dispose()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.base, ignore_errors=True)


def postgres_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's versioned folders."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def server_user_prefix() -> list[str]:
    """How to run PostgreSQL's tools: as ourselves, or (when root) as the ``postgres`` user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "postgres"], check=True, capture_output=True
        )
    return ["runuser", "-u", "postgres", "--"]


def start_postgres() -> PostgresServer:
    """A running cluster in a new temporary folder; ``RuntimeError`` says why it cannot start."""
    binaries = postgres_binaries()
    if binaries is None:
        raise RuntimeError("initdb not found on PATH nor in /usr/lib/postgresql/*/bin")
    try:
        run_as = server_user_prefix()
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(
            f"cannot create the 'postgres' user to run PostgreSQL: {error}"
        ) from error
    base = Path(tempfile.mkdtemp(prefix="statisfactory-pg-"))
    server = PostgresServer(port=free_port(), base=base, binaries=binaries, run_as=run_as)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    return server


# --- MLflow tracking server -----------------------------------------------------------------------
MLFLOW_START_TIMEOUT = 240.0  # its first start migrates a new SQLite database; slow when loaded


@dataclass
class MlflowServer:
    """``mlflow server`` on a free loopback port, its SQLite store and artifacts in ``base``."""

    base: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="statisfactory-mlflow-"))
    )
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    def start(self) -> None:
        mlflow = Path(sys.executable).with_name("mlflow")
        argv = [
            str(mlflow) if mlflow.exists() else "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{self.base / 'mlflow.db'}",
            "--artifacts-destination",
            (self.base / "artifacts").as_uri(),
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if not wait_for_port(self.port, process=self.process, timeout=MLFLOW_START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"mlflow server did not start on port {self.port}: {self.tail()}")

    def stop(self) -> None:
        """Stop the server and its workers (its own process group)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
