"""The run cache of incremental runs: a craft that ran before as it would run now is restored.

When a craft's recorded state does not let it be skipped (its last execution with these
parameters wrote other outputs, or its inputs changed since), any earlier successful execution
with the same code, parameters, context and inputs' fingerprints may still match; when every
output of the craft is a versioned artifact whose version that execution wrote is still
stored, those versions are made current again (``catalog.restore``) and the craft is skipped
as "restored", like DVC's run-cache. Switching back and forth between parameter sets then
recomputes nothing, even when both write the same paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statisfactory.history.decisions import SKIP, Decision

if TYPE_CHECKING:
    from statisfactory.history.recording import RunHistory


@dataclass(frozen=True, slots=True)
class Restoration(Decision):
    """A skip that first makes stored versions current again: ``versions`` by output name."""

    versions: Mapping[str, str] = field(default_factory=dict)


def find_restoration(
    history: RunHistory, index: int, inputs: Mapping[str, Mapping[str, Any]]
) -> Restoration | None:
    """The earlier execution of craft ``index`` to restore, if one matches (see the module
    docstring); None when the craft is to run."""
    run = history.run
    craft = run.plan.crafts[index]
    catalog = run.catalog
    if catalog is None or not craft.saves or len(craft.saves) != len(craft.output_kinds):
        return None  # a volatile output cannot be brought back from a version store
    if not all(catalog.versioned(name) for name in craft.saves):
        return None
    facts = history.facts(index)
    if facts.code.digest is None or facts.state_key is None:
        return None
    if any(entry.get("fingerprint") is None for entry in inputs.values()):
        return None
    store = history.store
    context = run.contexts[index]
    for row in store.successful_executions(craft.fqname, facts.state_key, facts.code.digest):
        recorded = row.get("inputs") or {}
        if set(recorded) != set(inputs) or any(
            recorded[name].get("fingerprint") != entry["fingerprint"]
            for name, entry in inputs.items()
        ):
            continue
        outputs = {n: (row.get("outputs") or {}).get(n, {}).get("fingerprint") for n in craft.saves}
        versions = _stored_versions(history, outputs, context)
        if versions is not None:
            return Restoration(
                SKIP,
                f"restored: ran as now in run {row['run_id']}, its outputs brought back from "
                f"their stored versions",
                {"run_id": row["run_id"], "outputs": outputs},
                versions,
            )
    return None


def _stored_versions(
    history: RunHistory, outputs: Mapping[str, str | None], context: Mapping[str, Any]
) -> dict[str, str] | None:
    """The stored version of each output with its recorded fingerprint, or None if one is
    missing."""
    catalog = history.run.catalog
    assert catalog is not None  # checked by the caller
    versions = {}
    for name, fingerprint in outputs.items():
        if fingerprint is None:
            return None
        version = history.store.version_written(name, fingerprint)
        if version is None:
            return None
        if not any(v.version == version for v in catalog.versions(name, **context)):
            return None  # deleted since (gc)
        versions[name] = version
    return versions


def restore(history: RunHistory, index: int, restoration: Restoration) -> None:
    """Make the versions of ``restoration`` current (each output not current already)."""
    run = history.run
    catalog = run.catalog
    assert catalog is not None  # a restoration is only found with a catalog
    context = run.contexts[index]
    for name, version in restoration.versions.items():
        if catalog.current_version(name, **context) != version:
            catalog.restore(name, version, **context)
    history.forget_outputs(index)  # what was fingerprinted before the restore no longer holds
