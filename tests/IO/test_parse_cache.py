"""The parse cache of YAML files (shown on catalog files): what it keeps, exactly, and what it refuses to read or keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from statisfactory.IO import Catalog, parse_cache

CACHE = Path(".statisfactory/cache/catalog")


def _build(file: Path, variables: dict | None = None) -> Catalog:
    return Catalog.from_path(file, variables=variables or {}, root=file.parent)


def _parsing_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(parse_cache, "parse_yaml", refuse)


def test_a_second_build_reads_the_cache_and_gets_the_same_values_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    file = tmp_path / "catalog.yaml"
    file.write_text(
        "[{name: a, type: csv, extra: {path: a.csv},"
        " load_options: {1: one, sep: ';', na_values: !!set {x, y}, skip: [1, 2.5, true, null]}}]"
    )
    first = _build(file).artifacts["a"]
    _parsing_forbidden(monkeypatch)
    again = _build(file).artifacts["a"]
    assert (
        again.load_options
        == first.load_options
        == {
            1: "one",
            "sep": ";",
            "na_values": {"x", "y"},
            "skip": [1, 2.5, True, None],
        }
    )
    assert type(again.load_options[1]) is str


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "other format"])
def test_a_damaged_or_foreign_cache_file_is_parsed_again(tmp_path: Path, damage: str):
    file = tmp_path / "catalog.yaml"
    file.write_text("[{name: a, type: text, extra: {path: a.txt}}]")
    _build(file)
    (cached,) = (tmp_path / CACHE).iterdir()
    data = cached.read_bytes()
    if damage == "flip a byte":
        data = data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:]
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = b'{"inputs": "x", "content": []}'
    cached.write_bytes(data)
    assert _build(file).artifacts["a"].extra == {"path": "a.txt"}
    assert cached.read_bytes() != data  # written anew


def test_a_value_the_cache_cannot_hold_exactly_is_parsed_each_time(tmp_path: Path):
    file = tmp_path / "catalog.yaml"
    file.write_text(
        "[{name: a, type: text, extra: {path: a.txt}, load_options: {since: 2024-01-31}}]"
    )
    assert str(_build(file).artifacts["a"].load_options["since"]) == "2024-01-31"
    assert not (tmp_path / CACHE).exists() or not list((tmp_path / CACHE).iterdir())


@pytest.mark.parametrize(
    "entry, variables",
    [
        ("{name: a, type: sql, extra: {url: 'sqlite://', password: ab}}", {}),
        (
            "{name: a, type: sql, extra: {url: 'sqlite://', port: {{ db_token }}}}",
            {"db_token": "48213"},
        ),
        ("{name: a, type: sql, extra: {url: 'sqlite://', auth: {token: [x]}}}", {}),
    ],
    ids=["short secret value", "numeric secret setting", "nested under a secret key"],
)
def test_no_secret_reaches_the_cache(tmp_path: Path, entry: str, variables: dict):
    file = tmp_path / "catalog.yaml"
    file.write_text(f"[{entry}]")
    _build(file, variables)
    assert not (tmp_path / CACHE).exists() or not list((tmp_path / CACHE).iterdir())


def test_the_cache_is_written_without_waiting_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    synced: list[int] = []
    monkeypatch.setattr("os.fsync", synced.append)
    file = tmp_path / "catalog.yaml"
    file.write_text("[{name: a, type: text, extra: {path: a.txt}}]")
    _build(file)
    assert list((tmp_path / CACHE).iterdir())  # written, and a torn one fails its digest
    assert synced == []
