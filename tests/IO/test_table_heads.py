"""``Catalog.head``: the first rows of a table artifact, read alone where the format allows.

Each file below is large and damaged past its first rows, so that a whole read fails: a head
that works proves only the first rows were read.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from catalog_files import make_catalog

from statisfactory.errors import CatalogError, StatisfactoryError

ROWS = 20_000
FRAME = pd.DataFrame(
    {
        "x": np.arange(ROWS),
        "y": np.random.default_rng(0).random(ROWS),
        "label": ["a", "b"] * (ROWS // 2),
    }
)


def catalog_of(root: Path, kind: str, options: str = "{}"):
    return make_catalog(
        root,
        f"""
        - name: table
          type: {kind}
          extra: {{path: data/table.{kind}}}
          load_options: {options}
        """,
    )


def test_a_csv_head_reads_only_its_first_rows(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "csv")
    catalog.save("table", FRAME)
    path = tmp_path / "data/table.csv"
    lines = path.read_text().splitlines()
    lines[1000] += ",1,2,3"  # too many fields: pandas refuses the whole file
    path.write_text("\n".join(lines))
    with pytest.raises(StatisfactoryError):
        catalog.load("table")

    head = catalog.head("table", 20)

    assert head.partial
    pd.testing.assert_frame_equal(head.frame, FRAME.head(20))


def test_a_parquet_head_decodes_only_the_first_row_group(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    catalog = catalog_of(tmp_path, "parquet", "{columns: [x, label]}")
    path = tmp_path / "data/table.parquet"
    path.parent.mkdir()
    FRAME.to_parquet(path, row_group_size=1000)
    last = pq.ParquetFile(path).metadata.row_group(ROWS // 1000 - 1).column(0)
    damaged = bytearray(path.read_bytes())
    start = last.data_page_offset
    damaged[start : start + 64] = b"\xff" * 64  # the last row group's page header
    path.write_bytes(damaged)
    with pytest.raises(StatisfactoryError):
        catalog.load("table")

    head = catalog.head("table", 20)

    assert head.partial
    pd.testing.assert_frame_equal(head.frame, FRAME[["x", "label"]].head(20))


def test_a_parquet_head_keeps_the_index_a_load_gives(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "parquet")
    indexed = FRAME.head(50).set_index("label")
    catalog.save("table", indexed)

    pd.testing.assert_frame_equal(catalog.head("table", 5).frame, indexed.head(5))


def test_a_feather_head_decodes_only_the_first_record_batch(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "feather", "{columns: [label, y]}")
    path = tmp_path / "data/table.feather"
    path.parent.mkdir()
    FRAME.to_feather(path, chunksize=1000)
    damaged = bytearray(path.read_bytes())
    footer = len(damaged) - 10 - struct.unpack("<i", damaged[-10:-6])[0]
    for index in range(footer - 3000, footer):  # the end of the last batch's compressed body
        damaged[index] ^= 0x5A
    path.write_bytes(damaged)
    with pytest.raises(StatisfactoryError):
        catalog.load("table")

    head = catalog.head("table", 1500)  # across two batches

    assert head.partial
    pd.testing.assert_frame_equal(head.frame, FRAME[["label", "y"]].head(1500))


def test_another_table_type_is_read_whole_and_says_so(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "xlsx")
    catalog.save("table", FRAME.head(30))

    head = catalog.head("table", 20)

    assert not head.partial
    pd.testing.assert_frame_equal(head.frame, FRAME.head(20))


def test_a_head_of_what_is_not_a_table_says_so(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path, "- {name: notes, type: json, extra: {path: n.json}}\n")

    with pytest.raises(CatalogError, match="notes.*not a table"):
        catalog.head("notes", 20)


def test_a_head_of_a_missing_file_names_the_artifact(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "parquet")

    with pytest.raises(StatisfactoryError, match="table"):
        catalog.head("table", 20)


def test_a_csv_whose_options_need_the_whole_file_is_read_whole(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "csv", "{skipfooter: 1, engine: python}")
    catalog.save("table", FRAME.head(30))

    head = catalog.head("table", 20)

    assert not head.partial
    pd.testing.assert_frame_equal(head.frame, FRAME.head(20))


def test_a_parquet_head_of_columns_it_lacks_fails_as_a_load_does(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "parquet", "{columns: [nope]}")
    catalog.save("table", FRAME.head(10))

    with pytest.raises(StatisfactoryError, match="table.*nope"):
        catalog.head("table", 5)


def test_no_rows_give_the_columns_and_fewer_than_none_is_refused(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, "parquet")
    catalog.save("table", FRAME.head(10))

    assert list(catalog.head("table", 0).frame.columns) == ["x", "y", "label"]
    with pytest.raises(CatalogError, match="'table'.*0 or more"):
        catalog.head("table", -1)
