"""A broken project, as the command line reports it: exit 2, one message naming the file and
the key, no traceback (unless ``--verbose``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shop_project import statisfactory

TABLE = '[tool.statisfactory]\nproject_slug = "p"\nconfiguration = "conf"\ncatalog = "catalog"\n'
FACTORY = '[tool.statisfactory.session_factory]\nmodule = "custom_session"\nfactory = "Custom"\n'

# case -> (pyproject.toml, other files, what the message must name)
CASES = {
    "no table": (
        '[project]\nname = "p"\n',
        {},
        ["pyproject.toml but without a [tool.statisfactory]"],
    ),
    "required key missing": (
        '[tool.statisfactory]\nproject_slug = "p"\ncatalog = "catalog"\n',
        {},
        ["pyproject.toml", "missing the required key 'configuration'"],
    ),
    "unknown key": (TABLE + 'colour = "blue"\n', {}, ["pyproject.toml", "'colour'"]),
    "wrong type": (TABLE + "sources = 3\n", {}, ["pyproject.toml", "sources must be"]),
    "TOML syntax": (TABLE + "sources =\n", {}, ["pyproject.toml", "invalid TOML", "line 5"]),
    "YAML syntax": (
        TABLE,
        {"conf/locals.yaml": "a: 1\nb: [unclosed\n"},
        ["conf/locals.yaml, line 3", "invalid YAML"],
    ),
    "factory module fails to import": (
        TABLE + FACTORY,
        {"lib/custom_session.py": "import not_a_real_package_xyz\n"},
        ["pyproject.toml", "custom_session", "No module named 'not_a_real_package_xyz'"],
    ),
    "factory is not a session": (
        TABLE + FACTORY,
        {"lib/custom_session.py": "class Custom:\n    pass\n"},
        ["pyproject.toml", "custom_session.Custom must be a class deriving from"],
    ),
    "raising hook": (
        TABLE + FACTORY.replace('factory = "Custom"\n', ""),
        {
            "lib/custom_session.py": (
                "from statisfactory import BaseSession\n\n\n"
                "@BaseSession.hook_post_init()\n"
                "def connect(session):\n"
                "    raise RuntimeError('the warehouse is down')\n"
            )
        },
        ["custom_session.connect (lib/custom_session.py:4)", "the warehouse is down"],
    ),
}


def write(root: Path, pyproject: str, files: dict[str, str]) -> Path:
    for folder in ("conf", "catalog", "lib"):
        (root / folder).mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    (root / "conf" / "globals.yaml").write_text("")
    (root / "conf" / "locals.yaml").write_text("")
    for relative, text in files.items():
        (root / relative).write_text(text)
    return root


@pytest.mark.parametrize("case", CASES)
def test_each_project_error_is_one_message(tmp_path: Path, case: str) -> None:
    pyproject, files, expected = CASES[case]
    root = write(tmp_path / "project", pyproject, files)

    result = statisfactory("artifacts", "ls", cwd=root / "lib")  # from a folder below the root

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for text in expected:
        assert text in lines[0]


def test_no_project_up_the_tree(tmp_path: Path) -> None:
    result = statisfactory("pipelines", "ls", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: No Statisfactory project at or above {tmp_path}")
    assert "-p/--path" in result.stderr and "Traceback" not in result.stderr


def test_verbose_adds_the_chained_traceback(tmp_path: Path) -> None:
    pyproject, files, _ = CASES["factory module fails to import"]
    root = write(tmp_path / "project", pyproject, files)

    result = statisfactory("-v", "artifacts", "ls", cwd=root)

    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "ModuleNotFoundError: No module named 'not_a_real_package_xyz'" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: ")


def test_a_missing_settings_file_is_one_warning_line(tmp_path: Path) -> None:
    root = write(tmp_path / "project", TABLE, {})
    (root / "conf" / "globals.yaml").unlink()

    result = statisfactory("artifacts", "ls", cwd=root)

    assert result.returncode == 0, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.endswith(
        f"WARNING statisfactory.warnings: UserWarning: {root / 'conf'}: no "
        "globals.yaml; settings will not include it (said once per project: "
        ".statisfactory/notices.txt remembers it)."
    )
