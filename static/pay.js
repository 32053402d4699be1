// The payment page waits for its order by itself. It listens to the order's
// status stream (Server-Sent Events) and, if the stream cannot be had or
// breaks, polls the status endpoint instead. When the state changes it swaps
// in the server-rendered page (the receipt, or the expired notice) without a
// reload. Without JavaScript a refresh shows the same thing. A gateway
// order's receipt carries a#return, the merchant's return_url: the page
// follows it 3 seconds after the receipt is shown (SPEC §6).
(function () {
  "use strict";
  var POLL_MS = 1000, RETURN_MS = 3000;
  var polling = false, source = null, returning = false;

  function app() { return document.getElementById("app"); }
  function shownState() { return document.getElementById("status").dataset.state; }
  function stateOf(s) { return s.status === "NOTPAY" && s.expired ? "EXPIRED" : s.status; }

  var WARN_S = 60, expiredShown = false;
  function tickCountdown() {
    var el = document.getElementById("countdown");
    if (!el) return;
    var left = Math.max(0, Math.floor((Number(el.dataset.expires) - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    el.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    // Under a minute left: a visible warning, announced once (role=alert).
    var warn = document.getElementById("expiry-warning");
    if (warn && left > 0 && left < WARN_S && !warn.textContent) warn.textContent = warn.dataset.msg;
    if (left > 0 && left < WARN_S) el.classList.add("expiring");
    // At expiry the server's page offers a new QR; fetch it once.
    if (left === 0 && !expiredShown && app() && shownState() === "NOTPAY") {
      expiredShown = true;
      setTimeout(function () { refresh().catch(function () {}); }, 1500);
    }
  }

  // followReturn goes back to the merchant once, RETURN_MS after a receipt
  // with a#return is shown; only ever to an http(s) address.
  function followReturn() {
    var a = document.getElementById("return");
    if (!a || returning || (a.protocol !== "http:" && a.protocol !== "https:")) return;
    returning = true;
    var href = a.href;
    setTimeout(function () { location.assign(href); }, RETURN_MS);
  }

  function refresh() {
    return fetch(location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("app");
        if (fresh) app().replaceWith(fresh);
        tickCountdown();
        followReturn();
      });
  }

  // apply shows a status report; it resolves once the page is up to date.
  function apply(s) {
    return stateOf(s) !== shownState() ? refresh() : Promise.resolve();
  }

  function poll() {
    polling = true;
    if (!app() || shownState() !== "NOTPAY") return; // a final state: nothing more to wait for
    fetch("/pay/" + app().dataset.token + "/status", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(apply)
      .catch(function () { /* a missed poll is retried next tick */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  function fallBackToPolling() {
    if (source) { source.close(); source = null; }
    if (!polling) poll();
  }

  function listen() {
    if (!window.EventSource) return fallBackToPolling();
    source = new EventSource("/pay/" + app().dataset.token + "/events");
    source.addEventListener("status", function (e) {
      var s;
      try { s = JSON.parse(e.data); } catch (err) { return; }
      if (stateOf(s) !== "NOTPAY" && source) { source.close(); source = null; } // the server ends here too
      apply(s).catch(fallBackToPolling);
    });
    // The browser retries a dropped stream by itself; a refused or broken
    // one (closed state) means push is not available: poll.
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) fallBackToPolling();
    };
  }

  // JSAPI (inside WeChat): open WeChat's payment sheet with the parameters
  // the server signed for this page. WeChat's own WeixinJSBridge (or, in
  // simulator mode, the simulator's stand-in) may load after this script.
  var invoked = false;
  function say(text) {
    var el = document.getElementById("jsapi-result");
    if (el) el.textContent = text;
  }
  function payJSAPI() {
    var btn = document.getElementById("jsapi-pay");
    if (!btn) return;
    if (typeof window.WeixinJSBridge === "undefined") { say(btn.dataset.msgNobridge); return; }
    var params;
    try { params = JSON.parse(btn.dataset.params); } catch (e) { return; }
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (res) {
      var msg = (res && res.err_msg) || "";
      if (msg === "get_brand_wcpay_request:ok") {
        say(btn.dataset.msgOk); // the notification or the query confirms it; the page follows the status
      } else if (msg === "get_brand_wcpay_request:cancel") {
        say(btn.dataset.msgCancel);
      } else {
        // WeChat's own err_msg and err_desc are for developers: the console only.
        if (window.console) console.warn("getBrandWCPayRequest", res);
        say(btn.dataset.msgFail);
      }
    });
  }
  function autoPayJSAPI() {
    if (invoked || !document.getElementById("jsapi-pay")) return;
    invoked = true;
    payJSAPI();
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.id === "jsapi-pay") payJSAPI();
    if (t && t.id === "print-receipt") window.print();
    if (t && t.id === "copy-link") {
      var link = t.dataset.link, field = document.getElementById("page-link");
      var done = function () { t.textContent = t.dataset.msgCopied; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(link).then(done, function () { if (field) { field.select(); } });
      } else if (field) {
        field.select();
        try { if (document.execCommand("copy")) done(); } catch (err) { /* the field stays selected to copy by hand */ }
      }
    }
  });
  if (typeof window.WeixinJSBridge === "undefined") {
    document.addEventListener("WeixinJSBridgeReady", autoPayJSAPI, false);
  } else {
    autoPayJSAPI();
  }

  tickCountdown();
  setInterval(tickCountdown, 1000);
  followReturn();
  if (app() && shownState() === "NOTPAY") listen();
})();
