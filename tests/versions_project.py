"""Shared by the versions tests: a project whose two parameter sets write the same paths."""

from __future__ import annotations

TRAIN = {
    "lib/models/__init__.py": "",
    "lib/models/crafts.py": """
        import os

        from statisfactory import Artifact, Craft


        def note(name):
            log = os.environ.get("TRAIN_LOG")
            if log:
                with open(log, "a") as handle:
                    handle.write(name + "\\n")


        @Craft()
        def train(alpha: float = 1.0) -> Artifact("model"):
            note("train")
            return {"alpha": alpha, "coef": [alpha * 2]}


        @Craft()
        def evaluate(model: Artifact) -> Artifact("metrics"):
            note("evaluate")
            return {"score": model["coef"][0] + 1}
    """,
    "catalog/catalog.yaml": """
        - name: model
          type: json
          versioned: true
          extra: {path: data/model.json}
        - name: metrics
          type: json
          versioned: true
          extra: {path: data/metrics.json}
    """,
    "pipelines/definitions/pipelines.yaml": """
        train:
          +operators: [models.crafts.train, models.crafts.evaluate]
    """,
    "pipelines/parameters/sets.yaml": """
        ridge: {alpha: 1.0}
        lasso: {alpha: 2.0}
    """,
}
