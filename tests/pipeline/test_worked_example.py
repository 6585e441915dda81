"""The worked example of the specification runs as written, in a real process."""

import pickle
import subprocess
import sys

CATALOG = """
    - name: samples
      type: parquet
      extra: {path: "data/raw/samples_!{n_samples}.parquet"}
    - name: coefficients
      type: pickle
      extra: {path: "data/models/coef_!{n_samples}.pkl"}
    """

EXAMPLE = """
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    from statisfactory import Artifact, Craft, Session, Volatile


    @Craft()
    def simulate(n_samples: int = 200, seed: int = 0) -> Artifact("samples"):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n_samples, 3))
        y = x @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.1, size=n_samples)
        return pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=y)


    @Craft()
    def fit(samples: Artifact, fit_intercept: bool = True) -> Volatile("model"):
        features = samples[["a", "b", "c"]]
        return LinearRegression(fit_intercept=fit_intercept).fit(features, samples.y)


    @Craft()
    def keep_coefficients(model: Volatile) -> Artifact("coefficients"):
        return model.coef_


    pipeline = keep_coefficients + fit + simulate      # order solved from the data
    print(pipeline)                                     # simulate -> fit -> keep_coefficients

    session = Session()
    with session:
        pipeline(n_samples=500)                         # shared: every craft's context has it
        state = pipeline(n_samples=100, fit={"fit_intercept": False})   # only `fit` gets this
    assert "model" in state

    small = session.catalog.load("coefficients", n_samples=100)
    large = session.catalog.load("coefficients", n_samples=500)

    # beyond the example: what the run left behind
    print(state["model"].fit_intercept)
    with session:
        simulate()
    """


def test_the_worked_example_runs_as_written(project_factory):
    root = project_factory({"catalog/catalog.yaml": CATALOG, "example.py": EXAMPLE})
    done = subprocess.run(
        [sys.executable, "example.py"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["simulate -> fit -> keep_coefficients", "False"]
    raw = sorted(p.name for p in (root / "data" / "raw").iterdir())
    assert raw == ["samples_100.parquet", "samples_200.parquet", "samples_500.parquet"]
    for n_samples in (100, 500):
        coefficients = pickle.loads((root / f"data/models/coef_{n_samples}.pkl").read_bytes())
        assert abs(coefficients[0] - 1.5) < 0.1 and abs(coefficients[1] + 2.0) < 0.1
