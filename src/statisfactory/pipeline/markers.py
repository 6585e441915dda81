"""``Artifact`` and ``Volatile``: the annotations that tell a craft what to load, save or keep.

As a parameter annotation, the class itself means "the object named like the parameter"
(``train: Artifact``) and an instance names it (``train: Artifact("train_set")``).
As a return annotation, instances name the outputs, in order: ``-> Artifact("model")``,
``-> Volatile.of("x", "y")`` or a list mixing both, ``-> [Artifact("a"), Volatile("b")]``;
``-> Metrics("scores")`` is a volatile the run history records as metrics.
``Artifact`` is also the catalog entry (see IO/artifact.py): one class, as users compare
``catalog.artifacts["x"] == Artifact(name="x", type="csv", extra={...})``.
"""

from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING

from statisfactory.IO.artifact import Artifact


class _Marker(ABC):  # a common type for isinstance checks; Artifact is registered
    """A named object a craft reads or writes: an :class:`Artifact` or a :class:`Volatile`."""

    __slots__ = ()
    kind = "marker"
    name: str

    if TYPE_CHECKING:  # every concrete marker is built from its name

        def __init__(self, name: str) -> None: ...


_Marker.register(Artifact)


class Volatile(_Marker):
    """An object kept in memory by the pipeline, passed from the craft producing it to its users."""

    __slots__ = ("name",)
    kind = "volatile"

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(
                f'Volatile() takes a non-empty name, got {name!r}: write Volatile("my_name")'
            )
        self.name = name

    @classmethod
    def of(cls, *names: str) -> list[Volatile]:
        """Several outputs at once: ``-> Volatile.of("x", "y")``."""
        return [cls(name) for name in names]

    def __repr__(self) -> str:
        return f"Volatile({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.name == self.name

    def __hash__(self) -> int:
        return hash((Volatile, self.name))


class Metrics(Volatile):
    """A volatile whose value the run history records as metrics: a mapping of names to
    numbers (each a metric), or one number (the metric ``name``): ``-> Metrics("scores")``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Metrics({self.name!r})"


__all__ = ["Artifact", "Metrics", "Volatile"]
