// Progressive enhancement shared by every page. Everything works without it; it only makes things nicer.
(function () {
  "use strict";
  // Loaded synchronously in <head>, so styles that depend on scripting apply before the first paint.
  document.documentElement.classList.replace("no-js", "js");

  var formatter = window.Intl ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }) : null;

  /** Rewrite server-rendered UTC times in the visitor's own time zone. */
  function localizeTimes(root) {
    if (!formatter) return;
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date.getTime())) el.textContent = formatter.format(date);
    });
  }

  /** Show `message` in `slot` as an alert, creating the alert element so screen readers announce it. */
  function showProblem(slot, message) {
    if (!slot) return;
    var alert = slot.querySelector("[role=alert]");
    if (!alert) {
      alert = document.createElement("div");
      alert.className = "notice notice-error";
      alert.setAttribute("role", "alert");
      slot.appendChild(alert);
    }
    alert.textContent = message;
  }

  /** Remove any alert from `slot`. */
  function clearProblem(slot) {
    if (slot) slot.replaceChildren();
  }

  // A second click while a form is on its way would only repeat the request: ignore it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once") || event.defaultPrevented) return;
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  });

  // Coming back with the Back button restores the page as it was, including "submitting": undo that.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button[aria-disabled]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { localizeTimes(document); });

  window.Shop = { localizeTimes: localizeTimes, showProblem: showProblem, clearProblem: clearProblem };
})();
