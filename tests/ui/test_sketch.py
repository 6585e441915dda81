"""A large DAG's first view (``static/sketch.js``) in headless Chromium: an SVG of every node,
clickable at once, replaced by the Cytoscape view without changing what is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import shoot
from ui_project import open_page, ui_server

from project_files import write_project

LINES, PER_LINE = 4, 40  # 160 crafts, 320 nodes: above the page's threshold for the SVG view
HOSTILE = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"


def large_project(root: Path) -> Path:
    """``LINES`` chains of crafts, ``step_L_I`` reading ``a_L_(I-1)``; the last one also writes
    an artifact whose name is markup."""
    code = ["from statisfactory import Artifact, Craft\n"]
    entries, operators = [], []
    for line in range(LINES):
        for i in range(PER_LINE):
            reads = f"a_{line}_{i - 1}: Artifact" if i else ""
            tags = "tags=['late']" if i == PER_LINE - 1 else ""
            code.append(
                f'\n\n@Craft({tags})\ndef step_{line}_{i}({reads}) -> Artifact("a_{line}_{i}"):\n'
                f"    return {i}\n"
            )
            entries.append(
                f"- {{name: a_{line}_{i}, type: json, extra: {{path: d/{line}_{i}.json}}}}\n"
            )
            operators.append(f"    - big.step_{line}_{i}\n")
    code.append(f"\n\n@Craft()\ndef hostile() -> Artifact({HOSTILE!r}):\n    return 1\n")
    entries.append(f"- {{name: {HOSTILE!r}, type: json, extra: {{path: d/hostile.json}}}}\n")
    operators.append("    - big.hostile\n")
    files = {
        "lib/big.py": "".join(code),
        "catalog/catalog.yaml": "".join(entries),
        "pipelines/definitions/p.yaml": "big:\n" + "".join(operators),
    }
    return write_project(root, files)


NODES = 2 * (LINES * PER_LINE + 1)


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory):
    with ui_server(large_project(tmp_path_factory.mktemp("ui") / "big")) as running:
        yield running


@pytest.fixture
def big_page(browser, big_server):
    # The browser stays busy: the Cytoscape view waits (for an idle moment) until a test
    # releases it with ``window.heldIdle()``.
    yield from open_page(
        browser, "window.requestIdleCallback = (work) => { window.heldIdle = work; };"
    )


def sketch_box(page, label: str) -> tuple[float, float]:
    """The middle, on screen, of the SVG box of the node labelled ``label``."""
    return page.evaluate(
        """(label) => {
            const texts = [...document.querySelectorAll(".sketch-labels text")];
            const index = texts.findIndex((t) => t.textContent === label);
            const box = document.querySelectorAll(".sketch-nodes rect")[index].getBoundingClientRect();
            return [box.left + box.width / 2, box.top + box.height / 2];
        }""",
        label,
    )


def test_the_first_view_shows_every_node_and_escapes_labels(big_page, big_server) -> None:
    big_page.goto(f"{big_server.url}pipelines/big")
    big_page.wait_for_selector("#dag[data-drawn=true]")

    boxes = big_page.locator(".sketch-nodes rect").count()
    outside = big_page.evaluate(
        """() => {
            const frame = document.getElementById("dag").getBoundingClientRect();
            return [...document.querySelectorAll(".sketch-nodes rect")].filter((rect) => {
                const box = rect.getBoundingClientRect();
                return box.left < frame.left || box.right > frame.right
                    || box.top < frame.top || box.bottom > frame.bottom;
            }).length;
        }"""
    )
    labels = big_page.locator(".sketch-labels text").all_text_contents()
    shoot(big_page, "sketch")

    assert boxes == NODES and outside == 0
    assert HOSTILE in labels  # shown as text
    assert big_page.evaluate("window.pwned") is None
    assert big_page.locator("#dag img, #dag script").count() == 0


def test_a_click_in_the_first_view_opens_the_panel(big_page, big_server) -> None:
    big_page.goto(f"{big_server.url}pipelines/big")
    big_page.wait_for_selector("#dag[data-drawn=true]")
    x, y = sketch_box(big_page, "step_2_7")
    still_sketch = big_page.evaluate("!!document.querySelector('.sketch')")
    big_page.mouse.click(x, y)

    big_page.wait_for_selector("#details[data-shown=step_2_7]")
    details = big_page.inner_text("#details")

    assert still_sketch
    assert "craft big.step_2_7" in details and "def step_2_7" in details


def test_the_swap_keeps_the_nodes_and_the_viewport(big_page, big_server) -> None:
    big_page.goto(f"{big_server.url}pipelines/big")
    big_page.wait_for_selector("#dag[data-drawn=true]")
    before = big_page.evaluate(
        """() => { const box = document.querySelector(".sketch").viewBox.baseVal;
                   return [box.x, box.y, box.width, box.height]; }"""
    )
    big_page.evaluate("window.heldIdle()")
    big_page.wait_for_selector("#dag[data-swapped=true]")

    nodes = big_page.evaluate("window.uiGraph.nodes().length")
    extent = big_page.evaluate(
        "(() => { const e = window.uiGraph.extent(); return [e.x1, e.y1, e.w, e.h]; })()"
    )
    shoot(big_page, "sketch-swapped")

    assert nodes == int(big_page.get_attribute("#dag", "data-sketch-nodes")) == NODES
    assert big_page.locator(".sketch").count() == 0
    assert extent == pytest.approx(before, abs=0.5)  # the same model area is shown


def test_a_tag_filter_builds_the_full_view_at_once(big_page, big_server) -> None:
    big_page.goto(f"{big_server.url}pipelines/big")
    big_page.wait_for_selector("#dag[data-drawn=true]")
    big_page.select_option("#tag", "late")
    big_page.wait_for_selector("#dag[data-swapped=true]")

    kept = big_page.evaluate("window.uiGraph.nodes().not('.dim').map((n) => n.data('label'))")

    assert sorted(kept) == sorted(
        [f"step_{line}_{PER_LINE - 1}" for line in range(LINES)]
        + [f"a_{line}_{PER_LINE - i}" for line in range(LINES) for i in (1, 2)]
    )


def test_the_first_view_zooms_pans_and_a_drag_is_no_click(big_page, big_server) -> None:
    big_page.goto(f"{big_server.url}pipelines/big")
    big_page.wait_for_selector("#dag[data-drawn=true]")
    view = "(() => { const b = document.querySelector('.sketch').viewBox.baseVal; return [b.x, b.y, b.width]; })()"
    unreadable = "document.querySelector('.sketch').classList.contains('unreadable')"
    box = big_page.locator("#dag").bounding_box()
    x, y = sketch_box(big_page, "step_1_3")
    fitted, hidden = big_page.evaluate(view), big_page.evaluate(unreadable)

    big_page.mouse.move(x, y)
    for _ in range(6):
        big_page.mouse.wheel(0, -400)
    zoomed, shown = big_page.evaluate(view), big_page.evaluate(unreadable)
    big_page.mouse.move(box["x"] + 300, box["y"] + 300)
    big_page.mouse.down()
    big_page.mouse.move(box["x"] + 200, box["y"] + 250, steps=4)
    big_page.mouse.up()
    dragged = big_page.evaluate(view)

    assert hidden and not shown  # labels once readable
    assert zoomed[2] < fitted[2] / 10  # a narrower model area: zoomed in
    assert dragged[0] > zoomed[0] and dragged[2] == pytest.approx(zoomed[2])
    assert big_page.get_attribute("#details", "data-shown") is None  # a drag opens no panel
    assert big_page.locator(".sketch").count() == 1


def test_the_full_view_waits_while_the_user_moves_about(big_page, big_server) -> None:
    big_page.goto(f"{big_server.url}pipelines/big")
    big_page.wait_for_selector("#dag[data-drawn=true]")

    # A pointer move, then the idle moment comes (in the same task: no time between them).
    big_page.evaluate(
        """() => {
            const sketch = document.querySelector(".sketch");
            sketch.dispatchEvent(new PointerEvent("pointermove", { clientX: 500, clientY: 400 }));
            const idle = window.heldIdle;
            window.heldIdle = null;
            idle();
        }"""
    )
    big_page.wait_for_function("() => !!window.heldIdle")  # asked again, later
    waited = big_page.get_attribute("#dag", "data-ready")
    big_page.evaluate("window.heldIdle()")
    big_page.wait_for_selector("#dag[data-swapped=true]")

    assert waited is None
    assert big_page.evaluate("window.uiGraph.nodes().length") == NODES
