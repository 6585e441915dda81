"""A ``!{}`` value never changes where data goes: the storage scheme, the bucket or host and the
root of a path come from the declared text alone, unless the entry opts in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from catalog_files import make_catalog

from _servers import unique_name
from statisfactory.errors import InterpolationError, StatisfactoryError

REPORT = "[{name: report, type: text, extra: {path: '!{out_dir}/report.txt'}}]"
IN_DATA = "[{name: report, type: text, extra: {path: 'data/!{run}/report.txt'}}]"


def written(root: Path) -> list[Path]:
    return [path for path in root.rglob("*.txt") if path.is_file()]


@pytest.mark.parametrize(
    "value",
    [
        "file:///ELSEWHERE",  # scheme injection towards another local folder
        "memory://stolen",  # another storage (fsspec)
        "s3://other-bucket/x",
        "/ELSEWHERE",  # absolute
        "~",
        "~root",
        "C:",  # a Windows drive
        "C:/Users",
        "\\\\server\\share",  # a UNC path
        "..",
        "a/../..",
    ],
)
def test_a_value_cannot_choose_the_storage_or_the_root(tmp_path: Path, value: str):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "project"
    root.mkdir()
    catalog = make_catalog(root, REPORT)
    value = value.replace("ELSEWHERE", str(outside).lstrip("/"))
    with pytest.raises(InterpolationError, match=r"'report'.*!\{out_dir\}"):
        catalog.save("report", "x", out_dir=value)
    assert not written(tmp_path)
    assert not list(outside.iterdir())


def test_the_error_names_the_artifact_the_variable_and_its_value(tmp_path: Path):
    catalog = make_catalog(tmp_path, REPORT)
    with pytest.raises(InterpolationError) as raised:
        catalog.save("report", "x", out_dir="memory://stolen")
    message = str(raised.value)
    assert "'report'" in message and "!{out_dir}" in message and "'memory://stolen'" in message
    assert "+dynamic_location" in message  # says how to allow it


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("fi!{a}/x.txt", {"a": "le:///tmp"}),  # values that complete a scheme
        ("!{a}!{b}/x.txt", {"a": "C", "b": ":"}),  # ... or a drive
        ("!{a}!{b}/x.txt", {"a": "~", "b": "root"}),
        ("data/!{a}!{b}/x.txt", {"a": ".", "b": "."}),
        ("~!{user}/x.txt", {"user": "root"}),  # another user's home
    ],
)
def test_values_that_combine_into_a_new_root_are_refused(tmp_path: Path, path: str, values):
    catalog = make_catalog(tmp_path, f"[{{name: out, type: text, extra: {{path: '{path}'}}}}]")
    with pytest.raises(InterpolationError, match="'out'"):
        catalog.save("out", "x", **values)
    assert not written(tmp_path)


def test_a_symlink_inside_the_declared_folder_cannot_lead_outside(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "link").symlink_to(outside, target_is_directory=True)
    catalog = make_catalog(root, IN_DATA)
    with pytest.raises(InterpolationError, match=r"'report'.*!\{run\}.*'link'.*symlink"):
        catalog.save("report", "x", run="link")
    with pytest.raises(InterpolationError, match="symlink"):
        catalog.load("report", run="link/deeper")
    assert not list(outside.iterdir())


def test_a_symlink_that_stays_inside_is_fine(tmp_path: Path):
    (tmp_path / "data" / "real").mkdir(parents=True)
    (tmp_path / "data" / "alias").symlink_to(tmp_path / "data" / "real")
    catalog = make_catalog(tmp_path, IN_DATA)
    catalog.save("report", "x", run="alias")
    assert (tmp_path / "data/real/report.txt").read_text() == "x"


def test_a_declared_symlinked_folder_is_the_users_choice(tmp_path: Path):
    elsewhere = tmp_path / "big_disk"
    elsewhere.mkdir()
    root = tmp_path / "project"
    root.mkdir()
    (root / "data").symlink_to(elsewhere, target_is_directory=True)
    catalog = make_catalog(root, IN_DATA)
    catalog.save("report", "x", run="r1")
    assert (elsewhere / "r1/report.txt").read_text() == "x"


def test_plain_values_still_choose_the_file(tmp_path: Path):
    catalog = make_catalog(tmp_path, REPORT)
    catalog.save("report", "x", out_dir="reports/2024-01-31T10:00")
    assert (tmp_path / "reports/2024-01-31T10:00/report.txt").read_text() == "x"


def test_a_declared_absolute_or_parent_root_is_kept(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    catalog = make_catalog(
        root,
        f"""
        - {{name: absolute, type: text, extra: {{path: "{tmp_path}/abs/!{{run}}.txt"}}}}
        - {{name: parent, type: text, extra: {{path: "../shared/!{{run}}.txt"}}}}
        """,
    )
    catalog.save("absolute", "a", run="r1")
    catalog.save("parent", "p", run="r1")
    assert (tmp_path / "abs/r1.txt").read_text() == "a"
    assert (tmp_path / "shared/r1.txt").read_text() == "p"
    with pytest.raises(InterpolationError, match="'parent'"):
        catalog.save("parent", "p", run="../escaped")


@pytest.mark.parametrize(
    "value",
    [
        "/etc",
        "\\x2e\\x2e/\\x2e\\x2e",  # escapes that the literal would turn into '..'
        "' '..' '/escaped",  # quotes that make a '..' segment of the literal
        "' 'file:///tmp",
    ],
)
def test_a_literal_path_is_checked_once_evaluated(tmp_path: Path, value: str):
    catalog = make_catalog(
        tmp_path, """[{name: out, type: text, extra: {path: "+{ 'data/!{run}' '.txt' }+"}}]"""
    )
    with pytest.raises(InterpolationError, match="'out'"):
        catalog.save("out", "x", run=value)
    assert not written(tmp_path)
    catalog.save("out", "x", run="fine")
    assert (tmp_path / "data/fine.txt").read_text() == "x"


def test_a_literal_path_cannot_be_wholly_dynamic(tmp_path: Path):
    catalog = make_catalog(tmp_path, """[{name: out, type: text, extra: {path: "+{ !{p} }+"}}]""")
    with pytest.raises(InterpolationError, match="'out'"):
        catalog.save("out", "x", p="'memory://stolen.txt'")


# --- remote storage ---------------------------------------------------------------------------
def test_a_value_cannot_choose_the_fsspec_host_nor_climb_above_the_prefix(tmp_path: Path):
    import fsspec

    memory = fsspec.filesystem("memory")
    folder = unique_name("safe")
    catalog = make_catalog(
        tmp_path,
        f"""
        - {{name: keyed, type: text, extra: {{path: "memory://{folder}/runs/!{{run}}.txt"}}}}
        - {{name: hosted, type: text, extra: {{path: "memory://!{{host}}/x.txt"}}}}
        """,
    )
    catalog.save("keyed", "x", run="r1")
    assert memory.cat(f"memory://{folder}/runs/r1.txt") == b"x"
    for value in ("../escaped", "a/../../b", "file:///tmp/x", "/abs", "..%2F..%2Fescaped"):
        with pytest.raises(InterpolationError, match=r"'keyed'.*!\{run\}"):
            catalog.save("keyed", "x", run=value)
    with pytest.raises(InterpolationError, match=r"'hosted'.*bucket or host"):
        catalog.save("hosted", "x", host=unique_name("stolen"))
    assert not memory.exists(f"memory://{folder}/escaped.txt")


def test_s3_bucket_and_prefix_come_from_the_declared_text(session_factory, s3_locals, moto_server):
    bucket, other = unique_name("bucket"), unique_name("other")
    session = session_factory(
        {
            "catalog/catalog.yaml": f"""
                - {{name: keyed, type: text, extra: {{path: "s3://{bucket}/runs/!{{run}}.txt"}}}}
                - {{name: anywhere, type: text, extra: {{path: "s3://!{{where}}/x.txt"}}}}
                - name: opted
                  type: text
                  extra: {{path: "!{{where}}/x.txt"}}
                  +dynamic_location: true
            """,
            "conf/locals.yaml": s3_locals(),
        }
    )
    catalog = session.catalog
    catalog.save("keyed", "x", run="r1")
    for value in ("../../escaped", f"s3://{other}/x", "/abs"):
        with pytest.raises(InterpolationError, match=r"'keyed'.*!\{run\}"):
            catalog.save("keyed", "x", run=value)
    with pytest.raises(InterpolationError, match="bucket or host"):
        catalog.save("anywhere", "x", where=other)
    client = moto_server.client()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["runs/r1.txt"]
    assert other not in [b["Name"] for b in client.list_buckets()["Buckets"]]
    # The entry that says so may go anywhere, another bucket included.
    catalog.save("opted", "o", where=f"s3://{other}/chosen")
    assert client.get_object(Bucket=other, Key="chosen/x.txt")["Body"].read() == b"o"


# --- the opt-in -------------------------------------------------------------------------------
def test_an_entry_may_opt_in_to_a_dynamic_location(tmp_path: Path):
    outside = tmp_path / "outside"
    root = tmp_path / "project"
    root.mkdir()
    catalog = make_catalog(
        root,
        """
        - name: report
          type: text
          extra: {path: "!{out_dir}/report.txt"}
          +dynamic_location: true
        """,
    )
    catalog.save("report", "x", out_dir=f"file://{outside}")
    assert (outside / "report.txt").read_text() == "x"
    catalog.save("report", "m", out_dir="memory://opted")
    assert catalog.load("report", out_dir="memory://opted") == "m"


def test_the_opt_in_is_a_boolean(tmp_path: Path):
    with pytest.raises(StatisfactoryError, match=r"'report'.*\+dynamic_location.*true or false"):
        make_catalog(
            tmp_path,
            "[{name: report, type: text, extra: {path: r.txt}, +dynamic_location: 'yes'}]",
        )


def test_static_jinja_may_choose_the_location(tmp_path: Path):
    outside = tmp_path / "outside"
    root = tmp_path / "project"
    root.mkdir()
    catalog = make_catalog(
        root,
        "[{name: report, type: text, extra: {path: '{{ out }}/!{run}.txt'}}]",
        variables={"out": f"file://{outside}"},
    )
    catalog.save("report", "x", run="r1")
    assert (outside / "r1.txt").read_text() == "x"
    assert os.path.isdir(outside)


def test_lakefs_paths_keep_their_declared_prefix(tmp_path: Path):
    # Refused before any request: no lakeFS server is needed to check the path.
    catalog = make_catalog(
        tmp_path,
        """
        - {name: keyed, type: text, extra: {path: "lakefs://data/runs/!{run}.txt"}}
        - {name: rooted, type: text, extra: {path: "lakefs://!{top}/x.txt"}}
        """,
    )
    for value in ("../../escaped", "s3://bucket/x", "/abs"):
        with pytest.raises(InterpolationError, match=r"'keyed'.*!\{run\}"):
            catalog.save("keyed", "x", run=value)
    with pytest.raises(InterpolationError, match=r"'rooted'.*bucket or host"):
        catalog.save("rooted", "x", top="other")
