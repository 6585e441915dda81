"""``sql``/``odbc`` entries of an original project: ``load_options``/``save_options`` reach pandas
and win over the interactor's own defaults."""

from __future__ import annotations

import pandas as pd
import pytest

from _servers import unique_name
from statisfactory.errors import CatalogError


def frame(rows: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"id": range(rows), "label": [f"row {i}" for i in range(rows)]})


def sqlite_catalog(original_session, entry: str):
    files = {
        "configuration/globals.yml": "database: data/warehouse.db\n",
        "catalog/warehouse.yaml": entry,
    }
    return original_session(files).catalog


def test_save_options_if_exists_and_index_reach_to_sql(original_session) -> None:
    catalog = sqlite_catalog(
        original_session,
        """
        - name: scores
          type: sql
          extra:
            protocole: sqlite
            database: "{{ database }}"
            table: scores
          save_options:
            if_exists: append
            index: true
            index_label: position
        """,
    )

    catalog.save("scores", frame())
    catalog.save("scores", frame())  # appended, as save_options ask, not replaced

    loaded = catalog.load("scores")
    assert len(loaded) == 6
    assert list(loaded.columns) == ["position", "id", "label"]


def test_save_options_replace_overrides_extra_if_exists(original_session) -> None:
    catalog = sqlite_catalog(
        original_session,
        """
        - name: scores
          type: odbc
          extra:
            url: "sqlite:///{{ database }}"
            table: scores
            if_exists: fail
          save_options: {if_exists: replace, index: false}
        """,
    )

    catalog.save("scores", frame(5))
    catalog.save("scores", frame(2))

    assert len(catalog.load("scores")) == 2


def test_load_options_schema_and_params_win(original_session) -> None:
    catalog = sqlite_catalog(
        original_session,
        """
        - name: scores
          type: sql
          extra: {url: "sqlite:///{{ database }}", table: scores}
        - name: main_scores
          type: sql
          extra: {url: "sqlite:///{{ database }}", table: scores}
          load_options: {schema: main, columns: [label]}
        - name: first_rows
          type: sql
          extra:
            url: "sqlite:///{{ database }}"
            query: "SELECT * FROM scores WHERE id < :limit"
          load_options: {params: {limit: 2}, dtype: {id: float}}
        """,
    )
    catalog.save("scores", frame(4))

    assert list(catalog.load("main_scores").columns) == ["label"]
    first = catalog.load("first_rows")
    assert len(first) == 2 and first["id"].dtype == float


def test_an_option_that_names_the_table_or_connection_is_a_clear_error(original_session) -> None:
    catalog = sqlite_catalog(
        original_session,
        """
        - name: scores
          type: sql
          extra: {url: "sqlite:///{{ database }}", table: scores}
          save_options: {name: other}
        """,
    )

    with pytest.raises(CatalogError, match=r"scores.*save_options.*'name'.*extra\.table"):
        catalog.save("scores", frame())


@pytest.mark.service
def test_postgres_save_options_win_over_the_defaults(original_session, postgres_server) -> None:
    table = unique_name("compat").replace("-", "_")
    catalog = original_session(
        {
            "configuration/locals.yml": f'pg_url: "{postgres_server.url()}"\n',
            "catalog/warehouse.yaml": f"""
                - name: scores
                  type: sql
                  extra: {{url: "{{{{ pg_url }}}}", table: {table}}}
                  save_options: {{if_exists: append, index: false}}
                """,
        }
    ).catalog

    catalog.save("scores", frame())
    catalog.save("scores", frame())

    assert len(catalog.load("scores")) == 6
