/* The "check new facts" page (clusterkg; not a third-party asset). Without this script the
   form works the same; with it, a chosen CSV file asks for its template kind, and the button
   says that the check is running (it takes a moment on a large graph). */
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  if (!form) { return; }
  var file = document.getElementById("file");
  var kind = document.getElementById("kind");
  var source = document.getElementById("source");
  function csvChosen() {
    return !!(file && file.files && file.files.length && /\.csv$/i.test(file.files[0].name));
  }
  if (file && kind) {
    file.addEventListener("change", function () {
      var csv = csvChosen();
      kind.required = csv;
      if (source) { source.required = csv; }
      if (csv && !kind.value) { kind.focus(); }
    });
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy") || button.textContent;
    }
  });
})();
