"""The runs list (searched by the store, one page at a time) and one run: its crafts' states,
parameters, commit, writes and errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

PAGE_SIZE = 50
LAST_PAGE = 10**9  # pages beyond are empty anyway; the database takes 64-bit offsets only
FILTERS = ("pipeline", "configuration", "status")


def runs_page(store: Any, query: Mapping[str, str]) -> dict[str, Any]:
    """The runs matching ``query`` (``pipeline``, ``configuration``, ``status``, ``sweep``,
    ``since``/``until`` as dates, ``q`` text, ``page`` from 1)."""
    page = min(max(1, _int(query.get("page"), 1)), LAST_PAGE)
    sweep = (query.get("sweep") or "").strip()
    run_ids = store.runs_of_sweep(sweep) if sweep else None
    problems = [
        f"{key}: {query[key]!r} is not a date; write it YYYY-MM-DD (or YYYY-MM-DDTHH:MM)"
        for key in ("since", "until")
        if query.get(key) and _date(query[key]) is None
    ]
    rows, total = store.search_runs(
        filters={key: query.get(key, "").strip() for key in FILTERS},
        run_ids=run_ids,
        text=(query.get("q") or "").strip(),
        since=_date(query.get("since")),
        until=_date(query.get("until"), end=True),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return {
        "runs": [_summary(row) for row in rows],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "problems": problems,
        "query": {key: query.get(key, "") for key in (*FILTERS, "sweep", "since", "until", "q")},
    }


def run_details(store: Any, run_id: str) -> dict[str, Any] | None:
    """One run (``run_id`` or a prefix of it), its executions and writes; None if unknown."""
    found = store.find_runs(run_id)
    if not found:
        return None
    run = found[0]
    return {
        "run": _summary(run) | {"params": run.get("params") or {}, "error": run.get("error")},
        "crafts": craft_states(store, run["run_id"]),
        "writes": [
            {
                "name": row["name"],
                "craft": row["craft"],
                "location": row["location"],
                "fingerprint": row["fingerprint"],
                "written": row["written"],
            }
            for row in store.writes(run["run_id"])
        ],
    }


def craft_states(store: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """Craft fqname -> how it ended in the run (the last of its executions wins: a skipped
    craft that then ran again for a volatile shows as ran)."""
    states: dict[str, dict[str, Any]] = {}
    for row in store.executions(run_id):
        states[row["craft"]] = {
            "status": row["status"],
            "duration": row["duration"],
            "reason": row.get("reason"),
            "error": row.get("error") or None,
        }
    return states


def live_state(store: Any, run_id: str) -> dict[str, Any] | None:
    """What the run page refreshes while the run goes on: its status and its crafts'."""
    found = store.find_runs(run_id)
    if not found:
        return None
    run = found[0]
    return {
        "status": run["status"],
        "ended": run.get("ended"),
        "error": run.get("error"),
        "crafts": craft_states(store, run["run_id"]),
    }


def _summary(row: Mapping[str, Any]) -> dict[str, Any]:
    started, ended = row.get("started"), row.get("ended")
    return {
        "run_id": row["run_id"],
        "pipeline": row.get("pipeline"),
        "configuration": row.get("configuration"),
        "status": row.get("status"),
        "started": started,
        "started_text": when(started),
        "duration": (ended - started) if started and ended else None,
        "commit": row.get("git_commit"),
        "dirty": bool(row.get("git_dirty")),
        "user": row.get("user_name"),
        "counts": row.get("counts") or {},
        "sweep": row.get("sweep_id"),
    }


def when(seconds: float | None) -> str:
    """A time as the runs list shows it (local time, to the second)."""
    if not seconds:
        return ""
    return dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _date(text: str | None, *, end: bool = False) -> float | None:
    """Seconds since the epoch of an ISO date (or date and time); ``end``: the day after a
    bare date, so that ``until=2026-01-31`` includes that day. Unreadable: no bound."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if end and len(text.strip()) == 10:
        moment += dt.timedelta(days=1)
    return moment.timestamp()
