"""Tables and queries in SQL databases (``sql``, alias ``odbc``) through SQLAlchemy 2.

The database is a URL (``url``), its parts (``drivername`` — or the original's ``protocole`` —,
``username``, ``password``, ``host``, ``port``, ``database``, ``URL_query``), or an ODBC
``connection_string`` (the original's ``odbc`` form; ``drivername`` defaults to
``mssql+pyodbc``, which needs pyodbc and an ODBC driver). ``query`` loads a DataFrame; ``table``
(with ``if_exists``: replace, append or fail) saves and loads one.

In ``query`` and ``table``, ``!{var}`` accepts only identifiers and numbers; any other value is
refused before any SQL runs. Values a query needs otherwise are bound parameters: write ``:name``
in the query and pass ``name`` in the context. Engines are built once per URL and process, and
disposed at exit. A relative SQLite database path starts at the project root.

On PostgreSQL through psycopg 3, saves use ``COPY ... FROM STDIN`` (:func:`copy_rows`) unless
``save_options`` names another ``method``: the same rows as pandas' INSERTs, several times faster.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from statisfactory.errors import (
    CatalogError,
    DatabaseRefusedError,
    DatabaseUnreachableError,
    IntegrationError,
    InterpolationError,
    MissingArtifactError,
)
from statisfactory.IO.interactors.base import ArtifactInteractor
from statisfactory.IO.interpolation import check_sql_values
from statisfactory.IO.signatures import select
from statisfactory.secrets import redact_text

ODBC_DRIVERNAME = "mssql+pyodbc"

# What the interactor passes pandas positionally: read_sql_query/read_sql_table, then to_sql.
_POSITIONAL = {"load": frozenset({"sql", "table_name", "con"}), "save": frozenset({"name", "con"})}

_engines: dict[tuple[int, str, str], Any] = {}
_engines_lock = threading.Lock()


class SqlExtra(BaseModel):
    """``extra`` of a ``sql`` artifact."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: str | None = None
    connection_string: str | None = None
    drivername: str | None = Field(None, validation_alias=AliasChoices("drivername", "protocole"))
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    URL_query: dict[str, str | list[str]] = Field(default_factory=dict)
    query: str | None = None
    table: str | None = None
    db_schema: str | None = Field(None, validation_alias=AliasChoices("schema", "db_schema"))
    if_exists: Literal["replace", "append", "fail"] = "replace"
    engine_options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> SqlExtra:
        if self.connection_string is not None:
            if self.url is not None:
                raise ValueError("give 'url' or 'connection_string', not both")
        elif (self.url is None) == (self.drivername is None):
            raise ValueError(
                "give either 'url' or its parts ('drivername' and the others), or an ODBC "
                "'connection_string'"
            )
        if self.query is None and self.table is None:
            raise ValueError("give 'query' (to load) or 'table' (to save and load)")
        return self


class SqlInteractor(ArtifactInteractor, interactor_name="sql", aliases=("odbc",)):
    """A table or a query result as a ``pandas.DataFrame``.

    ``load_options`` go to ``pandas.read_sql_query`` (or ``read_sql_table``), ``save_options``
    to ``DataFrame.to_sql`` (the index is not written unless ``index: true``). Options win over
    the entry's defaults (``if_exists``, ``schema``, ``index``).
    """

    Extra = SqlExtra
    dynamic_checks = dict.fromkeys(("query", "table", "schema", "db_schema"), check_sql_values)

    def load(self, **context: Any) -> Any:
        import pandas as pd

        extra: SqlExtra = self.artifact.extra
        if extra.query is not None:
            options = self._options("load", {})
            given = options.pop("params", None) or {}
            if not isinstance(given, Mapping):
                raise CatalogError(
                    f"{self.artifact.where}: load_options.params must map the query's :name "
                    f"parameters to values, got a {type(given).__name__}"
                )
            statement = self._statement(extra.query)
            parameters = self._parameters(statement, {**context, **given})
            with (
                self._connection() as connection,
                self._refused(f"the query {extra.query!r}", "correct extra.query"),
            ):
                options = _overridden(pd.read_sql_query, options, context, taken={"params"})
                return pd.read_sql_query(statement, connection, params=parameters, **options)
        options = self._options("load", {"schema": extra.db_schema})
        with (
            self._connection() as connection,
            self._refused(
                f"reading the table {self._table_name()!r}", "check extra.table and extra.schema"
            ),
        ):
            options = _overridden(pd.read_sql_table, options, context, taken={"schema"})
            assert extra.table is not None  # SqlExtra requires a query or a table
            try:
                return pd.read_sql_table(extra.table, connection, **options)
            except ValueError as error:  # pandas' "Table ... not found"
                if self._has_table(connection):
                    raise
                raise MissingArtifactError(
                    f"{self.artifact.where}: the table {self._table_name()!r} does not exist in "
                    f"{self.shown_url()}; save the artifact first, or fix extra.table (and "
                    f"extra.schema)"
                ) from error

    def save(self, asset: Any, **context: Any) -> None:
        import pandas as pd

        extra: SqlExtra = self.artifact.extra
        if extra.table is None:
            raise CatalogError(
                f"{self.artifact.where}: only a 'table' can be saved; add extra.table"
            )
        if not isinstance(asset, pd.DataFrame):
            raise CatalogError(
                f"{self.artifact.where}: a sql artifact holds a pandas DataFrame, not a "
                f"{type(asset).__name__}"
            )
        options = _overridden(
            asset.to_sql,
            self._options(
                "save", {"index": False, "schema": extra.db_schema, "if_exists": extra.if_exists}
            ),
            context,
            taken={"schema", "if_exists"},
        )
        if "method" not in options and copy_supported(self.engine()):
            options["method"] = copy_rows
        # One transaction: a failed 'replace' keeps the previous table where the database allows.
        with (
            self._connection(transaction=True) as connection,
            self._refused(
                f"writing the table {self._table_name()!r}",
                "check the table name and that the DataFrame's columns fit the existing table",
            ),
        ):
            asset.to_sql(extra.table, connection, **options)

    def exists(self, **context: Any) -> bool:
        extra: SqlExtra = self.artifact.extra
        if extra.table is None:  # a query always has a result once the database answers
            with self._connection():
                return True
        with self._connection() as connection:
            return self._has_table(connection)

    def locate(self, **context: Any) -> str:
        where = self.shown_url()
        if self.artifact.extra.table is not None:
            return f"{where}#table={self._table_name()}"
        return f"{where}#query"

    def _options(self, kind: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """The entry's ``load_options``/``save_options`` over the interactor's ``defaults``: the
        user's choice wins. The table, query and connection come from ``extra`` only."""
        declared = self.artifact.save_options if kind == "save" else self.artifact.load_options
        clashes = sorted(_POSITIONAL[kind].intersection(declared))
        if clashes:
            raise CatalogError(
                f"{self.artifact.where}: {kind}_options {clashes[0]!r} is given by the entry "
                f"itself; remove it, and name the table in extra.table, the query in "
                f"extra.query and the database in extra.url (or its parts)"
            )
        return {**defaults, **declared}

    # --- the connection ------------------------------------------------------------------------
    def url(self) -> Any:
        """The ``sqlalchemy.URL`` of the database, a relative SQLite path made absolute."""
        return self._url

    def shown_url(self) -> str:
        """The URL as messages show it: no password, also none inside an ODBC string."""
        url = self._url
        odbc = url.query.get("odbc_connect")
        if isinstance(odbc, str):
            return f"{url.drivername}:///?odbc_connect={redact_text(odbc)}"
        return url.render_as_string(hide_password=True)

    @functools.cached_property
    def _url(self) -> Any:
        from sqlalchemy import URL, make_url

        extra: SqlExtra = self.artifact.extra
        if extra.url is not None:
            try:
                url = make_url(extra.url)
            except Exception as error:  # the URL may hold a password: never repeat it
                raise CatalogError(
                    f"{self.artifact.where}: extra.url is not a database URL "
                    f"({type(error).__name__}); write "
                    f"dialect+driver://username:password@host:port/database"
                ) from error
        elif extra.connection_string is not None:
            url = URL.create(
                extra.drivername or ODBC_DRIVERNAME,
                query={"odbc_connect": extra.connection_string},
            )
        else:
            assert extra.drivername is not None  # SqlExtra requires a url or its parts
            url = URL.create(
                extra.drivername,
                username=extra.username,
                password=extra.password,
                host=extra.host,
                port=extra.port,
                database=extra.database,
                query=extra.URL_query,
            )
        database = _sqlite_file(url)
        if database is not None and not os.path.isabs(database):
            url = url.set(database=str(self.root / database))
        database = _sqlite_file(url)
        if database is not None:  # SQLite creates the file, not its folder
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return url

    def engine(self) -> Any:
        """The engine of this database, shared by every artifact of this process."""
        from sqlalchemy import create_engine

        url = self.url()
        options = self.artifact.extra.engine_options
        key = (
            os.getpid(),  # an engine's pooled connections must not cross a fork
            url.render_as_string(hide_password=False),
            json.dumps(options, sort_keys=True, default=str),
        )
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                try:
                    engine = _engines[key] = create_engine(url, **options)
                except Exception as error:
                    raise IntegrationError(
                        f"{self.artifact.where}: cannot create an engine for "
                        f"{self.shown_url()}: {error}. Check the URL parts and that the database "
                        f"driver is installed"
                    ) from error
        return engine

    @contextmanager
    def _connection(self, *, transaction: bool = False) -> Iterator[Any]:
        """A connection to the database (in a transaction for writes); failing to connect names
        the database, its password hidden."""
        from sqlalchemy.exc import DBAPIError

        try:
            connection = self.engine().connect()
        except DBAPIError as error:
            raise DatabaseUnreachableError(
                f"{self.artifact.where}: cannot connect to {self.shown_url()}; check the host, "
                f"port, database, username and password of the entry (or the settings they come "
                f"from) and that the server is up. The driver says: {self._driver_message(error)}"
            ) from error
        with connection, connection.begin() if transaction else nullcontext():
            yield connection

    @contextmanager
    def _refused(self, what: str, fix: str) -> Iterator[None]:
        """Turn an error of the database into an error naming ``what`` it refused."""
        try:
            yield
        except Exception as error:
            database_error = _database_error(error)
            if database_error is None:
                raise
            raise DatabaseRefusedError(
                f"{self.artifact.where}: the database {self.shown_url()} refused {what}; {fix}. "
                f"The database says: {self._driver_message(database_error)}"
            ) from error

    def _driver_message(self, error: Any) -> str:
        """The driver's own message (not SQLAlchemy's, which repeats the bound values), without
        the password even if a driver echoed it."""
        message = str(getattr(error, "orig", None) or error).strip()
        password = self.url().password
        return message.replace(str(password), "***") if password else message

    def _table_name(self) -> str:
        extra: SqlExtra = self.artifact.extra
        return f"{extra.db_schema}.{extra.table}" if extra.db_schema else str(extra.table)

    def _has_table(self, connection: Any) -> bool:
        from sqlalchemy import inspect

        extra: SqlExtra = self.artifact.extra
        return inspect(connection).has_table(extra.table, schema=extra.db_schema)

    # --- queries -------------------------------------------------------------------------------
    def _statement(self, query: str) -> Any:
        from sqlalchemy import text

        return text(query)

    def _parameters(self, statement: Any, context: Mapping[str, Any]) -> dict[str, Any]:
        """The values of the query's ``:name`` bound parameters, taken from the context."""
        names = list(statement.compile().params)
        missing = [name for name in names if name not in context]
        if missing:
            raise InterpolationError(
                f"{self.artifact.where}: the query's bound parameter(s) "
                f"{', '.join(':' + name for name in missing)} have no value; pass them as "
                f"keyword arguments (catalog.load(..., {missing[0]}=...)) or pipeline parameters"
            )
        return {name: context[name] for name in names}


def _overridden(
    function: Any, options: Mapping[str, Any], context: Mapping[str, Any], *, taken: set[str]
) -> dict[str, Any]:
    """``options`` overridden by the call's keyword arguments that ``function`` names (as for
    files: ``load("t", index_col="b")`` beats ``load_options``), except the ``taken`` ones and
    the statement and connection, which come from the entry."""
    named = select(function, context, into_var_keyword=False, positional=2)[0]
    return {**options, **{key: value for key, value in named.items() if key not in taken}}


def _database_error(error: BaseException) -> Any:
    """The SQLAlchemy ``DBAPIError`` behind ``error`` (pandas wraps it), or ``None``."""
    from sqlalchemy.exc import DBAPIError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, DBAPIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


# --- PostgreSQL's COPY ---------------------------------------------------------------------------
def copy_supported(engine: Any) -> bool:
    """Whether :func:`copy_rows` can write through ``engine`` (PostgreSQL with psycopg 3)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def copy_rows(table: Any, connection: Any, columns: list[str], rows: Iterable[tuple]) -> int:
    """A ``DataFrame.to_sql(method=...)`` that sends the rows with ``COPY ... FROM STDIN``.

    pandas has created the table and converted the values (``NaN`` → ``None``, timestamps →
    ``datetime``); psycopg then encodes them as its INSERTs would, in one stream instead of
    one statement per batch. Runs in the caller's transaction.
    """
    quote = connection.dialect.identifier_preparer.quote
    target = quote(table.name)
    if table.schema:
        target = f"{quote(table.schema)}.{target}"
    names = ", ".join(quote(column) for column in columns)
    count = 0
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _sqlite_file(url: Any) -> str | None:
    """The file of a SQLite database URL; None for another dialect, memory or a ``file:`` URI."""
    database: str = url.database or ""
    if (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not database.startswith("file:")
    ):
        return database
    return None


@atexit.register
def _dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
