"""Local saves are atomic: killed or concurrent writers never leave a torn file."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from catalog_files import make_catalog

CATALOG = """
- {name: blob, type: binary, extra: {path: data/blob.bin}}
- {name: table, type: parquet, extra: {path: data/table.parquet}}
"""

# STATISFACTORY_KILL_ROUNDS=50 (say) kills savers that many times rather than a few.
ROUNDS = int(os.environ.get("STATISFACTORY_KILL_ROUNDS", "0"))

# Two versions of a payload large enough that a save takes a while; each is recognisable whole.
SIZE = 24 * 1024 * 1024


def payload(version: int) -> bytes:
    block = bytes([version]) * 1024 * 1024
    return block * (SIZE // len(block))


SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from statisfactory.IO import Catalog

    root, who, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    catalog = Catalog.from_path(root / "catalog.yaml", variables={}, root=root)
    versions = [bytes([v]) * {size} for v in (who, who + 1)]
    for index in range(rounds):
        catalog.save("blob", versions[index % 2])
        if index == 0:
            print("ready", flush=True)
    """
).replace("{size}", str(SIZE))

FRAME_SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    import pandas as pd
    from statisfactory.IO import Catalog

    root = Path(sys.argv[1])
    catalog = Catalog.from_path(root / "catalog.yaml", variables={}, root=root)
    frames = [pd.DataFrame({"v": np.full(2_000_000, v), "x": np.arange(2_000_000)}) for v in (1, 2)]
    index = 0
    while True:
        catalog.save("table", frames[index % 2])
        if index == 0:
            print("ready", flush=True)
        index += 1
    """
)


def start(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def kill_during_saves(script: str, root: Path, delays: list[float]) -> None:
    """Start a saver, wait for its first save, then SIGKILL it after each delay in turn."""
    for delay in delays:
        saver = start(script, root, 0, 10**6)
        assert saver.stdout.readline() == "ready\n"
        time.sleep(delay)
        saver.kill()
        saver.wait()


def test_a_killed_save_always_leaves_a_whole_version(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    catalog.save("blob", b"\x09" * 10)  # the version a torn first save would corrupt
    rng = random.Random(7)
    valid = {payload(0), payload(1)}
    for _ in range(ROUNDS or 20):
        kill_during_saves(SAVER, tmp_path, [rng.uniform(0.0, 0.15)])
        assert catalog.load("blob") in valid
    # Temporaries of killed saves never shadow the artifact, and the next save removes them.
    assert (tmp_path / "data/blob.bin").stat().st_size == SIZE
    catalog.save("blob", payload(1))
    assert temporaries(tmp_path / "data") == []


def test_a_killed_parquet_save_leaves_a_readable_frame(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    rng = random.Random(11)
    for _ in range(ROUNDS or 3):
        kill_during_saves(FRAME_SAVER, tmp_path, [rng.uniform(0.0, 0.3)])
        frame = catalog.load("table")
        assert len(frame) == 2_000_000 and frame["v"].nunique() == 1
    catalog.save("table", frame)
    assert temporaries(tmp_path / "data") == []


def test_concurrent_savers_never_tear_the_file(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    savers = [start(SAVER, tmp_path, who, 12) for who in (10, 20)]
    valid = {bytes([v]) * SIZE for v in (10, 11, 20, 21)}
    reads = 0
    while any(saver.poll() is None for saver in savers):
        if catalog.exists("blob"):
            assert catalog.load("blob") in valid
            reads += 1
    for saver in savers:
        saver.stdout.read()
        assert saver.wait() == 0
    assert catalog.load("blob") in valid
    assert reads > 0
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["blob.bin"]


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


HOLD_TEMPORARY = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from statisfactory.IO.backends.local import atomic_write

    with atomic_write(Path(sys.argv[1])) as handle:
        handle.write(b"half")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)
    """
)


def test_a_save_removes_the_temporaries_of_killed_writers_only(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    target = tmp_path / "data/blob.bin"
    catalog.save("blob", b"first")
    killed = start(HOLD_TEMPORARY, target)
    assert killed.stdout.readline() == "writing\n"
    killed.kill()
    killed.wait()
    (left,) = temporaries(target.parent)
    assert f"-{killed.pid}-" in left  # the name says which process wrote it
    live = start(HOLD_TEMPORARY, target)
    try:
        assert live.stdout.readline() == "writing\n"
        catalog.save("blob", b"second")
        (kept,) = temporaries(target.parent)  # the live writer's, not the killed one's
        assert f"-{live.pid}-" in kept
        assert catalog.load("blob") == b"second"
    finally:
        live.kill()
        live.wait()


def test_a_temporary_whose_pid_was_reused_is_removed(tmp_path: Path):
    catalog = make_catalog(tmp_path, CATALOG)
    from statisfactory.processes import short_key, this_process

    me = this_process()
    reused = f"{short_key(me.host)}-{me.pid}-{short_key('another start')}"  # my pid, not me
    old = tmp_path / f"data/.blob.bin.{reused}.abc123.tmp"
    other_host = tmp_path / f"data/.blob.bin.{short_key('elsewhere')}-{me.pid}-00000000.x.tmp"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    other_host.write_bytes(b"x")

    catalog.save("blob", b"data")

    assert temporaries(tmp_path / "data") == [other_host.name]  # another host's: cannot tell


def test_saves_into_one_folder_list_it_only_when_another_process_changed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A save looks for killed writers' temporaries in the target's folder; listing it at every
    save made n saves into a folder of n files O(n^2)."""
    catalog = make_catalog(
        tmp_path, "- {name: part, type: binary, extra: {path: 'data/part_!{i}.bin'}}\n"
    )
    listed = []
    listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: listed.append(path) or listdir(path))
    for i in range(200):
        catalog.save("part", b"x", i=i)
    assert [Path(path) for path in listed].count(tmp_path / "data") == 1  # the first save's

    killed = start(HOLD_TEMPORARY, tmp_path / "data/part_7.bin")  # another process's save
    assert killed.stdout.readline() == "writing\n"
    killed.kill()
    killed.wait()
    catalog.save("part", b"y", i=7)
    assert temporaries(tmp_path / "data") == []  # the folder changed: listed, and cleaned
    assert catalog.load("part", i=7) == b"y"
