"""MLflow models as artifacts: a flavour's save_model/load_model through the catalog, locally and
on S3 (the moto server), fingerprinted as folders for incremental runs."""

from __future__ import annotations

import numpy as np
import pytest

from _servers import unique_name
from statisfactory.errors import CatalogError, MissingArtifactError

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

CATALOG = """
    - name: model
      type: mlflow.sklearn
      extra: {path: "models/linear_!{alpha}"}
    - name: wrapped
      type: mlflow.pyfunc
      extra: {path: models/wrapped}
    - name: absent
      type: mlflow.sklearn
      extra: {path: models/nowhere}
"""

PIPELINE = {
    "lib/train.py": """
        import numpy as np
        from sklearn.linear_model import Ridge

        from statisfactory import Artifact, Craft, Volatile


        @Craft()
        def fit(alpha: float) -> Artifact("model"):
            x = np.arange(12, dtype=float).reshape(6, 2)
            return Ridge(alpha=alpha).fit(x, x @ [1.0, 2.0])


        @Craft()
        def predict(model: Artifact) -> Volatile("prediction"):
            return float(model.predict(np.array([[1.0, 1.0]]))[0])
    """,
    "pipelines/definitions/p.yaml": "train:\n  +operators: [train.fit, train.predict]\n",
}


POINT = np.array([[1.0, 1.0]])


def fitted(alpha: float = 0.0):
    from sklearn.linear_model import Ridge

    x = np.arange(12, dtype=float).reshape(6, 2)
    return Ridge(alpha=alpha).fit(x, x @ [1.0, 2.0])


def doubler():
    import mlflow.pyfunc

    class Doubler(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [2 * value for value in model_input]

    return Doubler()


def test_a_sklearn_model_round_trips_and_a_new_save_replaces_it(session_factory) -> None:
    session = session_factory({"catalog/catalog.yaml": CATALOG})
    session.catalog.save("model", fitted(), alpha=0)
    folder = session.root / "models/linear_0"
    assert (folder / "MLmodel").exists()
    assert session.catalog.exists("model", alpha=0)
    loaded = session.catalog.load("model", alpha=0)
    assert loaded.predict(POINT) == pytest.approx(fitted().predict(POINT))

    before = session.catalog.interactor("model", {"alpha": 0}).fingerprint()
    session.catalog.save("model", fitted(5.0), alpha=0)  # into the same folder
    assert session.catalog.interactor("model", {"alpha": 0}).fingerprint() != before
    assert sorted(p.name for p in (session.root / "models").iterdir()) == ["linear_0"]


def test_a_pyfunc_model_round_trips(session_factory) -> None:
    session = session_factory({"catalog/catalog.yaml": CATALOG})
    session.catalog.save("wrapped", doubler())
    assert session.catalog.load("wrapped").predict([1, 2]) == [2, 4]


def test_mistakes_name_the_artifact_and_keep_the_saved_model(session_factory) -> None:
    session = session_factory({"catalog/catalog.yaml": CATALOG})
    with pytest.raises(MissingArtifactError, match=r"'absent'.*no MLflow model is stored at"):
        session.catalog.load("absent")
    assert not session.catalog.exists("absent")
    session.catalog.save("model", fitted(), alpha=1)
    with pytest.raises(CatalogError, match=r"'model'.*mlflow\.sklearn\.save_model could not save"):
        session.catalog.save("model", object(), alpha=1)
    assert session.catalog.load("model", alpha=1).predict(np.array([[1.0, 1.0]])).shape == (1,)
    assert sorted(p.name for p in (session.root / "models").iterdir()) == ["linear_1"]


def test_a_pipeline_skips_a_model_that_did_not_change(session_factory) -> None:
    session = session_factory({"catalog/catalog.yaml": CATALOG, **PIPELINE})
    pipeline = session.pipelines_definitions["train"]
    with session:
        first = pipeline.run({"alpha": 0.5}, incremental=True)
        again = pipeline.run({"alpha": 0.5}, incremental=True)
    assert set(first.statuses.values()) == {"done"}, first.statuses
    assert again.statuses["train.fit"] == "skipped", again.statuses
    assert first.written["model"] == str(session.root / "models/linear_0.5")


@pytest.mark.service
def test_a_model_round_trips_on_s3(session_factory, s3_locals, moto_server) -> None:
    bucket = unique_name("models")
    catalog = f"""
        - name: model
          type: mlflow.sklearn
          extra: {{path: "s3://{bucket}/models/linear"}}
    """
    session = session_factory({"catalog/catalog.yaml": catalog, "conf/locals.yaml": s3_locals()})
    assert not session.catalog.exists("model")
    session.catalog.save("model", fitted())
    keys = [o["Key"] for o in moto_server.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert "models/linear/MLmodel" in keys and "models/linear/requirements.txt" in keys
    loaded = session.catalog.load("model")
    assert loaded.predict(POINT) == pytest.approx(fitted().predict(POINT))
    fingerprint = session.catalog.interactor("model", {}).fingerprint()
    assert "MLmodel" in fingerprint

    # A new save replaces the folder: files of the old model that the new one has not are gone.
    moto_server.client().put_object(Bucket=bucket, Key="models/linear/stale.txt", Body=b"x")
    session.catalog.save("model", fitted(2.0))
    keys = [o["Key"] for o in moto_server.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert "models/linear/stale.txt" not in keys
    assert session.catalog.interactor("model", {}).fingerprint() != fingerprint
