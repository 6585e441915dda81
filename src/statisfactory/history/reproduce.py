"""Reproducing a recorded run: its parameters, configuration and inputs' versions, its code.

:func:`prepare` checks, before anything runs, that the run can be reproduced: the code of
each of its crafts must fingerprint as it did (unless code changes are allowed), each input
artifact that no craft of the run wrote must be stored with the fingerprint it had, or as a
stored version of it (then restored, and said so). The run is then run again with its
recorded parameters, not incrementally, and :func:`compare` tells which outputs came out
byte-identical (equal fingerprints) and which did not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from statisfactory.errors import ReproductionError
from statisfactory.history.code import CodeFingerprints
from statisfactory.history.fingerprints import ArtifactFingerprints
from statisfactory.history.store import HistoryStore
from statisfactory.secrets import MASK


@dataclass
class Reproduction:
    """What reproducing run ``run_id`` takes: the crafts, parameters and inputs to restore."""

    run: Mapping[str, Any]
    crafts: list[str]
    params: dict[str, Any]
    code_changes: list[str] = field(default_factory=list)
    restored_inputs: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """One output of the reproduced run against the original's."""

    name: str
    location: str
    recorded: str | None
    now: str | None

    @property
    def identical(self) -> bool:
        return self.recorded is not None and self.recorded == self.now


def find_run(store: HistoryStore, reference: str) -> Mapping[str, Any]:
    """The one recorded run ``reference`` (an id, a unique prefix or ``last``) names."""
    found = store.find_runs(reference)
    if not found:
        raise ReproductionError(f"run {reference!r} matches no recorded run; see `runs ls`")
    if len(found) > 1 and found[0]["run_id"] != reference:
        names = ", ".join(run["run_id"] for run in found[:5])
        raise ReproductionError(f"run {reference!r} is ambiguous ({names}); give more of its id")
    return found[0]


def prepare(
    session: Any, store: HistoryStore, reference: str, *, allow_code_change: bool = False
) -> Reproduction:
    """Check that run ``reference`` can be reproduced; what to run (see the module docstring)."""
    run = find_run(store, reference)
    run_id = run["run_id"]
    executions = [row for row in store.executions(run_id) if row["status"] in ("ran", "skipped")]
    if not executions or run.get("status") != "succeeded":
        raise ReproductionError(
            f"run {run_id} ({run.get('status')}) did not succeed; only a successful run can be "
            "reproduced"
        )
    pipeline = session.pipelines_definitions[run["pipeline"]]
    by_name = {craft.fqname: craft for craft in pipeline.crafts}
    crafts = list(dict.fromkeys(row["craft"] for row in executions))
    gone = [name for name in crafts if name not in by_name]
    if gone:
        raise ReproductionError(
            f"run {run_id}: craft(s) {', '.join(gone)} are no longer in pipeline "
            f"{run['pipeline']!r}; check out the run's commit ({run.get('git_commit') or 'none'})"
        )
    reproduction = Reproduction(run, crafts, _params(session, run))
    code = CodeFingerprints.of_session(session, store)
    for row in executions:
        if row.get("code_fp") and code.of(by_name[row["craft"]]).digest != row["code_fp"]:
            reproduction.code_changes.append(row["craft"])
    reproduction.code_changes = list(dict.fromkeys(reproduction.code_changes))
    if reproduction.code_changes and not allow_code_change:
        commit = str(run.get("git_commit") or "")
        dirty = ", with uncommitted changes" if run.get("git_dirty") else ""
        at = f" (commit {commit[:10]}{dirty})"
        raise ReproductionError(
            f"run {run_id}: the code of {', '.join(reproduction.code_changes)} differs from the "
            f"run's{at if commit else ''}; check out the run's code, or pass --allow-code-change "
            "to rerun with the code as it is now"
        )
    _inputs(session, store, run_id, executions, reproduction)
    return reproduction


def _params(session: Any, run: Mapping[str, Any]) -> dict[str, Any]:
    """The run's recorded parameters; a secret, recorded masked, from its parameter set now."""
    params = dict(run.get("params") or {})
    configuration = run.get("configuration")
    base = dict(session.parameters[configuration]) if configuration else {}
    for key, value in list(params.items()):
        if value == MASK:
            if key not in base:
                raise ReproductionError(
                    f"run {run['run_id']}: parameter {key!r} was secret, so it was not recorded, "
                    f"and parameter set {configuration or '(none)'} does not give it"
                )
            params[key] = base[key]
    return params


def _inputs(
    session: Any,
    store: HistoryStore,
    run_id: str,
    executions: list[dict[str, Any]],
    reproduction: Reproduction,
) -> None:
    """Check the artifacts the run read and did not write; plan restoring their versions."""
    catalog = session.catalog
    written = {write["name"] for write in store.writes(run_id)}
    fingerprints = ArtifactFingerprints(catalog, store)
    seen: set[str] = set()
    for row in executions:
        for name, entry in (row.get("inputs") or {}).items():
            if entry.get("kind") != "artifact" or name in written or name in seen:
                continue
            seen.add(name)
            recorded, location = entry.get("fingerprint"), entry.get("location", "")
            context = _context_of(store, name, location)
            if (
                recorded is None
                or fingerprints.at(location, catalog[name], context).digest == recorded
            ):
                continue
            version = store.version_written(name, recorded) if catalog.versioned(name) else None
            stored = {v.version for v in catalog.versions(name, **context)} if version else set()
            if version is None or version not in stored:
                raise ReproductionError(
                    f"run {run_id}: input artifact {name!r} at {location} changed since the run "
                    "read it, and the version it read is not stored; restore it by hand, or "
                    "declare the artifact versioned: true for later runs"
                )
            reproduction.restored_inputs.append((name, context, version))


def _context_of(store: HistoryStore, name: str, location: str) -> dict[str, Any]:
    """The ``!{}`` values of the write of ``name`` at ``location`` (for its versions)."""
    write = store.latest_write(location=location, name=name)
    context = write.get("context") if write else None
    return json.loads(context) if isinstance(context, str) else dict(context or {})


def restore_inputs(session: Any, reproduction: Reproduction) -> None:
    """Make the versions the run read current again."""
    for name, context, version in reproduction.restored_inputs:
        session.catalog.restore(name, version, **context)


def compare(store: HistoryStore, run_id: str, reproduced_id: str) -> list[Outcome]:
    """Each artifact the original run wrote, against what the reproduction wrote."""
    store.flush()
    before = {(w["name"], w["location"]): w.get("fingerprint") for w in store.writes(run_id)}
    after = {(w["name"], w["location"]): w.get("fingerprint") for w in store.writes(reproduced_id)}
    return [
        Outcome(name, location, fingerprint, after.get((name, location)))
        for (name, location), fingerprint in before.items()
    ]
