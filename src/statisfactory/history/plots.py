"""``runs compare --plot``: each metric against the swept parameters, drawn with matplotlib.

One panel per metric: the first differing parameter along the x axis (numbers in order, other
values as categories), one line per value of the second. ``.png`` is the figure; ``.html`` is
a self-contained page (the figure inline as SVG, then the comparison as a table).
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statisfactory.errors import HistoryError, install_hint

if TYPE_CHECKING:
    from statisfactory.history.compare import Comparison

SUFFIXES = (".html", ".png")
MAX_GROUPS = 8


def check_plot_path(path: Path) -> None:
    """Refuse, before anything is read, a file the plot cannot be written as."""
    if path.suffix.lower() not in SUFFIXES:
        raise HistoryError(f"--plot {path}: the file must end with .html or .png", file=str(path))


def write_plot(comparison: Comparison, path: Path) -> None:
    """Draw ``comparison`` to ``path`` (.png or .html), written whole or not at all."""
    check_plot_path(path)
    if not comparison.metric_names:
        raise HistoryError(
            "the compared runs recorded no metrics, so there is nothing to plot: tag a metrics "
            'artifact +tags: [metrics], or return Metrics("name") from a craft'
        )
    figure = _figure(comparison)
    buffer = io.BytesIO()
    if path.suffix.lower() == ".png":
        figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
        data = buffer.getvalue()
    else:
        figure.savefig(buffer, format="svg", bbox_inches="tight")
        data = _page(comparison, buffer.getvalue().decode()).encode()
    from statisfactory.IO.backends.local import atomic_write

    with atomic_write(path) as out:  # never half a file
        out.write(data)


def _figure(comparison: Comparison) -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise HistoryError(
            f"--plot draws with matplotlib, which is not installed: {install_hint('demo')} "
            "or pip install matplotlib"
        ) from error
    frame = comparison.frame
    params = comparison.differing_params
    metrics = comparison.metric_names
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.6), squeeze=False)
    x_name = params[0] if params else None
    # Lines by the second parameter when it reads as groups: set in every run, few values.
    group_name = params[1] if len(params) > 1 else None
    if group_name is not None and (
        frame[group_name].isna().any() or frame[group_name].map(str).nunique() > MAX_GROUPS
    ):
        group_name = None
    groups = [None] if group_name is None else list(dict.fromkeys(frame[group_name].map(str)))
    for axis, metric in zip(axes[0], metrics, strict=True):
        for group in groups:
            rows = frame if group is None else frame[frame[group_name].map(str) == group]
            xs = list(rows[x_name]) if x_name else list(range(len(rows)))
            points = sorted(zip(xs, rows[metric], strict=True), key=lambda p: _order(p[0]))
            label = None if group is None else f"{group_name}={group}"
            axis.plot(
                [str(x) if not _is_number(x) else x for x, _ in points],
                [y for _, y in points],
                marker="o",
                label=label,
            )
        axis.set_title(metric)
        axis.tick_params(axis="x", labelrotation=30)
        axis.set_xlabel(x_name or "run")
        if group_name is not None:
            axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _order(value: Any) -> tuple:
    return (0, value, "") if _is_number(value) else (1, 0, str(value))


def _page(comparison: Comparison, svg: str) -> str:
    from statisfactory.history.compare import cells

    header, rows = cells(comparison.frame)
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Runs compared</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>"
        f"<h1>{len(rows)} runs compared</h1>{svg}<table><tr>{head}</tr>{body}</table>"
        "</body></html>\n"
    )
