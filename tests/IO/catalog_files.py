"""Build catalogs from real YAML files in a temporary project folder."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statisfactory.IO import Catalog


def make_catalog(
    root: Path, yaml_or_files: str | Mapping[str, str], variables: Mapping[str, Any] | None = None
) -> Catalog:
    """A catalog rooted at ``root``, read from ``root/catalog.yaml`` (text given) or from the
    files of a mapping written under ``root/catalog/``."""
    if isinstance(yaml_or_files, str):
        path = root / "catalog.yaml"
        path.write_text(textwrap.dedent(yaml_or_files))
    else:
        path = root / "catalog"
        for relative, text in yaml_or_files.items():
            file = path / relative
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(textwrap.dedent(text))
    return Catalog.from_path(path, variables=variables or {}, root=root)
