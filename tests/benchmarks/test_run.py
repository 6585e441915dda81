"""The benchmark table written in Markdown for the README."""

from __future__ import annotations

from _table import Row
from run import markdown_table


def test_the_markdown_table_has_a_line_a_row_with_pipes_escaped() -> None:
    rows = [
        Row("noop", "10,000 crafts | whole CLI", "0.9 s", "DVC 98 s", "109×", "≤ 1.0 s", ok=True),
        Row("ui", "DAG page", "3.6 s", target="≤ 2 s", ok=False),
        Row("startup", "import", "0.3 s"),
    ]

    lines = markdown_table(rows).splitlines()

    assert lines[0].startswith("| group | figure | Statisfactory | peer (same run) |")
    assert lines[2] == (
        "| noop | 10,000 crafts \\| whole CLI | 0.9 s | DVC 98 s | 109× | ≤ 1.0 s | yes |"
    )
    assert lines[3] == "| ui | DAG page | 3.6 s | — |  | ≤ 2 s | **no** |"
    assert lines[4] == "| startup | import | 0.3 s | — |  |  |  |"
    assert len(lines) == 5
