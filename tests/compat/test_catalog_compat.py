"""`catalog.load` / `catalog.save` called as the original's users called them."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from statisfactory import Session
from statisfactory.errors import CatalogError

FRAME = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, 1.5]})

CATALOG = """\
- name: table
  type: csv
  extra:
    path: data/table_!{client}.csv
  load_options: {index_col: 2}
  save_options: {sep: ";"}
"""


@pytest.fixture
def session(project_factory) -> Session:
    return Session(root_folder=project_factory({"catalog/catalog.yaml": CATALOG}))


def test_load_keywords_override_load_options(session: Session) -> None:
    session.catalog.save("table", FRAME, client="jm", sep=",")
    by_option = session.catalog.load("table", client="jm")
    assert by_option.index.name == "c"
    by_keyword = session.catalog.load("table", client="jm", index_col=1)
    assert by_keyword.index.name == "b"
    assert list(by_keyword.columns) == ["a", "c"]


def test_save_keywords_override_save_options(session: Session) -> None:
    session.catalog.save("table", FRAME, client="jm", sep="|")
    written = (session.root / "data" / "table_jm.csv").read_text()
    assert written.splitlines()[0] == "a|b|c"
    session.catalog.save("table", FRAME, client="other")
    assert (session.root / "data" / "table_other.csv").read_text().startswith("a;b;c")


def test_name_and_asset_can_be_given_by_keyword(session: Session) -> None:
    session.catalog.save(name="table", asset=FRAME, client="kw", sep=",")
    loaded = session.catalog.load(name="table", client="kw", index_col=None)
    pd.testing.assert_frame_equal(loaded, FRAME)
    assert session.catalog.exists(name="table", client="kw")


def test_a_name_keyword_still_fills_the_context_when_the_name_is_positional(
    project_factory,
) -> None:
    root = project_factory(
        {"catalog/catalog.yaml": "- name: t\n  type: text\n  extra: {path: 't_!{name}.txt'}\n"}
    )
    catalog = Session(root_folder=root).catalog
    catalog.save("t", "hello", name="n1")
    assert catalog.load("t", name="n1") == "hello"
    assert (root / "t_n1.txt").read_text() == "hello"


def test_save_without_an_asset_says_what_is_missing(session: Session) -> None:
    with pytest.raises(CatalogError, match="asset"):
        session.catalog.save("table", client="jm")


DATAPANE = """\
- name: report
  type: datapane
  extra: {path: reports/report.html}
- name: numbers
  type: json
  extra: {path: numbers.json}
"""


def test_datapane_is_a_known_type(project_factory, recwarn) -> None:
    session = Session(root_folder=project_factory({"catalog/catalog.yaml": DATAPANE}))
    assert session.catalog.artifacts["report"].type == "datapane"
    assert not [w for w in recwarn if "datapane" in str(w.message)]
    session.catalog.save("numbers", [1])
    assert session.catalog.load("numbers") == [1]


@pytest.mark.skipif(
    importlib.util.find_spec("datapane") is not None, reason="datapane is installed"
)
def test_saving_a_datapane_report_without_datapane_names_the_package(project_factory) -> None:
    session = Session(root_folder=project_factory({"catalog/catalog.yaml": DATAPANE}))
    with pytest.raises(CatalogError, match=r"'report'.*pip install datapane"):
        session.catalog.save("report", object())
    assert not (session.root / "reports").exists()


@pytest.mark.skipif(importlib.util.find_spec("datapane") is None, reason="needs datapane")
def test_saving_a_datapane_report_writes_html(project_factory) -> None:  # pragma: no cover
    import datapane as dp

    session = Session(root_folder=project_factory({"catalog/catalog.yaml": DATAPANE}))
    session.catalog.save("report", dp.Blocks(dp.Text("# Hello from a craft")))
    html = (session.root / "reports" / "report.html").read_text()
    assert "<html" in html.lower()


SQL = """\
- name: sales
  type: odbc
  extra: {url: "sqlite:///shop.sqlite", table: sales}
  load_options: {index_col: a}
  save_options: {index: false}
- name: big_sales
  type: odbc
  extra: {url: "sqlite:///shop.sqlite", query: "SELECT * FROM sales WHERE c > :minimum"}
  load_options: {index_col: a}
"""


def test_sql_keywords_override_load_and_save_options(project_factory) -> None:
    catalog = Session(root_folder=project_factory({"catalog/catalog.yaml": SQL})).catalog
    catalog.save("sales", FRAME.set_index("b"), index=True)
    assert list(catalog.load("sales").columns) == ["b", "c"]  # the option: index_col a
    assert catalog.load("sales", index_col="b").index.name == "b"
    assert catalog.load("big_sales", minimum=1, index_col="b").index.tolist() == ["y"]
