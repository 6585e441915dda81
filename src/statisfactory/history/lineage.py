"""Lineage: which run, craft, commit, parameters and inputs produced an artifact, recursively.

The current version of an artifact is found by its location and content fingerprint among the
recorded writes; the execution that wrote it lists its inputs with their fingerprints at the
time, and each input is followed the same way (volatiles through the craft that produced them
in the same run). The result is a tree of :class:`Node`, printed by :func:`render`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statisfactory.errors import CatalogError
from statisfactory.history.fingerprints import ArtifactFingerprints
from statisfactory.history.store import HistoryStore

MAX_DEPTH = 50
# Saves the run history does not see: only pipeline runs are recorded.
OUTSIDE = "by catalog.save, a craft called alone, or by hand"


@dataclass
class Node:
    """One artifact or volatile of the lineage, what produced it, and its inputs."""

    title: str
    details: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    # What the node is, for links (the web UI): an artifact's name, location and fingerprint.
    name: str | None = None
    location: str | None = None
    digest: str | None = None
    run_id: str | None = None  # the run that wrote or produced it, when recorded
    craft: str | None = None  # the craft that did, when recorded


def artifact_lineage(
    session: Any, store: HistoryStore, name: str, context: Mapping[str, Any]
) -> Node:
    """The lineage of artifact ``name`` as stored now for ``context``.

    When the artifact's location needs ``!{}`` values that ``context`` does not give, the
    location of its latest recorded write is used.
    """
    catalog = session.catalog
    entry = catalog[name]  # an undeclared name is an error naming close names
    store.flush()
    tracer = _Tracer(store, ArtifactFingerprints(catalog, store), Path(session.root))
    missing = sorted(catalog.variables(name) - set(context))
    if missing:
        variants = store.variants(name)
        if not variants:
            raise CatalogError(
                f"artifact {name!r}: its location needs {', '.join(missing)} and no write of it "
                f"is recorded; give them with --param {missing[0]}=..."
            )
        if len(variants) > 1:
            return _variants(name, variants, missing, Path(session.root))
        location = variants[0]["location"]
    else:
        location = catalog.locate(name, **context)
    stored = tracer.fingerprints.at(location, entry, context)
    return tracer.artifact(name, location, stored.digest, now=True, missing=stored.missing)


def version_lineage(
    session: Any, store: HistoryStore, name: str, location: str, digest: str | None
) -> Node:
    """The lineage of one recorded version of artifact ``name``: the bytes of fingerprint
    ``digest`` once written at ``location``, whatever is stored there now."""
    store.flush()
    tracer = _Tracer(store, ArtifactFingerprints(session.catalog, store), Path(session.root))
    return tracer.artifact(name, location, digest)


def _variants(name: str, variants: list[dict[str, Any]], missing: list[str], root: Path) -> Node:
    """The stored variants of an artifact whose location needs values not given."""
    node = Node(
        f"artifact {name}: {len(variants)} variants recorded; trace one with "
        f"--param {missing[0]}=... ({', '.join(missing)} choose its location)"
    )
    for variant in variants:
        recorded = variant.get("context")
        context: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
        options = " ".join(f"--param {key}={value}" for key, value in sorted(context.items()))
        location = _relative(variant["location"], root)
        node.children.append(
            Node(
                f"{options or '(no values)'}  {location}",
                [f"last written by run {variant['run_id']}"],
            )
        )
    return node


def _relative(location: str, root: Path) -> str:
    path = Path(location)
    if path.is_absolute() and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return location


class _Tracer:
    def __init__(self, store: HistoryStore, fingerprints: ArtifactFingerprints, root: Path):
        self.store = store
        self.fingerprints = fingerprints
        self.root = root
        self._shown: set[tuple[str, str | None]] = set()
        self._runs: dict[str, dict[str, Any]] = {}

    def artifact(
        self,
        name: str,
        location: str,
        digest: str | None,
        *,
        now: bool = False,
        missing: bool = False,
        depth: int = 0,
        read: float | None = None,
    ) -> Node:
        """``read``: when the craft that consumed this version started (its writer is the
        latest write before then: a later write of the same bytes did not produce it)."""
        node = Node(
            f"artifact {name}  {self._short(location)}  {_short_digest(digest)}",
            name=name,
            location=location,
            digest=digest,
        )
        if missing:
            node.details.append("nothing is stored there now")
        write = (
            self.store.latest_write(location=location, fingerprint=digest, before=read)
            if digest
            else None
        )
        if write is None:
            write = self.store.latest_write(location=location, before=read)
            if write is None:
                node.details.append(
                    f"no recorded write: saved outside any pipeline run ({OUTSIDE}), or before "
                    "the run history was kept"
                )
                return node
            run = write["run_id"]
            when = "since" if now else "after"
            node.details.append(
                f"changed outside any pipeline run ({OUTSIDE}) {when} run {run} wrote it; "
                f"below is the lineage of the version run {run} wrote"
            )
        if (location, digest) in self._shown or depth >= MAX_DEPTH:
            node.details.append("(lineage shown above)")
            return node
        self._shown.add((location, digest))
        self._produced(node, write["run_id"], write["craft"], depth)
        return node

    def volatile(self, name: str, run_id: str, craft: str, depth: int) -> Node:
        node = Node(f"volatile {name}")
        self._produced(node, run_id, craft, depth, verb="produced")
        return node

    def _produced(
        self, node: Node, run_id: str, craft: str | None, depth: int, verb: str = "written"
    ) -> None:
        run = self._run(run_id)
        node.run_id, node.craft = run_id, craft
        if craft is None:
            node.details.append(f"saved outside any craft during run {run_id}")
            return
        execution = self.store.execution(run_id, craft)
        node.details.append(f"{verb} by craft {craft} in run {run_id}, {self._describe(run)}")
        if execution is None:
            return
        params = execution.get("params") or {}
        if params:
            shown = ", ".join(f"{key}={value!r}" for key, value in sorted(params.items()))
            node.details.append(f"parameters: {shown}")
        for input_name, entry in (execution.get("inputs") or {}).items():
            if entry.get("kind") == "artifact":
                node.children.append(
                    self.artifact(
                        input_name,
                        entry.get("location", ""),
                        entry.get("fingerprint"),
                        depth=depth + 1,
                        read=execution.get("started"),
                    )
                )
            elif entry.get("producer"):
                node.children.append(
                    self.volatile(input_name, run_id, entry["producer"], depth + 1)
                )
            else:
                node.children.append(Node(f"volatile {input_name}", ["the parameter's default"]))

    def _run(self, run_id: str) -> dict[str, Any]:
        if run_id not in self._runs:
            found = self.store.find_runs(run_id)
            self._runs[run_id] = found[0] if found else {"run_id": run_id}
        return self._runs[run_id]

    def _describe(self, run: Mapping[str, Any]) -> str:
        parts = []
        if run.get("started"):
            parts.append(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run["started"])))
        if run.get("pipeline"):
            configuration = run.get("configuration")
            parts.append(
                f"pipeline {run['pipeline']}" + (f" with {configuration}" if configuration else "")
            )
        if run.get("git_commit"):
            dirty = " (uncommitted changes)" if run.get("git_dirty") else ""
            parts.append(f"commit {run['git_commit'][:10]}{dirty}")
        else:
            parts.append("no git commit")
        if run.get("user_name"):
            parts.append(f"by {run['user_name']}")
        return ", ".join(parts)

    def _short(self, location: str) -> str:
        return _relative(location, self.root)


def _short_digest(digest: str | None) -> str:
    if digest is None:
        return "(no fingerprint)"
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}" if value else digest


def render(node: Node) -> str:
    """The tree as text, one line per title or detail."""
    lines = [node.title, *(f"    {detail}" for detail in node.details)]
    _render_children(node, "", lines)
    return "\n".join(lines)


def _render_children(node: Node, prefix: str, lines: list[str]) -> None:
    for position, child in enumerate(node.children):
        last = position == len(node.children) - 1
        lines.append(f"{prefix}{'└── ' if last else '├── '}{child.title}")
        inner = prefix + ("    " if last else "│   ")
        lines.extend(f"{inner}    {detail}" for detail in child.details)
        _render_children(child, inner, lines)
