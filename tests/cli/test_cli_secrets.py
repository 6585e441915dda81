"""The values of secret settings never reach what the command line prints, wherever they hide."""

from __future__ import annotations

import subprocess
import sys

from shop_project import statisfactory

LOCALS = """
    db_password: hunter2-pw
    services: {weather: {api_token: tok-0123456789}, region: eu-west-1}
"""


def test_a_token_in_a_query_string_is_hidden_from_listings(project_factory) -> None:
    root = project_factory(
        {
            "conf/locals.yaml": LOCALS,
            "catalog/c.yaml": """
                - name: forecast
                  type: json
                  extra:
                    path: "https://api.example/f.json?token={{ services.weather.api_token }}"
            """,
        }
    )

    for command in (["artifacts", "ls"], ["artifacts", "describe", "forecast"]):
        result = statisfactory(*command, cwd=root)

        assert result.returncode == 0, result.stderr
        assert "api.example/f.json?token=***" in result.stdout
        assert "tok-0123456789" not in result.stdout + result.stderr


def test_a_craft_that_prints_and_raises_a_secret(project_factory) -> None:
    root = project_factory(
        {
            "conf/locals.yaml": LOCALS,
            "lib/db.py": """
                from statisfactory import Craft, Session, Volatile

                @Craft()
                def connect() -> Volatile("connection"):
                    password = Session.get_active_session().settings.get("db_password")
                    print("connecting with", password)
                    raise ConnectionError(f"login refused for password {password}")
            """,
            "pipelines/definitions/p.yaml": "load:\n  +operators: [db.connect]\n",
        }
    )

    for verbose in ([], ["--verbose"]):
        result = statisfactory(*verbose, "run", "load", cwd=root)

        assert result.returncode == 1
        assert "connecting with ***" in result.stdout
        assert "login refused for password ***" in result.stderr
        assert "hunter2-pw" not in result.stdout + result.stderr


def test_a_failing_hook_does_not_print_the_secret(project_factory) -> None:
    root = project_factory(
        {
            "conf/locals.yaml": LOCALS,
            "lib/hooks.py": """
                from statisfactory import BaseSession

                @BaseSession.hook_post_init()
                def connect(session):
                    raise RuntimeError(f"no route with {session.settings.get('db_password')}")
            """,
        },
        tool='[tool.statisfactory.session_factory]\nmodule = "hooks"\n',
    )

    result = statisfactory("pipelines", "ls", cwd=root)

    assert result.returncode == 2
    assert "hooks.connect" in result.stderr and "no route with ***" in result.stderr
    assert "hunter2-pw" not in result.stderr


def test_main_gives_the_streams_back_after_its_last_message(project_factory) -> None:
    root = project_factory({"conf/locals.yaml": LOCALS})
    code = (
        "import sys\n"
        "from statisfactory.cli.main import main\n"
        "out, err = sys.stdout, sys.stderr\n"
        "status = main(['configurations', 'describe', 'missing'])\n"
        "print('RESTORED', status, sys.stdout is out and sys.stderr is err)\n"
        "print('hunter2-pw')\n"  # the program's own output, once the command is over
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )

    assert "No parameter set named 'missing'" in result.stderr
    assert "RESTORED 2 True\nhunter2-pw\n" in result.stdout
