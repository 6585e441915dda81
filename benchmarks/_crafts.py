"""Crafts and Kedro nodes the pipeline benchmarks run; importable, so worker processes find them."""

from __future__ import annotations

import time

from statisfactory.pipeline import Craft, Pipeline, Volatile

CPU_CRAFTS = 8


# --- trivial crafts: measure the framework, not the work ------------------------------------
def _trivial(index: int, reads: str | None) -> Craft:
    def step(value: int = 0) -> int:
        return value + 1

    step.__name__ = step.__qualname__ = f"step_{index}"
    step.__annotations__ = {"return": Volatile(f"v{index}")}
    if reads is not None:
        step.__annotations__["value"] = Volatile(reads)
    return Craft(step)


def chain(length: int) -> Pipeline:
    """``length`` crafts, each reading the volatile of the previous one."""
    return Pipeline(*[_trivial(i, f"v{i - 1}" if i else None) for i in range(length)])


def fan_out(width: int) -> Pipeline:
    """One source craft and ``width`` independent crafts reading its volatile."""
    return Pipeline(_trivial(0, None), *[_trivial(i, "v0") for i in range(1, width + 1)])


def kedro_increment(value: int = 0) -> int:
    return value + 1


def kedro_chain(length: int):
    from kedro.pipeline import Pipeline as KedroPipeline
    from kedro.pipeline import node

    nodes = [node(kedro_increment, None, "v0", name="n0")]
    nodes += [node(kedro_increment, f"v{i - 1}", f"v{i}", name=f"n{i}") for i in range(1, length)]
    return KedroPipeline(nodes)


def kedro_fan_out(width: int):
    from kedro.pipeline import Pipeline as KedroPipeline
    from kedro.pipeline import node

    nodes = [node(kedro_increment, None, "v0", name="n0")]
    nodes += [node(kedro_increment, "v0", f"v{i}", name=f"n{i}") for i in range(1, width + 1)]
    return KedroPipeline(nodes)


# --- CPU-bound crafts: a fixed number of iterations each --------------------------------------
def burn(iterations: int) -> float:
    """Spin ``iterations`` times; return the CPU seconds this took in the running process."""
    started = time.process_time()
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return time.process_time() - started


def _cpu(index: int) -> Craft:
    def work(iterations: int) -> float:
        return burn(iterations)

    work.__name__ = work.__qualname__ = f"work_{index}"
    work.__annotations__["return"] = Volatile(f"cpu_{index}")
    return Craft(work)


CPU_WORK = [_cpu(i) for i in range(CPU_CRAFTS)]
globals().update({craft.name: craft for craft in CPU_WORK})  # importable by name in workers


def cpu_pipeline() -> Pipeline:
    return Pipeline(*CPU_WORK)


def kedro_cpu_pipeline():
    from kedro.pipeline import Pipeline as KedroPipeline
    from kedro.pipeline import node

    return KedroPipeline(
        [node(burn, "params:iterations", f"cpu_{i}", name=f"work_{i}") for i in range(CPU_CRAFTS)]
    )
