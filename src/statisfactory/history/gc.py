"""``artifacts gc``: delete the stored versions beyond each artifact's ``versions: {keep: N}``.

Of each location's versions the N newest stay; the current one and those a kept run wrote
(``runs keep``) are never deleted. The locations of an artifact whose path has ``!{}``
variables are those its recorded writes name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from statisfactory.history.store import HistoryStore


@dataclass(frozen=True)
class Collected:
    """A version deleted (or, in a dry run, to delete)."""

    name: str
    context: Mapping[str, Any]
    version: str
    size: int | None


def collect(session: Any, store: HistoryStore, *, dry_run: bool = False) -> list[Collected]:
    """Delete (unless ``dry_run``) every version beyond the policy; what was deleted."""
    catalog = session.catalog
    store.flush()
    collected: list[Collected] = []
    for name in catalog:
        keep = catalog.keep(name)
        if keep is None or not catalog.versioned(name):
            continue
        for context in _contexts(store, name, catalog.variables(name)):
            versions = catalog.versions(name, **context)
            for version in versions[: max(len(versions) - keep, 0)]:
                if version.current or version.kept:
                    continue
                if not dry_run:
                    catalog.delete_version(name, version.version, **context)
                collected.append(Collected(name, context, version.version, version.size))
    return collected


def _contexts(store: HistoryStore, name: str, variables: set[str]) -> list[dict[str, Any]]:
    if not variables:
        return [{}]
    rows = store.query(
        "SELECT DISTINCT context FROM writes WHERE name = :name AND version IS NOT NULL", name=name
    )
    contexts = []
    for row in rows:
        context = row["context"]
        value = json.loads(context) if isinstance(context, str) else context
        if isinstance(value, dict) and variables <= set(value) and value not in contexts:
            contexts.append(value)
    return contexts
