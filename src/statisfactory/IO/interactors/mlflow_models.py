"""MLflow models as artifacts: one type per MLflow model flavour (``mlflow.sklearn``,
``mlflow.pyfunc``, ``mlflow.xgboost``, ...).

A model is saved with the flavour's ``save_model`` into the folder ``extra.path`` (a local path,
relative to the project root, or an ``s3://`` URL: the model is then written to a local
temporary folder and its files uploaded through the project's S3 backend) and loaded with its
``load_model``. ``save_options`` go to ``save_model`` (``signature``, ``input_example``, ...),
``load_options`` to ``load_model``. A ``mlflow.pyfunc`` artifact saves a
``mlflow.pyfunc.PythonModel`` (``python_model=``) and loads a ``PyFuncModel``.

The folder is fingerprinted like every folder artifact (:mod:`.folders`); with the MLflow
plugin on, each model a run writes is logged to the run's MLflow run under the artifact's name,
so ``mlflow.<flavour>.load_model("runs:/<id>/<name>")`` gives it back.
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from statisfactory.errors import CatalogError, IntegrationError, MissingArtifactError, install_hint
from statisfactory.IO.interactors import folders
from statisfactory.IO.interactors.base import MODEL_FLAVOURS, ArtifactInteractor
from statisfactory.IO.interpolation import check_path, scheme_of


class ModelExtra(BaseModel):
    """``extra`` of a model artifact: the folder it is saved in."""

    model_config = ConfigDict(extra="forbid")

    path: str


class MlflowModel(ArtifactInteractor):
    """A model of one MLflow flavour, stored as the folder MLflow's ``save_model`` writes."""

    Extra = ModelExtra
    dynamic_checks = {"path": check_path}
    flavour: ClassVar[str] = ""

    def locate(self, **context: Any) -> str:
        path = str(self.artifact.extra.path)
        if scheme_of(path):
            return path
        local = Path(path).expanduser()
        return str(local if local.is_absolute() else self.root / local)

    def save(self, asset: Any, **context: Any) -> None:
        module = self._module()
        location = self.locate()
        local = self._local(location)
        parent = local.parent if local is not None else None
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        # MLflow refuses to save into an existing folder, and a failed save must not cost the
        # model stored before: build in a fresh folder beside it, then swap.
        with tempfile.TemporaryDirectory(dir=parent, prefix=".model-") as building:
            built = Path(building, "model")
            self._save_model(module, asset, built)
            if local is not None:
                folders.replace_folder(built, local)
            else:
                folders.upload_folder(self._backend(location), built, location)

    def load(self, **context: Any) -> Any:
        module = self._module()
        location = self.locate()
        local = self._local(location)
        options = dict(self.artifact.load_options or {})
        if local is not None:
            if not (local / "MLmodel").exists():
                raise self._missing(location)
            return module.load_model(str(local), **options)
        with tempfile.TemporaryDirectory(prefix="statisfactory-model-") as staged:
            if not folders.download_folder(self._backend(location), location, Path(staged)):
                raise self._missing(location)
            return module.load_model(staged, **options)

    def exists(self, **context: Any) -> bool:
        location = self.locate()
        local = self._local(location)
        if local is not None:
            return (local / "MLmodel").exists()
        return folders.remote_listing(self._backend(location), location) is not None

    def fingerprint(self, **context: Any) -> str:
        """The listing of the model's folder; ``FileNotFoundError`` when nothing is stored."""
        location = self.locate()
        local = self._local(location)
        if local is not None:
            listing = folders.local_listing(local)
        else:
            listing = folders.remote_listing(self._backend(location), location)
        if listing is None:
            raise FileNotFoundError(location)
        return folders.listing_text(listing)

    def stage(self, target: Path) -> Path:
        """The model's folder on local disk: where it is stored, or copied into ``target``
        from a remote store (for logging it to MLflow)."""
        location = self.locate()
        local = self._local(location)
        if local is not None:
            return local
        if not folders.download_folder(self._backend(location), location, target):
            raise self._missing(location)
        return target

    # --- helpers ------------------------------------------------------------------------------
    def _save_model(self, module: Any, asset: Any, path: Path) -> None:
        options = dict(self.artifact.save_options or {})
        try:
            if self.flavour == "pyfunc":
                module.save_model(str(path), python_model=asset, **options)
            else:
                module.save_model(asset, str(path), **options)
        except CatalogError:
            raise
        except Exception as error:
            raise CatalogError(
                f"{self.artifact.where}: mlflow.{self.flavour}.save_model could not save the "
                f"{type(asset).__name__} given ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}); a {self.artifact.type} "
                f"artifact takes a model of that flavour"
                + (" (a mlflow.pyfunc.PythonModel)" if self.flavour == "pyfunc" else "")
            ) from error

    def _module(self) -> Any:
        name = f"mlflow.{self.flavour}"
        try:
            return importlib.import_module(name)
        except ImportError as error:
            raise IntegrationError(
                f"{self.artifact.where}: type {self.artifact.type} needs {error.name or name}, "
                f"which is not installed: {install_hint('mlflow')} (and the flavour's library)"
            ) from error

    def _local(self, location: str) -> Path | None:
        if location.startswith("file://"):
            return Path(location.removeprefix("file://"))
        return None if scheme_of(location) else Path(location)

    def _backend(self, location: str) -> Any:
        return self.catalog.backend(scheme_of(location))

    def _missing(self, location: str) -> MissingArtifactError:
        return MissingArtifactError(
            f"{self.artifact.where}: no MLflow model is stored at {location}; save the artifact "
            f"first, or fix extra.path (or the values of its !{{}} variables)"
        )


def _flavour_class(flavour: str) -> type[MlflowModel]:
    return type(
        f"Mlflow{flavour.capitalize()}",
        (MlflowModel,),
        {"flavour": flavour, "__module__": __name__},
        interactor_name=f"mlflow.{flavour}",
    )


MODEL_TYPES = {f"mlflow.{flavour}": _flavour_class(flavour) for flavour in MODEL_FLAVOURS}
