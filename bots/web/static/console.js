// Keyboard shortcuts for the review queue and the reports page (no inline script: the CSP allows only this file).
// j / k move between cases, a approves, r removes, b removes and bans for a day; a click reveals a blurred picture.
(function () {
  "use strict";
  function cases() { return Array.from(document.querySelectorAll(".case")); }
  function current() { return document.querySelector(".case.selected") || cases()[0]; }
  function select(item) {
    cases().forEach(function (c) { c.classList.remove("selected"); });
    if (item) { item.classList.add("selected"); item.focus({ preventScroll: false }); }
  }
  function move(step) {
    var all = cases(), at = all.indexOf(current());
    select(all[Math.max(0, Math.min(all.length - 1, at + step))]);
  }
  document.addEventListener("click", function (event) {
    var pic = event.target.closest(".pic");
    if (pic) { pic.classList.toggle("revealed"); }
    var item = event.target.closest(".case");
    if (item && !event.target.closest("button, input, select, a")) { select(item); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") { return; }
    if (event.key === "j") { move(1); event.preventDefault(); return; }
    if (event.key === "k") { move(-1); event.preventDefault(); return; }
    var item = current();
    if (!item) { return; }
    var button = item.querySelector('button[data-key="' + event.key + '"]');
    if (button) { select(item); button.click(); event.preventDefault(); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    // The decided case now shows its outcome: move on to the next one still waiting.
    var done = event.detail.target.closest(".case");
    if (!done) { return; }
    done.classList.add("decided");
    var waiting = document.getElementById("waiting");
    if (waiting && !done.querySelector(".outcome.refused")) {
      waiting.textContent = String(Math.max(0, Number(waiting.textContent) - 1));
    }
    var next = cases().filter(function (c) { return !c.classList.contains("decided"); });
    var after = next.find(function (c) { return done.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING; });
    select(after || next[next.length - 1]);
  });
})();
