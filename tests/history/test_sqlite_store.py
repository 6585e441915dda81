"""The SQLite driver: rows written as many-row statements come back as they were given."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from statisfactory.history.schema import TABLES, TEXT
from statisfactory.history.sqlite_store import SqliteDriver
from statisfactory.history.store import Rows, _insert_rows


@pytest.mark.parametrize("count", [1, 2, 75, 76, 77, 1_000])
def test_inserted_rows_come_back_in_order_with_their_values(tmp_path: Path, count: int) -> None:
    """An INSERT of many rows runs as statements of many rows each (76 rows of the 13 columns
    of ``executions`` bind 988 values, under SQLite's limit of 999): every row is written once,
    in order, each value where its column is, the last partial statement included."""
    driver = SqliteDriver(tmp_path / "history.db")
    columns = [name for name, _ in TABLES["executions"]]
    rows = [
        tuple(
            f"{column}-{index}" if kind == TEXT else index for column, kind in TABLES["executions"]
        )
        for index in range(count)
    ]
    driver.write([_insert_rows("executions", rows)])
    driver.close()

    with sqlite3.connect(tmp_path / "history.db") as connection:
        stored = connection.execute(
            f"SELECT {', '.join(columns)} FROM executions ORDER BY rowid"
        ).fetchall()
    assert stored == rows


def test_other_statements_of_many_rows_run_once_per_row(tmp_path: Path) -> None:
    driver = SqliteDriver(tmp_path / "history.db")
    rows = [
        tuple(
            f"{column}-{index}" if kind == TEXT else index for column, kind in TABLES["executions"]
        )
        for index in range(5)
    ]
    driver.write([_insert_rows("executions", rows)])
    driver.write(
        [
            (
                "DELETE FROM executions WHERE run_id = :run_id",
                Rows(("run_id",), [("run_id-1",), ("run_id-3",)]),
            )
        ]
    )
    driver.close()

    with sqlite3.connect(tmp_path / "history.db") as connection:
        left = [row[0] for row in connection.execute("SELECT position FROM executions")]
    assert left == [0, 2, 4]
