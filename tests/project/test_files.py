"""Reading a project's text files through the Python API: one error naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from statisfactory import Session
from statisfactory.errors import CatalogError, ConfigurationError, StatisfactoryError
from statisfactory.project.files import read_text

VALID = {
    "catalog/catalog.yaml": "orders:\n  type: json\n  extra: {path: data/orders.json}\n",
    "pipelines/parameters/sets.yaml": "base:\n  n: 1\n",
    "pipelines/definitions/pipelines.yaml": "empty:\n  +operators: []\n",
}
# file -> what reads it
READERS = {
    "pyproject.toml": lambda root: Session(root_folder=root),
    "conf/globals.yaml": lambda root: Session(root_folder=root).settings,
    "conf/locals.yaml": lambda root: Session(root_folder=root).settings,
    "catalog/catalog.yaml": lambda root: Session(root_folder=root).catalog,
    "pipelines/parameters/sets.yaml": lambda root: Session(root_folder=root).parameters,
    "pipelines/definitions/pipelines.yaml": lambda root: (
        Session(root_folder=root).pipelines_definitions
    ),
}


def test_a_latin1_byte_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.yaml"
    path.write_bytes(b"a: 1\nb: 2 # caf\xe9\n")

    with pytest.raises(ConfigurationError) as caught:
        read_text(path)

    assert str(caught.value).startswith(f"{path}, line 2: byte 0xe9 is not UTF-8 text")


def test_a_missing_file_is_an_error_of_the_given_kind(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"missing.yaml: cannot be read \(No such file"):
        read_text(tmp_path / "missing.yaml", CatalogError)


@pytest.mark.parametrize("kind", READERS)
def test_each_file_kind_with_a_byte_that_is_not_utf8(project_factory, kind: str) -> None:
    root = project_factory(VALID)
    for name in READERS:
        READERS[name](root)  # the valid project reads
    path = root / kind
    path.write_bytes(path.read_bytes() + b"# \xe9\n")

    with pytest.raises(StatisfactoryError, match="is not UTF-8 text") as caught:
        READERS[kind](root)

    assert str(path) in str(caught.value)


@pytest.mark.parametrize("kind", [kind for kind in READERS if kind != "pyproject.toml"])
def test_each_yaml_file_kind_with_a_key_twice(project_factory, kind: str) -> None:
    root = project_factory(VALID)
    (root / kind).write_text("one: {a: 1}\none: {a: 2}\n")

    with pytest.raises(ConfigurationError) as caught:
        READERS[kind](root)

    assert f"{root / kind}, lines 1 and 2: the key 'one' is written twice" in str(caught.value)
