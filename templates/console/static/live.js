// Live parts of a page without a framework: an element with data-live="URL" gets its content from URL
// every two seconds until the content says it is done (data-live-done). Without JavaScript the page still
// works: reloading it shows the same.
(function () {
  "use strict";
  function follow(element) {
    var url = element.getAttribute("data-live");
    var interval = parseInt(element.getAttribute("data-live-interval") || "2000", 10);
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          // Sent to the login page (the session ended): show it whole rather than inside this part.
          if (response.redirected) { window.location.assign(response.url); return Promise.reject("redirected"); }
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          var next = document.createElement("div");
          next.innerHTML = html;  // our own server-rendered, autoescaped fragment
          element.replaceChildren.apply(element, Array.prototype.slice.call(next.childNodes));
          if (!element.querySelector("[data-live-done]")) { window.setTimeout(poll, interval); }
        })
        .catch(function () { window.setTimeout(poll, interval * 2); });
    }
    window.setTimeout(poll, interval);
  }
  document.querySelectorAll("[data-live]").forEach(follow);
})();
