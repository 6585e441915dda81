// A large DAG's first view: an SVG drawn at once from the positions the server laid out (nodes
// as boxes coloured by kind, edges as one path of straight lines, labels once readable), with
// pan, zoom and clicks, shown while the Cytoscape view is built behind it. Its viewport follows
// Cytoscape's conventions (rendered = model * zoom + pan) so that the swap keeps the picture.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const SKETCH_NODE_HEIGHT = 34;
const SKETCH_ZOOM = { min: 0.02, max: 4, fitted: 1.2 };  // as the Cytoscape view's
const READABLE_ZOOM = 7 / 11;  // the Cytoscape view's min-zoomed-font-size over its font size
const CLICK_SLOP = 4;  // pixels a press may move and still be a click
const SKETCH_KINDS = {
  craft: { fill: "#2b6cb0", stroke: "#2c5282", text: "#fff", radius: 4 },
  artifact: { fill: "#fefcbf", stroke: "#b7791f", text: "#1a202c", radius: 10 },
  volatile: { fill: "#fff", stroke: "#4a5568", text: "#1a202c", radius: 4, dashed: true },
};

function svgElement(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

class Sketch {
  // ``onSelect(node)`` receives the clicked node's data, as the Cytoscape view's tap does.
  constructor(container, graph, onSelect) {
    performance.mark("sketch-start");
    this.container = container;
    this.nodes = graph.nodes;
    this.onSelect = onSelect;
    this.lastActivity = -Infinity;  // performance.now() of the last pointer or wheel event
    this.svg = svgElement("svg", { class: "sketch", preserveAspectRatio: "xMinYMin meet" });
    this.svg.append(this.edgesPath(graph), this.nodeBoxes(), this.labels());
    container.append(this.svg);
    this.fit();
    this.listen();
    container.dataset.sketchNodes = String(this.nodes.length);
    container.dataset.drawn = "true";
    performance.measure("sketch-drawn", "sketch-start");
    // Once the frame showing it is painted (the benchmark reads this mark).
    requestAnimationFrame(() => setTimeout(() => performance.mark("sketch-shown"), 0));
  }

  edgesPath(graph) {
    const at = new Map(this.nodes.map((n) => [n.id, n]));
    const parts = [];
    for (const edge of graph.edges) {
      const [a, b] = [at.get(edge.source), at.get(edge.target)];
      if (a && b) parts.push(`M${a.x} ${a.y}L${b.x} ${b.y}`);
    }
    return svgElement("path", { d: parts.join(""), class: "sketch-edges", fill: "none",
      stroke: "#718096", "stroke-width": 1.4 });
  }

  nodeBoxes() {
    const group = svgElement("g", { class: "sketch-nodes" });
    this.boxes = this.nodes.map((node, index) => {
      const look = SKETCH_KINDS[node.kind] || SKETCH_KINDS.craft;
      const box = svgElement("rect", { x: node.x - node.width / 2, y: node.y - SKETCH_NODE_HEIGHT / 2,
        width: node.width, height: SKETCH_NODE_HEIGHT, rx: look.radius, fill: look.fill,
        stroke: look.stroke, "data-index": index, "data-id": node.id });
      if (look.dashed) box.setAttribute("stroke-dasharray", "4 3");
      group.append(box);
      return box;
    });
    return group;
  }

  labels() {
    // Labels are user text: set as text content, never parsed as markup.
    const group = svgElement("g", { class: "sketch-labels", "text-anchor": "middle", "font-size": 11,
      "pointer-events": "none" });
    for (const node of this.nodes) {
      const look = SKETCH_KINDS[node.kind] || SKETCH_KINDS.craft;
      const label = svgElement("text", { x: node.x, y: node.y, dy: "0.35em", fill: look.text });
      label.textContent = node.label;
      group.append(label);
    }
    return group;
  }

  fit() {
    // The viewport Cytoscape's fit(20) then the page's cap on zoom would give.
    const [w, h] = [this.container.clientWidth, this.container.clientHeight];
    let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const n of this.nodes) {
      x1 = Math.min(x1, n.x - n.width / 2); x2 = Math.max(x2, n.x + n.width / 2);
      y1 = Math.min(y1, n.y - SKETCH_NODE_HEIGHT / 2); y2 = Math.max(y2, n.y + SKETCH_NODE_HEIGHT / 2);
    }
    const zoom = Math.min(SKETCH_ZOOM.fitted, SKETCH_ZOOM.max, Math.max(SKETCH_ZOOM.min,
      Math.min((w - 40) / Math.max(1, x2 - x1), (h - 40) / Math.max(1, y2 - y1))));
    this.viewport = { zoom, pan: { x: (w - zoom * (x1 + x2)) / 2, y: (h - zoom * (y1 + y2)) / 2 } };
    this.show();
  }

  show() {
    const [w, h] = [this.container.clientWidth, this.container.clientHeight];
    const { zoom, pan } = this.viewport;
    this.svg.setAttribute("width", w);
    this.svg.setAttribute("height", h);
    this.svg.setAttribute("viewBox", `${-pan.x / zoom} ${-pan.y / zoom} ${w / zoom} ${h / zoom}`);
    this.svg.classList.toggle("unreadable", zoom < READABLE_ZOOM);
  }

  listen() {
    // Events stop here: Cytoscape, built underneath, listens on the same container.
    const svg = this.svg;
    let press = null;
    for (const name of ["pointermove", "pointerdown", "wheel"]) {
      svg.addEventListener(name, () => { this.lastActivity = performance.now(); }, { passive: true });
    }
    svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      event.stopPropagation();
      const { zoom, pan } = this.viewport;
      const box = svg.getBoundingClientRect();
      const [px, py] = [event.clientX - box.left, event.clientY - box.top];
      const next = Math.min(SKETCH_ZOOM.max, Math.max(SKETCH_ZOOM.min, zoom * Math.pow(1.002, -event.deltaY)));
      const ratio = next / zoom;
      this.viewport = { zoom: next, pan: { x: px - (px - pan.x) * ratio, y: py - (py - pan.y) * ratio } };
      this.show();
    }, { passive: false });
    svg.addEventListener("pointerdown", (event) => {
      event.stopPropagation();
      press = { x: event.clientX, y: event.clientY, target: event.target, moved: false,
        pan: { ...this.viewport.pan } };
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", (event) => {
      if (!press) return;
      const [dx, dy] = [event.clientX - press.x, event.clientY - press.y];
      if (Math.hypot(dx, dy) > CLICK_SLOP) press.moved = true;
      if (!press.moved) return;
      this.viewport = { zoom: this.viewport.zoom, pan: { x: press.pan.x + dx, y: press.pan.y + dy } };
      this.show();
    });
    svg.addEventListener("pointerup", (event) => {
      event.stopPropagation();
      const done = press;
      press = null;
      const index = done && !done.moved ? done.target.getAttribute("data-index") : null;
      if (index !== null) {
        this.select(this.nodes[Number(index)].id);
        this.onSelect(this.nodes[Number(index)]);
      }
    });
    for (const name of ["mousedown", "touchstart", "click"]) svg.addEventListener(name, (e) => e.stopPropagation());
  }

  select(id) {
    for (const box of this.svg.querySelectorAll("rect.selected")) box.classList.remove("selected");
    const box = this.boxes.find((b) => b.getAttribute("data-id") === id);
    if (box) box.classList.add("selected");
  }

  remove() {
    this.svg.remove();
    this.container.dataset.swapped = "true";
  }
}

window.Sketch = Sketch;
