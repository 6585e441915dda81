"""Entry points are read from the import path's metadata folders, and read again when a
package is installed or removed: a later session sees a plugin installed since."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from statisfactory.plugins import entry_points


def _install(folder: Path, name: str, version: str, hooks: dict[str, str]) -> None:
    """A distribution as pip leaves it: a ``.dist-info`` folder (its name normalised) with its
    metadata."""
    meta = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{key} = {value}\n" for key, value in hooks.items())
    text = f"[console_scripts]\nx = y:z\n\n[statisfactory.hooks]\n{lines}"
    (meta / "entry_points.txt").write_text(text)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    entry_points.forget_installed()


def test_a_package_installed_later_is_seen_without_forgetting(site: Path) -> None:
    before = entry_points.names("hooks")
    _install(site, "stf_one", "1.0", {"one": "stf_one:Plugin"})
    assert entry_points.names("hooks") == sorted({*before, "one"})
    _install(site, "stf-two", "2.0", {"two": "stf_two:Plugin"})
    assert {"one", "two"} <= set(entry_points.names("hooks"))
    (found,) = [p for p in entry_points.installed("hooks") if p.name == "two"]
    assert (found.value, found.distribution) == ("stf_two:Plugin", "stf-two 2.0")


def test_a_removed_package_is_gone(site: Path) -> None:
    _install(site, "stf_gone", "1.0", {"gone": "stf_gone:Plugin"})
    assert "gone" in entry_points.names("hooks")
    meta = site / "stf_gone-1.0.dist-info"
    for file in meta.iterdir():
        file.unlink()
    meta.rmdir()
    assert "gone" not in entry_points.names("hooks")


def test_the_first_distribution_of_a_name_on_the_path_hides_the_later(
    site: Path, tmp_path: Path
) -> None:
    later = tmp_path / "later"
    _install(later, "stf_dup", "1.0", {"old": "stf_dup:Old"})
    _install(site, "stf-dup", "2.0", {"new": "stf_dup:New"})
    sys.path.append(str(later))
    try:
        names = entry_points.names("hooks")
    finally:
        sys.path.remove(str(later))
    assert "new" in names and "old" not in names
