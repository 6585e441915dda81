"""Comparing recorded runs: one row per run, the parameters that differ between them, and the
metrics they recorded; and the differences between two runs.

Parameters are compared flattened, a nested mapping's keys joined with dots (``models.fit`` =
``{alpha: 1}`` is ``models.fit.alpha``); only those whose values are not the same in every run
are shown. A metric named like a metadata column or a shown parameter is shown as
``metric.NAME``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statisfactory.errors import HistoryError

if TYPE_CHECKING:
    import pandas as pd

METADATA = ("pipeline", "configuration", "status", "started")
FORMATS = ("table", "csv", "json", "markdown")
_ABSENT, _UNSEEN = object(), object()


@dataclass
class Comparison:
    """``frame``: one row per run (index ``run_id``): :data:`METADATA`, then the differing
    parameters, then the metrics."""

    frame: pd.DataFrame
    differing_params: list[str]
    metric_names: list[str]


def compare_runs(store: Any, run_ids: Sequence[str], *, sweep_id: str | None = None) -> Comparison:
    """The comparison of the recorded runs ``run_ids`` (in that order; unknown ids left out);
    ``sweep_id``: they are runs of that sweep (read in one query each)."""
    import pandas as pd

    read = ("params", *METADATA)
    runs = store.runs_by_id(list(dict.fromkeys(run_ids)), read, sweep_id=sweep_id)
    flat = {run["run_id"]: flat_params(_mapping(run.get("params"))) for run in runs}
    keys = list(dict.fromkeys(key for params in flat.values() for key in params))
    differing = _declared_first(
        [key for key in keys if _differs(key, flat.values())],
        (run.get("configuration") for run in runs),
    )
    metrics = store.metrics_of(list(flat), sweep_id=sweep_id)
    metric_names = sorted({name for values in metrics.values() for name in values})
    taken = set(METADATA) | set(differing)
    columns = {name: f"metric.{name}" if name in taken else name for name in metric_names}
    rows = []
    for run in runs:
        run_id = run["run_id"]
        row: dict[str, Any] = {"run_id": run_id}
        row.update({key: run.get(key) for key in METADATA})
        row.update({key: flat[run_id].get(key) for key in differing})
        row.update({columns[name]: metrics[run_id].get(name) for name in metric_names})
        rows.append(row)
    ordered = ["run_id", *METADATA, *differing, *columns.values()]
    frame = pd.DataFrame(rows, columns=ordered).set_index("run_id")
    frame["started"] = pd.to_datetime(frame["started"], unit="s", utc=True)
    for name in columns.values():
        frame[name] = frame[name].astype(float)
    return Comparison(frame, differing, list(columns.values()))


def flat_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``params`` with nested mappings flattened: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:  # as JSON decodes them: cheaper than an ABC check
            flat.update(flat_params(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _declared_first(keys: list[str], configurations: Iterable[Any]) -> list[str]:
    """``keys`` with the swept ones first, in the order their sweeps declare them (read from
    the members' names: ``grid[model=a,alpha=0.5]``), the others after, as they were."""
    from statisfactory.project.sweeps import member_labels, set_of_member

    labels: dict[str, None] = {}
    sets: set[str] = set()
    for name in configurations:
        swept = set_of_member(name) if isinstance(name, str) else None
        if swept is not None and swept not in sets:  # a set's members share their labels
            sets.add(swept)
            labels.update(dict.fromkeys(member_labels(name)))
    rank: dict[str, int] = {}
    for position, label in enumerate(labels):
        for key in keys:
            if key not in rank and (key == label or key.endswith(f".{label}")):
                rank[key] = position
    return sorted(keys, key=lambda key: rank.get(key, len(labels)))


def _mapping(params: Any) -> dict[str, Any]:
    """Recorded parameters as a dict (a hand-edited or old row's text holds none)."""
    return params if isinstance(params, dict) else {}


def _differs(key: str, runs: Iterable[Mapping[str, Any]]) -> bool:
    """Whether ``key`` is not the same (or not set) in every run's flattened parameters."""
    first: Any = _UNSEEN
    for params in runs:
        value = _same(params.get(key, _ABSENT))
        if first is _UNSEEN:
            first = value
        elif value != first:
            return True
    return False


def _same(value: Any) -> Any:
    """A value as a comparable key: itself when hashable, else its JSON text (lists and
    mappings); its type goes with it, so that 1, 1.0 and True stay apart."""
    if value is _ABSENT:
        return _ABSENT
    if value is None or isinstance(value, str | int | float | bool):
        return (type(value), value)
    return (list, json.dumps(value, sort_keys=True, default=str))


def sorted_frame(frame: pd.DataFrame, sort: str | None) -> pd.DataFrame:
    """``frame`` sorted by column ``sort`` (``-NAME``: descending), runs without it last."""
    if not sort:
        return frame
    descending = sort.startswith("-")
    column = sort[1:] if descending else sort
    if column not in frame.columns:
        known = ", ".join(map(str, frame.columns)) or "none"
        raise HistoryError(
            f"cannot sort by {column!r}: the compared runs have no such metric or parameter "
            f"(their columns: {known})",
            key=column,
        )
    return frame.sort_values(column, ascending=not descending, na_position="last", kind="stable")


# --- rendering -------------------------------------------------------------------------------
def cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header (``run`` first) and the rows of ``frame`` as text."""
    header = ["run", *map(str, frame.columns)]
    rows = [[str(run_id), *(_cell(value) for value in row)] for run_id, row in frame.iterrows()]
    return header, rows


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


def render(frame: pd.DataFrame, fmt: str) -> str:
    """``frame`` as ``csv``, ``json`` (a list of records) or ``markdown`` text."""
    if fmt == "csv":
        out = frame.copy()
        out["started"] = out["started"].map(_cell)
        return str(out.to_csv(index_label="run_id"))
    if fmt == "json":
        records = []
        for run_id, row in frame.iterrows():
            record: dict[str, Any] = {"run_id": run_id}
            for name, value in row.items():
                if isinstance(value, float) and math.isnan(value):
                    value = None
                elif hasattr(value, "isoformat"):
                    value = value.isoformat()
                record[str(name)] = value
            records.append(record)
        return json.dumps(records, indent=2, default=str) + "\n"
    if fmt == "markdown":
        header, rows = cells(frame)
        lines = [_markdown_row(header), _markdown_row(["---"] * len(header))]
        lines += [_markdown_row(row) for row in rows]
        return "\n".join(lines) + "\n"
    raise HistoryError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}", key=fmt)


def _markdown_row(values: Sequence[str]) -> str:
    return "| " + " | ".join(value.replace("|", "\\|") for value in values) + " |"


# --- two runs --------------------------------------------------------------------------------
@dataclass
class RunDiff:
    """What differs between runs ``a`` and ``b``: each a list of ``(name, in a, in b)``."""

    a: str
    b: str
    params: list[tuple[str, Any, Any]] = field(default_factory=list)
    code: list[tuple[str, Any, Any]] = field(default_factory=list)
    inputs: list[tuple[str, Any, Any]] = field(default_factory=list)
    metrics: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.params or self.code or self.inputs or self.metrics)


def diff_runs(store: Any, a: str, b: str) -> RunDiff:
    """The parameters, crafts' code fingerprints, input versions and metrics that differ."""
    found = {run["run_id"]: run for run in store.runs_by_id([a, b])}
    diff = RunDiff(a, b)
    diff.params = _differences(
        flat_params(found.get(a, {}).get("params") or {}),
        flat_params(found.get(b, {}).get("params") or {}),
    )
    code_a, inputs_a = _executed(store.executions(a))
    code_b, inputs_b = _executed(store.executions(b))
    diff.code = _differences(code_a, code_b)
    diff.inputs = _differences(inputs_a, inputs_b)
    metrics = store.metrics_of([a, b])
    diff.metrics = _differences(metrics[a], metrics[b])
    return diff


def _executed(executions: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each craft's code fingerprint, and each artifact read with the fingerprint it had (as
    read by the run's first craft reading it)."""
    code: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    for row in executions:
        code[row["craft"]] = row.get("code_fp")
        for name, entry in (row.get("inputs") or {}).items():
            if isinstance(entry, Mapping) and entry.get("kind") == "artifact":
                inputs.setdefault(name, entry.get("fingerprint"))
    return code, inputs


def _differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    keys = list(dict.fromkeys([*a, *b]))
    return [
        (key, a.get(key), b.get(key))
        for key in keys
        if _same(a.get(key, _ABSENT)) != _same(b.get(key, _ABSENT))
    ]
