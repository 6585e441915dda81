"""An artifact's versions: the catalog's own versions when it keeps them, else the writes the
run history recorded (each a version: where, which bytes, by which run and craft)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


def versions(session: Any, store: Any, name: str, context: Mapping[str, Any]) -> list[dict]:
    """Newest first: ``run_id``, ``craft``, ``time``, ``location``, ``fingerprint`` (and, from
    the catalog's versions, oldest first there, ``version``, ``size``, ``current``)."""
    kept = getattr(session.catalog, "versions", None)
    if callable(kept):
        try:
            found = kept(name, **context)
        except Exception:  # no versions for this entry: the recorded writes say what they can
            found = None
        if found:
            return [_located(store, name, _plain(version)) for version in reversed(found)]
    return [
        {
            "run_id": row["run_id"],
            "craft": row["craft"],
            "time": row["written"],
            "location": row["location"],
            "fingerprint": row["fingerprint"],
        }
        for row in store.writes_of(name)
    ]


def _located(store: Any, name: str, version: dict[str, Any]) -> dict[str, Any]:
    """A catalog version with ``location`` (where the history saw its bytes written), so that
    its lineage can be followed."""
    if not version.get("location") and version.get("fingerprint"):
        write = store.latest_write(name=name, fingerprint=version["fingerprint"])
        version["location"] = write["location"] if write else None
    return version


def _plain(version: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(version) and not isinstance(version, type):
        return dataclasses.asdict(version)
    return dict(vars(version))
