"""Custom sessions declared in pyproject.toml."""

from __future__ import annotations

import pytest

from statisfactory import Session
from statisfactory.errors import ConfigurationError
from statisfactory.session import BaseSession

CUSTOM = """
from statisfactory.session import BaseSession


class MySession(BaseSession):
    def greet(self):
        return f"hello from {self.config.project_slug}"


@MySession.hook_post_init()
def remember(session):
    session._.hooked = True
"""


@pytest.mark.parametrize(
    "table",
    [
        '[tool.statisfactory.session_factory]\nmodule = "session.custom_session"\nfactory = "MySession"\n',
        '[tool.statisfactory.entrypoints]\nmodule = "session.custom_session"\nsession_factory = "MySession"\n',
    ],
)
def test_factory_instance_is_both_classes(project_factory, table):
    root = project_factory({"session/__init__.py": "", "session/custom_session.py": CUSTOM})
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + table)
    sess = Session(root_folder=root)
    custom = __import__("session.custom_session", fromlist=["MySession"]).MySession
    assert isinstance(sess, custom)
    assert isinstance(sess, Session)
    assert sess.greet() == "hello from demo"
    assert sess._.hooked is True
    assert type(Session(root_folder=root)) is type(sess)  # the combined class is reused


def test_module_without_factory_is_imported_for_its_hooks(project_factory):
    saved = list(BaseSession._hooks)
    try:
        root = project_factory(
            {
                "lib/plugins.py": """
                    from statisfactory.session import BaseSession

                    @BaseSession.hook_post_init()
                    def mark(session):
                        session._.plugin_loaded = True
                """
            },
            tool='[tool.statisfactory.session_factory]\nmodule = "plugins"\n',
        )
        sess = Session(root_folder=root)
        assert type(sess) is Session
        assert sess._.plugin_loaded is True
    finally:
        BaseSession._hooks[:] = saved


def test_module_that_fails_to_import(project_factory):
    root = project_factory(
        {"lib/broken_session.py": "import not_a_real_package_xyz\n"},
        tool='[tool.statisfactory.session_factory]\nmodule = "broken_session"\nfactory = "X"\n',
    )
    with pytest.raises(ConfigurationError) as caught:
        Session(root_folder=root)
    assert "broken_session" in str(caught.value)
    assert "pyproject.toml" in str(caught.value)
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_factory_must_derive_from_base_session(project_factory):
    root = project_factory(
        {"lib/not_a_session.py": "class Thing:\n    pass\n"},
        tool='[tool.statisfactory.session_factory]\nmodule = "not_a_session"\nfactory = "Thing"\n',
    )
    with pytest.raises(ConfigurationError, match="must be a class deriving from"):
        Session(root_folder=root)


def test_factory_attribute_missing(project_factory):
    root = project_factory(
        {"lib/empty_session.py": ""},
        tool='[tool.statisfactory.session_factory]\nmodule = "empty_session"\nfactory = "Nope"\n',
    )
    with pytest.raises(ConfigurationError, match="has no attribute 'Nope'"):
        Session(root_folder=root)
