"""The seam protocols: the bottom layer, satisfied by the concrete classes crossing the seams."""

from __future__ import annotations

import ast
import concurrent.futures
from pathlib import Path

import pytest

from statisfactory import protocols
from statisfactory.history.store import open_store
from statisfactory.IO import Catalog
from statisfactory.pipeline.runners.base import Completed
from statisfactory.pipeline.runners.processes import _Unpickled


def test_protocols_import_nothing_of_the_package_but_errors():
    tree = ast.parse(Path(protocols.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    ours = {name for name in imported if name and name.split(".")[0] == "statisfactory"}
    assert ours <= {"statisfactory.errors"}


def test_a_catalog_is_catalog_like(tmp_path: Path):
    (tmp_path / "catalog.yaml").write_text("numbers:\n  type: csv\n  extra: {path: numbers.csv}\n")
    catalog = Catalog.from_path(tmp_path / "catalog.yaml", variables={}, root=tmp_path)
    assert isinstance(catalog, protocols.CatalogLike)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_history_store_is_history_store_like(tmp_path: Path, enabled: bool):
    store = open_store(tmp_path, enabled=enabled)
    try:
        assert isinstance(store, protocols.HistoryStoreLike)
        assert isinstance(store, protocols.DigestStore)
    finally:
        store.close()


def test_runner_futures_are_futures():
    pool_future: concurrent.futures.Future[bytes] = concurrent.futures.Future()
    for future in (Completed(lambda: 1), pool_future, _Unpickled(pool_future)):
        assert isinstance(future, protocols.Future), future


def test_other_objects_are_refused():
    assert not isinstance(object(), protocols.CatalogLike)
    assert not isinstance(object(), protocols.Future)
    assert not isinstance({}, protocols.DigestStore)
