"""Remember parsed catalog files between runs, so that a large catalog builds in milliseconds.

Rendering Jinja and constructing YAML objects cost about 0.1 ms per entry with PyYAML; a project
with thousands of entries pays it at every ``Session()``. The parsed content of each file is kept
in ``.statisfactory/cache/catalog/`` under the project root, keyed by a SHA-256 of the file's text
and of the template variables. Any change to either parses the file again; a cache that cannot be
read or written is ignored. Settings are kept as a digest only, cache files are readable by their
owner only, and a file whose content holds a secret is not cached at all: a value under a
secret-named key (``password``, ``token``...), a password in a URL, or the value of a
secret-named setting rendered anywhere. The cache is JSON, never pickle: reading it cannot run
code, and content JSON cannot hold exactly (dates, sets, binary) is simply not cached.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from statisfactory.logger import get_logger
from statisfactory.secrets import MARKERS, shows_secret

FORMAT = "3"  # bump when the cached content changes shape, or what parsing refuses
CACHE_FOLDER = Path(".statisfactory") / "cache" / "catalog"

_logger = get_logger("catalog.cache")
# A JSON key naming a secret (``"db_password": "..."``), unless its value is null or empty.
_SECRET_KEY_WITH_VALUE = re.compile(
    rf'(?i)"[^"\\]*(?:{"|".join(MARKERS)})[^"\\]*":(?!\s*(?:null\b|""|\{{\}}|\[\]))'
)


def variables_digest(variables: Mapping[str, Any]) -> str | None:
    """A digest of the template variables, or ``None`` when they cannot be serialised."""
    try:
        text = json.dumps(variables, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


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
    place = folder / f"{hashlib.sha256(str(file).encode()).hexdigest()[:24]}.json"
    try:
        with open(place, encoding="utf-8") as handle:
            stored = json.load(handle)
        if stored["inputs"] == key:
            return stored["content"]
    except Exception:  # absent, truncated or from another version: parse again
        pass
    content = parse(text)
    _store(place, key, content, secrets)
    return content


def _store(place: Path, key: str, content: Any, secrets: Collection[str]) -> None:
    from statisfactory.IO.backends.local import atomic_write

    try:
        payload = json.dumps(
            {"inputs": key, "content": content}, allow_nan=True, ensure_ascii=False
        )
    except (TypeError, ValueError):  # not plain JSON data: parse the file each time
        return
    if json.loads(payload)["content"] != content:  # e.g. tuples or int keys would change
        return
    # The text is checked as a whole: one scan instead of a walk through every value.
    if (
        _names_a_secret(payload)
        or shows_secret(payload)
        or any(json.dumps(secret, ensure_ascii=False)[1:-1] in payload for secret in secrets)
    ):
        return
    try:
        with atomic_write(place, mode=0o600) as handle:
            handle.write(payload.encode("utf-8"))
    except Exception as error:  # a read-only project still works, only slower
        _logger.debug("catalog cache not written at %s: %s", place, error)


def _names_a_secret(payload: str) -> bool:
    lowered = payload.lower()  # most catalogs hold no marker at all: skip the slower search
    if not any(marker in lowered for marker in MARKERS):
        return False
    return bool(_SECRET_KEY_WITH_VALUE.search(payload))
