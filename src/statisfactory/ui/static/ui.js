// The pages' behaviour: the DAG (Cytoscape.js), craft and artifact details, live runs,
// the lineage graph and the sortable comparison. Data comes from <script type="application/json">
// blocks and the /api endpoints; text is inserted with textContent, never as HTML.
"use strict";

const LARGE_GRAPH = 600;  // nodes
const SKETCH_GRAPH = 300;  // nodes: above, a quick SVG view comes first (sketch.js)
const BUSY_USER = 800;  // ms since the last pointer or wheel event on the sketch: still busy
const STATUS_COLOURS = { ran: "#38a169", skipped: "#a0aec0", failed: "#e53e3e", running: "#d69e2e" };

function readData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

function el(tag, text, attributes) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

function graphStyle() {
  return [
    { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "center",
      "text-halign": "center", width: "data(width)", height: 34, "text-wrap": "wrap" } },
    { selector: "node.craft", style: { shape: "round-rectangle", "background-color": "#2b6cb0",
      color: "#fff", "border-color": "#2c5282", "border-width": 1 } },
    { selector: "node.artifact", style: { shape: "barrel", "background-color": "#fefcbf",
      "border-color": "#b7791f", "border-width": 1 } },
    { selector: "node.volatile", style: { shape: "round-rectangle", "background-color": "#fff",
      "border-color": "#4a5568", "border-width": 1, "border-style": "dashed" } },
    { selector: "node.group", style: { shape: "round-rectangle", "background-color": "#553c9a",
      color: "#fff" } },
    { selector: "node.pending", style: { "background-color": "#cbd5e0", color: "#1a202c" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#dd6b20" } },
    { selector: ".dim", style: { opacity: 0.15 } },
    { selector: "edge", style: { width: 1.4, "line-color": "#718096", "target-arrow-color": "#718096",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8 } },
  ];
}

function drawGraph(container, graph, viewport) {
  // ``viewport`` (zoom and pan): where a first view left it, kept so that the swap does not jump.
  performance.mark("dag-start");
  const elements = [];
  for (const node of graph.nodes) {
    elements.push({ group: "nodes", data: { ...node, id: node.id }, position: { x: node.x, y: node.y },
      classes: node.kind });
  }
  for (const edge of graph.edges) {
    elements.push({ group: "edges", data: { id: edge.source + ">" + edge.target, ...edge } });
  }
  // A large DAG: straight edges without arrowheads (columns already say the direction), labels
  // only once readable and a cached picture while panning, so that it draws and moves quickly.
  const large = graph.nodes.length > LARGE_GRAPH;
  const style = graphStyle();
  if (large) {
    style.push({ selector: "edge", style: { "curve-style": "haystack", "target-arrow-shape": "none" } });
    // Labels too small to read are not drawn (they appear when zooming in): twice as fast.
    style.push({ selector: "node", style: { "min-zoomed-font-size": 7 } });
  }
  const cy = cytoscape({ container, elements, style, layout: { name: "preset" },
    wheelSensitivity: 0.3, minZoom: 0.02, maxZoom: 4, pixelRatio: large ? 1 : "auto",
    hideEdgesOnViewport: large, textureOnViewport: large });
  if (viewport) {
    cy.viewport({ zoom: viewport.zoom, pan: viewport.pan });
  } else {
    cy.fit(undefined, 20);
    if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(); }  // a small graph keeps readable sizes
  }
  window.uiGraph = cy;
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.ready = "true";
  performance.measure("dag-drawn", "dag-start");  // read by the benchmark
  return cy;
}

function afterFirstPaint(work) {
  // The next idle moment after the frame that shows the page (soon, even if never idle).
  requestAnimationFrame(() => setTimeout(() => {
    if (window.requestIdleCallback) requestIdleCallback(work, { timeout: 200 });
    else work();
  }, 0));
}

// --- the pipeline page ------------------------------------------------------------------------
function pipelinePage() {
  const graph = readData("graph-data");
  const container = document.getElementById("dag");
  const details = document.getElementById("details");
  const configuration = document.getElementById("configuration");
  let selected = null;
  let cy = null;
  // A large DAG shows a quick SVG first; the Cytoscape view replaces it once built.
  let sketch = graph.nodes.length > SKETCH_GRAPH ? new Sketch(container, graph, show) : null;

  function full() {
    // The Cytoscape view: built now unless it already is (filters and collapsing need it).
    if (cy) return cy;
    cy = drawGraph(container, graph, sketch ? sketch.viewport : null);
    cy.on("tap", "node", (event) => { if (!event.target.hasClass("group")) show(event.target.data()); });
    if (selected) cy.getElementById(selected.id).select();
    if (sketch) {
      const shown = sketch;
      sketch = null;
      // The SVG stays on top until Cytoscape has drawn its first frame underneath.
      cy.one("render", () => requestAnimationFrame(() => shown.remove()));
    }
    return cy;
  }

  async function show(node) {
    selected = node;
    const chosen = encodeURIComponent(configuration.value);
    const url = node.kind === "craft"
      ? `/api/pipelines/${encodeURIComponent(graph.name)}/crafts/${encodeURIComponent(node.fqname)}?configuration=${chosen}`
      : `/api/artifacts/${encodeURIComponent(node.label)}?configuration=${chosen}`;
    if (node.kind === "volatile") {
      details.replaceChildren(el("h2", `volatile ${node.label}`),
        el("p", "Kept in memory during a run, between the crafts that give and read it."));
      details.dataset.shown = node.label;
      return;
    }
    const response = await fetch(url);
    const data = await response.json();
    if (!response.ok) { details.replaceChildren(el("p", data.error, { class: "problem" })); return; }
    details.replaceChildren(...(node.kind === "craft" ? craftPanel(data) : artifactPanel(data)));
    details.dataset.shown = node.label;
  }

  function buildWhenIdle() {
    // The build holds the page for a second or more: not while the user moves about the sketch.
    afterFirstPaint(() => {
      if (cy) return;
      if (performance.now() - sketch.lastActivity < BUSY_USER) setTimeout(buildWhenIdle, BUSY_USER);
      else full();
    });
  }
  if (sketch) buildWhenIdle();
  else full();
  configuration.addEventListener("change", () => { if (selected) show(selected); });
  document.getElementById("fit").addEventListener("click", () => (cy ? cy.fit(undefined, 20) : sketch.fit()));
  document.getElementById("tag").addEventListener("change", (event) => {
    const tag = event.target.value;
    const view = full();
    view.elements().removeClass("dim");
    if (!tag) return;
    const kept = view.nodes(".craft").filter((n) => n.data("tags").includes(tag));
    view.elements().not(kept.union(kept.neighborhood())).addClass("dim");
  });
  for (const box of document.querySelectorAll("input.collapse")) {
    box.addEventListener("change", () => (box.checked ? collapse(full(), box.value) : expand(full(), box.value)));
  }
}

function collapse(cy, group) {
  const crafts = cy.nodes(".craft").filter((n) => n.data("group") === group);
  const inner = cy.nodes().not(".craft").filter((n) => n.neighborhood("node").every((m) => crafts.contains(m)));
  const members = crafts.union(inner);
  const box = members.boundingBox();
  const id = "group:" + group;
  cy.add({ group: "nodes", data: { id, label: group, width: 30 + 8 * group.length, kind: "group" },
    position: { x: (box.x1 + box.x2) / 2, y: (box.y1 + box.y2) / 2 }, classes: "group" });
  const seen = new Set();
  members.connectedEdges().forEach((edge) => {
    const source = members.contains(edge.source()) ? id : edge.source().id();
    const target = members.contains(edge.target()) ? id : edge.target().id();
    const key = source + ">" + target;
    if (source === target || seen.has(key)) return;
    seen.add(key);
    cy.add({ group: "edges", data: { id: "g:" + key, source, target }, classes: "collapsed-edge" });
  });
  members.style("display", "none");
}

function expand(cy, group) {
  cy.remove(cy.getElementById("group:" + group));
  cy.edges(".collapsed-edge").filter((e) => e.source().removed() || e.target().removed()).remove();
  cy.nodes().filter((n) => n.data("group") === group || n.style("display") === "none").style("display", "element");
}

function table(rows, headers) {
  const result = el("table", null, { class: "listing" });
  if (headers) result.append(el("tr", null)), result.lastChild.append(...headers.map((h) => el("th", h)));
  for (const row of rows) {
    const line = el("tr");
    for (const cell of row) line.append(cell instanceof Node ? wrap(cell) : el("td", cell));
    result.append(line);
  }
  return result;
}

function wrap(node) { const cell = el("td"); cell.append(node); return cell; }

function link(text, href) { return el("a", text, { href }); }

function when(seconds) { return seconds ? new Date(seconds * 1000).toLocaleString() : ""; }

function craftPanel(data) {
  const parts = [el("h2", `craft ${data.fqname}`), el("p", data.signature, { class: "signature" })];
  if (data.file) parts.push(el("p", `${data.file}:${data.line}`, { class: "hint" }));
  parts.push(el("pre", data.code, { id: "craft-code" }));
  if (data.tags.length) parts.push(el("p", `tags: ${data.tags.join(", ")}`));
  parts.push(el("h3", data.configuration ? `parameters from ${data.configuration}` : "parameters (defaults)"));
  if (data.problem) parts.push(el("p", data.problem, { class: "problem" }));
  parts.push(table(Object.entries(data.parameters).map(([k, v]) => [k, JSON.stringify(v)])));
  parts.push(el("h3", "last runs"));
  parts.push(data.runs.length
    ? table(data.runs.map((r) => [link(r.run_id.slice(0, 12), `/runs/${r.run_id}`), r.status,
      r.duration == null ? "" : `${r.duration.toFixed(3)} s`, when(r.started)]), ["run", "status", "duration", "started"])
    : el("p", "Not run yet.", { class: "hint" }));
  return parts;
}

function artifactPanel(data) {
  const parts = [el("h2", `artifact ${data.name}`), el("pre", JSON.stringify(data.entry, null, 2), { id: "artifact-entry" })];
  if (data.problem) parts.push(el("p", data.problem, { class: "problem" }));
  if (data.location) parts.push(el("p", `location: ${data.location}`, { id: "artifact-location" }));
  const lineage = `/lineage/${encodeURIComponent(data.name)}?configuration=${encodeURIComponent(data.configuration || "")}`;
  if (data.location) parts.push(link("lineage of the version stored now", lineage));
  parts.push(el("h3", "versions"));
  parts.push(data.versions.length
    ? table(data.versions.map((v) => [when(v.time) + (v.current ? " (current)" : ""), v.run_id ? link(v.run_id.slice(0, 12), `/runs/${v.run_id}`) : "",
      v.craft || "", link((v.fingerprint || "").slice(0, 18) || "(lineage)",
        `/lineage/${encodeURIComponent(data.name)}?location=${encodeURIComponent(v.location || "")}&fingerprint=${encodeURIComponent(v.fingerprint || "")}`)]),
      ["written", "run", "craft", "fingerprint"])
    : el("p", "No version recorded.", { class: "hint" }));
  const preview = data.preview;
  if (preview) {
    parts.push(el("h3", "preview"));
    if (preview.kind === "table") {
      const shown = table(preview.rows, preview.columns);
      shown.id = "preview";
      parts.push(shown);
      parts.push(el("p", preview.partial ? `The first ${preview.rows.length} rows, read alone.`
        : `The first ${preview.rows.length} rows (this type is read whole to show them).`,
      { class: "hint", id: "preview-note" }));
    } else if (preview.kind === "image") {
      parts.push(el("img", null, { id: "preview", alt: data.name, style: "max-width: 100%",
        src: `/api/artifacts/${encodeURIComponent(data.name)}/image?configuration=${encodeURIComponent(data.configuration || "")}` }));
    } else if (preview.kind === "missing") {
      parts.push(el("p", "Nothing is stored there yet.", { class: "hint" }));
    } else {
      parts.push(el("p", preview.message, { class: "problem" }));
    }
  }
  return parts;
}

// --- a run's page -----------------------------------------------------------------------------
function runPage() {
  const run = readData("run-data");
  const graph = readData("graph-data");
  const cy = graph ? drawGraph(document.getElementById("dag"), graph) : null;
  paint(cy, run.crafts);
  if (run.status === "running") follow(cy, run.run_id);
}

function paint(cy, crafts) {
  if (!cy) return;
  cy.nodes(".craft").forEach((node) => {
    const state = crafts[node.data("fqname")];
    if (!state) { node.addClass("pending"); node.data("status", "pending"); return; }
    node.removeClass("pending");
    node.data("status", state.status);
    node.style("background-color", STATUS_COLOURS[state.status] || "#2b6cb0");
    const seconds = state.duration == null ? "" : `\n${state.duration.toFixed(2)} s`;
    node.data("label", `${node.data("fqname").split(".").pop()}${seconds}`);
    node.style("height", 34 + Math.min(40, 8 * Math.log1p(state.duration || 0)));
  });
}

function follow(cy, runId) {
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  source.onmessage = (event) => {
    const state = JSON.parse(event.data);
    const status = document.getElementById("run-status");
    status.textContent = state.status;
    status.className = `status-${state.status}`;
    if (state.error) { const error = document.getElementById("run-error"); error.textContent = state.error; error.hidden = false; }
    paint(cy, state.crafts);
    const body = document.querySelector("#crafts tbody");
    body.replaceChildren(...Object.entries(state.crafts).map(([name, c]) => {
      const row = el("tr", null, { "data-craft": name, class: `status-${c.status}` });
      row.append(el("td", name), el("td", c.status), el("td", c.duration == null ? "" : `${c.duration.toFixed(3)} s`),
        el("td", c.reason || ""), el("td", c.error || "", { class: "problem" }));
      return row;
    }));
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  };
  source.addEventListener("end", async () => {
    source.close();
    await finalDetails(runId);
    document.body.dataset.live = "ended";
  });
  source.addEventListener("missing", () => source.close());
}

async function finalDetails(runId) {
  // What only the end of a run records: its duration and the artifacts it wrote.
  const response = await fetch(`/api/runs/${encodeURIComponent(runId)}`);
  if (!response.ok) return;
  const details = await response.json();
  const duration = details.run.duration;
  document.getElementById("run-duration").textContent = duration == null ? "" : `${duration.toFixed(2)} s`;
  const body = document.querySelector("#writes tbody");
  if (details.writes.length) {
    body.replaceChildren(...details.writes.map((w) => {
      const row = el("tr");
      const href = `/lineage/${encodeURIComponent(w.name)}?location=${encodeURIComponent(w.location)}&fingerprint=${encodeURIComponent(w.fingerprint || "")}`;
      row.append(wrap(link(w.name, href)), el("td", w.craft || ""), wrap(el("code", w.location)),
        wrap(el("code", (w.fingerprint || "").slice(0, 20))));
      return row;
    }));
  }
}

// --- lineage ----------------------------------------------------------------------------------
function lineagePage() {
  // Upstream to the left: each version, the craft (in its run) that produced it, that craft's
  // inputs; downstream to the right: the crafts that read these bytes.
  const data = readData("lineage-data");
  const nodes = [];
  const edges = [];
  let row = 0;
  const add = (label, kind, depth, href) => {
    const id = `n${nodes.length}`;
    nodes.push({ id, label, kind, x: -200 * depth, y: 0, width: 30 + 7 * label.length, href });
    return id;
  };
  function visit(node, depth) {
    const href = node.name ? `/lineage/${encodeURIComponent(node.name)}?location=${encodeURIComponent(node.location || "")}&fingerprint=${encodeURIComponent(node.fingerprint || "")}` : null;
    const id = add(node.name || node.title.replace(/^volatile /, ""), node.name ? "artifact" : "volatile", depth, href);
    let from = id;
    if (node.craft) {
      from = add(node.craft.split(".").pop(), "craft", depth + 1, node.run_id ? `/runs/${node.run_id}` : null);
      edges.push({ source: from, target: id });
    }
    const first = row;
    for (const child of node.children) edges.push({ source: visit(child, depth + (node.craft ? 2 : 1)), target: from });
    if (!node.children.length) row += 1;
    const y = ((first + Math.max(first, row - 1)) / 2) * 60;
    nodes.find((n) => n.id === id).y = y;
    if (from !== id) nodes.find((n) => n.id === from).y = y;
    return id;
  }
  const root = visit(data.upstream, 0);
  data.downstream.forEach((reader, index) => {
    const id = add(reader.craft.split(".").pop(), "craft", -1, `/runs/${reader.run_id}`);
    nodes.find((n) => n.id === id).y = index * 60;
    edges.push({ source: root, target: id });
  });
  const cy = drawGraph(document.getElementById("lineage-graph"), { nodes, edges });
  cy.on("tap", "node", (event) => { const href = event.target.data("href"); if (href) window.location.href = href; });
}

// --- experiments ------------------------------------------------------------------------------
function experimentsPage() {
  const data = readData("comparison-data");
  const tableElement = document.getElementById("comparison");
  for (const header of tableElement.querySelectorAll("th")) {
    header.addEventListener("click", () => sortBy(tableElement, header));
  }
  plots(document.getElementById("plots"), data);
}

function sortBy(tableElement, header) {
  const index = Number(header.dataset.column);
  const descending = header.classList.contains("sorted-asc");
  for (const other of tableElement.querySelectorAll("th")) other.classList.remove("sorted-asc", "sorted-desc");
  header.classList.add(descending ? "sorted-desc" : "sorted-asc");
  const body = tableElement.tBodies[0];
  const rows = [...body.rows];
  const value = (row) => row.cells[index] ? row.cells[index].dataset.value : "";
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    const nx = Number(x), ny = Number(y);
    const order = x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
    return descending ? -order : order;
  });
  body.replaceChildren(...rows);
}

function plots(container, data) {
  const column = (name) => data.columns.indexOf(name);
  for (const metric of data.metrics) {
    for (const param of data.params) {
      const points = data.rows.map((row) => [Number(row[column(param)]), Number(row[column(metric)])])
        .filter(([x, y]) => !isNaN(x) && !isNaN(y));
      if (points.length) container.append(scatter(points, param, metric));
    }
  }
}

function scatter(points, xName, yName) {
  const ns = "http://www.w3.org/2000/svg";
  const [w, h, m] = [280, 200, 36];
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "plot");
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const scale = (v, lo, hi, a, b) => (hi === lo ? (a + b) / 2 : a + ((v - lo) / (hi - lo)) * (b - a));
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const add = (tag, attributes, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  add("rect", { x: m, y: 8, width: w - m - 8, height: h - m - 8, fill: "none", stroke: "#cbd5e0" });
  for (const [x, y] of points) {
    add("circle", { cx: scale(x, x0, x1, m + 6, w - 14), cy: scale(y, y0, y1, h - m - 6, 14), r: 4, fill: "#2b6cb0" });
  }
  add("text", { x: w / 2, y: h - 8, "text-anchor": "middle" }, `${xName} (${x0} … ${x1})`);
  add("text", { x: 12, y: h / 2, transform: `rotate(-90 12 ${h / 2})`, "text-anchor": "middle" }, `${yName}`);
  return svg;
}

const PAGES = { pipeline: pipelinePage, run: runPage, lineage: lineagePage, experiments: experimentsPage };
const start = PAGES[document.body.dataset.page];
if (start) start();
