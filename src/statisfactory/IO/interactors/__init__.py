"""Artifact types: the :class:`ArtifactInteractor` base and its registry; built-ins load lazily."""

from statisfactory.IO.interactors.base import ArtifactInteractor, interactor_class, known_types

__all__ = ["ArtifactInteractor", "interactor_class", "known_types"]
