"""Searching the recorded runs: filters, text, dates and pages, answered by the database."""

from __future__ import annotations

from pathlib import Path

from statisfactory.history.store import open_store


def _store_with_runs(root: Path, count: int = 30):
    store = open_store(root)
    rows = [
        {
            "run_id": f"{i:04d}abcdef",
            "pipeline": "train" if i % 2 else "report",
            "configuration": "small" if i % 3 else "large_set",
            "status": "failed" if i % 5 == 0 else "succeeded",
            "user_name": "ada" if i < 10 else "grace",
            "started": 1000.0 + i,
        }
        for i in range(count)
    ]
    columns = ", ".join(rows[0])
    marks = ", ".join(f":{column}" for column in rows[0])
    store.submit((f"INSERT INTO runs ({columns}) VALUES ({marks})", rows))
    store.flush()
    return store


def test_filters_combine_and_the_total_counts_every_match(tmp_path: Path) -> None:
    store = _store_with_runs(tmp_path)

    page, total = store.search_runs(filters={"pipeline": "train", "status": "failed"}, limit=2)

    assert total == 3  # runs 5, 15 and 25
    assert [run["run_id"][:4] for run in page] == ["0025", "0015"]  # newest first
    assert all(run["counts"] == {} for run in page)


def test_text_matches_a_run_id_prefix_or_part_of_a_name(tmp_path: Path) -> None:
    store = _store_with_runs(tmp_path)

    assert store.search_runs(text="0007")[1] == 1
    assert store.search_runs(text="rac")[1] == 20  # grace
    assert store.search_runs(text="large_")[1] == 10
    assert store.search_runs(text="%")[1] == 0  # a wildcard is a character, not a pattern


def test_dates_pages_and_an_id_set(tmp_path: Path) -> None:
    store = _store_with_runs(tmp_path)

    page, total = store.search_runs(since=1010.0, until=1020.0, limit=4, offset=8)
    assert total == 10
    assert [run["run_id"][:4] for run in page] == ["0011", "0010"]
    chosen = store.search_runs(run_ids=["0003abcdef", "0004abcdef", "nope"])
    assert chosen[1] == 2
    assert store.search_runs(run_ids=[])[1] == 0


def test_unknown_filter_columns_are_ignored(tmp_path: Path) -> None:
    store = _store_with_runs(tmp_path)

    assert store.search_runs(filters={"run_id; DROP TABLE runs": "x"})[1] == 30
