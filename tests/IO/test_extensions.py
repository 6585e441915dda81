"""Extension points: custom artifact types (with ``Extra``) and custom storage backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import ParseResult

import pytest
from catalog_files import make_catalog
from pydantic import BaseModel
from pydantic.dataclasses import dataclass

from statisfactory.errors import CatalogError, StorageError
from statisfactory.IO import Artifact, ArtifactInteractor, Backend, Catalog
from statisfactory.IO.interactors.base import interactor_class, known_types


class Counter(ArtifactInteractor, interactor_name="test_counter"):
    """Keeps values in a class-level dict; its ``extra`` needs a ``slot`` and a ``scale``."""

    values: ClassVar[dict[str, Any]] = {}

    class Extra(BaseModel):
        slot: str
        scale: int = 1

    def load(self, **kwargs: Any) -> Any:
        return self.values[self.artifact.extra.slot] * self.artifact.extra.scale

    def save(self, asset: Any, **kwargs: Any) -> None:
        self.values[self.artifact.extra.slot] = asset


@dataclass
class RangeExtra:
    start: int
    stop: int


class Ranges(ArtifactInteractor, interactor_name="test_range"):
    """Loads ``range(start, stop)``; records the keyword arguments it received."""

    Extra = RangeExtra
    received: ClassVar[list[dict[str, Any]]] = []

    def load(self, step: int = 1) -> Any:
        self.received.append({"step": step, "name": self.name})
        return list(range(self.artifact.extra.start, self.artifact.extra.stop, step))


def test_a_custom_type_gets_its_validated_extra(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: hits
          type: test_counter
          extra: {slot: "hits_!{day}", scale: "+{ !{factor} }+"}
        """,
    )
    catalog.save("hits", 21, day="mon", factor=1)
    assert Counter.values["hits_mon"] == 21
    assert catalog.load("hits", day="mon", factor=2) == 42
    assert "test_counter" in known_types()


def test_a_pydantic_dataclass_extra_and_keyword_filtering(tmp_path: Path):
    catalog = make_catalog(
        tmp_path, "[{name: evens, type: test_range, extra: {start: 0, stop: '+{ 7 }+'}}]"
    )
    assert catalog.load("evens", step=2, unrelated="dropped") == [0, 2, 4, 6]
    assert Ranges.received[-1] == {"step": 2, "name": "evens"}


def test_an_invalid_extra_lists_the_expected_fields(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: hits, type: test_counter, extra: {scale: many}}]")
    with pytest.raises(CatalogError) as caught:
        catalog.load("hits")
    message = str(caught.value)
    assert "'hits'" in message and "catalog.yaml" in message
    assert "slot: Field required" in message and "scale: Input should be a valid integer" in message
    assert "Expected fields: slot (str, required), scale (int, default 1)" in message


def test_a_missing_method_is_a_clear_error(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: r, type: test_range, extra: {start: 0, stop: 2}}]")
    with pytest.raises(CatalogError, match=r"'r'.*cannot save.*implement save\(\) in Ranges"):
        catalog.save("r", [1])


def test_registering_a_type_name_twice_is_an_error():
    with pytest.raises(CatalogError, match="'test_counter' is already registered by .*Counter"):

        class OtherCounter(ArtifactInteractor, interactor_name="test_counter"):
            pass

    with pytest.raises(CatalogError, match="'csv' is already registered"):
        interactor_class("csv")  # the built-in is imported first

        class MyCsv(ArtifactInteractor, interactor_name="csv"):
            pass

    assert interactor_class("test_counter") is Counter


class Drawer(Backend, prefix="testdrawer"):
    """A bytes-only backend: a dict of payloads keyed by URL, as a custom backend would be."""

    payloads: ClassVar[dict[str, bytes]] = {}
    calls: ClassVar[list[dict[str, Any]]] = []

    def put(self, *, payload: bytes, fragment: ParseResult, owner: str = "", **_: Any) -> None:
        self.calls.append({"op": "put", "owner": owner, "url": fragment.geturl()})
        self.payloads[fragment.netloc + fragment.path] = payload

    def get(self, *, fragment: ParseResult, owner: str = "") -> bytes:
        self.calls.append({"op": "get", "owner": owner})
        try:
            return self.payloads[fragment.netloc + fragment.path]
        except KeyError as error:
            raise FileNotFoundError(fragment.geturl()) from error


def test_a_custom_backend_serves_its_scheme(tmp_path: Path):
    import pandas as pd

    catalog = make_catalog(
        tmp_path,
        """
        - name: table
          type: parquet
          extra: {path: "testdrawer://shelf/!{year}/table.parquet", owner: ana}
        - name: note
          type: text
          extra: {path: "testdrawer://shelf/note.txt"}
        """,
    )
    frame = pd.DataFrame({"a": [1, 2]})
    catalog.save("table", frame, year=2024)
    assert Drawer.calls[-1] == {
        "op": "put",
        "owner": "ana",
        "url": "testdrawer://shelf/2024/table.parquet",
    }
    assert Drawer.payloads["shelf/2024/table.parquet"].startswith(b"PAR1")
    pd.testing.assert_frame_equal(catalog.load("table", year=2024), frame)
    assert catalog.exists("table", year=2024) and not catalog.exists("table", year=1999)
    assert catalog.locate("table", year=1) == "testdrawer://shelf/1/table.parquet"
    catalog.save("note", "hello", owner="context wins")
    assert Drawer.calls[-1]["owner"] == "context wins"
    with pytest.raises(CatalogError, match="nothing is stored at testdrawer://shelf/2000"):
        catalog.load("table", year=2000)


def test_registering_a_scheme_twice_is_an_error():
    with pytest.raises(CatalogError, match="'testdrawer' is already handled by .*Drawer"):

        class OtherDrawer(Backend, prefix="testdrawer"):
            pass


def test_an_unknown_scheme_without_fsspec_support_is_a_clear_error(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: x, type: text, extra: {path: 'nosuch://a/b.txt'}}]")
    with pytest.raises(CatalogError, match="'nosuch'.*register a Backend subclass"):
        catalog.save("x", "text")


def test_interactors_see_the_catalog_session(tmp_path: Path):
    seen = []

    class Peek(ArtifactInteractor, interactor_name="test_peek"):
        def load(self) -> Any:
            seen.append((self.session, self.root))
            return None

    marker = object()  # stands for the session the post-init hook passes
    make_catalog(tmp_path, "[{name: p, type: test_peek}]")
    catalog = Catalog.from_path(
        tmp_path / "catalog.yaml", variables={}, root=tmp_path, session=marker
    )
    catalog.load("p")
    assert seen == [(marker, tmp_path.resolve())]
    assert isinstance(catalog.artifacts["p"], Artifact)


def test_a_custom_type_from_the_session_module_serves_the_session_catalog(session_factory):
    session = session_factory(
        {
            "lib/upper_types.py": """
                from statisfactory.IO import ArtifactInteractor
                from pydantic import BaseModel

                class Upper(ArtifactInteractor, interactor_name="test_upper"):
                    class Extra(BaseModel):
                        path: str

                    def save(self, asset):
                        (self.root / self.artifact.extra.path).write_text(asset.upper())

                    def load(self):
                        return (self.root / self.artifact.extra.path).read_text()
            """,
            "lib/project_session.py": "import upper_types  # registers the test_upper type\n",
            "catalog/main.yaml": "[{name: shout, type: test_upper, extra: {path: shout.txt}}]",
        },
        tool='\n[tool.statisfactory.session_factory]\nmodule = "project_session"\n',
    )
    session.catalog.save("shout", "hello")
    assert session.catalog.load("shout") == "HELLO"


class Versioned(Backend, prefix="testversioned"):
    """Keeps every version of a payload; ``version`` chooses one (a backend-only option)."""

    payloads: ClassVar[dict[tuple[str, int], bytes]] = {}
    calls: ClassVar[list[tuple[str, int]]] = []

    def put(self, *, payload: bytes, fragment: ParseResult, version: int = 0) -> None:
        self.calls.append(("put", version))
        self.payloads[fragment.path, version] = payload

    def get(self, *, fragment: ParseResult, version: int = 0) -> bytes:
        self.calls.append(("get", version))
        try:
            return self.payloads[fragment.path, version]
        except KeyError as error:
            raise FileNotFoundError(fragment.geturl()) from error


def test_options_go_to_the_backend_that_names_them_and_the_rest_to_the_reader(
    tmp_path: Path, caplog
):
    import pandas as pd

    catalog = make_catalog(
        tmp_path,
        """
        - name: table
          type: csv
          extra: {path: "testversioned://shelf/table.csv"}
          load_options: {version: 2, sep: ";"}
          save_options: {version: 2, sep: ";"}
        - name: older
          type: csv
          extra: {path: "testversioned://shelf/table.csv"}
          load_options: {version: 1, sep: ";"}
        """,
    )
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    catalog.save("table", frame)
    assert Versioned.calls[-1] == ("put", 2)
    assert Versioned.payloads["/table.csv", 2].startswith(b"a;b\n")  # the writer got sep
    pd.testing.assert_frame_equal(catalog.load("table"), frame)
    assert Versioned.calls[-1] == ("get", 2)
    with pytest.raises(CatalogError, match="nothing is stored"):  # the keyword wins
        catalog.load("table", version=7)
    assert Versioned.calls[-1] == ("get", 7)
    assert catalog.exists("table") and not catalog.exists("older")
    assert "version" not in caplog.text  # neither option was dropped
    older = catalog.interactor("older", {})
    assert older.backend_arguments("load", {"n": 1}) == {"version": 1, "n": 1}
    offered = older.backend_arguments("load", {"version": 7, "n": 1})
    assert offered == {"version": 7, "n": 1}  # what tools such as run history read too


class Failing(Backend, prefix="testfailing"):
    """Raises what the library of a storage service would; the error is chosen by the netloc."""

    def get(self, *, fragment: ParseResult, **_: Any) -> bytes:
        raise library_error(fragment.netloc)

    def put(self, *, payload: bytes, fragment: ParseResult, **_: Any) -> None:
        raise library_error(fragment.netloc)


def library_error(kind: str) -> Exception:
    import botocore.exceptions
    import requests

    if kind == "botocore":
        return botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "denied to tok-77aa"}}, "GetObject"
        )
    if kind == "endpoint":
        return botocore.exceptions.EndpointConnectionError(endpoint_url="https://u:pw-77aa@h/")
    if kind == "requests":
        return requests.ConnectionError("Max retries exceeded with url: /a?token=tok-77aa")
    return OSError(28, "No space left on device")


@pytest.mark.parametrize("kind", ["botocore", "endpoint", "requests", "oserror"])
@pytest.mark.parametrize("operation", ["load", "save", "exists"])
def test_a_backend_library_error_is_a_storage_error_naming_artifact_and_location(
    tmp_path: Path, kind: str, operation: str
):
    catalog = make_catalog(
        tmp_path,
        f"[{{name: feed, type: text, extra: {{path: 'testfailing://{kind}/feed.txt', "
        f"token: tok-77aa}}}}]",
    )
    call = {
        "load": lambda: catalog.load("feed"),
        "save": lambda: catalog.save("feed", "text"),
        "exists": lambda: catalog.exists("feed"),
    }[operation]
    with pytest.raises(StorageError) as caught:
        call()
    message = str(caught.value)
    assert "'feed'" in message and f"testfailing://{kind}/feed.txt" in message
    assert "tok-77aa" not in message and "pw-77aa" not in message
    assert type(caught.value.__cause__).__module__.split(".")[0] in (
        "botocore",
        "requests",
        "builtins",
    )


def test_a_reader_error_is_not_a_storage_error(tmp_path: Path):
    Drawer.payloads["shelf/broken.parquet"] = b"not a parquet file"
    catalog = make_catalog(
        tmp_path, "[{name: t, type: parquet, extra: {path: 'testdrawer://shelf/broken.parquet'}}]"
    )
    with pytest.raises(CatalogError) as caught:
        catalog.load("t")
    assert not isinstance(caught.value, StorageError)
    assert "'t'" in str(caught.value) and "testdrawer://shelf/broken.parquet" in str(caught.value)


def test_a_backend_that_cannot_write_says_so(tmp_path: Path):
    class ReadOnly(Backend, prefix="testreadonly"):
        def get(self, *, fragment: ParseResult) -> bytes:
            return b"fixed"

    catalog = make_catalog(tmp_path, "[{name: r, type: binary, extra: {path: 'testreadonly://r'}}]")
    assert catalog.load("r") == b"fixed"
    with pytest.raises(StorageError, match=r"'r'.*cannot save at testreadonly://r.*cannot write"):
        catalog.save("r", b"new")
