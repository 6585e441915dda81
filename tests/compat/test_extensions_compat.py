"""Extensions written as the original documented them: `ArtifactInteractor` and `Backend`
subclasses with the original's constructors, and `ArtifactInteractor.interactors()`."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic.dataclasses import dataclass

from statisfactory import Session
from statisfactory.IO import ArtifactInteractor, Backend


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_interactor_with_the_original_constructor_gets_session_and_context(
    project_factory,
) -> None:
    name = _unique("foobarer")
    seen: dict[str, Any] = {}

    class Foobar(ArtifactInteractor, interactor_name=name):
        @dataclass
        class Extra:
            egg: int
            ham: int = 0

        def __init__(self, artifact, *args, session, **kwargs):
            super().__init__(artifact, *args, session=session, **kwargs)
            seen["session"] = session
            seen["context"] = dict(kwargs)
            self._store = session._.__dict__.setdefault("store", {})

        def load(self, **kwargs) -> Any:
            return self._store[self.name]

        def save(self, asset: Any, **kwargs) -> None:
            self._store[self.name] = (asset, self.artifact.extra.egg, kwargs.get("client"))

    assert ArtifactInteractor.interactors()[name] is Foobar
    assert "csv" in ArtifactInteractor.interactors()
    root = project_factory(
        {"catalog/catalog.yaml": f"- name: spam\n  type: {name}\n  extra: {{egg: 3}}\n"}
    )
    session = Session(root_folder=root)
    session.catalog.save("spam", "value", client="jm")
    assert seen["session"] is session
    assert seen["context"] == {"client": "jm"}
    assert session.catalog.load("spam") == ("value", 3, "jm")


def test_interactor_with_the_new_constructor_still_gets_the_catalog(project_factory) -> None:
    name = _unique("newform")

    class NewForm(ArtifactInteractor, interactor_name=name):
        def __init__(self, artifact, *, catalog):
            super().__init__(artifact, catalog=catalog)
            self.built_with = catalog

        def load(self, **kwargs) -> Any:
            return self.built_with is self.catalog

    root = project_factory({"catalog/catalog.yaml": f"- name: n\n  type: {name}\n"})
    assert Session(root_folder=root).catalog.load("n") is True


def test_backend_with_the_original_constructor_stores_through_the_session(
    project_factory,
) -> None:
    prefix = _unique("print")

    class Printer(Backend, prefix=prefix):
        def __init__(self, session: Session):
            super().__init__(session=session)
            self.store = session._.__dict__.setdefault("store", {})

        def put(self, *, payload: bytes, fragment, **kwargs) -> None:
            self.store[fragment.path] = payload

        def get(self, *, fragment, **kwargs) -> bytes:
            return self.store[fragment.path]

    root = project_factory(
        {"catalog/catalog.yaml": f"- name: t\n  type: text\n  extra: {{path: '{prefix}://x/t'}}\n"}
    )
    session = Session(root_folder=root)
    session.catalog.save("t", "hello")
    assert session._.store == {"/t": b"hello"}
    assert session.catalog.load("t") == "hello"


def test_backend_whose_constructor_takes_nothing_works_too(project_factory) -> None:
    prefix = _unique("bare")
    store: dict[str, bytes] = {}

    class Bare(Backend, prefix=prefix):
        def __init__(self):
            super().__init__()

        def put(self, *, payload: bytes, fragment, **kwargs) -> None:
            store[fragment.path] = payload

        def get(self, *, fragment, **kwargs) -> bytes:
            return store[fragment.path]

    root = project_factory(
        {"catalog/catalog.yaml": f"- name: t\n  type: text\n  extra: {{path: '{prefix}://x/t'}}\n"}
    )
    session = Session(root_folder=root)
    session.catalog.save("t", "hi")
    assert session.catalog.load("t") == "hi"
