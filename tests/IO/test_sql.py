"""The ``sql`` type on SQLite files: tables, queries, bound parameters, refused injections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from catalog_files import make_catalog

from statisfactory.errors import CatalogError, InterpolationError

CATALOG = """
- name: sales
  type: sql
  extra: {url: "sqlite:///db/shop.sqlite", table: "sales_!{year}"}
  save_options: {index: false}
- name: big_sales
  type: odbc
  extra:
    drivername: sqlite
    database: db/shop.sqlite
    query: "SELECT * FROM sales_!{year} WHERE amount >= :minimum ORDER BY amount"
  load_options: {index_col: shop}
- name: appended
  type: sql
  extra: {protocole: sqlite, database: db/shop.sqlite, table: log, if_exists: append}
"""

SALES = pd.DataFrame({"shop": ["a", "b", "c"], "amount": [10, 250, 75]})


def test_tables_round_trip_relative_to_the_project_root(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("sales", SALES, year=2024)
    with sqlite3.connect(tmp_path / "db/shop.sqlite") as connection:
        rows = connection.execute("SELECT shop, amount FROM sales_2024").fetchall()
    assert rows == [("a", 10), ("b", 250), ("c", 75)]
    pd.testing.assert_frame_equal(catalog.load("sales", year=2024), SALES)
    assert catalog.exists("sales", year=2024) and not catalog.exists("sales", year=2023)
    assert catalog.locate("sales", year=2024).endswith("db/shop.sqlite#table=sales_2024")


def test_saving_replaces_by_default_and_appends_when_asked(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("sales", SALES, year=1)
    catalog.save("sales", SALES.head(1), year=1)
    assert len(catalog.load("sales", year=1)) == 1
    catalog.save("appended", SALES)
    catalog.save("appended", SALES)
    assert len(catalog.load("appended")) == 6


def test_queries_take_bound_parameters_and_load_options(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("sales", SALES, year=2024)
    result = catalog.load("big_sales", year=2024, minimum=50)
    assert result.index.name == "shop" and list(result["amount"]) == [75, 250]
    hostile = catalog.load("big_sales", year=2024, minimum="0 OR 1=1; DROP TABLE sales_2024")
    assert result.shape == (2, 1) and hostile.empty  # a bound value is data, never SQL
    assert catalog.exists("sales", year=2024)


@pytest.mark.parametrize(
    "year", ["2024; DROP TABLE sales_2024", "x' OR '1'='1", "sales_2024 --", True, "1 1"]
)
def test_only_identifiers_and_numbers_are_spliced_into_sql(tmp_path: Path, year):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("sales", SALES, year=2024)
    with pytest.raises(InterpolationError, match=r"'big_sales'.*extra.query.*bound parameter"):
        catalog.load("big_sales", year=year, minimum=0)
    with pytest.raises(InterpolationError, match=r"'sales'.*extra.table"):
        catalog.save("sales", SALES, year=year)
    with sqlite3.connect(tmp_path / "db/shop.sqlite") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("sales_2024",)]


def test_a_missing_bound_parameter_is_named(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    with pytest.raises(InterpolationError, match=r"'big_sales'.*:minimum have no value"):
        catalog.load("big_sales", year=2024)


def test_invalid_sql_entries_are_explained(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - {name: neither, type: sql, extra: {url: "sqlite://"}}
        - {name: both, type: sql, extra: {url: "sqlite://", drivername: sqlite, table: t}}
        - {name: query_only, type: sql, extra: {url: "sqlite://", query: "SELECT 1 AS one"}}
        """,
    )
    with pytest.raises(CatalogError, match="'neither'.*give 'query'.*Expected fields: url"):
        catalog.load("neither")
    with pytest.raises(CatalogError, match="'both'.*either 'url' or its parts"):
        catalog.load("both")
    assert catalog.load("query_only").to_dict("records") == [{"one": 1}]
    with pytest.raises(CatalogError, match="only a 'table' can be saved"):
        catalog.save("query_only", SALES)


def test_secrets_stay_out_of_messages_and_descriptions(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: remote
          type: sql
          extra:
            drivername: postgresql+psycopg
            username: ana
            password: s3cr3t-pw
            host: 127.0.0.1
            port: 1
            database: shop
            table: t
            engine_options: {connect_args: {connect_timeout: 1}}
        """,
    )
    assert "s3cr3t-pw" not in str(catalog)
    assert "s3cr3t-pw" not in catalog.locate("remote")
    with pytest.raises(CatalogError) as caught:
        catalog.load("remote")
    assert "'remote'" in str(caught.value) and "s3cr3t-pw" not in str(caught.value)


def test_an_odbc_connection_string_becomes_an_odbc_connect_url(tmp_path: Path):
    from sqlalchemy import make_url

    odbc = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db,1433;UID=ana;PWD=p@ss;w0rd"
    catalog = make_catalog(
        tmp_path,
        f"""
        - name: legacy
          type: odbc
          extra: {{connection_string: "{odbc}", query: "SELECT 1"}}
        - name: access
          type: odbc
          extra: {{connection_string: "DSN=books", drivername: "access+pyodbc", table: t}}
        """,
    )
    url = catalog.interactor("legacy", {}).url()
    assert url.drivername == "mssql+pyodbc" and url.query == {"odbc_connect": odbc}
    assert make_url(url.render_as_string(hide_password=False)) == url  # a usable URL string
    assert catalog.interactor("access", {}).url().drivername == "access+pyodbc"
    assert catalog.locate("legacy") == (
        "mssql+pyodbc:///?odbc_connect=DRIVER={ODBC Driver 18 for SQL Server};SERVER=db,1433;"
        "UID=ana;PWD=***;w0rd#query"
    )
    assert "p@ss" not in str(catalog) and "p@ss" not in str(catalog.artifacts["legacy"].describe())


def test_loading_a_table_that_does_not_exist_names_it(tmp_path: Path):
    from statisfactory.errors import MissingArtifactError

    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("sales", SALES, year=2024)
    with pytest.raises(MissingArtifactError, match=r"'sales'.*table 'sales_1999' does not exist"):
        catalog.load("sales", year=1999)


def test_a_malformed_url_names_the_field_never_the_password(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        "[{name: db, type: sql, extra: {url: 'postgresql://ana:pw-9f1c@db:port/shop', table: t}}]",
    )
    with pytest.raises(CatalogError, match=r"'db'.*extra.url is not a database URL") as caught:
        catalog.load("db")
    assert "pw-9f1c" not in str(caught.value)


def test_a_dynamic_schema_is_checked_like_the_table(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        "[{name: t, type: sql, extra: {url: 'sqlite:///db/s.sqlite', table: t, "
        "db_schema: '!{schema}'}}]",
    )
    with pytest.raises(InterpolationError, match=r"'t'.*extra.db_schema.*bound parameter"):
        catalog.save("t", SALES, schema="main; DROP TABLE t")


def test_a_refused_secret_value_is_not_shown(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        "[{name: q, type: sql, extra: {url: 'sqlite://', query: 'SELECT !{db_password}'}}]",
    )
    with pytest.raises(InterpolationError, match=r"'q'.*!\{db_password\}") as caught:
        catalog.load("q", db_password="hunter2-pw")
    assert "hunter2-pw" not in str(caught.value)
