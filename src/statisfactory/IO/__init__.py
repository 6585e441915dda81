"""The catalog of artifacts: declarations, formats (interactors) and storage (backends)."""

from statisfactory.IO.artifact import Artifact
from statisfactory.IO.backends.base import Backend
from statisfactory.IO.catalog import Catalog
from statisfactory.IO.interactors.base import ArtifactInteractor

__all__ = ["Artifact", "ArtifactInteractor", "Backend", "Catalog"]
