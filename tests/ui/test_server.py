"""``statisfactory ui`` as a real server process, read with an HTTP client."""

from __future__ import annotations

import json
import socket
import urllib.parse
from pathlib import Path

from ui_project import (
    CRAFTS,
    DATA,
    PNG,
    SECRET_PARAM,
    SECRET_PASSWORD,
    make_project,
    ui_server,
)

from project_files import statisfactory


def test_the_url_is_printed_and_every_page_answers(server) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.token is None
    with server.client() as client:
        for path in ("/pipelines", "/pipelines/train", "/runs", "/experiments"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "text/html" in response.headers["content-type"]
            assert "default-src 'self'" in response.headers["content-security-policy"]
        assert client.get("/").headers["location"] == "/pipelines"


def test_the_graph_has_every_craft_and_artifact_with_positions(server) -> None:
    with server.client() as client:
        graph = client.get("/api/pipelines/train/graph").json()

    labels = {node["label"]: node for node in graph["nodes"]}
    assert set(labels) == {*CRAFTS, *DATA}
    assert labels["model"]["kind"] == "volatile" and labels["table"]["kind"] == "artifact"
    assert labels["make_table"]["group"] == "ingest" and labels["fit"]["group"] is None
    assert graph["tags"] == ["ingest", "model", "plots"]
    assert graph["groups"] == ["ingest"]
    ids = {node["id"]: node["label"] for node in graph["nodes"]}
    assert {(ids[e["source"]], ids[e["target"]]) for e in graph["edges"]} >= {
        ("make_table", "table"),
        ("table", "fit"),
        ("fit", "model"),
    }


def test_a_craft_shows_its_code_parameters_and_last_runs(server) -> None:
    with server.client() as client:
        craft = client.get(
            "/api/pipelines/train/crafts/lab.crafts.fit", params={"configuration": "large"}
        ).json()

    assert "def fit(table: Artifact, alpha: float = 1.0)" in craft["code"]
    assert craft["file"] == "lib/lab/crafts.py"
    assert craft["tags"] == ["model"]
    assert craft["parameters"] == {"alpha": 2.0}
    assert craft["defaults"] == {"alpha": 1.0}
    assert [run["status"] for run in craft["runs"]] == ["ran", "ran"]


def test_an_artifact_shows_its_entry_location_versions_and_first_rows(server, project) -> None:
    with server.client() as client:
        table = client.get("/api/artifacts/table", params={"configuration": "large"}).json()
        chart = client.get("/api/artifacts/chart", params={"configuration": "small"}).json()
        image = client.get("/api/artifacts/chart/image", params={"configuration": "small"})
        unlocated = client.get("/api/artifacts/table").json()

    assert table["location"] == str(project / "data/table_6.csv")
    assert table["preview"]["columns"] == ["x", "y"]
    assert table["preview"]["rows"][:3] == [[0, 0], [1, 1], [2, 4]]
    assert table["preview"]["partial"]  # a csv: its first rows alone were read
    assert len(table["versions"]) == 2 and {v["craft"] for v in table["versions"]} == {
        "lab.crafts.make_table"
    }
    assert chart["preview"] == {"kind": "image"}
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert "n" in unlocated["problem"] and unlocated["location"] is None


def test_a_versioned_artifact_lists_the_catalog_s_versions(server) -> None:
    with server.client() as client:
        summary = client.get("/api/artifacts/summary").json()
        first = summary["versions"][-1]
        lineage = client.get(
            "/lineage/summary",
            params={"location": first["location"], "fingerprint": first["fingerprint"]},
        )

    versions = summary["versions"]
    assert len(versions) == 2
    assert [version["current"] for version in versions] == [True, False]  # newest first
    assert all(version["version"] and version["run_id"] for version in versions)
    assert all(version["craft"] == "lab.crafts.report" for version in versions)
    assert first["location"].endswith("data/summary.json")
    assert "written by craft lab.crafts.report" in lineage.text
    assert first["run_id"] in lineage.text


def test_runs_list_filters_and_a_run_page(server) -> None:
    with server.client() as client:
        listing = client.get("/api/runs", params={"configuration": "large"}).json()
        (run,) = listing["runs"]
        details = client.get(f"/api/runs/{run['run_id'][:8]}").json()
        page = client.get(f"/runs/{run['run_id']}").text
        missing = client.get("/api/runs/nope")

    assert listing["total"] == 1 and run["status"] == "succeeded"
    assert run["counts"] == {"ran": 4}
    assert details["run"]["params"] == {"n": 6, "alpha": 2.0}
    assert {craft: state["status"] for craft, state in details["crafts"].items()} == {
        f"lab.crafts.{name}": "ran" for name in CRAFTS
    }
    assert {write["name"] for write in details["writes"]} == {"table", "chart", "summary"}
    assert run["run_id"][:12] in page
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_secrets_never_reach_a_page_or_a_response(server) -> None:
    with server.client() as client:
        small = client.get("/api/runs", params={"configuration": "small"}).json()["runs"][0]
        bodies = [
            client.get(path).text
            for path in (
                "/api/artifacts/warehouse",
                f"/api/runs/{small['run_id']}",
                f"/runs/{small['run_id']}",
                "/api/runs",
                "/api/pipelines/train/crafts/lab.crafts.fit?configuration=small",
                f"/experiments?runs={small['run_id']}",
                "/api/pipelines/train/crafts/lab.crafts.report",
            )
        ]

    for body in bodies:
        assert SECRET_PARAM not in body and SECRET_PASSWORD not in body
    assert 'account: str = "***"' in json.loads(bodies[6])["code"]  # a set's secret value
    assert json.loads(bodies[1])["run"]["params"]["api_token"] == "***"


def test_lineage_of_a_version_goes_upstream_and_downstream(server) -> None:
    with server.client() as client:
        run = client.get("/api/runs", params={"configuration": "large"}).json()["runs"][0]
        writes = client.get(f"/api/runs/{run['run_id']}").json()["writes"]
        table = next(write for write in writes if write["name"] == "table")
        summary = next(write for write in writes if write["name"] == "summary")
        query = {"location": summary["location"], "fingerprint": summary["fingerprint"]}
        up = client.get("/lineage/summary", params=query).text
        down = client.get(
            "/lineage/table",
            params={"location": table["location"], "fingerprint": table["fingerprint"]},
        ).text

    assert "written by craft lab.crafts.report" in up
    assert "volatile model" in up and "artifact table" in up
    link = "/lineage/table?" + urllib.parse.urlencode(
        {"location": table["location"], "fingerprint": table["fingerprint"]}
    )
    assert link.replace("&", "&amp;") in up  # navigable upstream
    assert "craft lab.crafts.fit in" in down and "craft lab.crafts.draw in" in down
    assert 'href="/lineage/chart?location=' in down  # navigable downstream: what draw wrote


def test_experiments_without_recorded_metrics_list_the_runs(server) -> None:
    with server.client() as client:
        runs = client.get("/api/runs").json()["runs"]
        chosen = " ".join(run["run_id"] for run in runs)
        table = client.get("/api/experiments", params={"runs": chosen}).json()

    assert table["columns"][0] == "run_id"
    assert sorted(row[0] for row in table["rows"]) == sorted(run["run_id"] for run in runs)
    assert table["problems"] == []


def test_unclear_choices_are_said_on_the_page(server) -> None:
    with server.client() as client:
        run = client.get("/api/runs").json()["runs"][0]
        table = client.get("/api/experiments", params={"runs": f"2 nope {run['run_id']}"}).json()
        listing = client.get("/api/runs", params={"since": "yesterday"}).json()

    assert [row[0] for row in table["rows"]] == [run["run_id"]]
    assert "'2' is ambiguous" in table["problems"][0]
    assert "no recorded run 'nope'" in table["problems"][1]
    assert "since: 'yesterday' is not a date" in listing["problems"][0]
    assert listing["total"] == 2  # the other filters still apply


def test_unknown_names_are_clear_404s(server) -> None:
    with server.client() as client:
        pipeline = client.get("/pipelines/nope")
        artifact = client.get("/api/artifacts/tabel")
        craft = client.get("/api/pipelines/train/crafts/lab.crafts.nope")
        lineage = client.get("/lineage/tabel", params={"location": "/etc/passwd"})
        far = client.get("/api/runs", params={"page": "1" + "0" * 30})

    assert pipeline.status_code == 404 and "nope" in pipeline.text
    assert artifact.status_code == 404 and "table" in artifact.json()["error"]  # close name
    assert craft.status_code == 404 and "lab.crafts.nope" in craft.json()["error"]
    assert lineage.status_code == 404 and "table" in lineage.text
    assert far.status_code == 200 and far.json()["runs"] == [] and far.json()["total"] == 2


def test_the_ui_is_read_only_and_refuses_foreign_hosts(server) -> None:
    with server.client() as client:
        posted = client.post("/api/runs")
        rebound = client.get("/runs", headers={"host": "evil.example:80"})

    assert posted.status_code == 405
    assert rebound.status_code == 403


def test_any_other_host_needs_the_token(project: Path) -> None:
    with ui_server(project, "--host", "0.0.0.0") as server:
        assert any("Warning: listening on 0.0.0.0" in line for line in server.output)
        assert server.token and len(server.token) >= 16
        url = server.url.replace("0.0.0.0", "127.0.0.1")
        server.url = url
        import httpx

        with httpx.Client(base_url=url, timeout=30) as anonymous:
            assert anonymous.get("/api/runs").status_code == 401
            assert anonymous.get("/runs").status_code == 401
            wrong = anonymous.get("/api/runs", headers={"authorization": "Bearer nope"})
            assert wrong.status_code == 401
            visit = anonymous.get("/runs", params={"token": server.token})
            assert visit.status_code == 303 and visit.headers["location"] == "/runs"
            assert anonymous.get("/runs").status_code == 200  # the cookie now
        with server.client() as client:
            assert client.get("/api/runs").status_code == 200
        assert not any(server.token in line for line in server.output[:1])


def test_a_token_given_is_used_and_never_printed(project: Path) -> None:
    given = "a-long-enough-token-1234"
    with ui_server(project, "--token", given) as server:
        assert any("Token: the one given" in line for line in server.output)
        assert not any(given in line for line in server.output)
        server.token = given
        with server.client() as client:
            assert client.get("/api/runs").status_code == 200
        import httpx

        assert httpx.get(server.url + "api/runs", timeout=30).status_code == 401


def test_a_short_token_is_refused(project: Path) -> None:
    result = statisfactory("ui", "--port", "0", "--token", "short", cwd=project)

    assert result.returncode == 2
    assert "--token: use at least 16 characters" in result.stderr


def test_without_run_history_the_runs_page_says_so(tmp_path: Path) -> None:
    root = make_project(tmp_path / "lab")
    (root / "conf" / "globals.yaml").write_text("history: false\n")
    with ui_server(root) as server, server.client() as client:
        page = client.get("/runs").text
        assert client.get("/pipelines/train").status_code == 200

    assert 'id="history-off"' in page and "0 runs" in page


def test_outside_a_project_is_one_clear_error(tmp_path: Path) -> None:
    result = statisfactory("ui", "--port", "0", cwd=tmp_path)

    assert result.returncode == 2
    assert "statisfactory new" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_host_is_one_clear_error(project: Path) -> None:
    result = statisfactory("ui", "--port", "0", "--host", "no-such-host.invalid", cwd=project)

    assert result.returncode == 2
    assert "--host 'no-such-host.invalid' is not an address" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_busy_port_is_one_clear_error(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = statisfactory("ui", "--port", str(port), cwd=project)

    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_write_s_location_is_the_one_runs_show_gives(server, project) -> None:
    with server.client() as client:
        run = client.get("/api/runs", params={"configuration": "large"}).json()["runs"][0]
        table = client.get("/api/artifacts/table", params={"configuration": "large"}).json()
        writes = client.get(f"/api/runs/{run['run_id']}").json()["writes"]
        written = next(write for write in writes if write["name"] == "table")
        down = client.get(
            "/lineage/table",
            params={"location": written["location"], "fingerprint": written["fingerprint"]},
        ).text
    shown = statisfactory("runs", "show", run["run_id"], cwd=project)

    location = str(project / "data/table_6.csv")
    assert shown.returncode == 0, shown.stderr
    assert location in shown.stdout and written["location"] == location
    assert location in {version["location"] for version in table["versions"]}
    assert str(project / "data/chart_6.png") in down  # what a reader of it wrote, downstream


def test_the_ui_of_a_project_that_never_ran_creates_no_run_history(tmp_path: Path) -> None:
    root = make_project(tmp_path / "lab")
    with ui_server(root) as server, server.client() as client:
        runs = client.get("/api/runs").json()["runs"]
        craft = client.get("/api/pipelines/train/crafts/lab.crafts.fit").json()
        table = client.get("/api/artifacts/table", params={"configuration": "large"}).json()

    assert runs == [] and craft["runs"] == [] and table["versions"] == []
    assert not list(root.glob(".statisfactory/history.db*"))  # (a parse cache may be kept)
