"""The UI's pages and scripts ship inside the package and load nothing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import statisfactory.ui

PACKAGE = Path(statisfactory.ui.__file__).parent


def test_the_vendored_library_has_its_licence_and_version() -> None:
    vendor = PACKAGE / "static" / "vendor"

    assert (vendor / "cytoscape.min.js").stat().st_size > 100_000
    assert (
        "MIT" in (vendor / "cytoscape.LICENSE").read_text()
        or "Permission is hereby" in (vendor / "cytoscape.LICENSE").read_text()
    )
    assert (vendor / "cytoscape.VERSION").read_text().startswith("cytoscape@")


def test_no_page_or_script_reaches_another_site() -> None:
    texts = {
        path.name: path.read_text()
        for folder in ("templates", "static")
        for path in (PACKAGE / folder).glob("*.*")
    }

    assert texts
    for name, text in texts.items():
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), name
        assert "<script>" not in text.replace('<script type="application/json"', ""), name
        assert "innerHTML" not in text, name  # text goes in as text
