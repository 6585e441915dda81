"""Post-init hooks: order, per-class isolation, and errors naming the hook."""

from __future__ import annotations

import pytest

from statisfactory.errors import HookError
from statisfactory.session import BaseSession


@pytest.fixture
def clean_hooks():
    """Forget hooks a test registers on BaseSession."""
    saved = list(BaseSession._hooks)
    yield
    BaseSession._hooks[:] = saved


def test_hooks_run_in_order_with_last_false_first(project_factory, clean_hooks):
    class Mine(BaseSession):
        pass

    calls: list[str] = []

    @Mine.hook_post_init()
    def second(session):
        calls.append("second")

    @Mine.hook_post_init(last=False)
    def first(session):
        calls.append("first")
        assert session.catalog is not None  # BaseSession's own hooks ran before

    @Mine.hook_post_init(last=True)
    def third(session):
        calls.append("third")

    Mine(root_folder=project_factory())
    assert calls == ["first", "second", "third"]


def test_base_hooks_run_for_every_subclass(project_factory, clean_hooks):
    seen: list[str] = []

    @BaseSession.hook_post_init()
    def everywhere(session):
        seen.append(type(session).__name__)

    class One(BaseSession):
        pass

    One(root_folder=project_factory())
    assert seen == ["One"]


def test_subclass_hooks_do_not_run_for_siblings(project_factory):
    class Left(BaseSession):
        pass

    class Right(BaseSession):
        pass

    ran: list[str] = []
    Left.hook_post_init()(lambda session: ran.append("left"))
    Right(root_folder=project_factory())
    assert ran == []
    Left(root_folder=project_factory())
    assert ran == ["left"]


def test_a_raising_hook_is_named(project_factory):
    class Broken(BaseSession):
        pass

    @Broken.hook_post_init()
    def connect_to_warehouse(session):
        raise RuntimeError("warehouse is down")

    with pytest.raises(HookError) as caught:
        Broken(root_folder=project_factory())
    assert "connect_to_warehouse" in str(caught.value)
    assert f"{__file__}:" in str(caught.value)  # where the hook is defined
    assert "warehouse is down" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
