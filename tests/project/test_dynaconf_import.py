"""dynaconf is imported without Flask, and its Flask extension still works when a program uses it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("flask")  # without Flask, dynaconf never imports it: nothing to check


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_session_does_not_import_flask(project_factory):
    root = project_factory({"conf/globals.yaml": "answer: 42\n"})
    printed = _python(
        f"""
        import sys
        import statisfactory
        sess = statisfactory.Session(root_folder={str(root)!r})
        print(sess.settings.get("answer"), [m for m in ("flask", "werkzeug") if m in sys.modules])
        """
    )
    assert printed == "42 []"


def test_flask_extension_imported_for_real_on_first_use(project_factory):
    root = project_factory()
    printed = _python(
        f"""
        import statisfactory
        statisfactory.Session(root_folder={str(root)!r})
        import dynaconf
        from dynaconf.contrib import FlaskDynaconf
        from flask import Flask
        from flask.config import Config
        app = Flask("app")
        dynaconf.FlaskDynaconf(app)
        print(FlaskDynaconf is dynaconf.FlaskDynaconf, isinstance(app.config, Config))
        """
    )
    assert printed == "True True"


def test_flask_imported_first_keeps_dynaconf_untouched(project_factory):
    root = project_factory()
    printed = _python(
        f"""
        import flask
        import statisfactory
        statisfactory.Session(root_folder={str(root)!r})
        import dynaconf
        print("FlaskDynaconf" in vars(dynaconf), "__getattr__" in vars(dynaconf))
        """
    )
    assert printed == "True False"
