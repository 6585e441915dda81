"""The tables of the run history, described once for SQLite's DDL and for SQLAlchemy Core.

``runs``         one row per pipeline run;
``executions``   one row per craft per run: ran, skipped or failed, with its fingerprints;
``writes``       one row per artifact saved: where, with which content fingerprint, by whom;
``craft_state``  per craft and parameters, the fingerprints of its last successful execution
                 (what an incremental run compares against);
``file_digests`` digests of local files by size, modification time, inode and change time
                 (``inode`` and ``ctime_ns``, empty for other keys), so an unchanged file is
                 not read again;
``restores``     one row per version of a versioned artifact made current again by hand;
``metrics``      the named numbers a run's crafts reported (``+tags: [metrics]`` artifacts and
                 ``Metrics`` outputs), with the artifact they came from.

A write of a versioned artifact records the version it stored (``writes.version``); a run kept
by ``runs keep`` (``runs.kept``) keeps the versions it wrote from ``artifacts gc``. A run of a
sweep records the sweep's id in ``runs.sweep_id``.

Fingerprints and parameters are JSON text; times are seconds since the epoch. A run records
the process running it (``host``, ``pid``, ``process_started``), so that a run whose process
died is told from one still going, and the MLflow run it is tracked as (``mlflow_run_id``, when
the MLflow plugin is on). A store made by an earlier version gets the columns added
since (:func:`missing_columns`); its rows keep them empty.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

SCHEMA_VERSION = 5  # 2: runs' pid and process_started; 3: writes.version, runs.kept,
# restores; 4: metrics, runs' sweep_id; 5: file_digests.inode, ctime_ns

TEXT, INTEGER, BIGINT, REAL = "text", "integer", "bigint", "real"

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "runs": (
        ("run_id", TEXT),
        ("pipeline", TEXT),
        ("configuration", TEXT),
        ("params", TEXT),
        ("incremental", INTEGER),
        ("git_commit", TEXT),
        ("git_dirty", INTEGER),
        ("user_name", TEXT),
        ("host", TEXT),
        ("started", REAL),
        ("ended", REAL),
        ("status", TEXT),
        ("error", TEXT),
        ("pid", INTEGER),
        ("process_started", TEXT),
        ("kept", INTEGER),
        ("sweep_id", TEXT),
        ("mlflow_run_id", TEXT),
    ),
    "executions": (
        ("run_id", TEXT),
        ("position", INTEGER),
        ("craft", TEXT),
        ("status", TEXT),
        ("reason", TEXT),
        ("code_fp", TEXT),
        ("state_key", TEXT),
        ("params", TEXT),
        ("inputs", TEXT),
        ("outputs", TEXT),
        ("started", REAL),
        ("duration", REAL),
        ("error", TEXT),
    ),
    "writes": (
        ("run_id", TEXT),
        ("craft", TEXT),
        ("name", TEXT),
        ("context", TEXT),
        ("location", TEXT),
        ("fingerprint", TEXT),
        ("written", REAL),
        ("version", TEXT),
    ),
    "craft_state": (
        ("craft", TEXT),
        ("state_key", TEXT),
        ("run_id", TEXT),
        ("code_fp", TEXT),
        ("params", TEXT),
        ("inputs", TEXT),
        ("outputs", TEXT),
        ("recorded", REAL),
        ("code_parts", TEXT),
    ),
    "file_digests": (
        ("path", TEXT),
        ("size", BIGINT),
        ("mtime_ns", BIGINT),
        ("digest", TEXT),
        ("inode", BIGINT),
        ("ctime_ns", BIGINT),
    ),
    "restores": (
        ("name", TEXT),
        ("context", TEXT),
        ("location", TEXT),
        ("version", TEXT),
        ("restored", REAL),
    ),
    "metrics": (
        ("run_id", TEXT),
        ("name", TEXT),
        ("value", REAL),
        ("artifact", TEXT),
    ),
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "runs": ("run_id",),
    "craft_state": ("craft", "state_key"),
    "file_digests": ("path",),
}

INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("executions_by_run", "executions", ("run_id", "position")),
    ("writes_by_location", "writes", ("location", "written")),
    ("writes_by_name", "writes", ("name", "written")),
    ("runs_by_start", "runs", ("started",)),
    ("metrics_by_run", "metrics", ("run_id",)),
    # The web UI's runs list, filtered by one of these and paged newest first.
    ("runs_by_pipeline", "runs", ("pipeline", "started")),
    ("runs_by_configuration", "runs", ("configuration", "started")),
    ("runs_by_status", "runs", ("status", "started")),
    ("executions_by_craft", "executions", ("craft", "started")),
)


def sqlite_ddl() -> str:
    """The ``CREATE TABLE/INDEX IF NOT EXISTS`` script for SQLite."""
    statements = []
    for table, columns in TABLES.items():
        parts = [f"{name} {kind.upper()}" for name, kind in columns]
        if table in PRIMARY_KEYS:
            parts.append(f"PRIMARY KEY ({', '.join(PRIMARY_KEYS[table])})")
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)});")
    for index, table, indexed in INDEXES:
        statements.append(f"CREATE INDEX IF NOT EXISTS {index} ON {table} ({', '.join(indexed)});")
    return "\n".join(statements)


def missing_columns(existing: Mapping[str, Collection[str]]) -> list[str]:
    """The ``ALTER TABLE … ADD COLUMN`` statements bringing tables with ``existing`` columns
    (table -> column names) to this schema; tables not listed are left to the creation."""
    statements: list[str] = []
    for table, columns in TABLES.items():
        if table not in existing:
            continue
        present = {name.lower() for name in existing[table]}
        statements.extend(
            f"ALTER TABLE {table} ADD COLUMN {name} {kind.upper()}"
            for name, kind in columns
            if name not in present
        )
    return statements


def sqlalchemy_metadata() -> Any:
    """The same tables as SQLAlchemy Core ``Table`` objects (imports SQLAlchemy)."""
    import sqlalchemy as sa

    types = {TEXT: sa.Text, INTEGER: sa.Integer, BIGINT: sa.BigInteger, REAL: sa.Float}
    metadata = sa.MetaData()
    for table, columns in TABLES.items():
        keys = PRIMARY_KEYS.get(table, ())
        sa.Table(
            table,
            metadata,
            *(sa.Column(name, types[kind](), primary_key=name in keys) for name, kind in columns),
        )
    for index, table, indexed in INDEXES:
        sa.Index(index, *(metadata.tables[table].c[name] for name in indexed))
    return metadata
