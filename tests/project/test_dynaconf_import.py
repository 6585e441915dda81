"""dynaconf is imported without Flask and Jinja; its Flask extension and its ``@jinja`` settings
still work when a program uses them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

# Without Flask, dynaconf never imports it: nothing to check.
needs_flask = pytest.mark.skipif(
    importlib.util.find_spec("flask") is None, reason="Flask is not installed"
)


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@needs_flask
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


@needs_flask
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


@needs_flask
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


def test_session_does_not_import_jinja(project_factory):
    """A project without Jinja in its files pays nothing for it (dynaconf built an
    environment for ``@jinja`` settings at import)."""
    root = project_factory({"conf/globals.yaml": "answer: 42\n"})
    printed = _python(
        f"""
        import sys
        import statisfactory
        sess = statisfactory.Session(root_folder={str(root)!r})
        print(sess.settings.get("answer"), "jinja2" in sys.modules)
        """
    )
    assert printed == "42 False"


def test_a_jinja_setting_is_rendered_in_dynaconfs_sandbox(project_factory):
    """``@jinja`` settings render as dynaconf renders them: its sandbox (unsafe attributes are
    refused with a warning) and its path filters."""
    root = project_factory(
        {
            "conf/globals.yaml": (
                "name: lab\n"
                "greeting: '@jinja hello {{ this.NAME }}'\n"
                "folder: '@jinja {{ \"/data/raw/x.csv\" | dirname }}'\n"
                "unsafe: '@jinja {{ this.__class__.__init__.__globals__ }}'\n"
            )
        }
    )
    printed = _python(
        f"""
        import warnings
        import statisfactory
        sess = statisfactory.Session(root_folder={str(root)!r})
        print(sess.settings.get("greeting"), sess.settings.get("folder"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(repr(sess.settings.get("unsafe")), [str(w.message)[:21] for w in caught])
        """
    )
    assert printed.splitlines() == [
        "hello lab /data/raw",
        "'' ['Unsafe access attempt']",
    ]


def test_jinja_imported_first_keeps_dynaconf_untouched(project_factory):
    root = project_factory()
    printed = _python(
        f"""
        import jinja2
        import statisfactory
        statisfactory.Session(root_folder={str(root)!r})
        from dynaconf.utils import parse_conf
        print(type(parse_conf.jinja_env).__name__)
        """
    )
    assert printed == "SandboxedEnvironment"
