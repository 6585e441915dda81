"""``sql`` artifacts on a real PostgreSQL server, started for the test session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _servers import unique_name
from statisfactory.errors import CatalogError, InterpolationError, StorageError


@pytest.fixture
def pg_catalog(session_factory, postgres_server):
    """``make(yaml) -> catalog`` of a project whose settings hold the server's coordinates.

    The YAML may use ``{{ pg_url }}``, ``{{ pg_port }}``, ``{{ pg_password }}`` (Jinja, from
    ``conf/locals.yaml``) and ``{{ table }}``, a table name unique to the test.
    """
    server = postgres_server
    table = unique_name("t").replace("-", "_")

    def make(yaml: str):
        session = session_factory(
            {
                "catalog/catalog.yaml": yaml.replace("{{ table }}", table),
                "conf/locals.yaml": f"""
                    pg_url: "{server.url()}"
                    pg_port: {server.port}
                    pg_user: {server.user}
                    pg_password: "{server.password}"
                    pg_database: {server.database}
                """,
            }
        )
        return session.catalog

    make.table = table
    return make


def sample(rows: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "amount": rng.normal(size=rows).round(6),
            "shop": rng.choice(["north", "south", "east"], rows),
            "day": pd.date_range("2024-01-01", periods=rows, freq="h"),
            "open": rng.choice([True, False], rows),
        }
    )


def test_a_table_round_trips_with_its_types(pg_catalog):
    catalog = pg_catalog(
        """
        - name: sales
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}"}
        """
    )
    frame = sample()
    frame.loc[3, "amount"] = np.nan  # a NULL, not the text 'NaN'
    frame.loc[4, "shop"] = None
    assert not catalog.exists("sales")
    catalog.save("sales", frame)
    assert catalog.exists("sales")
    loaded = catalog.load("sales")
    pd.testing.assert_frame_equal(loaded, frame, check_dtype=False)
    assert loaded["amount"].isna().sum() == 1 and loaded["shop"].isna().sum() == 1


def test_parts_of_the_url_and_its_query_reach_the_driver(pg_catalog):
    catalog = pg_catalog(
        """
        - name: whoami
          type: odbc
          extra:
            protocole: postgresql+psycopg
            username: "{{ pg_user }}"
            password: "{{ pg_password }}"
            host: 127.0.0.1
            port: "{{ pg_port }}"
            database: "{{ pg_database }}"
            URL_query: {application_name: statisfactory-tests}
            query: "SELECT current_user AS who, current_setting('application_name') AS app"
        """
    )
    assert catalog.load("whoami").to_dict("records") == [
        {"who": "statisfactory", "app": "statisfactory-tests"}
    ]


def test_queries_take_bound_values_and_identifier_variables(pg_catalog):
    catalog = pg_catalog(
        """
        - name: sales
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}_!{year}"}
        - name: big_sales
          type: sql
          extra:
            url: "{{ pg_url }}"
            query: "SELECT shop, amount FROM {{ table }}_!{year} WHERE amount > :floor ORDER BY id"
          load_options: {index_col: shop}
        """
    )
    frame = sample(100)
    catalog.save("sales", frame, year=2024)
    loaded = catalog.load("big_sales", year=2024, floor=1.0)
    expected = frame[frame.amount > 1.0].set_index("shop")[["amount"]]
    pd.testing.assert_frame_equal(loaded, expected)


def test_a_value_that_is_not_an_identifier_runs_no_sql(pg_catalog):
    catalog = pg_catalog(
        """
        - name: sales
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}"}
        - name: some_table
          type: sql
          extra: {url: "{{ pg_url }}", query: "SELECT * FROM !{name}"}
        """
    )
    catalog.save("sales", sample(10))
    hostile = f"{pg_catalog.table}; DROP TABLE {pg_catalog.table}"
    with pytest.raises(InterpolationError, match=r"'some_table'.*bound parameter"):
        catalog.load("some_table", name=hostile)
    assert len(catalog.load("sales")) == 10  # still there


def test_save_options_reach_to_sql_and_if_exists_is_honoured(pg_catalog):
    catalog = pg_catalog(
        """
        - name: indexed
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}"}
          save_options: {index: true, index_label: row_id}
        - name: appended
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}", if_exists: append}
          save_options: {index: true, index_label: row_id}
        - name: batched
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}_batched"}
          save_options: {method: multi, chunksize: 2}
        - name: once
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}", if_exists: fail}
        """
    )
    frame = sample(5)
    catalog.save("indexed", frame)
    catalog.save("appended", frame)
    loaded = catalog.load("indexed")
    assert list(loaded.columns[:2]) == ["row_id", "id"]
    assert len(loaded) == 10
    catalog.save("batched", frame)  # pandas' own multi-row INSERTs, two rows at a time
    pd.testing.assert_frame_equal(catalog.load("batched"), frame, check_dtype=False)
    with pytest.raises(CatalogError, match="'once'.*already exists"):
        catalog.save("once", frame)


def test_a_syntax_error_shows_the_query_never_the_password(pg_catalog, postgres_server):
    catalog = pg_catalog(
        """
        - name: broken
          type: sql
          extra: {url: "{{ pg_url }}", query: "SELEC id FROM nowhere"}
        """
    )
    with pytest.raises(CatalogError) as caught:
        catalog.load("broken")
    message = str(caught.value)
    assert "'broken'" in message
    assert "SELEC id FROM nowhere" in message
    assert "syntax error" in message
    assert postgres_server.password not in message


def test_wrong_credentials_name_the_server_never_the_password(pg_catalog, postgres_server):
    catalog = pg_catalog(
        """
        - name: sales
          type: sql
          extra:
            drivername: postgresql+psycopg
            username: "{{ pg_user }}"
            password: not-the-password-71
            host: 127.0.0.1
            port: "{{ pg_port }}"
            database: "{{ pg_database }}"
            table: "{{ table }}"
        """
    )
    with pytest.raises(StorageError) as caught:
        catalog.save("sales", sample(3))
    message = str(caught.value)
    assert "'sales'" in message
    assert f"127.0.0.1:{postgres_server.port}" in message
    assert "password authentication failed" in message
    assert "not-the-password-71" not in message


def test_a_failed_replace_keeps_the_previous_table(pg_catalog):
    catalog = pg_catalog(
        """
        - name: sales
          type: sql
          extra: {url: "{{ pg_url }}", table: "{{ table }}"}
        """
    )
    catalog.save("sales", sample(4))
    unstorable = pd.DataFrame({"id": [1], "payload": [{"a": 1}]})  # psycopg cannot adapt a dict
    with pytest.raises(CatalogError, match="'sales'"):
        catalog.save("sales", unstorable)
    assert len(catalog.load("sales")) == 4


def test_artifacts_of_one_database_share_a_pool_of_connections(pg_catalog, postgres_server):
    import sqlalchemy

    application = unique_name("pool").replace("-", "_")
    catalog = pg_catalog(
        f"""
        - name: sales
          type: sql
          extra: {{url: "{{{{ pg_url }}}}?application_name={application}", table: "{{{{ table }}}}"}}
        - name: total
          type: sql
          extra:
            url: "{{{{ pg_url }}}}?application_name={application}"
            query: "SELECT count(*) AS n FROM {{{{ table }}}}"
        """
    )
    catalog.save("sales", sample(10))
    for _ in range(20):
        assert catalog.load("total")["n"].tolist() == [10]
        assert len(catalog.load("sales")) == 10
    assert catalog.interactor("sales", {}).engine() is catalog.interactor("total", {}).engine()
    observer = sqlalchemy.create_engine(postgres_server.url())
    with observer.connect() as connection:
        opened = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
            {"a": application},
        ).scalar()
    observer.dispose()
    assert opened == 1  # one pooled connection served the 41 statements


LINGERING_LOADER = """
import atexit, sys

def linger():  # registered first, so it runs after the library's own exit handlers
    print("exited", flush=True)
    sys.stdin.readline()

atexit.register(linger)
from statisfactory import Session

print(Session(root_folder=sys.argv[1]).catalog.load("total")["n"].iloc[0], flush=True)
sys.stdin.readline()
"""


def test_pooled_connections_are_closed_when_the_process_exits(pg_catalog, postgres_server):
    import subprocess
    import sys

    import sqlalchemy

    application = unique_name("exit").replace("-", "_")
    catalog = pg_catalog(
        f"""
        - name: total
          type: sql
          extra: {{url: "{{{{ pg_url }}}}?application_name={application}", query: "SELECT 1 AS n"}}
        """
    )
    observer = sqlalchemy.create_engine(postgres_server.url())

    def connections() -> int:
        with observer.connect() as connection:
            query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"
            return connection.execute(sqlalchemy.text(query), {"a": application}).scalar()

    loader = subprocess.Popen(
        [sys.executable, "-c", LINGERING_LOADER, str(catalog.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert loader.stdout.readline() == "1\n"
        assert connections() == 1  # pooled, open while the process works
        loader.stdin.write("\n")
        loader.stdin.flush()
        assert loader.stdout.readline() == "exited\n"
        assert connections() == 0  # closed at exit, before the process is gone
    finally:
        loader.communicate("\n", timeout=30)
        observer.dispose()
