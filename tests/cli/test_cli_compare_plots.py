"""``runs compare --plot``: a PNG that decodes to a drawn figure, and a self-contained HTML page
holding every metric and swept parameter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from shop_project import statisfactory

from sweep_project import SWEPT


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """The sweep project after its 2 × 2 grid ran (models a, b; alphas 0.25, 0.5)."""
    from project_files import write_project

    root = write_project(tmp_path_factory.mktemp("plots") / "swept", SWEPT)
    ran = statisfactory("run", "swept", "grid", cwd=root)
    assert ran.returncode == 0, ran.stderr
    return root


def test_a_png_plot_is_a_drawn_figure_with_a_panel_per_metric(swept: Path) -> None:
    from PIL import Image

    target = swept / "compare.png"
    done = statisfactory("runs", "compare", "--plot", str(target), cwd=swept)
    assert done.returncode == 0, done.stderr
    with Image.open(target) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = image.convert("L")
        histogram = pixels.histogram()
    assert width > 1.5 * height > 300  # two panels side by side: loss and weight
    drawn = sum(histogram[:200])  # pixels clearly darker than the white background
    assert drawn > 0.01 * width * height
    assert sum(1 for count in histogram if count) > 20  # lines, markers, text: not one colour


def test_an_html_plot_is_self_contained_with_every_metric_and_swept_parameter(
    swept: Path,
) -> None:
    target = swept / "compare.html"
    done = statisfactory("runs", "compare", "--plot", str(target), cwd=swept)
    assert done.returncode == 0, done.stderr
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    # Nothing is fetched: no script, stylesheet or image from elsewhere.
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.IGNORECASE)
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.IGNORECASE)
    assert "@import" not in page
    header = re.search(r"<tr>((?:<th>[^<]*</th>)+)</tr>", page)
    assert header is not None
    columns = re.findall(r"<th>([^<]*)</th>", header.group(1))
    assert columns[-4:] == ["model", "alpha", "loss", "weight"]
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert {"a", "b", "0.25", "0.5"} <= set(cells)
    assert cells.count("succeeded") == 4


def test_a_plot_of_another_kind_is_refused_and_nothing_is_written(swept: Path) -> None:
    target = swept / "compare.pdf"
    done = statisfactory("runs", "compare", "--plot", str(target), cwd=swept)
    assert done.returncode == 2
    assert "must end with .html or .png" in done.stderr and "Traceback" not in done.stderr
    assert not target.exists()
