"""An artifact version's provenance as a graph: upstream through the runs and crafts that wrote
its inputs (from :mod:`statisfactory.history.lineage`), downstream through the crafts that
read those bytes and what they wrote."""

from __future__ import annotations

from typing import Any

from statisfactory.history.lineage import Node, artifact_lineage, version_lineage


def lineage_data(
    session: Any,
    store: Any,
    name: str,
    location: str | None,
    fingerprint: str | None,
    context: dict[str, Any],
) -> dict[str, Any]:
    """The upstream tree of a version (the one stored now when no ``location`` is given) and
    the versions written downstream of it."""
    session.catalog[name]  # an undeclared name is an error naming close names
    if location:
        root = version_lineage(session, store, name, location, fingerprint or None)
    else:
        root = artifact_lineage(session, store, name, context)
    return {
        "name": name,
        "upstream": _tree(root),
        "downstream": downstream(store, root.digest) if root.digest else [],
    }


def downstream(store: Any, fingerprint: str) -> list[dict[str, Any]]:
    """The crafts that read the bytes of ``fingerprint``, and the artifacts they wrote then."""
    readers = []
    for execution in store.readers_of(fingerprint):
        outputs = execution.get("outputs") or {}
        readers.append(
            {
                "run_id": execution["run_id"],
                "craft": execution["craft"],
                "status": execution["status"],
                "outputs": [
                    {
                        "name": output,
                        "location": entry.get("location"),
                        "fingerprint": entry.get("fingerprint"),
                    }
                    for output, entry in outputs.items()
                    if isinstance(entry, dict) and entry.get("kind") == "artifact"
                ],
            }
        )
    return readers


def _tree(node: Node) -> dict[str, Any]:
    return {
        "title": node.title,
        "details": list(node.details),
        "name": node.name,
        "location": node.location,
        "fingerprint": node.digest,
        "run_id": node.run_id,
        "craft": node.craft,
        "children": [_tree(child) for child in node.children],
    }
