"""Fingerprints: lakeFS objects on the reference a load or a save uses, and crafts' code."""

from __future__ import annotations

import importlib
import os
import sys
import time
from types import SimpleNamespace
from typing import ClassVar

import pytest

from statisfactory.history import fingerprints as fingerprints_module
from statisfactory.history.code import CodeFingerprints
from statisfactory.history.digests import file_digest
from statisfactory.history.fingerprints import ArtifactFingerprints
from statisfactory.history.store import store_for
from statisfactory.IO import Backend
from statisfactory.IO.backends.lakefs import LakeFSBackend

LAKE_CATALOG = """
    - name: table
      type: json
      extra: {path: "lakefs://tables/table.json"}
      load_options: {lake_ref: reviewed}
      save_options: {lake_ref: drafts}
    - name: plain
      type: json
      extra: {path: "lakefs://tables/plain.json", lake_ref: pinned}
"""


@pytest.fixture
def asked_refs(monkeypatch):
    """The lake_ref each lakeFS stat was made on; the object's checksum names it."""
    asked = []

    def target(self, fragment, lake_ref, *, writing):
        asked.append(lake_ref)
        stat = SimpleNamespace(checksum=f"sum-on-{lake_ref}")
        return SimpleNamespace(stored=SimpleNamespace(stat=lambda: stat), writing=writing)

    monkeypatch.setattr(LakeFSBackend, "target", target)
    return asked


def test_a_lakefs_object_is_fingerprinted_on_the_reference_of_the_operation(
    session_factory, asked_refs
):
    session = session_factory({"catalog/catalog.yaml": LAKE_CATALOG})
    fingerprints = ArtifactFingerprints(session.catalog)
    entry = session.catalog.artifacts["table"]
    location = "lakefs://tables/table.json"

    assert fingerprints.at(location, entry, {}).digest == "lakefs:sum-on-reviewed"
    assert fingerprints.at(location, entry, {}, "save").digest == "lakefs:sum-on-drafts"
    assert fingerprints.of("plain", {}).digest == "lakefs:sum-on-pinned"
    assert asked_refs == ["reviewed", "drafts", "pinned"]


MODULE = """
    from statisfactory import Craft, Volatile

    OFFSET = 1


    @Craft()
    def first() -> Volatile("a"):
        return OFFSET


    @Craft()
    def second(a: Volatile) -> Volatile("b"):
        return a + OFFSET


    def make(index):
        def made() -> Volatile(f"made_{index}"):
            return index

        return Craft(made)


    MADE = [make(i) for i in range(3)]
"""


def test_code_fingerprints_follow_each_craft_and_the_rest_of_its_module(project_factory):
    root = project_factory({"lib/crafts_module.py": MODULE})
    sys.path.insert(0, str(root / "lib"))  # the fixture restores sys.path
    module = importlib.import_module("crafts_module")
    codes = CodeFingerprints()
    first, second = codes.of(module.first), codes.of(module.second)
    made = [codes.of(craft) for craft in module.MADE]
    assert first.digest and second.digest and first != second
    assert len({code.digest for code in made}) == 1  # one definition, one fingerprint

    source = (root / "lib" / "crafts_module.py").read_text()
    (root / "lib" / "crafts_module.py").write_text(source.replace("OFFSET = 1", "OFFSET = 20"))
    importlib.reload(module)
    fresh = CodeFingerprints()  # a new run looks at the module file again
    assert fresh.of(module.first) != first
    assert fresh.of(module.second) != second


def test_crafts_made_by_one_factory_read_its_source_once_per_run(project_factory, monkeypatch):
    import inspect

    root = project_factory({"lib/factory_module.py": MODULE})
    sys.path.insert(0, str(root / "lib"))  # the fixture restores sys.path
    module = importlib.import_module("factory_module")
    reads = []
    real = inspect.getsource
    monkeypatch.setattr(inspect, "getsource", lambda obj: reads.append(obj) or real(obj))
    codes = CodeFingerprints()
    made = [codes.of(craft) for craft in module.MADE]
    assert len({code.digest for code in made}) == 1 and made[0].digest
    assert len(reads) == 1


def test_a_lambda_or_a_module_without_file_has_no_code_fingerprint():
    from statisfactory import Craft, Volatile

    anonymous = Craft(lambda: 1)
    code = CodeFingerprints().of(anonymous)
    assert code.digest is None and "lambda" in code.problem

    def typed() -> Volatile("t"):
        return 1

    typed.__module__ = "typed_in_a_console"  # no module of that name, so no source file
    code = CodeFingerprints().of(Craft(typed))
    assert code.digest is None and "no source file" in code.problem


class VersionedDrawer(Backend, prefix="fpdrawer"):
    """Objects in a dict, fingerprinted by a version number bumped at each write."""

    objects: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def put(self, *, payload, fragment, **kwargs):
        version = self.objects.get(fragment.path, (0, b""))[0] + 1
        self.objects[fragment.path] = (version, payload)

    def get(self, *, fragment, **kwargs):
        if fragment.path not in self.objects:
            raise FileNotFoundError(fragment.path)
        return self.objects[fragment.path][1]

    def fingerprint(self, *, fragment, **kwargs):
        return f"version:{self.get_version(fragment)}"

    def get_version(self, fragment):
        if fragment.path not in self.objects:
            raise FileNotFoundError(fragment.path)
        return self.objects[fragment.path][0]


class PlainShelf(Backend, prefix="fpshelf"):
    """Objects in a dict, without fingerprints."""

    objects: ClassVar[dict[str, bytes]] = {}

    def put(self, *, payload, fragment, **kwargs):
        self.objects[fragment.path] = payload

    def get(self, *, fragment, **kwargs):
        return self.objects[fragment.path]


DRAWER_CATALOG = """
    - name: kept
      type: json
      extra: {path: "fpdrawer://box/kept.json"}
    - name: shelved
      type: json
      extra: {path: "fpshelf://box/shelved.json"}
"""


def test_a_custom_backend_supplies_its_own_fingerprints(session_factory):
    session = session_factory({"catalog/catalog.yaml": DRAWER_CATALOG})
    fingerprints = ArtifactFingerprints(session.catalog)
    assert fingerprints.of("kept", {}).missing
    session.catalog.save("kept", {"a": 1})
    assert fingerprints.of("kept", {}).digest == "version:1"
    session.catalog.save("kept", {"a": 1})
    assert fingerprints.of("kept", {}).digest == "version:2"

    session.catalog.save("shelved", [1])
    shelved = fingerprints.of("shelved", {})
    assert shelved.digest is None and "PlainShelf" in shelved.problem
    assert "Backend.fingerprint" in shelved.problem


# --- remembered digests of local files ----------------------------------------------------------
TEXT_CATALOG = """
    - name: note
      type: text
      extra: {path: data/note.txt}
"""


def _aged(path, seconds: float = 60.0) -> None:
    """Set ``path``'s modification time in the past, out of the racy window."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def note(session_factory, monkeypatch):
    """A session whose catalog has one text artifact, stored (and aged), and its store; a file
    is remembered however recently it changed (its change time cannot be set back)."""
    monkeypatch.setattr(fingerprints_module, "RACY_SECONDS", -1.0)
    session = session_factory({"catalog/catalog.yaml": TEXT_CATALOG, "data/note.txt": "first"})
    path = session.root / "data" / "note.txt"
    _aged(path)
    return session, path, store_for(session)


def test_a_small_file_digest_is_remembered_and_read_back_in_one_query(note, monkeypatch):
    session, path, store = note
    ArtifactFingerprints(session.catalog, store).of("note", {})
    store.flush()
    hashed = []
    monkeypatch.setattr(
        fingerprints_module, "file_digest", lambda p: hashed.append(p) or "rehashed"
    )
    queries = []
    original = type(store).query
    monkeypatch.setattr(
        type(store), "query", lambda self, sql, **p: queries.append(sql) or original(self, sql, **p)
    )

    again = ArtifactFingerprints(session.catalog, store)
    assert again.of("note", {}).digest == file_digest(path)
    assert again.of("note", {}).digest == file_digest(path)
    assert hashed == []  # remembered: the file is not read again
    assert len([sql for sql in queries if "file_digests" in sql]) == 1


def test_a_file_rewritten_in_place_with_its_size_and_mtime_restored_is_hashed_again(note):
    session, path, store = note
    ArtifactFingerprints(session.catalog, store).of("note", {})
    store.flush()
    before = os.stat(path)
    time.sleep(0.05)  # the rewrite's change time differs from the remembered one
    with open(path, "r+b") as handle:  # same inode, same size
        handle.write(b"other")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )

    assert ArtifactFingerprints(session.catalog, store).of("note", {}).digest == file_digest(path)


def test_a_file_replaced_by_another_with_the_same_size_and_mtime_is_hashed_again(note):
    session, path, store = note
    ArtifactFingerprints(session.catalog, store).of("note", {})
    store.flush()
    before = os.stat(path)
    replacement = path.with_name("replacement.txt")
    replacement.write_text("other")
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)  # a new inode, as an atomic save makes

    assert ArtifactFingerprints(session.catalog, store).of("note", {}).digest == file_digest(path)


def test_a_file_written_moments_ago_is_not_remembered(note, monkeypatch):
    session, path, store = note
    monkeypatch.setattr(fingerprints_module, "RACY_SECONDS", 2.0)
    path.write_text("fresh")  # within the racy window: may change again in the same tick
    ArtifactFingerprints(session.catalog, store).of("note", {})
    store.flush()

    assert str(path) not in store.file_digests()


def test_a_versioned_save_is_hashed_once_for_its_version_and_its_fingerprint(
    project_factory, monkeypatch
):
    import statisfactory.hashing
    from statisfactory import Session
    from versions_project import TRAIN

    root = project_factory(TRAIN, name="train")
    hashed = []
    for module in (statisfactory.hashing, fingerprints_module):
        original = module.file_digest
        monkeypatch.setattr(
            module, "file_digest", lambda p, original=original: hashed.append(p) or original(p)
        )
    session = Session(root_folder=root)
    with session:
        session.pipelines_definitions["train"].run({"alpha": 1.0})
    store = store_for(session)
    store.flush()

    assert len(hashed) == 2  # the model and the metrics, each once
    writes = {row["name"]: row for row in store.writes(store.runs(limit=1)[0]["run_id"])}
    for name in ("model", "metrics"):
        assert writes[name]["fingerprint"] == file_digest(root / f"data/{name}.json")
        assert writes[name]["version"] == session.catalog.versions(name)[-1].version
