// "Copy link" beside a join link shown once: copies it and says so where the coach is looking.
// The clipboard API needs a secure context; selecting the text and copying is the fallback.
(function () {
  "use strict";
  function say(button, text) {
    var status = document.getElementById(button.getAttribute("aria-controls") + "-status");
    if (status) status.textContent = text;
  }
  function fallback(input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  // The button comes hidden: it does nothing until this script listens, so it shows from then.
  document.querySelectorAll("button[data-copy]").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("aria-controls"));
    if (!input) return;
    var done = function () { say(button, button.dataset.copied); };
    var failed = function () { say(button, fallback(input) ? button.dataset.copied : button.dataset.failed); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, failed);
    } else {
      failed();
    }
  });
})();
