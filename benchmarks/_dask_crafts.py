"""Crafts for the Dask benchmark: independent crafts doing a fixed amount of CPU work each.

Dask workers import them by module and name: the benchmark's project lists this folder as its
``sources``, so the session each worker rebuilds puts it on ``sys.path``.
"""

from _crafts import burn as spin  # the same fixed work as the processes-runner benchmark
from statisfactory import Craft, Pipeline, Volatile

CRAFTS = 8


def _spinner(index: int) -> Craft:
    """Craft ``spin_<index>`` returning ``Volatile("cpu_<index>")``, importable by that name."""

    def spinner(iterations: int) -> float:
        return spin(iterations)

    spinner.__name__ = spinner.__qualname__ = f"spin_{index}"
    spinner.__annotations__["return"] = Volatile(f"cpu_{index}")
    return Craft(spinner)


SPINNERS = [_spinner(index) for index in range(CRAFTS)]
globals().update({craft.name: craft for craft in SPINNERS})


def independent_pipeline() -> Pipeline:
    """The ``CRAFTS`` spinners, none depending on another."""
    return Pipeline(*SPINNERS, name="independent spinners")
