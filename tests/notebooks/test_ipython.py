"""The IPython extension, in a real IPython shell in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SHELL = textwrap.dedent(
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()

    def cell(code):
        result = shell.run_cell(code)
        if not result.success:
            raise SystemExit(f"cell failed: {code!r}: {result.error_in_exec!r}")

    cell("%load_ext statisfactory")
    cell("print('ROOT', session.root)")
    cell("from statisfactory import Session; print('ACTIVE', Session.get_active_session() is session)")
    cell("from tools import double; print('CRAFT', double(x=21))")  # no `with session:` needed
    cell("first = session")
    cell("%reload_statisfactory")
    cell("print('RELOADED', first is not session, Session.get_active_session() is session)")
    cell("%reload_statisfactory OTHER")
    cell("print('SWITCHED', session.config.project_slug, session.root.name)")
    """
)


def test_load_ext_gives_an_active_session_and_reload_rebuilds_it(project_factory) -> None:
    root = project_factory(
        {
            "lib/tools.py": """
                from statisfactory import Artifact, Craft

                @Craft()
                def double(x: int) -> Artifact("doubled"):
                    return 2 * x
            """,
            "catalog/c.yaml": "- name: doubled\n  type: json\n  extra: {path: data/d.json}\n",
        }
    )
    other = project_factory(name="other")
    notebooks = root / "scripts"
    notebooks.mkdir()

    result = subprocess.run(
        [sys.executable, "-c", SHELL.replace("OTHER", str(other))],
        cwd=notebooks,  # a notebook's folder: the project is found above it
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"ROOT {root.resolve()}" in out
    assert "ACTIVE True" in out
    assert "CRAFT 42" in out
    assert (root / "data" / "d.json").read_text() == "42"
    assert "RELOADED True True" in out
    assert "SWITCHED demo other" in out


def test_a_project_error_is_one_line_and_keeps_the_current_session(project_factory) -> None:
    root = project_factory()
    broken = project_factory({"conf/locals.yaml": "a: [unclosed\n"}, name="broken")
    code = textwrap.dedent(
        """
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shell.run_cell("%load_ext statisfactory")
        result = shell.run_cell("%reload_statisfactory BROKEN")
        print("ERROR", type(result.error_in_exec).__name__)
        shell.run_cell("print('STILL', session.root.name)")
        """
    ).replace("BROKEN", str(broken))

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )

    output = result.stdout + result.stderr
    assert "ERROR UsageError" in output
    assert f"UsageError: {broken.resolve()}/conf/locals.yaml, line 2" in output
    assert "Traceback" not in output
    assert f"STILL {root.name}" in output
