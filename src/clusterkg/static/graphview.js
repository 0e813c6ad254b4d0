/* clusterkg workbench: the ecosystem view at /graph (clusterkg; not a third-party asset).
 * Fetches the graph (/graph.json), hands it to the HTML export's own script (page.js) as the
 * data block it reads, then adds to every node a link to its page: "Open its page" in the
 * info panel (however the node was chosen: a click, or the search box and Enter), and a
 * double click. No inline script: the page's CSP allows none. */
(function () {
  "use strict";
  var box = document.getElementById("graphview");
  if (!box) { return; }
  var ID_BASE = "https://w3id.org/clusterkg/";

  /* The page of a thing, as clusterkg.workbench.render.entity_url makes it. */
  function pageOf(iri) {
    if (iri.indexOf(ID_BASE) === 0 && iri.indexOf("#") < 0 && iri.indexOf("?") < 0) {
      return "/" + iri.slice(ID_BASE.length).split("/").map(encodeURIComponent).join("/");
    }
    return "/page?iri=" + encodeURIComponent(iri);
  }

  /* Whenever the info panel shows a node (a click, or the search's single match, which
   * page.js selects without a click), put a link to the node's page at its top. */
  function addLinks(cy) {
    var body = document.getElementById("panel-body");
    function link() {
      var node = body.dataset.node && cy.getElementById(body.dataset.node);
      if (body.hidden || !node || !node.length || !node.data("iri")) { return; }
      if (body.querySelector(".open-page")) { return; }
      var p = document.createElement("p");
      p.className = "open-page";
      var a = document.createElement("a");
      a.href = pageOf(node.data("iri"));
      a.textContent = box.dataset.open;
      p.appendChild(a);
      body.insertBefore(p, body.firstChild ? body.firstChild.nextSibling : null);
    }
    new MutationObserver(link).observe(body, { childList: true, attributes: true });
    cy.on("dbltap", "node", function (event) {
      var iri = event.target.data("iri");
      if (iri) { window.location.href = pageOf(iri); }
    });
    link();
  }

  fetch("/graph.json?lang=" + encodeURIComponent(box.dataset.lang || "en"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
      return response.text();
    })
    .then(function (text) {
      var data = document.createElement("script");
      data.type = "application/json";
      data.id = "graph-data";
      data.textContent = text;
      document.body.appendChild(data);
      var app = document.createElement("script");
      app.src = "/static/page.js";
      app.onload = function () { if (window.cy) { addLinks(window.cy); } };
      document.body.appendChild(app);
    })
    .catch(function (error) {
      document.getElementById("summary").textContent = String(error);
    });
})();
