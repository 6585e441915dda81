"""Every built-in type round-trips through the catalog, with its options really applied."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import pytest
from catalog_files import make_catalog

from statisfactory.errors import CatalogError, MissingArtifactError

FRAME = pd.DataFrame({"id": [1, 2, 3], "label": ["a", "b", "c"], "value": [0.5, 1.5, -2.0]})


def test_csv_round_trip_uses_the_separator_and_skips_the_index(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: table
          type: csv
          extra: {path: data/table.csv}
          load_options: {sep: ";"}
          save_options: {sep: ";"}
        """,
    )
    catalog.save("table", FRAME)
    assert (tmp_path / "data/table.csv").read_text().splitlines()[:2] == [
        "id;label;value",
        "1;a;0.5",
    ]
    pd.testing.assert_frame_equal(catalog.load("table"), FRAME)


def test_parquet_round_trip_honours_columns_and_compression(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: table
          type: parquet
          extra: {path: data/table.parquet}
          load_options: {columns: [id, value]}
          save_options: {compression: gzip}
        """,
    )
    catalog.save("table", FRAME)
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(tmp_path / "data/table.parquet").metadata
    assert metadata.row_group(0).column(0).compression == "GZIP"
    pd.testing.assert_frame_equal(catalog.load("table"), FRAME[["id", "value"]])


def test_feather_round_trip_honours_compression(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: table
          type: feather
          extra: {path: data/table.feather}
          save_options: {compression: uncompressed}
          load_options: {columns: [label]}
        """,
    )
    catalog.save("table", FRAME)
    import pyarrow.feather as feather

    assert feather.read_table(tmp_path / "data/table.feather").num_rows == 3
    pd.testing.assert_frame_equal(catalog.load("table"), FRAME[["label"]])


@pytest.mark.parametrize("spelling", ["xlsx", "xslx"])
def test_excel_round_trip_uses_the_sheet_name(tmp_path: Path, spelling: str):
    catalog = make_catalog(
        tmp_path,
        f"""
        - name: book
          type: {spelling}
          extra: {{path: reports/book.xlsx}}
          save_options: {{sheet_name: results}}
          load_options: {{sheet_name: results}}
        """,
    )
    catalog.save("book", FRAME)
    assert pd.ExcelFile(tmp_path / "reports/book.xlsx").sheet_names == ["results"]
    pd.testing.assert_frame_equal(catalog.load("book"), FRAME)


def test_pickle_round_trip_honours_the_protocol(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: model
          type: pickle
          extra: {path: models/model.pkl}
          save_options: {protocol: 2}
        """,
    )
    value = {"weights": [1.0, 2.0], "name": "ridge"}
    catalog.save("model", value)
    assert (tmp_path / "models/model.pkl").read_bytes()[:2] == b"\x80\x02"  # protocol 2 header
    assert catalog.load("model") == value


def test_json_round_trip_honours_indent(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: metrics
          type: json
          extra: {path: reports/metrics.json}
          save_options: {indent: 4, sort_keys: true}
        """,
    )
    catalog.save("metrics", {"rmse": 0.25, "mae": 0.1, "label": "é"})
    text = (tmp_path / "reports/metrics.json").read_text(encoding="utf-8")
    assert text.startswith('{\n    "label"')
    assert catalog.load("metrics") == {"rmse": 0.25, "mae": 0.1, "label": "é"}
    assert json.loads(text)["label"] == "é"


def test_text_round_trip_honours_the_encoding(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: note
          type: text
          extra: {path: notes/note.txt}
          save_options: {encoding: latin-1}
          load_options: {encoding: latin-1}
        """,
    )
    catalog.save("note", "café\n")
    assert (tmp_path / "notes/note.txt").read_bytes() == "café\n".encode("latin-1")
    assert catalog.load("note") == "café\n"


def test_text_options_are_checked_like_any_reader_s(tmp_path: Path, caplog):
    catalog = make_catalog(
        tmp_path,
        """
        - name: note
          type: text
          extra: {path: notes/note.txt}
          save_options: {encoding: ascii, errors: replace}
          load_options: {encodng: latin-1}
        """,
    )
    catalog.save("note", "café")
    assert (tmp_path / "notes/note.txt").read_bytes() == b"caf?"
    assert catalog.load("note") == "caf?"
    assert "encodng" in caplog.text  # the misspelt option is reported, not silently ignored


def test_binary_round_trip(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: blob, type: binary, extra: {path: blobs/blob.bin}}]")
    catalog.save("blob", bytearray(b"\x00\x01\xff"))
    assert catalog.load("blob") == b"\x00\x01\xff"


def test_fsspec_memory_scheme_round_trip(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: table
          type: csv
          extra: {path: "memory://statisfactory-tests/!{run}/table.csv"}
          save_options: {sep: "|"}
          load_options: {sep: "|"}
        """,
    )
    catalog.save("table", FRAME, run="r1")
    import fsspec

    stored = fsspec.filesystem("memory").cat_file("memory://statisfactory-tests/r1/table.csv")
    assert stored.startswith(b"id|label|value")
    assert catalog.exists("table", run="r1") and not catalog.exists("table", run="r2")
    pd.testing.assert_frame_equal(catalog.load("table", run="r1"), FRAME)
    with pytest.raises(MissingArtifactError, match="r2/table.csv"):
        catalog.load("table", run="r2")


def test_a_failed_fsspec_save_keeps_the_previous_file(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        "[{name: doc, type: json, extra: {path: 'memory://statisfactory-tests/doc.json'}}]",
    )
    catalog.save("doc", {"version": 1})
    with pytest.raises(CatalogError):
        catalog.save("doc", {"version": 2, "bad": object()})
    assert catalog.load("doc") == {"version": 1}


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("csv", {"a": 1}),
        ("parquet", [1, 2]),
        ("feather", "text"),
        ("xlsx", {"a": 1}),
        ("text", b"bytes"),
        ("binary", "text"),
        ("json", {"date": object()}),
    ],
)
def test_an_object_the_format_cannot_hold_is_refused_and_the_file_kept(
    tmp_path: Path, kind: str, bad: object
):
    good = {
        "csv": FRAME,
        "parquet": FRAME,
        "feather": FRAME,
        "xlsx": FRAME,
        "text": "hello",
        "binary": b"hello",
        "json": {"a": 1},
    }[kind]
    catalog = make_catalog(
        tmp_path, f"[{{name: thing, type: {kind}, extra: {{path: data/thing}}}}]"
    )
    catalog.save("thing", good)
    before = (tmp_path / "data/thing").read_bytes()
    with pytest.raises(CatalogError, match="'thing'"):
        catalog.save("thing", bad)
    assert (tmp_path / "data/thing").read_bytes() == before
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["thing"]  # no temporary left


def test_a_writer_failing_midway_keeps_the_previous_file(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: table, type: parquet, extra: {path: data/t.parquet}}]"
    )
    catalog.save("table", FRAME)
    before = (tmp_path / "data/t.parquet").read_bytes()
    mixed = pd.DataFrame({"x": [1, "two", 3.0]}, dtype=object)  # pyarrow cannot convert it
    with pytest.raises(CatalogError, match="cannot save at .*t.parquet"):
        catalog.save("table", mixed)
    assert (tmp_path / "data/t.parquet").read_bytes() == before


@pytest.mark.parametrize(
    "kind", ["csv", "parquet", "feather", "xlsx", "pickle", "json", "text", "binary"]
)
def test_loading_a_missing_file_names_the_artifact_and_the_path(tmp_path: Path, kind: str):
    catalog = make_catalog(
        tmp_path, f"[{{name: table, type: {kind}, extra: {{path: data/absent}}}}]"
    )
    with pytest.raises(MissingArtifactError) as caught:
        catalog.load("table")
    message = str(caught.value)
    assert "'table'" in message and str(tmp_path / "data/absent") in message
    assert not catalog.exists("table")


def test_saved_files_get_the_usual_permissions(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: blob, type: binary, extra: {path: blob.bin}}]")
    catalog.save("blob", b"x")
    reference = tmp_path / "reference"
    reference.write_bytes(b"x")
    assert (tmp_path / "blob.bin").stat().st_mode == reference.stat().st_mode


def test_file_urls_and_absolute_paths_are_honoured(tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    catalog = make_catalog(
        tmp_path,
        f"""
        - name: by_url
          type: pickle
          extra: {{path: "file://{elsewhere}/a.pkl"}}
        - name: absolute
          type: pickle
          extra: {{path: "{elsewhere}/b.pkl"}}
        """,
    )
    catalog.save("by_url", 1)
    catalog.save("absolute", 2)
    assert pickle.loads((elsewhere / "a.pkl").read_bytes()) == 1
    assert catalog.locate("absolute") == str(elsewhere / "b.pkl")
    assert catalog.load("absolute") == 2


def test_saves_to_different_fsspec_file_systems_run_side_by_side(tmp_path: Path):
    import threading

    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    from statisfactory.IO.interactors.files import FileInteractor

    class OtherMemory(MemoryFileSystem):
        protocol = "statisfactory-memory-two"
        store: dict = {}  # its own files, apart from memory://
        pseudo_dirs = [""]

    fsspec.register_implementation(OtherMemory.protocol, OtherMemory, clobber=True)
    other_saved = threading.Event()

    class Waiting(FileInteractor, interactor_name="test_waiting"):
        """Writes its bytes only once the other file system has been written to."""

        def write(self, asset, handle, context):
            assert other_saved.wait(timeout=10), "the other save was blocked behind this one"
            handle.write(asset)

    catalog = make_catalog(
        tmp_path,
        f"""
        - {{name: slow, type: test_waiting, extra: {{path: "memory://statisfactory-tests/slow"}}}}
        - {{name: quick, type: binary, extra: {{path: "{OtherMemory.protocol}://quick"}}}}
        """,
    )
    slow = threading.Thread(target=catalog.save, args=("slow", b"slow"))
    slow.start()
    catalog.save("quick", b"quick")
    other_saved.set()
    slow.join()
    assert catalog.load("quick") == b"quick"
    assert fsspec.filesystem("memory").cat_file("memory://statisfactory-tests/slow") == b"slow"


def test_storage_options_configure_the_fsspec_file_system(tmp_path: Path, caplog):
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    class Recording(MemoryFileSystem):
        """A memory file system that remembers the options it was built with."""

        protocol = "statisfactory-recording"
        store: dict = {}  # its own files, apart from memory://
        pseudo_dirs = [""]
        built_with: list = []

        def __init__(self, **options):
            self.built_with.append(options)
            super().__init__(**options)

    fsspec.register_implementation(Recording.protocol, Recording, clobber=True)
    catalog = make_catalog(
        tmp_path,
        f"""
        - name: table
          type: csv
          extra:
            path: "{Recording.protocol}://bucket/table.csv"
            storage_options: {{project: demo, token: tok-5e1f}}
          load_options: {{storage_options: {{project: reader}}, sep: ";"}}
          save_options: {{sep: ";"}}
        """,
    )
    catalog.save("table", FRAME)
    assert Recording.built_with[-1] == {"project": "demo", "token": "tok-5e1f"}
    pd.testing.assert_frame_equal(catalog.load("table"), FRAME)
    assert Recording.built_with[-1] == {"project": "reader"}  # load_options win for loads
    assert "storage_options" not in caplog.text and "tok-5e1f" not in str(catalog)


@pytest.mark.parametrize("url", ["data/whole.bin", "memory://statisfactory-tests/whole.bin"])
def test_built_in_backends_also_take_whole_payloads(tmp_path: Path, url: str):
    from urllib.parse import urlparse

    from statisfactory.IO.interpolation import scheme_of

    catalog = make_catalog(tmp_path, f"[{{name: blob, type: binary, extra: {{path: '{url}'}}}}]")
    backend = catalog.backend(scheme_of(url))
    fragment = urlparse(url)
    backend.put(payload=b"\x00whole\xff", fragment=fragment)
    assert backend.get(fragment=fragment) == b"\x00whole\xff"
    assert catalog.load("blob") == b"\x00whole\xff"


@pytest.mark.parametrize(
    "fmt, module, writer",
    [("parquet", "parquet", "to_parquet"), ("feather", "feather_format", "to_feather")],
)
def test_a_local_save_lets_pyarrow_write_the_temporary_file_by_name(
    tmp_path: Path, monkeypatch, fmt: str, module: str, writer: str
):
    import importlib

    io_module = importlib.import_module(f"pandas.io.{module}")
    targets = []
    write = getattr(io_module, writer)

    def recorded(frame, path, *args, **kwargs):
        targets.append(path)
        return write(frame, path, *args, **kwargs)

    monkeypatch.setattr(io_module, writer, recorded)
    catalog = make_catalog(tmp_path, f"[{{name: t, type: {fmt}, extra: {{path: data/t.{fmt}}}}}]")
    catalog.save("t", FRAME)
    catalog.save("t", FRAME.head(1))  # over an existing file: still a new one renamed over it

    assert len(targets) == 2
    assert all(isinstance(target, str) for target in targets)  # not a Python file object
    assert all(Path(target).parent == tmp_path / "data" for target in targets)
    pd.testing.assert_frame_equal(catalog.load("t"), FRAME.head(1))
    assert [p.name for p in (tmp_path / "data").iterdir()] == [f"t.{fmt}"]
    reference = tmp_path / "reference"
    reference.write_bytes(b"x")
    assert (tmp_path / f"data/t.{fmt}").stat().st_mode == reference.stat().st_mode


def test_a_handle_that_is_no_empty_local_file_is_not_written_by_name(tmp_path: Path):
    import io

    from statisfactory.IO.backends.local import atomic_write
    from statisfactory.IO.interactors.files import empty_local_file

    assert empty_local_file(io.BytesIO()) is None
    with atomic_write(tmp_path / "f") as handle:
        assert empty_local_file(handle) == handle.name
        handle.write(b"started")
        assert empty_local_file(handle) is None
