"""The original's `Artifact` and `Volatile`, as its users wrote them: one class for the
annotation and the catalog entry, and `.of()` giving lists."""

from __future__ import annotations

from statisfactory import Artifact, Craft, Session, Volatile


def test_of_returns_lists_that_extend_with_plus() -> None:
    outputs = Volatile.of("a", "b") + [Volatile("c")]  # noqa: RUF005 - as users wrote it
    assert outputs == [Volatile("a"), Volatile("b"), Volatile("c")]
    assert Artifact.of("x") + [Artifact("y")] == [Artifact("x"), Artifact("y")]  # noqa: RUF005


def test_a_craft_returning_a_list_built_with_of_saves_and_keeps_each(project_factory) -> None:
    root = project_factory(
        {"catalog/catalog.yaml": "- name: total\n  type: json\n  extra: {path: total.json}\n"}
    )

    @Craft()
    def split() -> Volatile.of("left", "right") + [Artifact("total")]:  # noqa: RUF005
        return 1, 2, 3

    with Session(root_folder=root):
        assert split() == (1, 2, 3)
    assert (root / "total.json").read_text() == "3"


def test_artifact_takes_the_catalog_fields_and_equals_the_declared_entry(project_factory) -> None:
    root = project_factory(
        {
            "catalog/catalog.yaml": """\
            - name: masterFile
              type: csv
              extra:
                path: data/master.csv
              load_options: {index_col: 0}
              +tags: [raw]
            """
        }
    )
    expected = Artifact(
        name="masterFile",
        type="csv",
        extra={"path": "data/master.csv"},
        save_options={},
        load_options={"index_col": 0},
    )
    session = Session(root_folder=root)
    assert session.catalog.artifacts["masterFile"] == expected
    assert session.catalog.artifacts["masterFile"] != Artifact(
        name="masterFile", type="csv", extra={"path": "elsewhere.csv"}
    )
    assert isinstance(session.catalog.artifacts["masterFile"], Artifact)
    assert session.catalog.artifacts["masterFile"].tags == ("raw",)


def test_one_artifact_class_annotates_crafts_and_fills_a_catalog(tmp_path) -> None:
    from statisfactory import Catalog

    catalog = Catalog(
        {"numbers": Artifact(name="numbers", type="json", extra={"path": "numbers.json"})},
        root=tmp_path,
    )

    @Craft()
    def count(numbers: Artifact) -> Artifact("numbers"):
        return numbers

    assert count.requires == ("numbers",)
    catalog.save("numbers", [1, 2])
    assert catalog.load("numbers") == [1, 2]
    assert {Artifact("a"), Artifact("a")} == {Artifact("a")}
    assert Artifact("a") != Volatile("a")
