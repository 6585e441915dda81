"""Which distributions provide a module: read from the environment once, then from the run
history while the folders of the import path are unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from statisfactory.history import distributions
from statisfactory.history.sqlite_store import SqliteDriver
from statisfactory.history.store import HistoryStore


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(SqliteDriver(tmp_path / "history.db"))
    yield store
    store.close()


@pytest.fixture
def scans(monkeypatch) -> list[int]:
    """Counts the scans of the whole environment."""
    calls: list[int] = []
    real = distributions._scan

    def counted(folders):
        calls.append(1)
        return real(folders)

    monkeypatch.setattr(distributions, "_scan", counted)
    monkeypatch.setattr(distributions, "RACY_SECONDS", 0.0)  # folders written by this test
    distributions.forget()
    yield calls
    distributions.forget()


def fake_distribution(folder: Path, name: str, top: str) -> None:
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{top}\n")


def test_a_new_process_reads_the_map_from_the_history(store, scans) -> None:
    assert "statisfactory-pipelines" in distributions.installed(store).get("statisfactory", [])
    store.flush()
    distributions.forget()  # as in a new process
    assert "statisfactory-pipelines" in distributions.installed(store).get("statisfactory", [])
    assert len(scans) == 1


def test_installing_into_the_path_reads_the_environment_again(
    store, scans, tmp_path, monkeypatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    assert distributions.installed(store).get("tinytop", []) == []
    store.flush()
    fake_distribution(site, "tiny-dist", "tinytop")
    assert distributions.installed(store).get("tinytop", []) == ["tiny-dist"]
    distributions.forget()
    assert distributions.installed(store).get("tinytop", []) == ["tiny-dist"]
    assert len(scans) == 2


def test_without_a_store_the_map_is_read_once_per_state_of_the_path(scans) -> None:
    assert "statisfactory-pipelines" in distributions.installed(None).get("statisfactory", [])
    assert "statisfactory-pipelines" in distributions.installed(None).get("statisfactory", [])
    assert len(scans) == 1


def test_a_damaged_remembered_map_is_read_again(store, scans) -> None:
    key = distributions.path_state()
    store.remember_digest(distributions.STORE_KEY, *key, "{not json")
    store.flush()
    assert "statisfactory-pipelines" in distributions.installed(store).get("statisfactory", [])
    assert len(scans) == 1


def test_a_change_to_a_folder_of_the_path_without_distributions_keeps_the_map(
    store, scans, tmp_path, monkeypatch
) -> None:
    project = tmp_path / "lib"
    project.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(project)])
    distributions.installed(store).get("statisfactory", [])
    store.flush()
    (project / "edited.py").write_text("x = 1\n")
    distributions.forget()
    distributions.installed(store).get("statisfactory", [])
    assert len(scans) == 1


def test_a_version_is_read_once_per_process_while_the_distributions_are_the_same(
    scans, tmp_path, monkeypatch
) -> None:
    """The runs of a sweep each fingerprint their crafts: the version of a distribution their
    code imports is read from its metadata once, and again once something is installed."""
    from statisfactory.history.code import CodeFingerprints

    reads: list[str] = []
    real = distributions._declared_version

    def counted(name: str) -> str | None:
        reads.append(name)
        return real(name)

    monkeypatch.setattr(distributions, "_declared_version", counted)
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    parts = [CodeFingerprints(None, roots=(tmp_path,))._package_parts("yaml") for _ in range(3)]
    assert parts[0] == parts[1] == parts[2] and parts[0]  # PyYAML's version
    assert len(reads) == 1
    fake_distribution(site, "tiny-dist", "tinytop")  # an install: versions are read again
    CodeFingerprints(None, roots=(tmp_path,))._package_parts("yaml")
    assert len(reads) == 2


def test_a_version_is_the_one_importlib_metadata_reads(tmp_path, monkeypatch) -> None:
    """Read from the metadata file of the first distribution of the name on the path, as
    ``importlib.metadata.version`` reads it; a name with no metadata folder is asked of it."""
    import importlib.metadata

    first, later = tmp_path / "first", tmp_path / "later"
    for folder, number in ((first, "2.0"), (later, "1.0")):
        meta = folder / f"shadowed_dist-{number}.dist-info"
        meta.mkdir(parents=True)
        (meta / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: shadowed-dist\nVersion: {number}\n\nVersion: 9\n"
        )
    monkeypatch.setattr(sys, "path", [str(first), *sys.path, str(later)])
    distributions.forget()
    try:
        assert distributions.version("Shadowed.Dist") == "2.0"
        assert distributions.version("shadowed-dist") == importlib.metadata.version("shadowed-dist")
        assert distributions.version("pyyaml") == importlib.metadata.version("pyyaml")
        assert distributions.version("no-such-distribution") == "unknown"
    finally:
        distributions.forget()


def test_the_scan_gives_the_distributions_importlib_metadata_gives() -> None:
    """Every module ``packages_distributions`` knows in this environment maps to the same
    distributions (the scan may know more: extension modules and stubs)."""
    import importlib.metadata

    distributions.forget()
    try:
        distributions.path_state()
        scanned = distributions._scan(distributions._folders or {})
    finally:
        distributions.forget()
    expected = importlib.metadata.packages_distributions()
    assert len(expected) > 20  # pandas, pyarrow, pytest...: a real environment
    assert {module: set(scanned.get(module, ())) for module in expected} == {
        module: set(names) for module, names in expected.items()
    }


def test_the_scan_reads_top_level_txt_then_the_record(tmp_path, monkeypatch) -> None:
    site = tmp_path / "site"
    fake_distribution(site, "declared-dist", "declared_top")
    recorded = site / "recorded_dist-2.0.dist-info"
    recorded.mkdir()
    (recorded / "METADATA").write_text("Metadata-Version: 2.1\nName: Recorded.Dist\n\nName: x\n")
    (recorded / "RECORD").write_text(
        "recorded_pkg/__init__.py,sha256=x,1\n"
        '"recorded_pkg/a,b.py",sha256=x,1\n'
        "recorded_mod.py,,\n"
        "recorded_ext.cpython-311-x86_64-linux-gnu.so,,\n"
        "__pycache__/recorded_mod.cpython-311.pyc,,\n"
        "recorded_dist-2.0.dist-info/RECORD,,\n"
        "../../bin/recorded,,\n"
    )
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    distributions.forget()
    try:
        found = distributions.installed()
    finally:
        distributions.forget()
    assert found["declared_top"] == ["declared-dist"]
    for module in ("recorded_pkg", "recorded_mod", "recorded_ext"):
        assert found[module] == ["Recorded.Dist"], module
    assert not {"__pycache__", "..", "recorded_dist-2"} & set(found)


def test_a_distribution_the_scan_cannot_read_asks_importlib_metadata(tmp_path, monkeypatch) -> None:
    """An ``.egg-info`` folder without ``top_level.txt`` lists its files elsewhere: the whole
    map then comes from ``importlib.metadata``."""
    import importlib.metadata

    site = tmp_path / "site"
    egg = site / "old_dist-1.0.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: old-dist\nVersion: 1.0\n")
    (egg / "installed-files.txt").write_text("../old_top/__init__.py\n")
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    asked: list[int] = []
    real = importlib.metadata.packages_distributions

    def counted():
        asked.append(1)
        return real()

    monkeypatch.setattr(importlib.metadata, "packages_distributions", counted)
    distributions.forget()
    try:
        found = distributions.installed()
    finally:
        distributions.forget()
    assert asked == [1]
    assert found == real()
