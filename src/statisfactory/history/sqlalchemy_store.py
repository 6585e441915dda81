"""A run-history database reached through SQLAlchemy Core (``history_url``: a team's PostgreSQL).

The tables are created when missing; statements are the store's SQL text with ``:name``
parameters, so the same queries serve SQLite and this driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.history.schema import sqlalchemy_metadata

if TYPE_CHECKING:
    from statisfactory.history.store import Operation

CONNECT_TIMEOUT_SECONDS = 5


class SqlAlchemyDriver:
    """SQL on the database at ``url`` (any SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        from statisfactory.secrets import redact

        self._text = sa.text
        parsed = sa.engine.make_url(url)
        self.description = redact(parsed.render_as_string(hide_password=True))
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS  # never hang a run
        self._engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
        sqlalchemy_metadata().create_all(self._engine, checkfirst=True)

    def query(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        with self._engine.connect() as connection:
            result = connection.execute(self._text(sql), dict(params))
            return [dict(row._mapping) for row in result]

    def write(self, operations: Sequence[Operation]) -> None:
        with self._engine.begin() as connection:
            for sql, params in operations:  # a list of parameters runs as an executemany
                many = not isinstance(params, Mapping)
                connection.execute(self._text(sql), list(params) if many else dict(params))

    def close(self) -> None:
        self._engine.dispose()
