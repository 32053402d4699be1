// The admin console: loaded on admin pages only (layout.html). The CSP
// allows no inline script, so behaviour lives here.
"use strict";

// A form with data-confirm asks before it is sent: closing an order and a
// refund cannot be undone. A data-confirm-template's "{amount}" is the
// form's amount field as typed. Any form's submit button is disabled once it is sent, so
// a double click does not send it twice.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  if (form.dataset.sending === "1") {
    ev.preventDefault();
    return;
  }
  var question = form.dataset.confirm;
  var amount = form.querySelector("input[name=amount]");
  if (form.dataset.confirmTemplate && amount) {
    question = form.dataset.confirmTemplate.split("{amount}").join(amount.value.trim());
  }
  if (question) {
    if (!window.confirm(question)) {
      ev.preventDefault();
      return;
    }
  }
  if ((form.method || "get").toLowerCase() !== "post") {
    return;
  }
  form.dataset.sending = "1";
  var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
  // After the browser has taken the submission: a disabled button's
  // value would otherwise not be sent.
  setTimeout(function () {
    buttons.forEach(function (b) { b.disabled = true; });
  }, 0);
  // A page restored from the back/forward cache gets its buttons back.
  window.addEventListener("pageshow", function () {
    form.dataset.sending = "";
    buttons.forEach(function (b) { b.disabled = false; });
  }, { once: true });
});

// On a narrow screen the chart scrolls inside its box: start at today.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".chart-scroll").forEach(function (el) {
    el.scrollLeft = el.scrollWidth;
  });
});
