"""Secrets never reach the run history: error text, parameters, contexts and locations are
stored masked, in the project's history.db as in a history_url database."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

NESTED_PASSWORD = "pw-Nested-9981"
INT_SECRET = 4242
SHORT_SECRET = "zq7x"
ENV_SECRET = "env-Tok-31337"
PARAM_SECRET = "param-Tok-2718"
URL_PASSWORD = "url-Pass-5150"
SECRETS = (NESTED_PASSWORD, str(INT_SECRET), SHORT_SECRET, ENV_SECRET, PARAM_SECRET, URL_PASSWORD)

LEAKY = {
    "conf/locals.yaml": f"""
        warehouse: {{credentials: {{user: ada, password: {NESTED_PASSWORD}}}}}
        pin_key: {INT_SECRET}
        short_token: {SHORT_SECRET}
        feed_url: "https://ada:{URL_PASSWORD}@feed.example/x"
    """,
    "lib/leaky.py": """
        from statisfactory import Artifact, Craft, Session


        @Craft()
        def fetch(api_token: str) -> Artifact("feed"):
            return {"fetched": True}


        @Craft()
        def upload(feed: Artifact, api_token: str) -> Artifact("receipt"):
            settings = Session.get_active_session().settings
            raise ConnectionError(
                f"refused: password {settings.warehouse.credentials.password}, "
                f"pin {settings.pin_key}, short {settings.short_token}, "
                f"vault {settings.vault_token}, api {api_token}, feed {settings.feed_url}"
            )
    """,
    "catalog/catalog.yaml": """
        - name: feed
          type: json
          extra: {path: "data/feed_!{api_token}.json"}
        - name: receipt
          type: json
          extra: {path: data/receipt.json}
    """,
    "pipelines/definitions/p.yaml": "leak:\n  +operators: [leaky.fetch, leaky.upload]\n",
}


def run_leaky(root: Path) -> str:
    """Run the failing pipeline through the command line; return everything it printed."""
    command = ["run", "leak", "--incremental", "--param", f"api_token={PARAM_SECRET}"]
    result = subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", *command],
        cwd=root,
        env={**os.environ, "STATISFACTORY_VAULT_TOKEN": ENV_SECRET},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "refused: password ***" in result.stderr
    return result.stdout + result.stderr


def shown(secret: str, text: str) -> bool:
    """Whether ``text`` shows ``secret``; a short one only counts as a whole token (a run id
    made at 18:42:42 holds ``4242``, which is no leak)."""
    return bool(re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", text)) or (
        len(secret) >= 8 and secret in text
    )


def assert_no_secret(text: str, what: str) -> None:
    assert [secret for secret in SECRETS if shown(secret, text)] == [], what


def assert_no_secret_stored(rows: list[tuple], what: str) -> None:
    text = "\n".join(str(value) for row in rows for value in row)
    assert "refused: password ***" in text  # the craft's error is recorded, masked
    assert_no_secret(text, what)


def sqlite_rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return [row for table in tables for row in connection.execute(f"SELECT * FROM {table}")]


def test_the_history_db_holds_no_secret_a_failing_craft_repeats(
    project_factory: Callable[..., Path],
) -> None:
    root = project_factory(LEAKY)

    printed = run_leaky(root)
    (root / f"data/feed_{PARAM_SECRET}.json").unlink()  # the reason to rerun names its location
    printed += run_leaky(root)

    assert_no_secret(printed, "the command's output")
    rows = sqlite_rows(root / ".statisfactory/history.db")
    assert "output artifact 'feed' is missing (" in str(rows) and "/data/feed_***.json)" in str(
        rows
    )
    assert_no_secret_stored(rows, "history.db")


@pytest.mark.service
def test_a_history_url_database_holds_no_secret(
    project_factory: Callable[..., Path], postgres_server
) -> None:
    import sqlalchemy

    files = dict(LEAKY)
    files["conf/globals.yaml"] = f'history_url: "{postgres_server.url()}"\n'
    root = project_factory(files)

    run_leaky(root)

    engine = sqlalchemy.create_engine(postgres_server.url())
    try:
        with engine.connect() as connection:
            metadata = sqlalchemy.MetaData()
            metadata.reflect(connection)
            rows = [
                tuple(row)
                for table in metadata.sorted_tables
                for row in connection.execute(sqlalchemy.select(table))
            ]
    finally:
        engine.dispose()
    assert_no_secret_stored(rows, "the history_url database")
