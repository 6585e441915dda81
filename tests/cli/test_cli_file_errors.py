"""Every project file that cannot be read is one message naming it (exit 2, no traceback,
nothing written): bytes that are not UTF-8, a file the user may not read, a key written twice,
an alias bomb; and the same for ``--param`` values."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from shop_project import statisfactory

from project_files import write_project

PYPROJECT = "pyproject.toml"
# file -> the command that reads it
KINDS = {
    PYPROJECT: ("artifacts", "ls"),
    "conf/globals.yaml": ("artifacts", "ls"),
    "conf/locals.yaml": ("artifacts", "ls"),
    "catalog/catalog.yaml": ("artifacts", "ls"),
    "pipelines/parameters/sets.yaml": ("configurations", "ls"),
    "pipelines/definitions/pipelines.yaml": ("pipelines", "ls"),
}
YAML_KINDS = [kind for kind in KINDS if kind != PYPROJECT]
VALID = {
    "catalog/catalog.yaml": "orders:\n  type: json\n  extra: {path: data/orders.json}\n",
    "pipelines/parameters/sets.yaml": "base:\n  n: 1\n",
    "pipelines/definitions/pipelines.yaml": "empty:\n  +operators: []\n",
}
BOMB = "\n".join(
    ["l0: &l0 [x,x,x,x,x,x,x,x,x]"]
    + [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
)


def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project", VALID)


def files_of(root: Path) -> dict[str, bytes]:
    """The project's files and their bytes, the catalog's parse cache aside."""
    return {name: (root / name).read_bytes() for name in files_of_names(root)}


def files_of_names(root: Path) -> list[str]:
    cache = root / ".statisfactory" / "cache"
    return [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not p.is_relative_to(cache)
    ]


def one_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_the_valid_project_reads(tmp_path: Path) -> None:
    root = project(tmp_path)
    for command in set(KINDS.values()):
        assert statisfactory(*command, cwd=root).returncode == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_byte_that_is_not_utf8_names_the_file_and_line(tmp_path: Path, kind: str) -> None:
    root = project(tmp_path)
    path = root / kind
    path.write_bytes(path.read_bytes() + "# a comment: café\n".encode("latin-1"))
    line = path.read_bytes().count(b"\n")
    before = files_of(root)

    message = one_error(statisfactory(*KINDS[kind], cwd=root))

    assert f"{path}, line {line}: byte 0xe9 is not UTF-8 text; save the file as UTF-8" in message
    assert files_of(root) == before


@pytest.mark.parametrize("kind", YAML_KINDS)
def test_a_key_twice_names_the_file_both_lines_and_the_key(tmp_path: Path, kind: str) -> None:
    root = project(tmp_path)
    path = root / kind
    path.write_text("first:\n  a: 1\nsecond:\n  a: 2\nfirst:\n  a: 3\n")
    before = files_of(root)

    message = one_error(statisfactory(*KINDS[kind], cwd=root))

    assert f"{path}, lines 1 and 5: the key 'first' is written twice" in message
    assert files_of(root) == before


def test_a_key_twice_in_pyproject_is_a_toml_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    path = root / PYPROJECT
    path.write_text(path.read_text() + 'catalog = "other"\n')

    message = one_error(statisfactory("artifacts", "ls", cwd=root))

    assert f"{path}: invalid TOML" in message


@pytest.mark.parametrize("kind", YAML_KINDS)
def test_an_alias_bomb_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    root = project(tmp_path)
    path = root / kind
    path.write_text(BOMB)
    before = files_of(root)

    message = one_error(statisfactory(*KINDS[kind], cwd=root, timeout=30))

    assert f"{path}, line " in message and "aliases (*name) repeat more than" in message
    assert files_of(root) == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "{" + BOMB.replace("\n", ", ") + "}",
            "line 1: its aliases (*name) repeat more than 10,000,000 characters",
        ),
        ("[" * 3000 + "]" * 3000, "exceeded maximum nesting depth"),
        ("[" * 200 + "]" * 200, "line 1: values nested more than 100 levels deep"),
        ("{a: 1, a: 2}", "line 1, columns 2 and 8: the key 'a' is written twice"),
    ],
)
def test_a_param_that_cannot_be_read_is_one_message(
    tmp_path: Path, value: str, expected: str
) -> None:
    root = project(tmp_path)
    before = files_of(root)

    message = one_error(statisfactory("run", "empty", "--param", f"x={value}", cwd=root))

    assert message.startswith("Error: --param 'x=") and expected in message
    assert len(message) < 400  # the value is shortened
    assert files_of(root) == before


def plain_user(command: list[str]) -> list[str]:
    """``command`` run without root's power to read any file (its DAC capabilities)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to be refused a read")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *command]


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_the_user_may_not_read_names_it(tmp_path: Path, kind: str) -> None:
    root = project(tmp_path)
    path = root / kind
    path.chmod(0)
    before = set(files_of_names(root))
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "statisfactory.cli.main", *KINDS[kind]]

    result = subprocess.run(
        plain_user(command), cwd=root, env=environment, capture_output=True, text=True, timeout=60
    )

    message = one_error(result)
    assert f"{path}: cannot be read (Permission denied)" in message
    assert set(files_of_names(root)) == before


def test_the_plain_user_really_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "locked.txt"
    secret.write_text("no")
    secret.chmod(0)

    result = subprocess.run(
        plain_user([sys.executable, "-c", textwrap.dedent(f"open({str(secret)!r}).read()")]),
        capture_output=True,
        text=True,
    )

    assert "PermissionError" in result.stderr


def test_a_folder_the_user_may_not_read_is_not_skipped(tmp_path: Path) -> None:
    root = project(tmp_path)
    hidden = root / "catalog" / "team"
    hidden.mkdir()
    (hidden / "more.yaml").write_text("more:\n  type: json\n  extra: {path: data/more.json}\n")
    hidden.chmod(0)
    command = [sys.executable, "-m", "statisfactory.cli.main", "artifacts", "ls"]

    result = subprocess.run(plain_user(command), cwd=root, capture_output=True, text=True)
    hidden.chmod(0o755)  # let pytest clean up

    assert f"{hidden}: cannot be read (Permission denied)" in one_error(result)
