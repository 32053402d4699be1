// The payment page waits for its order by itself: it polls the status
// endpoint and, when the state changes, swaps in the server-rendered page
// (the receipt, or the expired notice) without a reload. Without JavaScript
// a refresh shows the same thing.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function app() { return document.getElementById("app"); }

  function tickCountdown() {
    var el = document.getElementById("countdown");
    if (!el) return;
    var left = Math.max(0, Math.floor((Number(el.dataset.expires) - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    el.textContent = m + ":" + (s < 10 ? "0" : "") + s;
  }

  function swapIn(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("app");
    if (fresh) app().replaceWith(fresh);
    tickCountdown();
  }

  function refresh() {
    return fetch(location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(swapIn);
  }

  function stateOf(s) { return s.status === "NOTPAY" && s.expired ? "EXPIRED" : s.status; }

  function poll() {
    var a = app();
    if (!a) return;
    var shown = document.getElementById("status").dataset.state;
    if (shown !== "NOTPAY") return; // a final state: nothing more to wait for
    fetch("/pay/" + a.dataset.token + "/status", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) { return stateOf(s) !== shown ? refresh() : null; })
      .catch(function () { /* a missed poll is retried next tick */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  tickCountdown();
  setInterval(tickCountdown, 1000);
  setTimeout(poll, POLL_MS);
})();
