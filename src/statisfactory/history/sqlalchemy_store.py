"""A run-history database reached through SQLAlchemy Core (``history_url``: a team's PostgreSQL).

The tables are created when missing; statements are the store's SQL text with ``:name``
parameters, so the same queries serve SQLite and this driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.history.schema import TABLES, missing_columns, sqlalchemy_metadata
from statisfactory.history.store import Rows

if TYPE_CHECKING:
    from statisfactory.history.store import Operation

# A server that does not answer, or a table another session locks, is reported busy within
# these bounds: the store retries later, in the background, rather than hold up the run.
CONNECT_TIMEOUT_SECONDS = 2  # libpq's smallest
LOCK_TIMEOUT_MS = 500
STATEMENT_TIMEOUT_MS = 30_000


class SqlAlchemyDriver:
    """SQL on the database at ``url`` (any SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        from statisfactory.secrets import redact

        self._text = sa.text
        parsed = sa.engine.make_url(url)
        self.description = redact(parsed.render_as_string(hide_password=True))
        self._busy_errors = (sa.exc.OperationalError, sa.exc.TimeoutError)
        self._sqlite = False
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
            connect_args["options"] = (
                f"-c lock_timeout={LOCK_TIMEOUT_MS} -c statement_timeout={STATEMENT_TIMEOUT_MS}"
            )
        elif parsed.get_backend_name() == "sqlite":
            self._sqlite = True
            from statisfactory.history.sqlite_store import BUSY_TIMEOUT_SECONDS

            connect_args["timeout"] = BUSY_TIMEOUT_SECONDS
        self._engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
        sqlalchemy_metadata().create_all(self._engine, checkfirst=True)
        self._add_missing_columns(sa)

    def _add_missing_columns(self, sa: Any) -> None:
        """Bring a store made by an earlier version to this schema (its rows keep them empty)."""
        for statement in missing_columns(self._columns(sa)):
            try:
                with self._engine.begin() as connection:
                    connection.execute(sa.text(statement))
            except sa.exc.DBAPIError:
                pass  # another process may have added it meanwhile: checked below
        still = missing_columns(self._columns(sa))
        if still:
            raise RuntimeError(f"cannot upgrade the run history's tables: {'; '.join(still)}")

    def _columns(self, sa: Any) -> dict[str, list[str]]:
        inspector = sa.inspect(self._engine)
        return {
            table: [column["name"] for column in inspector.get_columns(table)] for table in TABLES
        }

    def query(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        with self._engine.connect() as connection:
            result = connection.execute(self._text(sql), dict(params))
            return [dict(row._mapping) for row in result]

    def write(self, operations: Sequence[Operation]) -> None:
        with self._engine.begin() as connection:
            for sql, params in operations:  # a list of parameters runs as an executemany
                if isinstance(params, Mapping):
                    connection.execute(self._text(sql), dict(params))
                elif isinstance(params, Rows):
                    connection.execute(self._text(sql), params.mappings())
                else:
                    connection.execute(self._text(sql), list(params))

    def close(self) -> None:
        self._engine.dispose()

    def idle(self) -> None:
        """Nothing to do: the server keeps its own log."""

    def is_busy(self, error: Exception) -> bool:
        """A lock or statement timeout, a refused or lost connection: worth retrying later."""
        if not isinstance(error, self._busy_errors):
            return False
        if self._sqlite:  # SQLite says "operational" of a missing table too: only locks
            from statisfactory.history.sqlite_store import is_busy

            return is_busy(error)
        return True
