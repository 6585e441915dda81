"""Content digests, and the digests this process noted for files it just wrote."""

from __future__ import annotations

import os
import time
from pathlib import Path

from statisfactory.hashing import file_digest, note_digest, noted_digest


def test_a_noted_digest_holds_while_the_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "saved.bin"
    path.write_bytes(b"saved")
    note_digest(path, file_digest(path))

    assert noted_digest(os.stat(path)) == file_digest(path)


def test_a_noted_digest_is_dropped_by_a_rewrite_with_its_size_and_mtime_restored(
    tmp_path: Path,
) -> None:
    path = tmp_path / "saved.bin"
    path.write_bytes(b"saved")
    note_digest(path, file_digest(path))
    before = os.stat(path)
    time.sleep(0.05)  # the rewrite's change time differs
    with open(path, "r+b") as handle:
        handle.write(b"other")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    assert noted_digest(os.stat(path)) is None


def test_a_noted_digest_is_not_given_to_a_file_renamed_over_it(tmp_path: Path) -> None:
    path, other = tmp_path / "saved.bin", tmp_path / "other.bin"
    path.write_bytes(b"saved")
    note_digest(path, file_digest(path))
    other.write_bytes(b"other")
    os.replace(other, path)

    assert noted_digest(os.stat(path)) is None
