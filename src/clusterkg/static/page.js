/* clusterkg ecosystem page: draws the exported graph with Cytoscape.js, offline.
 * Search by label, filter by type, click a node for its facts and their sources.
 * All data reaches the DOM through textContent, never as HTML. */
(function () {
  "use strict";

  var TEXTS = {
    en: {
      search: "Search by name", types: "Types (legend and filter)", all: "all", none: "none",
      fit: "fit", relayout: "re-layout", matches: " match(es)", noMatch: "no match",
      summary: function (n, e) { return n + " nodes, " + e + " edges"; },
      help: "Scroll to zoom, drag to move, click a node for its facts and sources.",
      empty: "Click a node to see its facts and where they come from.",
      attributes: "Attributes", facts: "Facts about it", sources: "Sources",
      outgoing: "Outgoing", incoming: "Incoming", lines: "lines", line: "line",
      yes: "yes", no: "no", documents: "Source documents"
    },
    nb: {
      search: "Søk etter navn", types: "Typer (forklaring og filter)", all: "alle", none: "ingen",
      fit: "tilpass", relayout: "nytt oppsett", matches: " treff", noMatch: "ingen treff",
      summary: function (n, e) { return n + " noder, " + e + " kanter"; },
      help: "Rull for å zoome, dra for å flytte, klikk en node for fakta og kilder.",
      empty: "Klikk en node for å se fakta om den og hvor de kommer fra.",
      attributes: "Egenskaper", facts: "Fakta om den", sources: "Kilder",
      outgoing: "Utgående", incoming: "Inngående", lines: "linjer", line: "linje",
      yes: "ja", no: "nei", documents: "Kildedokumenter"
    }
  };
  var INTERNAL = ["id", "label", "iri", "kind", "type", "typeLabel", "group", "groupLabel",
    "classes", "aliases", "sources", "facts", "color", "degree", "source", "target", "key", "predicate", "fact",
    "factType", "factTypeLabel"];

  /* Force-directed refinement of the positions computed by clusterkg; without randomness the
   * page opens with the same picture every time. */
  var COSE = { name: "cose", animate: false, randomize: false, fit: true, padding: 30,
    nodeRepulsion: function () { return 400000; }, idealEdgeLength: function () { return 80; },
    nodeOverlap: 20, gravity: 1, numIter: 2000, componentSpacing: 60 };

  var doc = JSON.parse(document.getElementById("graph-data").textContent);
  var meta = doc.data || {};
  var T = TEXTS[meta.lang] || TEXTS.en;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function fold(text) {
    return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function show(value) {
    if (value === true) { return T.yes; }
    if (value === false) { return T.no; }
    if (Array.isArray(value)) { return value.map(show).join("; "); }
    if (value !== null && typeof value === "object") { return JSON.stringify(value); }
    if (typeof value === "number") { return value.toLocaleString(meta.lang === "nb" ? "nb-NO" : "en-GB"); }
    return String(value);
  }

  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: doc.elements,
    layout: COSE,
    minZoom: 0.1,
    maxZoom: 5,
    style: [
      { selector: "node", style: {
        "background-color": "data(color)", "label": "data(label)",
        "width": "mapData(degree, 1, 24, 22, 56)", "height": "mapData(degree, 1, 24, 22, 56)",
        "border-width": 1, "border-color": "#444", "font-size": 12, "color": "#111",
        "text-valign": "bottom", "text-halign": "center", "text-margin-y": 3,
        "text-wrap": "wrap", "text-max-width": "130px",
        "text-background-color": "#ffffff", "text-background-opacity": 0.75,
        "text-background-padding": "1px", "min-zoomed-font-size": 5
      } },
      { selector: "node[kind = 'concept']", style: { "shape": "diamond" } },
      { selector: "node[kind = 'fact']", style: { "shape": "round-rectangle" } },
      { selector: "node[kind = 'literal']", style: { "shape": "rectangle", "font-size": 10 } },
      { selector: "edge", style: {
        "curve-style": "bezier", "width": 1.3, "line-color": "#a3a3a3",
        "target-arrow-shape": "triangle", "target-arrow-color": "#a3a3a3", "arrow-scale": 0.9,
        "label": "data(label)", "font-size": 9, "color": "#3a3a3a",
        "text-rotation": "autorotate", "text-background-color": "#ffffff",
        "text-background-opacity": 0.8, "text-background-padding": "1px",
        "min-zoomed-font-size": 6
      } },
      { selector: ".faded", style: { "opacity": 0.12 } },
      { selector: "node.match", style: { "border-width": 4, "border-color": "#111", "font-weight": "bold", "z-index": 10 } },
      { selector: ".hidden-type", style: { "display": "none" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#1f4e99" } },
      { selector: "edge.near", style: { "line-color": "#1f4e99", "target-arrow-color": "#1f4e99", "width": 2.5, "z-index": 9 } }
    ]
  });
  window.cy = cy;

  /* --- texts and summary --------------------------------------------------------------- */
  document.getElementById("search-label").textContent = T.search;
  document.getElementById("legend-title").textContent = T.types;
  document.getElementById("types-all").textContent = T.all;
  document.getElementById("types-none").textContent = T.none;
  document.getElementById("fit").textContent = T.fit;
  document.getElementById("relayout").textContent = T.relayout;
  document.getElementById("help").textContent = T.help;
  document.getElementById("panel-empty").textContent = T.empty;
  document.getElementById("summary").textContent = T.summary(cy.nodes().length, cy.edges().length);
  document.getElementById("documents-title").textContent = T.documents;

  /* --- the source documents, with what is known about them (an estimated date) ---------- */
  var documents = document.getElementById("documents");
  (meta.documents || []).forEach(function (d) {
    var item = el("li", null, "document-item");
    item.appendChild(el("div", d.title || d.file, "doc"));
    item.appendChild(el("div", d.file, "muted small"));
    (d.facts || []).forEach(function (fact) {
      var mode = fact.details && fact.details.assertionMode ? " (" + fact.details.assertionMode + ")" : "";
      item.appendChild(el("div", fact.typeLabel + ": " + fact.summary + mode, "small"));
    });
    documents.appendChild(item);
  });

  /* --- search -------------------------------------------------------------------------- */
  var search = document.getElementById("search");
  var status = document.getElementById("search-status");

  function matching(query) {
    var q = fold(query).trim();
    return cy.nodes().filter(function (n) {
      var names = [n.data("label")].concat(n.data("aliases") || []);
      return names.some(function (name) { return fold(name).indexOf(q) >= 0; });
    });
  }

  function applySearch() {
    var query = search.value;
    cy.elements().removeClass("faded match");
    if (!query.trim()) { status.textContent = ""; return cy.collection(); }
    var hits = matching(query);
    cy.elements().addClass("faded");
    hits.removeClass("faded").addClass("match");
    hits.edgesWith(hits).removeClass("faded");
    status.textContent = hits.length ? hits.length + T.matches : T.noMatch;
    return hits;
  }
  search.addEventListener("input", applySearch);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var hits = applySearch();
      if (hits.length) { cy.fit(hits, 80); }
      if (hits.length === 1) { select(hits[0]); }
    }
  });

  /* --- type filter and legend ---------------------------------------------------------- */
  var list = document.getElementById("type-filter");
  var boxes = [];
  (meta.legend || []).forEach(function (entry) {
    var item = el("li");
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    var group = entry.group || entry.type;
    box.value = group;
    box.dataset.type = entry.type;
    box.dataset.group = group;
    box.addEventListener("change", function () { setType(group, box.checked); });
    var swatch = el("span", null, "swatch");
    swatch.style.backgroundColor = entry.color;
    label.appendChild(box);
    label.appendChild(swatch);
    label.appendChild(el("span", entry.label));
    label.appendChild(el("span", entry.count, "count"));
    item.appendChild(label);
    list.appendChild(item);
    boxes.push(box);
  });

  function setType(group, visible) {
    cy.nodes().filter(function (n) { return (n.data("group") || n.data("type")) === group; })
      .toggleClass("hidden-type", !visible);
  }
  function setAll(visible) {
    boxes.forEach(function (box) { box.checked = visible; setType(box.value, visible); });
  }
  document.getElementById("types-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("types-none").addEventListener("click", function () { setAll(false); });
  document.getElementById("fit").addEventListener("click", function () { cy.fit(undefined, 40); });
  document.getElementById("relayout").addEventListener("click", function () {
    cy.layout(Object.assign({}, COSE, { randomize: true })).run();
  });

  /* --- the side panel ------------------------------------------------------------------ */
  var empty = document.getElementById("panel-empty");
  var body = document.getElementById("panel-body");

  function sourceList(sources) {
    var box = el("div", null, "sources");
    (sources || []).forEach(function (s) {
      var line = el("div");
      line.appendChild(el("span", s.title || s.file || s.document, "doc"));
      var where = s.file ? " (" + s.file + ")" : "";
      if (s.lines && s.lines.length) {
        where += ", " + (s.lines.length > 1 ? T.lines : T.line) + " " + s.lines.join(", ");
      }
      line.appendChild(document.createTextNode(where));
      box.appendChild(line);
    });
    return box;
  }

  function attributeTable(data) {
    var table = el("table", null, "attrs");
    Object.keys(data).sort().forEach(function (key) {
      if (INTERNAL.indexOf(key) >= 0) { return; }
      var value = data[key];
      if (value === null || value === undefined || value === "" ||
          (Array.isArray(value) && !value.length)) { return; }
      var row = el("tr");
      row.appendChild(el("th", key));
      row.appendChild(el("td", show(value)));
      table.appendChild(row);
    });
    return table.rows.length ? table : null;
  }

  function nodeLink(node) {
    var button = el("button", node.data("label"), "link");
    button.type = "button";
    button.addEventListener("click", function () { select(node); cy.center(node); });
    return button;
  }

  function edgeList(edges, outgoing) {
    var ul = el("ul", null, "items");
    edges.sort(function (a, b) {
      return (a.data("label") + a.id()).localeCompare(b.data("label") + b.id());
    }).forEach(function (edge) {
      var li = el("li", null, "edge-item");
      var other = outgoing ? edge.target() : edge.source();
      li.appendChild(el("span", edge.data("label"), "rel"));
      li.appendChild(document.createTextNode(outgoing ? " \u2192 " : " \u2190 "));
      li.appendChild(nodeLink(other));
      var table = attributeTable(edge.data());
      if (table) { table.classList.add("detail"); li.appendChild(table); }
      li.appendChild(sourceList(edge.data("sources")));
      ul.appendChild(li);
    });
    return ul;
  }

  function showPanel(node) {
    var data = node.data();
    body.textContent = "";
    body.appendChild(el("h2", data.label, "label"));
    var badge = el("span", null, "type-badge");
    var swatch = el("span", null, "swatch");
    swatch.style.backgroundColor = data.color;
    badge.appendChild(swatch);
    badge.appendChild(el("span", data.typeLabel + " (" + data.type + ")"));
    body.appendChild(badge);
    if (data.iri) { body.appendChild(el("p", data.iri, "iri")); }
    if (data.aliases && data.aliases.length) { body.appendChild(el("p", data.aliases.join(" \u00b7 "), "muted")); }
    var table = attributeTable(data);
    if (table) { body.appendChild(el("h3", T.attributes)); body.appendChild(table); }
    if (data.sources && data.sources.length) {
      body.appendChild(el("h3", T.sources));
      body.appendChild(sourceList(data.sources));
    }
    if (data.facts && data.facts.length) {
      body.appendChild(el("h3", T.facts));
      var ul = el("ul", null, "items");
      data.facts.forEach(function (fact) {
        var li = el("li", null, "fact-item");
        li.appendChild(el("span", fact.typeLabel + ": ", "rel"));
        li.appendChild(document.createTextNode(fact.summary));
        li.appendChild(sourceList(fact.sources));
        ul.appendChild(li);
      });
      body.appendChild(ul);
    }
    var out = node.outgoers("edge");
    var inc = node.incomers("edge");
    if (out.length) { body.appendChild(el("h3", T.outgoing + " (" + out.length + ")")); body.appendChild(edgeList(out, true)); }
    if (inc.length) { body.appendChild(el("h3", T.incoming + " (" + inc.length + ")")); body.appendChild(edgeList(inc, false)); }
    empty.hidden = true;
    body.hidden = false;
    body.dataset.node = node.id();
  }

  function select(node) {
    cy.elements().unselect();
    cy.edges().removeClass("near");
    node.select();
    node.connectedEdges().addClass("near");
    showPanel(node);
  }

  cy.on("tap", "node", function (event) { select(event.target); });
  cy.on("tap", function (event) {
    if (event.target === cy) {
      cy.elements().unselect();
      cy.edges().removeClass("near");
      body.hidden = true;
      empty.hidden = false;
    }
  });

  if (meta.focus) {
    var centre = cy.getElementById(meta.focus);
    if (centre.length) { select(centre); }
  }
})();
