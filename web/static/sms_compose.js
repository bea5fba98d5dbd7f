// Segment count for the coach's compose box: the server counts (one implementation, in
// messaging/segments.py); this only asks it, a moment after typing stops.
(function () {
  "use strict";
  var box = document.getElementById("sms-body");
  var out = document.getElementById("sms-segments");
  if (!box || !out) { return; }
  var timer = null;
  var asked = 0;
  function update() {
    var ticket = ++asked;
    fetch("/api/v1/sms/segments", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
      body: JSON.stringify({ text: box.value })
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (count) {
        if (!count || ticket !== asked) { return; }  // a later keystroke already asked again
        // In the page's language: the words come with the page (data-one, data-many).
        var words = count.segments === 1 ? out.dataset.one : out.dataset.many;
        var values = { chars: Array.from(box.value).length, n: count.segments, encoding: count.encoding };
        out.textContent = words.replace(/\{(\w+)\}/g, function (whole, name) {
          return name in values ? String(values[name]) : whole;
        });
        out.dataset.segments = String(count.segments);
        out.dataset.encoding = count.encoding;
      })
      .catch(function () { /* the count is a hint; sending still works */ });
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  });
  // Text already in the box when the script starts (sent back after a refusal, or typed before
  // the deferred script ran) is counted at once, not shown as "0 characters".
  if (box.value) { update(); }
}());
