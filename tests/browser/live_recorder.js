// Installed into every page of a context before its scripts (tests/browser/keyboard.py): each
// batch of changes inside a live region (what a screen reader would say again) is kept as the
// region's name and its text then.
(() => {
  window.__live = [];
  const LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]';
  const name = (r) => r.id || ((r.closest("[id]") || {}).id + " ." + r.className);
  new MutationObserver((records) => {
    const seen = new Set();
    for (const m of records) {
      const node = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const region = node && node.closest(LIVE);
      if (!region || seen.has(region)) continue;
      seen.add(region);
      window.__live.push({region: name(region), text: region.textContent.replace(/\s+/g, " ").trim()});
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
