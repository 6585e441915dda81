"""Versioned artifacts: every save kept, found and brought back, on local disk and fsspec."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from catalog_files import make_catalog

from statisfactory.errors import CatalogError, VersionNotFoundError
from statisfactory.IO.versions import parse_version

CATALOG = """
- {name: blob, type: binary, versioned: true, extra: {path: data/blob.bin}}
- {name: table, type: parquet, versioned: true, extra: {path: "data/table_!{n}.parquet"}}
- {name: plain, type: binary, extra: {path: data/plain.bin}}
- {name: outside, type: text, versioned: true, +dynamic_location: true, extra: {path: "!{folder}/notes.txt"}}
"""

# STATISFACTORY_KILL_ROUNDS=50 (say) kills versioned savers that many times rather than a few.
ROUNDS = int(os.environ.get("STATISFACTORY_KILL_ROUNDS", "0"))


def version_files(root: Path, relative: str) -> list[str]:
    folder = root / ".statisfactory/versions" / relative
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_every_save_is_kept_and_the_current_one_is_at_the_declared_path(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    for payload in (b"one", b"two", b"three"):
        catalog.save("blob", payload)
    assert (tmp_path / "data/blob.bin").read_bytes() == b"three"
    versions = catalog.versions("blob")
    assert [v.size for v in versions] == [3, 3, 5]
    assert [v.current for v in versions] == [False, False, True]
    ids = [v.version for v in versions]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [catalog.load("blob", version=v) for v in ids] == [b"one", b"two", b"three"]
    # Inside the project, versions live under the root, relative to it.
    assert len(version_files(tmp_path, "data/blob.bin")) == 3
    assert all(name.endswith(".bin") for name in version_files(tmp_path, "data/blob.bin"))


def test_the_current_file_and_its_version_share_their_bytes(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("blob", b"x" * 1000)
    current = (tmp_path / "data/blob.bin").stat()
    (name,) = version_files(tmp_path, "data/blob.bin")
    stored = (tmp_path / ".statisfactory/versions/data/blob.bin" / name).stat()
    assert (current.st_ino, current.st_nlink) == (stored.st_ino, 2)  # written once, linked


def test_identical_bytes_are_stored_once(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    for payload in (b"same", b"other", b"same"):
        catalog.save("blob", payload)
    versions = catalog.versions("blob")
    assert len(versions) == 2
    assert [v.current for v in versions] == [True, False]  # the first "same" is current again


def test_restore_makes_an_old_version_current_atomically(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("table", pd.DataFrame({"x": [1]}), n=1)
    catalog.save("table", pd.DataFrame({"x": [2]}), n=1)
    first = catalog.versions("table", n=1)[0]
    restored = catalog.restore("table", first.version, n=1)
    assert restored.version == first.version and restored.current
    assert catalog.load("table", n=1)["x"].tolist() == [1]
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["table_1.parquet"]  # no temporary
    assert len(catalog.versions("table", n=1)) == 2  # nothing lost
    catalog.save("table", pd.DataFrame({"x": [3]}), n=1)  # the restored version stays stored
    assert catalog.load("table", n=1, version=first.version)["x"].tolist() == [1]


def test_a_version_is_named_by_its_id_a_prefix_or_its_content_hash(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("blob", b"one")
    time.sleep(0.002)
    catalog.save("blob", b"two")
    first, second = (v.version for v in catalog.versions("blob"))
    assert catalog.load("blob", version=first.rpartition("-")[2]) == b"one"
    assert catalog.load("blob", version=second[:-3]) == b"two"
    with pytest.raises(VersionNotFoundError, match="ambiguous"):
        catalog.load("blob", version=first[:8])  # the day: both


def test_a_missing_version_names_the_artifact_the_version_and_those_that_exist(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("blob", b"one")
    (version,) = (v.version for v in catalog.versions("blob"))
    with pytest.raises(VersionNotFoundError) as caught:
        catalog.load("blob", version="20000101T000000000-0000000000")
    message = str(caught.value)
    assert "'blob'" in message and "20000101T000000000-0000000000" in message
    assert version in message
    assert caught.value.artifact == "blob"
    with pytest.raises(VersionNotFoundError, match="none is stored yet"):
        catalog.restore("table", "nothing", n=9)


def test_versions_of_each_context_are_apart(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("table", pd.DataFrame({"x": [1]}), n=1)
    catalog.save("table", pd.DataFrame({"x": [2]}), n=2)
    assert len(catalog.versions("table", n=1)) == len(catalog.versions("table", n=2)) == 1


def test_a_file_outside_the_project_keeps_its_versions_beside_it(tmp_path: Path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    catalog = make_catalog(project, CATALOG)
    catalog.save("outside", "hello", folder=str(elsewhere))
    catalog.save("outside", "world", folder=str(elsewhere))
    folder = elsewhere / ".statisfactory/versions/notes.txt"
    assert len(list(folder.iterdir())) == 2
    assert [v.current for v in catalog.versions("outside", folder=str(elsewhere))] == [False, True]


def test_an_unversioned_artifact_refuses_versions(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("plain", b"a")
    catalog.save("plain", b"b")
    assert not (tmp_path / ".statisfactory/versions").exists()
    assert catalog.versions("plain") == []
    # For an artifact that is not versioned, `version` is context like any other keyword.
    assert catalog.load("plain", version="x") == b"b"


def test_a_bad_versioned_declaration_is_refused(tmp_path: Path):
    with pytest.raises(CatalogError, match="'versioned' is 'yes'"):
        make_catalog(tmp_path, "- {name: a, type: text, versioned: 'yes', extra: {path: a}}")
    with pytest.raises(CatalogError, match=r"versions: \{keep: N\}"):
        make_catalog(tmp_path, "- {name: a, type: text, versions: {keep: 0}, extra: {path: a}}")


def test_an_artifact_that_is_no_file_refuses_versioned_true(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        "- {name: db, type: sql, versioned: true, extra: {url: 'sqlite:///x.db', table: t}}",
    )
    with pytest.raises(CatalogError, match="only artifacts stored as files keep versions"):
        catalog.save("db", pd.DataFrame({"a": [1]}))
    assert not (tmp_path / "x.db").exists()


def test_the_setting_versions_every_entry(session_factory):
    session = session_factory(
        {
            "catalog/c.yaml": """
                - {name: notes, type: text, extra: {path: data/notes.txt}}
                - {name: db, type: sql, extra: {url: "sqlite:///x.db", table: t}}
            """,
            "conf/globals.yaml": "versioned: true",
        }
    )
    session.catalog.save("notes", "a")
    session.catalog.save("notes", "b")
    assert [v.current for v in session.catalog.versions("notes")] == [False, True]
    assert not session.catalog.versioned("db")  # a table keeps no versions: left out
    session.catalog.save("db", pd.DataFrame({"a": [1]}))


def test_versions_on_fsspec_memory(tmp_path: Path):
    bucket = f"memory://versions-{uuid.uuid4().hex}"
    catalog = make_catalog(
        tmp_path,
        f"- {{name: blob, type: binary, versioned: true, extra: {{path: '{bucket}/a/blob.bin'}}}}",
    )
    for payload in (b"one", b"two", b"one"):
        catalog.save("blob", payload)
    versions = catalog.versions("blob")
    assert [v.current for v in versions] == [True, False]
    assert catalog.load("blob", version=versions[1].version) == b"two"
    restored = catalog.restore("blob", versions[1].version)
    assert restored.current and catalog.load("blob") == b"two"
    import fsspec

    names = fsspec.filesystem("memory").ls(f"{bucket}/a/.statisfactory/versions/blob.bin")
    assert len(names) == 2


# --- faults ---------------------------------------------------------------------------------
SIZE = 8 * 1024 * 1024

SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from statisfactory.IO import Catalog

    root, who, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    catalog = Catalog.from_path(root / "catalog.yaml", variables={}, root=root)
    for index in range(rounds):
        catalog.save("blob", bytes([who]) * {size} + index.to_bytes(4, "big"))
        if index == 0:
            print("ready", flush=True)
    """
).replace("{size}", str(SIZE))


def start(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SAVER, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def whole(payload: bytes) -> bool:
    return len(payload) == SIZE + 4 and payload[:SIZE] == bytes([payload[0]]) * SIZE


def check_store(tmp_path: Path, catalog) -> None:
    """Every stored version is whole, its name says its content, the current one is stored."""
    from statisfactory.hashing import file_digest

    folder = tmp_path / ".statisfactory/versions/data/blob.bin"
    for path in folder.iterdir():
        version = parse_version(path.name)
        if version is None:  # a killed copy's temporary: never taken for a version
            assert path.name.startswith(".") and path.name.endswith(".tmp")
            continue
        assert whole(path.read_bytes())
        assert file_digest(path).partition(":")[2].startswith(version.rpartition("-")[2])
    assert whole(catalog.load("blob"))
    assert any(v.current for v in catalog.versions("blob"))


def test_a_killed_versioned_save_leaves_the_current_version_and_the_store_whole(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    rng = random.Random(5)
    for _ in range(ROUNDS or 6):
        saver = start(tmp_path, 1, 10**6)
        assert saver.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.2))
        saver.kill()
        saver.wait()
        check_store(tmp_path, catalog)
    catalog.save("blob", bytes([9]) * SIZE + b"last")
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["blob.bin"]


def test_two_processes_saving_versions_at_once_both_keep_theirs(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    savers = [start(tmp_path, who, 5) for who in (10, 20)]
    for saver in savers:
        saver.stdout.read()
        assert saver.wait() == 0
    versions = catalog.versions("blob")
    assert len(versions) == 10  # five of each, none lost
    firsts = sorted({catalog.load("blob", version=v.version)[0] for v in versions})
    assert firsts == [10, 20]
    assert sum(v.current for v in versions) == 1
    check_store(tmp_path, catalog)
