"""Amazon S3, or any S3-compatible server: ``s3://bucket/key`` through the session's boto3 session.

Settings (``conf/locals.yaml`` or ``STATISFACTORY_*`` variables): ``aws_access_key``,
``aws_secret_access_key``, ``aws_region``, ``aws_s3_endpoint`` (optional: the URL of an
S3-compatible server), and optionally ``aws_connect_timeout`` (s, default 2),
``aws_read_timeout`` (s, default 60) and ``aws_max_attempts`` (default 3, first try included).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import ParseResult

from statisfactory.IO.backends.base import StreamingBackend, spooled

PART_SIZE = 16 * 1024 * 1024
TRANSFER_THREADS = 8
DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 3

CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AccessDenied"}
)
MISSING_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})
VERSION_METADATA = "statisfactory-version"  # the version id of a versioned save's object


@dataclass
class S3Connection:
    """A boto3 S3 client, the transfer settings and the buckets known to exist."""

    client: Any
    endpoint: str
    attempts: int
    transfer: Any
    buckets: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class S3Backend(StreamingBackend, prefix="s3"):
    """Objects in S3 buckets: ``s3://bucket/path/to/key``.

    Transfers go through boto3's transfer manager (multipart, parallel parts) from or to a
    spooled temporary file. An object is replaced as a whole when the upload completes, so a
    failed save leaves the previous object. The bucket is created on the first save when it does
    not exist. Errors name the endpoint, never a secret; the catalog adds the artifact.
    """

    def exists(self, *, fragment: ParseResult, **kwargs: Any) -> bool:
        connection = self.connection()
        bucket, key = split_url(fragment)
        try:
            with translated_errors(connection, fragment):
                connection.client.head_object(Bucket=bucket, Key=key)
        except FileNotFoundError:
            return False
        return True

    def fingerprint(self, *, fragment: ParseResult, **kwargs: Any) -> str | None:
        """The object's ETag."""
        connection = self.connection()
        bucket, key = split_url(fragment)
        with translated_errors(connection, fragment):
            head = connection.client.head_object(Bucket=bucket, Key=key)
        return f"etag:{head['ETag'].strip(chr(34))}"

    @contextmanager
    def open_read(self, fragment: ParseResult, **kwargs: Any) -> Iterator[BinaryIO]:
        connection = self.connection()
        bucket, key = split_url(fragment)
        with spooled() as spool:
            with translated_errors(connection, fragment):
                connection.client.download_fileobj(bucket, key, spool, Config=connection.transfer)
            spool.seek(0)
            yield spool

    @contextmanager
    def open_write(
        self, fragment: ParseResult, stored_version: str | None = None, **kwargs: Any
    ) -> Iterator[BinaryIO]:
        """``stored_version``: the version id kept in the object's metadata (a versioned
        save)."""
        with spooled() as spool:
            yield spool
            spool.seek(0)
            self._upload(spool, fragment, stored_version)

    # --- versions: a folder beside the object, copied server-side --------------------------
    def list_folder(self, fragment: ParseResult, **kwargs: Any) -> list[tuple[str, int | None]]:
        connection = self.connection()
        bucket, prefix = split_url(fragment)
        found: list[tuple[str, int | None]] = []
        with translated_errors(connection, fragment):
            pages = connection.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix, Delimiter="/"
            )
            for page in pages:
                found += [(o["Key"][len(prefix) :], o["Size"]) for o in page.get("Contents", [])]
        return found

    def list_tree(self, fragment: ParseResult) -> list[tuple[str, int, int | str]]:
        """Every object under the prefix, with its size and ETag (none in a missing bucket)."""
        connection = self.connection()
        bucket, prefix = split_url(fragment)
        found: list[tuple[str, int, int | str]] = []
        try:
            with translated_errors(connection, fragment):
                pages = connection.client.get_paginator("list_objects_v2").paginate(
                    Bucket=bucket, Prefix=prefix
                )
                for page in pages:
                    found += [
                        (o["Key"][len(prefix) :], o["Size"], o["ETag"].strip('"'))
                        for o in page.get("Contents", [])
                    ]
        except FileNotFoundError:
            return []
        return found

    def delete(self, fragment: ParseResult, **kwargs: Any) -> None:
        connection = self.connection()
        bucket, key = split_url(fragment)
        with translated_errors(connection, fragment):
            connection.client.delete_object(Bucket=bucket, Key=key)

    def copy(self, source: ParseResult, target: ParseResult, **kwargs: Any) -> None:
        """A server-side copy (multipart for large objects); the metadata goes with it."""
        connection = self.connection()
        (bucket, key), (to_bucket, to_key) = split_url(source), split_url(target)
        with translated_errors(connection, source):
            ensure_bucket(connection, to_bucket)
            connection.client.copy(
                {"Bucket": bucket, "Key": key}, to_bucket, to_key, Config=connection.transfer
            )

    def version_tag(self, fragment: ParseResult, **kwargs: Any) -> str | None:
        connection = self.connection()
        bucket, key = split_url(fragment)
        try:
            with translated_errors(connection, fragment):
                head = connection.client.head_object(Bucket=bucket, Key=key)
        except FileNotFoundError:
            return None
        return head.get("Metadata", {}).get(VERSION_METADATA)

    def _upload(self, source: BinaryIO, fragment: ParseResult, version: str | None = None) -> None:
        from botocore.exceptions import ClientError

        connection = self.connection()
        bucket, key = split_url(fragment)
        extra = {"Metadata": {VERSION_METADATA: version}} if version else None
        with translated_errors(connection, fragment):
            for last_try in (False, True):
                ensure_bucket(connection, bucket)
                try:
                    connection.client.upload_fileobj(
                        KeptOpen(source), bucket, key, ExtraArgs=extra, Config=connection.transfer
                    )
                    return
                except ClientError as error:
                    if last_try or error_code(error) != "NoSuchBucket":
                        raise
                    # The bucket was deleted (or the server restarted empty) since it was seen.
                    with connection.lock:
                        connection.buckets.discard(bucket)
                    source.seek(0)

    def connection(self) -> S3Connection:
        """The S3 client of this backend's session: a resource of the session, built on first
        use and dropped with it."""
        session = self.session
        return session.resource("s3", lambda: connect(session.aws_session, session.settings))


class KeptOpen:
    """A file object whose ``close()`` does nothing: the transfer manager closes what it has
    uploaded, and a second try needs the same source again."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        """Leave the handle to its owner."""


def split_url(fragment: ParseResult) -> tuple[str, str]:
    """``(bucket, key)`` of ``s3://bucket/key``."""
    bucket, key = fragment.netloc, fragment.path.lstrip("/")
    if not bucket or not key:
        raise ValueError(
            f"{fragment.geturl()!r} is not a valid S3 location: write s3://bucket/path/to/key"
        )
    return bucket, key


def connect(aws_session: Any, settings: Any) -> S3Connection:
    """A client with bounded timeouts and retries, on ``aws_s3_endpoint`` when it is set."""
    from botocore.config import Config

    attempts = int(settings.get("aws_max_attempts") or DEFAULT_MAX_ATTEMPTS)
    config = Config(
        connect_timeout=float(settings.get("aws_connect_timeout") or DEFAULT_CONNECT_TIMEOUT),
        read_timeout=float(settings.get("aws_read_timeout") or DEFAULT_READ_TIMEOUT),
        retries={"total_max_attempts": attempts, "mode": "standard"},
        max_pool_connections=TRANSFER_THREADS * 2,
    )
    endpoint = settings.get("aws_s3_endpoint") or None
    client = aws_session.client("s3", endpoint_url=endpoint, config=config)
    return S3Connection(client, client.meta.endpoint_url, attempts, transfer_config())


def transfer_config() -> Any:
    """How boto3's transfer manager splits objects: parts of 16 MiB, 8 in flight."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=PART_SIZE,
        multipart_chunksize=PART_SIZE,
        max_concurrency=TRANSFER_THREADS,
    )


def ensure_bucket(connection: S3Connection, bucket: str) -> None:
    """Create ``bucket`` unless it exists (checked once per session and bucket)."""
    from botocore.exceptions import ClientError

    with connection.lock:
        if bucket in connection.buckets:
            return
        client = connection.client
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as error:
            if error_code(error) not in MISSING_CODES:
                raise
            region = client.meta.region_name
            where = {} if region == "us-east-1" else {"LocationConstraint": region}
            try:
                client.create_bucket(Bucket=bucket, **_bucket_configuration(where))
            except ClientError as race:  # created meanwhile by another process: fine
                if error_code(race) != "BucketAlreadyOwnedByYou":
                    raise
        connection.buckets.add(bucket)


def _bucket_configuration(where: dict[str, str]) -> dict[str, Any]:
    return {"CreateBucketConfiguration": where} if where else {}


def error_code(error: Any) -> str:
    """The S3 error code of a botocore ``ClientError`` (``"404"`` for a bare HEAD miss)."""
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


@contextmanager
def translated_errors(connection: S3Connection, fragment: ParseResult) -> Iterator[None]:
    """Turn botocore's errors into ``OSError``s that say what to fix (the catalog wraps them)."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
    from s3transfer.exceptions import RetriesExceededError

    try:
        yield
    except (ClientError, BotoCoreError, Boto3Error, RetriesExceededError) as raised:
        error = _root_cause(raised)
        url, endpoint = fragment.geturl(), connection.endpoint
        if isinstance(error, ClientError):
            code = error_code(error)
            if code in MISSING_CODES:
                raise FileNotFoundError(f"no S3 object at {url} (endpoint {endpoint})") from raised
            if code in CREDENTIAL_CODES or code == "403":
                raise PermissionError(
                    f"the S3 endpoint {endpoint} refused the request ({code}): check "
                    f"aws_access_key and aws_secret_access_key in conf/locals.yaml, and that "
                    f"they grant access to this bucket"
                ) from raised
            raise OSError(f"the S3 endpoint {endpoint} answered {code} for {url}: {error}") from (
                raised
            )
        if isinstance(error, ReadTimeoutError):
            seconds = connection.client.meta.config.read_timeout
            raise TimeoutError(
                f"the S3 endpoint {endpoint} did not answer within {seconds:g} s "
                f"({connection.attempts} attempt(s)); check that the server is up, or raise "
                f"aws_read_timeout in conf/locals.yaml for a slow one"
            ) from raised
        raise ConnectionError(
            f"the S3 endpoint {endpoint} cannot be reached "
            f"({type(error).__name__}, {connection.attempts} attempt(s)); check aws_s3_endpoint "
            f"in conf/locals.yaml and that the server is up"
        ) from raised


def _root_cause(error: BaseException) -> BaseException:
    """The botocore error behind the transfer manager's wrappers."""
    last = getattr(error, "last_exception", None)
    if isinstance(last, BaseException):
        return last
    return error
