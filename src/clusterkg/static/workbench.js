/* The workbench's own script (clusterkg; not a third-party asset).
 * Search suggestions as you type in the header's box: a debounced fetch of /api/search, shown
 * as an ARIA listbox (combobox pattern); arrow keys move, Enter opens the chosen page, Escape
 * closes. Without JavaScript the box still submits to /search. */
(function () {
  "use strict";
  var input = document.getElementById("search-box");
  var list = document.getElementById("search-suggestions");
  if (!input || !list) { return; }
  var lang = document.documentElement.lang === "nb" ? "nb" : "en";
  var timer = null;
  var active = -1;
  var asked = 0;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-expanded", "false");

  function items() { return list.querySelectorAll("li[role=option]"); }

  function close() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    var options = items();
    if (!options.length) { return; }
    active = (index + options.length) % options.length;
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function show(results) {
    list.textContent = "";
    active = -1;
    if (!results.length) { close(); return; }
    results.forEach(function (r, i) {
      var li = document.createElement("li");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var a = document.createElement("a");
      a.href = r.url;
      a.tabIndex = -1;
      a.textContent = r.label;
      if (r.kind) {
        var kind = document.createElement("span");
        kind.className = "muted";
        kind.textContent = " · " + r.kind;
        a.appendChild(kind);
      }
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function ask() {
    var q = input.value.trim();
    if (!q) { close(); return; }
    var mine = ++asked;
    fetch("/api/search?q=" + encodeURIComponent(q) + "&lang=" + lang, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (doc) { if (mine === asked) { show(doc.results || []); } })
      .catch(function () { close(); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && items().length;
    if (event.key === "ArrowDown" && open) { event.preventDefault(); choose(active + 1); }
    else if (event.key === "ArrowUp" && open) { event.preventDefault(); choose(active - 1); }
    else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();  /* close the list; a second Escape clears the box */
      close();
    }
    else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      window.location.href = items()[active].querySelector("a").href;
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
})();
