// Order page: poll the Shop for changes so the quote and the timeline arrive without reloading.
(function () {
  "use strict";
  var root = document.querySelector("[data-order-live]");
  if (!root || root.dataset.final === "true") return;

  var interval = Number(root.dataset.interval) || 1000;
  var url = "/orders/" + encodeURIComponent(root.dataset.orderId) + "/live";
  var since = root.dataset.updatedAt;
  var problem = document.querySelector("[data-connection-problem]");
  var failures = 0;
  var timer = null;
  var inFlight = false;

  function schedule() {
    // Back off while the connection is down, but keep trying: it usually comes back.
    var delay = failures ? Math.min(interval * Math.pow(2, failures), 10000) : interval;
    timer = window.setTimeout(poll, delay);
  }

  function apply(body) {
    var stateChanged = body.state !== root.dataset.state;
    Object.keys(body.html).forEach(function (name) {
      var part = root.querySelector('[data-part="' + name + '"]');
      // Don't wipe what someone is typing (e.g. a cancel reason) unless the order really moved on.
      if (!part || (!stateChanged && part.contains(document.activeElement))) return;
      part.innerHTML = body.html[name];
    });
    root.dataset.state = body.state;
    window.Shop.localizeTimes(root);
  }

  function poll() {
    timer = null;
    if (document.hidden) return; // resumed by visibilitychange
    inFlight = true;
    fetch(url + "?since=" + encodeURIComponent(since), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/signin?next=" + encodeURIComponent(window.location.pathname));
        return null;
      }
      if (response.status === 403 || response.status === 404) return null; // nothing to watch here any more
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      inFlight = false;
      if (!body) return;
      failures = 0;
      window.Shop.clearProblem(problem);
      if (body.changed) {
        since = body.updated_at;
        apply(body);
      }
      if (!body.final) schedule();
    }).catch(function () {
      inFlight = false;
      failures += 1;
      window.Shop.showProblem(problem, "Connection lost. Retrying…");
      schedule();
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !inFlight) poll();
  });
  schedule();
})();
