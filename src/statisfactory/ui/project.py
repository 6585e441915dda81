"""What the pipeline page shows when a node is clicked: a craft's code, signature, parameters and
last runs; an artifact's entry, location, versions and a preview."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statisfactory.errors import StatisfactoryError
from statisfactory.pipeline.craft_params import per_craft
from statisfactory.pipeline.signature import NO_DEFAULT
from statisfactory.ui import versions

PREVIEW_ROWS = 20
IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                  ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}  # fmt: skip


def configuration_params(session: Any, configuration: str | None) -> dict[str, Any]:
    """The parameters of parameter set ``configuration`` (none given: no parameters)."""
    return dict(session.parameters[configuration]) if configuration else {}


def craft_details(
    session: Any, store: Any, pipeline_name: str, fqname: str, configuration: str | None
) -> dict[str, Any]:
    """Code, file, signature, tags, the parameters it gets from ``configuration``, last runs."""
    pipeline = session.pipelines_definitions[pipeline_name]
    crafts = [craft for batch in pipeline.batches for craft in batch]
    matching = [craft for craft in crafts if craft.fqname == fqname]
    if not matching:
        raise StatisfactoryError(
            f"pipeline {pipeline_name!r} has no craft {fqname!r}; pick one on its DAG",
            craft=fqname,
        )
    craft = matching[0]
    function = inspect.unwrap(craft.function)
    try:
        code = inspect.getsource(function)
        file, line = inspect.getsourcefile(function), inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        code, file, line = "(source not available)", None, None
    details: dict[str, Any] = {
        "fqname": craft.fqname,
        "name": craft.name,
        "code": code,
        "file": _shown(file, session.root),
        "line": line,
        "signature": f"{craft.name}{inspect.signature(function)}",
        "tags": list(craft.tags),
        "reads": list(craft.requires),
        "gives": list(craft.produces),
        "defaults": {
            name: default for name, default in craft.signature.keywords if default is not NO_DEFAULT
        },
        "configuration": configuration,
        "parameters": {},
        "problem": None,
    }
    try:
        params = per_craft(crafts, configuration_params(session, configuration), pipeline_name)
        _, arguments = craft.prepare(params[crafts.index(craft)])
        details["parameters"] = arguments
    except StatisfactoryError as error:
        details["problem"] = str(error)
    details["runs"] = [
        {
            "run_id": row["run_id"],
            "status": row["status"],
            "started": row["started"],
            "duration": row["duration"],
            "reason": row.get("reason"),
        }
        for row in store.executions_of(craft.fqname)
    ]
    return details


def artifact_details(session: Any, store: Any, name: str, configuration: str | None) -> dict:
    """The entry, its location for ``configuration``, its versions and a preview."""
    catalog = session.catalog
    entry = catalog[name].describe()  # an undeclared name is an error naming close names
    entry["source"] = _shown(entry.get("source"), session.root)
    context = configuration_params(session, configuration)
    details: dict[str, Any] = {
        "name": name,
        "entry": entry,
        "configuration": configuration,
        "location": None,
        "problem": None,
        "versions": versions.versions(session, store, name, context),
        "preview": None,
    }
    try:
        details["location"] = catalog.locate(name, **context)
    except StatisfactoryError as error:
        details["problem"] = f"{error} (choose a parameter set that gives it)"
        return details
    details["preview"] = preview(session, name, details["location"], context)
    return details


def preview(session: Any, name: str, location: str, context: Mapping[str, Any]) -> Any:
    """The first rows of a table artifact, or a link to an image artifact; None otherwise."""
    from statisfactory.IO.interactors.tabular import DataFrameInteractor

    catalog = session.catalog
    try:
        interactor = catalog.interactor(name, context)
        if isinstance(interactor, DataFrameInteractor):
            if not interactor.exists():
                return {"kind": "missing"}
            frame, partial = catalog.head(name, PREVIEW_ROWS, **context)
            return {
                "kind": "table",
                "columns": [str(column) for column in frame.columns],
                "rows": frame.astype(object).where(frame.notna(), None).values.tolist(),
                "partial": partial,  # False: this type is read whole to show its first rows
            }
    except Exception as error:  # a preview is a courtesy: the page says why there is none
        return {"kind": "error", "message": f"{type(error).__name__}: {error}"}
    if image_type(location) and Path(location).is_file():
        return {"kind": "image"}
    return None


def image_type(location: str) -> str | None:
    """The media type of an image stored at ``location`` (by its suffix), else None."""
    return IMAGE_SUFFIXES.get(Path(location).suffix.lower())


def _shown(path: Any, root: Path) -> str | None:
    """``path`` relative to the project root when inside it."""
    if not path:
        return None
    resolved = Path(path)
    try:
        return resolved.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)
