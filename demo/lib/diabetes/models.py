"""Fit a model chosen by the parameter set, then measure it on the test set."""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Lasso, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from diabetes.data import features_and_target
from statisfactory import Artifact, Craft

ESTIMATORS = {
    "ridge": Ridge,
    "lasso": Lasso,
    "random_forest": RandomForestRegressor,
    "gradient_boosting": GradientBoostingRegressor,
}
SEEDED = ("random_forest", "gradient_boosting")


def make_estimator(estimator: str, hyperparameters: dict[str, Any], seed: int):
    """A scikit-learn regressor by name; linear models get standardised features."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {sorted(ESTIMATORS)}")
    options = dict(hyperparameters)
    if estimator in SEEDED:
        options.setdefault("random_state", seed)
        return ESTIMATORS[estimator](**options)
    return make_pipeline(StandardScaler(), ESTIMATORS[estimator](**options))


@Craft()
def fit(
    train: Artifact, estimator: str, hyperparameters: dict | None = None, seed: int = 0
) -> Artifact("fitted_model"):
    """Fit the estimator on the train set."""
    features, target = features_and_target(train)
    return make_estimator(estimator, hyperparameters or {}, seed).fit(features, target)


@Craft()
def evaluate(fitted_model: Artifact, test: Artifact, model: str) -> Artifact.of(
    "metrics", "predictions"
):
    """Test-set metrics (R², RMSE, MAE) and the predictions behind them."""
    features, target = features_and_target(test)
    predicted = fitted_model.predict(features)
    metrics = {
        "model": model,
        "estimator": type(
            fitted_model[-1] if hasattr(fitted_model, "steps") else fitted_model
        ).__name__,
        "r2": round(float(r2_score(target, predicted)), 4),
        "rmse": round(float(np.sqrt(mean_squared_error(target, predicted))), 2),
        "mae": round(float(mean_absolute_error(target, predicted)), 2),
        "n_test": len(test),
    }
    predictions = pd.DataFrame({"model": model, "actual": target, "predicted": predicted})
    return metrics, predictions
