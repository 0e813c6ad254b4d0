/* The SPARQL editor page (clusterkg; not a third-party asset): CodeMirror 5 on the textarea
   when the vendored copy is loaded, and the example menu loading a named query's text.
   Without this script the page is a plain form that works the same. */
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  var area = document.getElementById("query");
  if (!form || !area) { return; }
  var editor = null;
  if (window.CodeMirror) {
    editor = window.CodeMirror.fromTextArea(area, {
      mode: "application/sparql-query",
      lineNumbers: true,
      matchBrackets: true,
      indentUnit: 2,
      viewportMargin: Infinity,
      screenReaderLabel: area.getAttribute("data-label") || "SPARQL",
      extraKeys: {
        /* Tab and Shift-Tab move the focus on, as everywhere else: no keyboard trap. */
        "Tab": false,
        "Shift-Tab": false,
        "Ctrl-Enter": function () { editor.save(); form.requestSubmit(); },
        "Cmd-Enter": function () { editor.save(); form.requestSubmit(); }
      }
    });
    document.body.classList.add("codemirror");
  }

  function setText(text) {
    if (editor) { editor.setValue(text); editor.focus(); } else { area.value = text; area.focus(); }
  }

  var menu = document.getElementById("example");
  if (menu) {
    menu.addEventListener("change", function () {
      var name = menu.value;
      if (!name) { return; }
      fetch("/questions/" + encodeURIComponent(name) + ".rq")
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(setText)
        .catch(function () { menu.form.submit(); });
    });
  }
})();
