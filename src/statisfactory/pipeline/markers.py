"""``Artifact`` and ``Volatile``: the annotations that tell a craft what to load, save or keep.

As a parameter annotation, the class itself means "the object named like the parameter"
(``train: Artifact``) and an instance names it (``train: Artifact("train_set")``).
As a return annotation, instances name the outputs, in order: ``-> Artifact("model")``,
``-> Volatile.of("x", "y")`` or a list mixing both, ``-> [Artifact("a"), Volatile("b")]``.
"""

from __future__ import annotations


class _Marker:
    """A named object a craft reads or writes; subclasses say where it lives."""

    __slots__ = ("name",)
    kind = "marker"

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(
                f"{type(self).__name__}() takes a non-empty name, got {name!r}: "
                f'write {type(self).__name__}("my_name")'
            )
        self.name = name

    @classmethod
    def of(cls, *names: str) -> tuple[_Marker, ...]:
        """Several outputs of the same kind at once: ``Artifact.of("model", "metrics")``."""
        return tuple(cls(name) for name in names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self), self.name))


class Artifact(_Marker):
    """An object declared in the catalog: loaded before the call, saved after it."""

    __slots__ = ()
    kind = "artifact"


class Volatile(_Marker):
    """An object kept in memory by the pipeline, passed from the craft producing it to its users."""

    __slots__ = ()
    kind = "volatile"
