"""Data frames in files: ``csv``, ``parquet``, ``feather``, ``xlsx`` (alias ``xslx``).

pandas is imported when an artifact of these types is first loaded or saved. A local file is
read from its path (pandas and pyarrow are fastest so); a save streams into the backend's handle,
except a local parquet or feather save, which pyarrow writes by the temporary file's name (the
save stays atomic: that file is then synced and renamed over the target).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO, NamedTuple

from statisfactory.errors import CatalogError
from statisfactory.IO.interactors.files import FileInteractor, empty_local_file


class Head(NamedTuple):
    """The first rows of a stored table, and whether only they were read (``False``: the
    format cannot stop early, the whole file was read then cut)."""

    frame: Any
    partial: bool


class DataFrameInteractor(FileInteractor):
    """A file holding one ``pandas.DataFrame``."""

    def head(self, rows: int, **context: Any) -> Head:
        """The first ``rows`` rows of the stored table, read alone where the format allows."""
        return self.read_stored(lambda source, given: self.read_head(source, rows, given), context)

    def read_head(self, source: str | BinaryIO, rows: int, context: Mapping[str, Any]) -> Head:
        """The first ``rows`` rows from ``source``; a format that can stop early overrides it."""
        return Head(self.read(source, context).head(rows), partial=False)

    def check_asset(self, asset: Any) -> None:
        import pandas as pd

        if not isinstance(asset, pd.DataFrame):
            hint = " (use series.to_frame())" if isinstance(asset, pd.Series) else ""
            raise CatalogError(
                f"{self.artifact.where}: a {self.interactor_name} file holds a pandas DataFrame, "
                f"not a {type(asset).__name__}{hint}; convert it, or declare the artifact with "
                f"another type (pickle, json)"
            )


class CsvInteractor(DataFrameInteractor, interactor_name="csv"):
    """CSV through ``pandas.read_csv`` / ``DataFrame.to_csv``; the index is not written unless
    ``save_options: {index: true}``."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        import pandas as pd

        return pd.read_csv(source, **self.options(pd.read_csv, "load", context))

    def read_head(self, source: str | BinaryIO, rows: int, context: Mapping[str, Any]) -> Head:
        import pandas as pd

        options = self.options(pd.read_csv, "load", context)
        if any(options.get(name) for name in ("chunksize", "iterator", "skipfooter")):
            return super().read_head(source, rows, context)
        options["nrows"] = min(rows, options.get("nrows") or rows)
        return Head(pd.read_csv(source, **options), partial=True)

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        asset.to_csv(handle, **{"index": False, **self.options(asset.to_csv, "save", context)})


class ParquetInteractor(DataFrameInteractor, interactor_name="parquet"):
    """Parquet through ``pandas.read_parquet`` / ``DataFrame.to_parquet`` (pyarrow)."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        import pandas as pd

        return pd.read_parquet(source, **self.options(pd.read_parquet, "load", context))

    def read_head(self, source: str | BinaryIO, rows: int, context: Mapping[str, Any]) -> Head:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        options = self.options(pd.read_parquet, "load", context)
        # Options beyond columns (filters, another engine...) are read as a load reads them.
        if set(options) - {"columns"} or not _seekable(source):
            return super().read_head(source, rows, context)
        parquet = pq.ParquetFile(source)
        # The first batch decodes the first row group(s) only; the index columns pandas wrote
        # come along, so that the frame looks as a load gives it.
        schema = parquet.schema_arrow
        columns = options.get("columns")
        if columns is not None:
            if not set(columns) <= set(schema.names):  # the load's own error names them
                return super().read_head(source, rows, context)
            columns = [*columns, *_index_columns(schema)]
        batch = next(parquet.iter_batches(batch_size=max(rows, 1), columns=columns), None)
        table = pa.Table.from_batches([batch]).slice(0, rows) if batch else schema.empty_table()
        return Head(table.replace_schema_metadata(schema.metadata).to_pandas(), partial=True)

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        target = empty_local_file(handle) or handle  # by name: a fifth faster than a stream
        asset.to_parquet(target, **self.options(asset.to_parquet, "save", context))


class FeatherInteractor(DataFrameInteractor, interactor_name="feather"):
    """Feather (Arrow IPC) through ``pandas.read_feather`` / ``DataFrame.to_feather``."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        import pandas as pd

        return pd.read_feather(source, **self.options(pd.read_feather, "load", context))

    def read_head(self, source: str | BinaryIO, rows: int, context: Mapping[str, Any]) -> Head:
        import pandas as pd
        import pyarrow as pa

        options = self.options(pd.read_feather, "load", context)
        if set(options) - {"columns", "use_threads"} or not _seekable(source):
            return super().read_head(source, rows, context)
        try:
            reader = pa.ipc.open_file(pa.memory_map(source) if isinstance(source, str) else source)
        except pa.ArrowInvalid:  # a version 1 feather file: no record batches to stop at
            if not isinstance(source, str):
                source.seek(0)
            return super().read_head(source, rows, context)
        batches, count = [], 0
        for index in range(reader.num_record_batches):  # only the batches the rows are in
            if count >= rows:
                break
            batch = reader.get_batch(index)
            batches.append(batch.slice(0, rows - count))
            count += batches[-1].num_rows
        table = pa.Table.from_batches(batches, schema=reader.schema)
        columns = options.get("columns")
        if columns is not None:
            table = table.select(list(columns))
        return Head(table.to_pandas(), partial=True)

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        target = empty_local_file(handle) or handle  # by name, as parquet: no Python stream
        asset.to_feather(target, **self.options(asset.to_feather, "save", context))


class ExcelInteractor(DataFrameInteractor, interactor_name="xlsx", aliases=("xslx",)):
    """Excel workbooks through ``pandas.read_excel`` / ``DataFrame.to_excel`` (openpyxl); the
    index is not written unless ``save_options: {index: true}``."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        import pandas as pd

        return pd.read_excel(source, **self.options(pd.read_excel, "load", context))

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        asset.to_excel(handle, **{"index": False, **self.options(asset.to_excel, "save", context)})


def _index_columns(schema: Any) -> list[str]:
    """The index columns pandas stored in a parquet schema's metadata (named ones only)."""
    import json

    metadata = (schema.metadata or {}).get(b"pandas")
    if not metadata:
        return []
    return [name for name in json.loads(metadata).get("index_columns", []) if isinstance(name, str)]


def _seekable(source: str | BinaryIO) -> bool:
    """Whether a reader can jump to the parts it needs (a local path or a seekable stream)."""
    return isinstance(source, str) or bool(getattr(source, "seekable", lambda: False)())
