"""Reports saved as HTML pages: ``datapane`` (a report or block of the datapane package)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from statisfactory.errors import CatalogError
from statisfactory.IO.interactors.files import FileInteractor


class DatapaneInteractor(FileInteractor, interactor_name="datapane"):
    """A datapane report or block, saved as a standalone HTML page at ``extra.path``.

    Saving needs the ``datapane`` package (``datapane.save_report``, or ``Report.save`` of
    versions before 0.16); ``save_options`` reach that function. Loading returns the page's
    HTML text (a report cannot be rebuilt from it).
    """

    def check_asset(self, asset: Any) -> None:
        self._datapane()  # refuse before anything is written

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        with self.opened(source) as handle:
            return handle.read().decode("utf-8")

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        datapane = self._datapane()
        # datapane writes to a path only: render in a private folder, then stream the page into
        # the backend's handle, which keeps the save atomic on every backend.
        with tempfile.TemporaryDirectory(prefix="statisfactory-datapane-") as folder:
            page = Path(folder) / "report.html"
            save = getattr(datapane, "save_report", None)
            if save is not None:
                options = self.options(save, "save", context, positional=2)
                save(asset, path=str(page), **{"open": False, **options})
            elif callable(getattr(asset, "save", None)):
                options = self.options(asset.save, "save", context, positional=1)
                asset.save(str(page), **{"open": False, **options})
            else:
                raise CatalogError(
                    f"{self.artifact.where}: a {type(asset).__name__} is not a datapane report; "
                    f"save a datapane Report, Blocks or block"
                )
            with page.open("rb") as rendered:
                shutil.copyfileobj(rendered, handle)

    def _datapane(self) -> Any:
        try:
            import datapane
        except ImportError as error:
            raise CatalogError(
                f"{self.artifact.where}: saving a datapane report needs the datapane package, "
                f"which cannot be imported ({error}); pip install datapane, or declare the "
                f"artifact with another type (text, binary)"
            ) from error
        return datapane
