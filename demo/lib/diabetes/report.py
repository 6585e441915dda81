"""Compare the models: a metrics table and an HTML report with a plot embedded as PNG."""

import base64
import html
import io

import pandas as pd
from matplotlib.figure import Figure

from statisfactory import Artifact, Craft, Session


@Craft()
def compare(models: list[str]) -> Artifact.of("metrics_table", "report"):
    """Load each model's metrics and predictions, rank the models by test RMSE."""
    catalog = Session.get_active_session().catalog
    table = pd.DataFrame([catalog.load("metrics", model=name) for name in models])
    table = table.sort_values("rmse").reset_index(drop=True)
    predictions = pd.concat([catalog.load("predictions", model=name) for name in models])
    return table, render_report(table, predictions)


def plot(table: pd.DataFrame, predictions: pd.DataFrame) -> str:
    """Test RMSE by model, and predicted against actual values: a base64 PNG."""
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    bars, scatter = figure.subplots(1, 2)
    drawn = bars.barh(table["model"][::-1], table["rmse"][::-1], color="#2b6cb0")
    bars.bar_label(drawn, fmt="%.2f", padding=3, fontsize=8)
    # Models are close: start the axis near the best score so that differences show.
    bars.set_xlim(table["rmse"].min() * 0.97, table["rmse"].max() * 1.02)
    bars.set_xlabel("test RMSE (lower is better; axis does not start at 0)")
    bars.set_title("Error by model")
    for name, group in predictions.groupby("model", sort=False):
        scatter.scatter(group["actual"], group["predicted"], s=12, alpha=0.6, label=name)
    low, high = predictions["actual"].min(), predictions["actual"].max()
    scatter.plot([low, high], [low, high], color="#4a5568", linestyle="--", linewidth=1)
    scatter.set_xlabel("actual disease progression")
    scatter.set_ylabel("predicted")
    scatter.set_title("Predictions on the test set")
    scatter.legend(fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_report(table: pd.DataFrame, predictions: pd.DataFrame) -> str:
    """A self-contained HTML page: the ranking, the metrics table and the plot."""
    best = table.iloc[0]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Diabetes models</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #1a202c; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .3rem .8rem; border-bottom: 1px solid #e2e8f0; }}
img {{ max-width: 100%; }}
</style></head>
<body>
<h1>Diabetes progression: model comparison</h1>
<p>scikit-learn's diabetes data set (442 patients, 10 clinical features); each model was fit on
the same train split and measured on {int(best["n_test"])} test patients.
Best model: <strong>{html.escape(str(best["model"]))}</strong> (RMSE {best["rmse"]}, R² {best["r2"]}).</p>
{table.to_html(index=False, classes="metrics", border=0)}
<h2>Plot</h2>
<img alt="RMSE by model and predicted against actual values" src="data:image/png;base64,{plot(table, predictions)}">
</body></html>
"""
