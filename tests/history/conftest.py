"""A project whose pipeline chains three artifacts through a volatile, for history tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MODELS = """
    from statisfactory import Artifact, Craft, Volatile


    @Craft()
    def simulate(n: int = 5, seed: int = 0) -> Artifact("samples"):
        return [(seed + i) % 7 for i in range(n)]


    @Craft()
    def fit(samples: Artifact, alpha: float = 1.0) -> Volatile("model"):
        return {"mean": sum(samples) / len(samples), "alpha": alpha}


    @Craft()
    def keep(model: Volatile) -> Artifact("coefficients"):
        return model


    @Craft()
    def summarise(coefficients: Artifact) -> Artifact("summary"):
        return f"mean={coefficients['mean']:.2f}"
"""

LAB = {
    "lib/lab/__init__.py": "",
    "lib/lab/models.py": MODELS,
    "catalog/catalog.yaml": """
        - name: samples
          type: json
          extra: {path: "data/samples_!{n}.json"}
        - name: coefficients
          type: json
          extra: {path: data/coefficients.json}
        - name: summary
          type: text
          extra: {path: data/summary.txt}
    """,
    "pipelines/definitions/pipelines.yaml": """
        lab:
          +operators: [lab.models.simulate, lab.models.fit, lab.models.keep, lab.models.summarise]
    """,
    "pipelines/parameters/sets.yaml": """
        small:
          n: 5
        strong:
          n: 5
          lab.models.fit: {alpha: 9.0}
    """,
}


@pytest.fixture
def lab(project_factory: Callable[..., Path]) -> Callable[..., Path]:
    """``make(extra_files=None, *, tool="") -> root`` of the lab project."""

    def make(extra: dict[str, str] | None = None, *, tool: str = "") -> Path:
        return project_factory({**LAB, **(extra or {})}, tool=tool, name="lab")

    return make
