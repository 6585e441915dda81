"""Data frames in files: ``csv``, ``parquet``, ``feather``, ``xlsx`` (alias ``xslx``).

pandas is imported when an artifact of these types is first loaded or saved. A local file is
read from its path (pandas and pyarrow are fastest so); a save streams into the backend's handle,
except a local parquet or feather save, which pyarrow writes by the temporary file's name (the
save stays atomic: that file is then synced and renamed over the target).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from statisfactory.errors import CatalogError
from statisfactory.IO.interactors.files import FileInteractor, empty_local_file


class DataFrameInteractor(FileInteractor):
    """A file holding one ``pandas.DataFrame``."""

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

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        asset.to_csv(handle, **{"index": False, **self.options(asset.to_csv, "save", context)})


class ParquetInteractor(DataFrameInteractor, interactor_name="parquet"):
    """Parquet through ``pandas.read_parquet`` / ``DataFrame.to_parquet`` (pyarrow)."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        import pandas as pd

        return pd.read_parquet(source, **self.options(pd.read_parquet, "load", context))

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        target = empty_local_file(handle) or handle  # by name: a fifth faster than a stream
        asset.to_parquet(target, **self.options(asset.to_parquet, "save", context))


class FeatherInteractor(DataFrameInteractor, interactor_name="feather"):
    """Feather (Arrow IPC) through ``pandas.read_feather`` / ``DataFrame.to_feather``."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        import pandas as pd

        return pd.read_feather(source, **self.options(pd.read_feather, "load", context))

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
