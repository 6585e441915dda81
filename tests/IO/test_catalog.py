"""Declaring artifacts, the catalog's API, and the errors a user meets."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_files import make_catalog

from statisfactory.errors import ArtifactNotFoundError, CatalogError, ConfigurationError
from statisfactory.IO import Artifact, ArtifactInteractor, Catalog


def test_a_folder_of_files_in_list_and_mapping_forms(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        {
            "raw.yaml": """
                - name: raw
                  type: csv
                  extra: {path: data/raw.csv}
                  +tags: [input]
            """,
            "models/models.yml": """
                model:
                  type: pickle
                  extra: {path: models/model.pkl}
                  save_options: {protocol: 4}
            """,
            "notes.txt": "not a catalog file",
        },
    )
    assert set(catalog.artifacts) == {"raw", "model"}
    raw = catalog.artifacts["raw"]
    assert isinstance(raw, Artifact)
    assert (raw.type, raw.extra, raw.tags) == ("csv", {"path": "data/raw.csv"}, ("input",))
    assert raw.source.name == "raw.yaml"
    assert catalog.artifacts["model"].save_options == {"protocol": 4}
    assert "raw" in catalog and "missing" not in catalog
    assert len(catalog) == 2


def test_str_lists_entries_without_secrets(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: sales
          type: sql
          extra: {url: "postgresql://ana:hunter2@db:5432/shop", table: sales}
        - name: raw
          type: csv
          extra: {path: data/raw.csv, token: abc123}
          +tags: [input]
        - name: remote
          type: sql
          extra: {drivername: postgresql, username: ana, password: hunter2, table: t}
        """,
    )
    text = str(catalog)
    assert "sales (sql)" in text and "raw (csv): data/raw.csv" in text and "[input]" in text
    assert "hunter2" not in text and "abc123" not in text
    described = catalog.artifacts["remote"].describe()
    assert described["extra"]["password"] == "***"
    assert described["extra"]["username"] == "ana"
    assert "hunter2" not in str(catalog.artifacts["sales"].describe())
    assert "abc123" not in str(catalog.artifacts["raw"].describe())
    resolved = catalog.interactor("remote", {}).artifact  # its extra validated by the type
    for artifact in (catalog.artifacts["remote"], catalog.artifacts["sales"], resolved):
        assert "hunter2" not in repr(artifact) and "ana" in repr(artifact)  # as logs show it


def test_adding_catalogs(tmp_path: Path):
    first = make_catalog(tmp_path, "[{name: a, type: text, extra: {path: a.txt}}]")
    second = Catalog({"b": Artifact("b", "text", {"path": "b.txt"})}, root=tmp_path)
    both = first + second
    assert set(both.artifacts) == {"a", "b"}
    assert set(first.artifacts) == {"a"}  # operands unchanged
    both.save("b", "bee")
    assert (tmp_path / "b.txt").read_text() == "bee"
    with pytest.raises(CatalogError, match="'a'.*both"):
        both + first


def test_unknown_name_suggests_close_names(tmp_path: Path):
    catalog = make_catalog(tmp_path, "[{name: samples, type: text, extra: {path: s.txt}}]")
    with pytest.raises(ArtifactNotFoundError, match="'sample'.*did you mean 'samples'"):
        catalog.load("sample")
    with pytest.raises(KeyError):  # also a KeyError, as a mapping lookup would be
        catalog.exists("nothing")


def test_context_reaches_readers_that_name_it(tmp_path: Path):
    (tmp_path / "t.csv").write_text("a\n1\n2\n3\n")
    catalog = make_catalog(tmp_path, "[{name: t, type: csv, extra: {path: t.csv}}]")
    assert len(catalog.load("t", nrows=2, unrelated="ignored")) == 2


def test_options_a_reader_does_not_accept_are_ignored(tmp_path: Path, caplog):
    (tmp_path / "t.txt").write_text("x")
    catalog = make_catalog(
        tmp_path,
        "[{name: t, type: pickle, extra: {path: t.pkl}, save_options: {not_an_option: 1}}]",
    )
    catalog.save("t", [1])
    assert catalog.load("t") == [1]
    assert "not_an_option" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{type: csv, extra: {path: a.csv}}]", r"entry #1: 'name' is missing"),
        ("[{name: a, extra: {path: a.csv}}]", r"'a': 'type' is missing"),
        ("[{name: a, type: csv}]", r"'a': 'extra.path' is missing"),
        ("[{name: a, type: csv, extra: {}}]", r"'a': 'extra.path' is missing"),
        ("[{name: a, type: csv, extra: {path: a}, colour: red}]", r"unknown key\(s\) 'colour'"),
        (
            "{2024: {type: csv, extra: {path: a}}}",
            r"'name' is 2024 \(int\), not a string: quote it",
        ),
        ("[{name: a, type: [csv], extra: {path: a}}]", r"'type' is \['csv'\] \(list\)"),
        ("[{name: a, type: csv, extra: {path: 12}}]", r"'extra.path' is 12 \(int\)"),
        ("[{name: a, type: csv, extra: [1]}]", r"'extra' is a mapping"),
        ("[{name: a, type: csv, extra: {path: a}, +tags: x}]", r"'\+tags' is a list"),
        ("[{name: a, type: csv, extra: {path: a}, +tags: [1]}]", r"'\+tags' is a list"),
        ("[3]", r"entry #1: an entry is a mapping"),
        ("just text", r"a catalog file holds a list"),
        ("{a: {name: b, type: csv, extra: {path: a}}}", r"differs from its key"),
    ],
)
def test_malformed_entries_name_the_file_and_entry(tmp_path, text, message):
    with pytest.raises(CatalogError, match=message) as caught:
        make_catalog(tmp_path, text)
    assert str(tmp_path / "catalog.yaml") in str(caught.value)


def test_a_name_declared_twice_names_both_files(tmp_path: Path):
    with pytest.raises(
        CatalogError, match=r"'a' is declared twice: in .*one.yaml and in .*two.yaml"
    ):
        make_catalog(
            tmp_path,
            {
                "one.yaml": "[{name: a, type: text, extra: {path: a}}]",
                "two.yaml": "[{name: a, type: text, extra: {path: b}}]",
            },
        )
    with pytest.raises(CatalogError, match="declared twice in"):
        make_catalog(
            tmp_path,
            "[{name: a, type: text, extra: {path: a}}, {name: a, type: text, extra: {path: b}}]",
        )


def test_yaml_and_jinja_errors_name_the_file(tmp_path: Path):
    with pytest.raises(
        ConfigurationError, match=r"catalog.yaml, line \d+, column \d+: invalid YAML"
    ):
        make_catalog(tmp_path, "- name: a\n  type: csv\n  extra: {path: [unclosed\n")
    with pytest.raises(ConfigurationError, match=r"catalog.yaml.*'data_root' is undefined"):
        make_catalog(tmp_path, "[{name: a, type: csv, extra: {path: '{{ data_root }}/a.csv'}}]")


def test_a_missing_catalog_path_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        Catalog.from_path(tmp_path / "nowhere", variables={}, root=tmp_path)


def test_an_empty_catalog_file_declares_nothing(tmp_path: Path):
    assert len(make_catalog(tmp_path, "")) == 0


def test_a_large_catalog_builds(tmp_path: Path):
    lines = [
        f"- {{name: a{i}, type: parquet, extra: {{path: 'data/a{i}_!{{run}}.parquet'}}, "
        f"+tags: [t{i % 7}]}}"
        for i in range(10_000)
    ]
    catalog = make_catalog(tmp_path, "\n".join(lines))  # its speed is in benchmarks/
    assert len(catalog) == 10_000
    assert catalog.locate("a9999", run=1) == str(tmp_path / "data/a9999_1.parquet")
    assert catalog.artifacts["a12"].tags == ("t5",)


def test_the_session_builds_the_catalog(session_factory):
    session = session_factory(
        {
            "conf/globals.yaml": "data_root: data\n",
            "catalog/main.yaml": """
                - name: notes
                  type: text
                  extra: {path: "{{ data_root }}/notes_!{day}.txt"}
            """,
        }
    )
    session.catalog.save("notes", "hello", day="monday")
    assert (session.root / "data/notes_monday.txt").read_text() == "hello"
    with session:
        rebuilt = Catalog.from_path(
            session.config.catalog, variables={"data_root": "data"}, root=session.root
        )
        assert rebuilt.load("notes", day="monday") == "hello"


def test_the_parse_cache_follows_changes_to_files_and_variables(tmp_path: Path):
    file = tmp_path / "catalog.yaml"
    file.write_text("[{name: a, type: text, extra: {path: '{{ folder }}/a.txt'}}]")

    def build(folder: str) -> Catalog:
        return Catalog.from_path(file, variables={"folder": folder}, root=tmp_path)

    assert build("one").locate("a") == str(tmp_path / "one/a.txt")
    assert list((tmp_path / ".statisfactory/cache/catalog").iterdir())  # remembered
    assert build("one").locate("a") == str(tmp_path / "one/a.txt")
    assert build("two").locate("a") == str(tmp_path / "two/a.txt")  # variables changed
    file.write_text("[{name: b, type: text, extra: {path: b.txt}}]")
    assert list(build("two").artifacts) == ["b"]  # file changed
    for cached in (tmp_path / ".statisfactory/cache/catalog").iterdir():
        cached.write_bytes(b"garbage")
    assert list(build("two").artifacts) == ["b"]  # a broken cache is ignored


def test_the_parse_cache_keeps_no_secret_in_clear(tmp_path: Path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog/files.yaml").write_text("[{name: a, type: text, extra: {path: a.txt}}]")
    (tmp_path / "catalog/db.yaml").write_text(
        "[{name: t, type: sql, extra: {url: 'sqlite://', password: '{{ db_password }}'}}]"
    )
    (tmp_path / "catalog/open_db.yaml").write_text(
        "[{name: o, type: sql, extra: {url: 'sqlite://', password: null, table: o}}]"
    )
    variables = {"db_password": "hunter2-secret"}
    Catalog.from_path(tmp_path / "catalog", variables=variables, root=tmp_path)
    cached = list((tmp_path / ".statisfactory/cache/catalog").iterdir())
    assert len(cached) == 2  # not db.yaml, which holds a password
    assert all(b"hunter2-secret" not in file.read_bytes() for file in cached)
    assert all(file.stat().st_mode & 0o077 == 0 for file in cached)  # readable by the owner only


def test_the_parse_cache_can_be_turned_off(tmp_path: Path):
    file = tmp_path / "catalog.yaml"
    file.write_text("[{name: a, type: text, extra: {path: a.txt}}]")
    Catalog.from_path(file, variables={}, root=tmp_path, cache=False)
    assert not (tmp_path / ".statisfactory").exists()


def test_problems_are_reported_again_from_a_cached_file(tmp_path: Path):
    file = tmp_path / "catalog.yaml"
    file.write_text("[{name: a, type: hdf9, extra: {path: a}}, {name: b, type: csv, extra: {}}]")
    for _ in range(2):  # the second build reads the cache: the entry is still checked
        with (
            pytest.warns(UserWarning, match="unknown type 'hdf9'; known types: .*csv"),
            pytest.raises(CatalogError, match="'b': 'extra.path' is missing"),
        ):
            Catalog.from_path(file, variables={}, root=tmp_path)


def test_an_entry_of_unknown_type_is_kept_and_using_it_is_the_error(tmp_path: Path):
    file = tmp_path / "catalog.yaml"
    file.write_text("[{name: a, type: parquett, extra: {path: a}}]")
    with pytest.warns(UserWarning, match=r"'a': unknown type 'parquett' \(did you mean 'parquet'"):
        catalog = Catalog.from_path(file, variables={}, root=tmp_path)
    assert "a" in catalog
    with pytest.raises(CatalogError, match=r"artifact 'a' .*unknown type 'parquett'"):
        catalog.save("a", [1])
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("scheme", ["", "memory://statisfactory-tests/"])
def test_context_keys_named_like_internal_parameters_are_harmless(tmp_path: Path, scheme: str):
    catalog = make_catalog(
        tmp_path, f"[{{name: note, type: text, extra: {{path: '{scheme}notes/!{{self}}.txt'}}}}]"
    )
    context = {"self": "me", "fragment": 1, "payload": 2, "asset": 3, "handle": 4}
    catalog.save("note", "hello", **context)
    assert catalog.exists("note", **context)
    assert catalog.load("note", **context) == "hello"
    assert catalog.locate("note", **context).endswith("notes/me.txt")


def test_secrets_in_paths_stay_out_of_listings_locations_and_errors(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: remote
          type: csv
          extra: {path: "memory://ana:pa55-word@statisfactory-tests/r.csv"}
        - name: signed
          type: csv
          extra: {path: "memory://statisfactory-tests/s.csv?token=tok-3141&part=1"}
        """,
    )
    assert "pa55-word" not in str(catalog) and "tok-3141" not in str(catalog)
    assert "tok-3141" not in str(catalog.artifacts["signed"].describe())
    assert catalog.locate("remote") == "memory://ana:***@statisfactory-tests/r.csv"
    with pytest.raises(CatalogError) as caught:
        catalog.load("remote")
    assert "'remote'" in str(caught.value) and "pa55-word" not in str(caught.value)


def test_errors_never_show_the_secrets_of_the_settings(session_factory):
    session = session_factory(
        {
            "conf/locals.yaml": "api_token: tok-8aF3-secret\n",
            "lib/project_session.py": """
                from statisfactory.errors import CatalogError
                from statisfactory.IO import ArtifactInteractor

                class Leaky(ArtifactInteractor, interactor_name="test_leaky"):
                    def load(self):
                        token = self.session.settings.get("api_token")
                        raise CatalogError(f"the service refused {token}")

                    def save(self, asset):
                        raise RuntimeError(f"the service refused {asset}")
            """,
            "catalog/main.yaml": "[{name: feed, type: test_leaky}]",
        },
        tool='\n[tool.statisfactory.session_factory]\nmodule = "project_session"\n',
    )
    with pytest.raises(CatalogError) as caught:
        session.catalog.load("feed")
    assert str(caught.value).startswith("artifact 'feed'")  # named, though the type did not
    assert "tok-8aF3-secret" not in str(caught.value)
    with pytest.raises(CatalogError) as caught:
        session.catalog.save("feed", "tok-8aF3-secret")
    assert "'feed'" in str(caught.value) and "tok-8aF3-secret" not in str(caught.value)


def test_the_parse_cache_keeps_no_rendered_secret(tmp_path: Path):
    file = tmp_path / "catalog.yaml"
    file.write_text(
        "[{name: a, type: csv, extra: {path: 'memory://ana:{{ store_password }}@bucket/a.csv'}},"
        " {name: b, type: csv, extra: {path: 'data/{{ api_key }}.csv'}}]"
    )
    variables = {"store_password": "pw-0xCAFE", "api_key": "k-0xBEEF"}
    catalog = Catalog.from_path(file, variables=variables, root=tmp_path)
    assert catalog.locate("b") == str(tmp_path / "data/k-0xBEEF.csv")
    cache = tmp_path / ".statisfactory/cache/catalog"
    assert not cache.exists() or not list(cache.iterdir())


class _Refusing(ArtifactInteractor, interactor_name="test_refusing"):
    def load(self):
        raise CatalogError("the table is locked", key="lock")


def test_errors_carry_the_artifact_and_its_location_as_attributes(tmp_path: Path):
    catalog = make_catalog(
        tmp_path,
        """
        - name: scores
          type: csv
          extra: {path: data/scores.csv}
        - name: table
          type: test_refusing
        """,
    )
    with pytest.raises(CatalogError) as caught:
        catalog.load("scores")  # nothing stored there
    error = caught.value
    assert (error.artifact, Path(error.file).name) == ("scores", "catalog.yaml")
    assert error.location.endswith("data/scores.csv")

    with pytest.raises(CatalogError) as caught:
        catalog.load("table")
    error = caught.value
    assert error.args == ("the table is locked",)  # the raiser's message, not rewritten
    assert (error.artifact, error.key) == ("table", "lock")
    assert str(error) == "artifact 'table' (type 'test_refusing', declared in " + (
        f"{tmp_path / 'catalog.yaml'}): the table is locked"
    )
