// Live regions (role=status, role=alert, aria-live) are read aloud whenever their text is
// replaced, even by the same words. Pages write them through `setText`, which writes only a
// change, so a repeated state message or a heart-rate tick is not said again (WCAG 4.1.3).
export function setText(element, text) {
  if (element && element.textContent !== text) element.textContent = text;
}
