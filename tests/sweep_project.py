"""A project for sweeps: one craft every member shares, two per member, one that may fail."""

SWEPT = {
    "lib/swept/__init__.py": "",
    "lib/swept/crafts.py": """
        import os

        from statisfactory import Artifact, Craft, Volatile


        @Craft()
        def ingest(n: int = 4) -> Artifact("raw"):
            return list(range(n))


        @Craft()
        def fit(raw: Artifact, alpha: float, model: str) -> [Artifact("fitted"), Volatile("w")]:
            if alpha < 0:
                raise ValueError(f"alpha must be positive, got {alpha}")
            weight = sum(raw) * alpha
            return {"model": model, "weight": weight}, weight


        @Craft()
        def score(fitted: Artifact, w: Volatile, model: str) -> Artifact("scores"):
            return {"model": model, "loss": abs(w - 3.0), "weight": fitted["weight"]}
    """,
    "catalog/catalog.yaml": """
        - name: raw
          type: json
          extra: {path: "data/raw_!{n}.json"}
        - name: fitted
          type: json
          extra: {path: "data/fitted_!{model}_!{alpha}.json"}
        - name: scores
          type: json
          extra: {path: "data/scores_!{model}_!{alpha}.json"}
          +tags: [metrics]
    """,
    "pipelines/definitions/pipelines.yaml": """
        swept:
          +operators: [swept.crafts.ingest, swept.crafts.fit, swept.crafts.score]
    """,
    "pipelines/parameters/sets.yaml": """
        base:
          n: 4
        grid:
          +from: [base]
          +grid: {model: [a, b], alpha: [0.25, 0.5]}
        with_bad:
          +from: [base]
          +zip: {model: [a, bad, c], alpha: [0.5, -1.0, 1.0]}
        clashing:
          +from: [base]
          model: same
          +grid: {n: [3, 5], alpha: [1.0, 2.0]}
    """,
}
