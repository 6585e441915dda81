"""The Starlette application: server-rendered pages and the JSON API they read.

Sync handlers run in Starlette's thread pool; one lock keeps them from building the session's
pieces (catalog, pipelines) in two threads at once. Every response body is masked first
(:func:`statisfactory.ui.masking.masked`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from statisfactory.errors import StatisfactoryError
from statisfactory.ui import experiments, graphs, lineage, project, runs
from statisfactory.ui.access import AccessGate
from statisfactory.ui.masking import masked, project_secrets

HERE = Path(__file__).parent
LIVE_POLL_SECONDS = 0.5  # how often a live run page's stream reads the store


class Ui:
    """The pages and API over one session and its history store."""

    def __init__(self, session: Any, store: Any) -> None:
        self.session = session
        self.store = store
        self.lock = threading.RLock()
        self.secrets = project_secrets(session)
        self.graphs: dict[str, dict[str, Any]] = {}  # laid out once per pipeline
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters["when"] = runs.when

    # --- helpers ------------------------------------------------------------------------------
    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        safe = masked(self.secrets, context)
        return self.templates.TemplateResponse(
            request, template, {"project": self.session.root.name, **safe}, status_code=status
        )

    def json(self, data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(masked(self.secrets, data), status_code=status)

    def locked(self, function: Callable[..., Any], *args: Any) -> Any:
        with self.lock:
            return function(*args)

    def graph(self, name: str) -> dict[str, Any]:
        if name not in self.graphs:
            self.graphs[name] = graphs.graph_data(self.session, name)
        return self.graphs[name]

    def configurations(self) -> list[str]:
        return list(self.session.parameters.names())

    # --- pages --------------------------------------------------------------------------------
    def home(self, request: Request) -> Response:
        return RedirectResponse("/pipelines", status_code=307)

    def pipelines_page(self, request: Request) -> Response:
        definitions = self.session.pipelines_definitions
        listed = []
        for name in definitions.names():
            entry: dict[str, Any] = {"name": name, "tags": list(definitions.tags(name))}
            try:
                entry["crafts"] = sum(len(batch) for batch in definitions[name].batches)
            except StatisfactoryError as error:
                entry["problem"] = str(error)
            listed.append(entry)
        return self.page(request, "pipelines.html", pipelines=listed)

    def pipeline_page(self, request: Request) -> Response:
        name = request.path_params["name"]
        graph = self.graph(name)
        return self.page(
            request,
            "pipeline.html",
            pipeline=name,
            graph=graph,
            configurations=self.configurations(),
        )

    def runs_page(self, request: Request) -> Response:
        listing = runs.runs_page(self.store, request.query_params)
        return self.page(
            request,
            "runs.html",
            listing=listing,
            history_off=not self.store.enabled,
            pipelines=self.session.pipelines_definitions.names(),
            configurations=self.configurations(),
        )

    def run_page(self, request: Request) -> Response:
        details = runs.run_details(self.store, request.path_params["run_id"])
        if details is None:
            return self.not_found(request, f"no recorded run {request.path_params['run_id']!r}")
        pipeline = details["run"]["pipeline"]
        graph = None
        if pipeline in self.session.pipelines_definitions:
            try:
                graph = self.graph(pipeline)
            except StatisfactoryError:
                graph = None  # the pipeline no longer builds: the crafts' table says it all
        return self.page(request, "run.html", details=details, graph=graph)

    def lineage_page(self, request: Request) -> Response:
        name = request.path_params["name"]
        query = request.query_params
        context = project.configuration_params(self.session, query.get("configuration"))
        data = lineage.lineage_data(
            self.session, self.store, name, query.get("location"), query.get("fingerprint"), context
        )
        return self.page(request, "lineage.html", lineage=data)

    def experiments_page(self, request: Request) -> Response:
        query = request.query_params
        chosen = [part for part in query.get("runs", "").replace(",", " ").split() if part]
        run_ids, problems = experiments.selected_runs(self.store, chosen, query.get("sweep", ""))
        table = experiments.comparison(self.store, run_ids) | {"problems": problems}
        return self.page(
            request, "experiments.html", table=table, sweep=query.get("sweep", ""), chosen=chosen
        )

    def not_found(self, request: Request, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return self.json({"error": message}, status=404)
        return self.page(request, "error.html", status=404, message=message)

    # --- API ----------------------------------------------------------------------------------
    def api_graph(self, request: Request) -> Response:
        return self.json(self.graph(request.path_params["name"]))

    def api_craft(self, request: Request) -> Response:
        details = project.craft_details(
            self.session,
            self.store,
            request.path_params["name"],
            request.path_params["fqname"],
            request.query_params.get("configuration") or None,
        )
        return self.json(details)

    def api_artifact(self, request: Request) -> Response:
        details = project.artifact_details(
            self.session,
            self.store,
            request.path_params["name"],
            request.query_params.get("configuration") or None,
        )
        return self.json(details)

    def api_artifact_image(self, request: Request) -> Response:
        name = request.path_params["name"]
        context = project.configuration_params(
            self.session, request.query_params.get("configuration") or None
        )
        location = self.session.catalog.locate(name, **context)
        media = project.image_type(location)
        if media is None or not Path(location).is_file():
            return self.not_found(request, f"artifact {name!r} has no image at {location}")
        return FileResponse(location, media_type=media)

    def api_runs(self, request: Request) -> Response:
        return self.json(runs.runs_page(self.store, request.query_params))

    def api_run(self, request: Request) -> Response:
        details = runs.run_details(self.store, request.path_params["run_id"])
        if details is None:
            return self.not_found(request, f"no recorded run {request.path_params['run_id']!r}")
        return self.json(details)

    def api_experiments(self, request: Request) -> Response:
        query = request.query_params
        chosen = [part for part in query.get("runs", "").replace(",", " ").split() if part]
        run_ids, problems = experiments.selected_runs(self.store, chosen, query.get("sweep", ""))
        return self.json(experiments.comparison(self.store, run_ids) | {"problems": problems})

    async def run_events(self, request: Request) -> Response:
        """Server-sent events: the run's state each time it changes, until the run ends."""
        run_id = request.path_params["run_id"]

        async def stream() -> AsyncIterator[str]:
            last = None
            while not await request.is_disconnected():
                state = await run_in_threadpool(self.locked, runs.live_state, self.store, run_id)
                if state is None:
                    yield "event: missing\ndata: {}\n\n"
                    return
                text = json.dumps(masked(self.secrets, state))
                if text != last:
                    last = text
                    yield f"data: {text}\n\n"
                if state["status"] != "running":
                    yield "event: end\ndata: {}\n\n"
                    return
                await asyncio.sleep(LIVE_POLL_SECONDS)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
        )


def create_app(session: Any, store: Any, *, token: str | None = None) -> Any:
    """The ASGI application (behind the access gate) for ``session`` and its history ``store``."""
    ui = Ui(session, store)

    def handler(method: Callable[[Request], Response]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(guarded, method, request)

        return endpoint

    def guarded(method: Callable[[Request], Response], request: Request) -> Response:
        # The session is active while a handler reads through it, as in a run: storage that
        # finds its connections through the active session (S3, lakeFS) works for previews.
        with ui.lock, session:
            try:
                return method(request)
            except KeyError as error:  # an unknown pipeline, artifact or parameter set
                message = error.args[0] if error.args else str(error)
                return ui.not_found(request, str(message))
            except StatisfactoryError as error:
                return ui.not_found(request, str(error))

    pages = [
        ("/", ui.home),
        ("/pipelines", ui.pipelines_page),
        ("/pipelines/{name}", ui.pipeline_page),
        ("/runs", ui.runs_page),
        ("/runs/{run_id}", ui.run_page),
        ("/lineage/{name}", ui.lineage_page),
        ("/experiments", ui.experiments_page),
        ("/api/pipelines/{name}/graph", ui.api_graph),
        ("/api/pipelines/{name}/crafts/{fqname}", ui.api_craft),
        ("/api/artifacts/{name}", ui.api_artifact),
        ("/api/artifacts/{name}/image", ui.api_artifact_image),
        ("/api/runs", ui.api_runs),
        ("/api/runs/{run_id}", ui.api_run),
        ("/api/experiments", ui.api_experiments),
    ]
    routes: list[Any] = [Route(path, handler(method)) for path, method in pages]
    routes.append(Route("/api/runs/{run_id}/events", ui.run_events))
    routes.append(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"))
    return AccessGate(Starlette(routes=routes), token)
