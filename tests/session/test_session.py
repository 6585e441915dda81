"""The Session: discovery, settings, the user namespace, the active-session stack."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading

import pytest

from statisfactory import Session
from statisfactory.errors import NoActiveSessionError, StatisfactoryError
from statisfactory.logger import MixinLogable
from statisfactory.session import BaseSession, Scoped


def test_session_from_a_subfolder_and_from_anywhere(project_factory, monkeypatch, tmp_path):
    root = project_factory({"conf/globals.yaml": "answer: 42\n"})
    (root / "lib" / "pkg").mkdir()
    monkeypatch.chdir(root / "lib" / "pkg")
    from_inside = Session()
    assert from_inside.root == root.resolve()
    monkeypatch.chdir(tmp_path)
    from_anywhere = Session(root_folder=root)
    assert from_anywhere.root == root.resolve()
    assert from_anywhere.settings.get("answer") == 42
    assert isinstance(from_anywhere, BaseSession)
    assert isinstance(from_anywhere, MixinLogable)


def test_user_namespace(session_factory):
    sess = session_factory()
    sess._.model_registry = {"a": 1}
    assert sess._.model_registry == {"a": 1}


def test_sources_are_importable(session_factory):
    sess = session_factory({"lib/helpers_mod.py": "VALUE = 7\n"})
    import helpers_mod

    assert helpers_mod.VALUE == 7
    assert str(sess.config.sources) in sys.path


def test_no_active_session_outside_with():
    with pytest.raises(NoActiveSessionError, match="with session:"):
        Session.get_active_session()
    with pytest.raises(StatisfactoryError):
        Scoped().get_session()


def test_nested_with_restores_the_outer_session(session_factory):
    outer, inner = session_factory(name="outer"), session_factory(name="inner")
    with outer as entered:
        assert entered is outer
        assert Session.get_active_session() is outer
        with inner:
            assert Session.get_active_session() is inner
            assert Scoped().get_session() is inner
        assert Session.get_active_session() is outer
    with pytest.raises(NoActiveSessionError):
        Session.get_active_session()


def test_each_thread_has_its_own_stack(session_factory):
    sessions = [session_factory(name=f"p{i}") for i in range(4)]
    barrier = threading.Barrier(len(sessions))
    seen: dict[int, object] = {}
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with pytest.raises(NoActiveSessionError):  # a new thread starts with an empty stack
                Session.get_active_session()
            with sessions[index]:
                barrier.wait(timeout=10)  # all threads are inside their `with` at once
                seen[index] = Session.get_active_session()
                barrier.wait(timeout=10)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(seen[i] is sessions[i] for i in range(len(sessions)))


def test_each_asyncio_task_has_its_own_stack(session_factory):
    outer, first, second = (session_factory(name=n) for n in ("o", "a", "b"))

    async def task(sess, started: asyncio.Event, other: asyncio.Event):
        assert Session.get_active_session() is outer  # inherited from the creating context
        with sess:
            started.set()
            await other.wait()
            assert Session.get_active_session() is sess
        return Session.get_active_session()

    async def main():
        a_started, b_started = asyncio.Event(), asyncio.Event()
        with outer:
            results = await asyncio.gather(
                task(first, a_started, b_started), task(second, b_started, a_started)
            )
            assert Session.get_active_session() is outer
        return results

    assert asyncio.run(main()) == [outer, outer]


def test_scoped_set_session_pushes(session_factory):
    sess = session_factory()
    Scoped.set_session(sess)
    try:
        assert Scoped().get_session() is sess
        assert Scoped()._sessions[-1] is sess
    finally:
        sess.__exit__(None, None, None)
    with pytest.raises(NoActiveSessionError):
        Session.get_active_session()


def test_import_and_session_load_no_heavy_module(project_factory):
    root = project_factory()
    code = textwrap.dedent(
        f"""
        import sys
        import statisfactory
        sess = statisfactory.Session(root_folder={str(root)!r})
        sess.catalog, sess.parameters, sess.pipelines_definitions
        heavy = ["pandas", "pyarrow", "boto3", "pygit2", "lakefs", "sqlalchemy", "dask", "distributed", "numpy"]
        print(",".join(m for m in heavy if m in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_session_pickles_as_its_root(session_factory):
    import pickle

    sess = session_factory({"conf/globals.yaml": "answer: 42\n"})
    clone = pickle.loads(pickle.dumps(sess))
    assert clone is not sess
    assert clone.root == sess.root
    assert clone.settings.get("answer") == 42
