// The layout page's live preview: the PDF frame follows the form, half a second after the last change.
// Without JavaScript the Preview button does the same into the frame.
(function () {
  "use strict";
  var form = document.getElementById("layout-form");
  var frame = document.getElementById("layout-preview");
  if (!form || !frame) { return; }
  var timer = null;
  function refresh() {
    var query = new URLSearchParams();
    ["primary", "accent", "font_family", "footer_text"].forEach(function (name) {
      query.set(name, form.elements[name].value);
    });
    frame.src = frame.getAttribute("data-preview") + "?" + query.toString();
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 500);
  });
})();
