"""Remember parsed YAML files between runs, so that a large catalog builds in milliseconds.

Rendering Jinja and constructing YAML objects cost about 0.1 ms per catalog entry with PyYAML,
and about 7 µs per operator of a pipeline definition; a project with thousands of entries pays
it at every ``Session()``. The parsed content of each catalog file is kept in
``.statisfactory/cache/catalog/`` under the project root, and that of each file of pipeline
definitions in ``.statisfactory/cache/pipelines/``, keyed by a SHA-256 of the file's text and of
the template variables. Any change to either parses the file again; a cache that cannot be
read or written is ignored. Settings are kept as a digest only, cache files are readable by their
owner only, and a file whose content holds a secret is not cached at all: a value under a
secret-named key (``password``, ``token``...), a password in a URL, or the value of a
secret-named setting rendered anywhere.

The content is stored with :mod:`marshal` (several times cheaper than JSON both ways, and exact:
a value it cannot hold, such as a date, makes the file uncached). It is our own file, not user
input, but it is still checked before it is read: a header names the format, the Python version
(marshal's format follows it) and the inputs' key, and a digest of the body must match, so a
truncated, foreign or tampered file is parsed again rather than read. Reading it runs no code.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from statisfactory.errors import ConfigurationError, StatisfactoryError
from statisfactory.logger import get_logger
from statisfactory.project.files import read_text
from statisfactory.project.templating import parse_yaml, render_template
from statisfactory.secrets import MARKERS, is_secret_key, secret_values, shows_secret

FORMAT = "4"  # bump when the cached content changes shape, or what parsing refuses
CACHE_FOLDER = Path(".statisfactory") / "cache" / "catalog"
PIPELINES_CACHE_FOLDER = CACHE_FOLDER.with_name("pipelines")
_MAGIC = f"statisfactory-catalog {FORMAT} marshal {marshal.version} {sys.version_info[:2]}"

_logger = get_logger("catalog.cache")


def variables_digest(variables: Mapping[str, Any]) -> str | None:
    """A digest of the template variables, or ``None`` when they cannot be serialised."""
    try:
        text = json.dumps(variables, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def yaml_reader(
    variables: Mapping[str, Any],
    folder: Path | None,
    error: type[StatisfactoryError] = ConfigurationError,
) -> Callable[[Path], Any]:
    """``read(file)``: the YAML file rendered with Jinja from ``variables`` and parsed, as
    :func:`cached_parse` remembers it in ``folder`` (``None``: parsed each time); a file that
    cannot be read is an ``error`` naming it."""
    digest = variables_digest(variables) if folder is not None else None
    secrets = secret_values(variables) if folder is not None else set()

    def read(file: Path) -> Any:
        def parse(text: str) -> Any:
            return parse_yaml(render_template(text, variables, source=file), source=file)

        return cached_parse(file, read_text(file, error), digest, folder, parse, secrets)

    return read


def cached_parse(
    file: Path,
    text: str,
    digest: str | None,
    folder: Path | None,
    parse: Callable[[str], Any],
    secrets: Collection[str] = (),
) -> Any:
    """``parse(text)``, or its result remembered from an earlier call with the same inputs;
    ``secrets`` are values (of secret settings) that must not be written to the cache."""
    if folder is None or digest is None:
        return parse(text)
    key = hashlib.sha256(f"{FORMAT}\0{digest}\0{text}".encode()).hexdigest()
    place = folder / f"{hashlib.sha256(str(file).encode()).hexdigest()[:24]}.cache"
    header = f"{_MAGIC} {key} ".encode()
    try:
        stored = place.read_bytes()
        if stored.startswith(header):
            return _unpack(stored[len(header) :])
    except Exception:  # absent, truncated, or from another version: parse again
        pass
    content = parse(text)
    _store(place, header, content, secrets)
    return content


def _unpack(record: bytes) -> Any:
    """The content of a record written by :func:`_store` (``digest\\nbody``)."""
    digest, _, body = record.partition(b"\n")
    if hashlib.blake2b(body).hexdigest().encode() != digest:
        raise ValueError("the cached body does not match its digest")
    return marshal.loads(body)


def _store(place: Path, header: bytes, content: Any, secrets: Collection[str]) -> None:
    from statisfactory.IO.backends.local import atomic_write

    try:
        body = marshal.dumps(content)
    except ValueError:  # a value marshal cannot hold (a date...): parse the file each time
        return
    if _holds_secret(body, content, secrets):
        return
    try:
        # Not fsynced: a file torn by a crash fails its digest and is parsed again.
        with atomic_write(place, mode=0o600, durable=False) as handle:
            handle.write(header + hashlib.blake2b(body).hexdigest().encode() + b"\n" + body)
    except Exception as error:  # a read-only project still works, only slower
        _logger.debug("catalog cache not written at %s: %s", place, error)


def _holds_secret(body: bytes, content: Any, secrets: Collection[str]) -> bool:
    """Whether ``content`` (marshalled as ``body``, where strings are stored as UTF-8) shows a
    secret: a value under a secret-named key, a URL password, or one of ``secrets``."""
    if any(secret.encode("utf-8", "surrogatepass") in body for secret in secrets):
        return True
    numbers = {secret for secret in secrets if _is_number(secret)}  # marshalled as binary
    lowered = body.lower()  # most catalogs hold no marker at all: skip the walk through values
    if (numbers or any(marker.encode() in lowered for marker in MARKERS)) and _shows(
        content, numbers
    ):
        return True
    return (b"@" in body or b"=" in body) and shows_secret(body.decode("utf-8", "replace"))


def _shows(value: Any, numbers: Collection[str], secret: bool = False) -> bool:
    """Whether ``value`` holds something under a secret-named key (null and empty values hide
    nothing), or a number written as one of ``numbers``."""
    if isinstance(value, Mapping):
        return any(
            _shows(item, numbers, secret or is_secret_key(key)) for key, item in value.items()
        )
    if isinstance(value, list | tuple | set | frozenset):
        return any(_shows(item, numbers, secret) for item in value)
    if secret and value is not None and value != "":
        return True
    return isinstance(value, int | float) and str(value) in numbers


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
