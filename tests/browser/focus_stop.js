// The focused element, checked where it stands (tests/browser/keyboard.py): a visible ring
// (an outline or a shadow that its unfocused twin has not), nothing transparent
// around it, its rectangle inside the viewport and uncovered at its centre (no sticky bar, no
// overlay on it), and its ring not cut off by a scrolling or clipping box around it.
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {problem: "nothing has focus"};
  const label = el.getAttribute("aria-label") || (el.labels && el.labels[0] && el.labels[0].textContent)
      || el.textContent || el.value || el.getAttribute("title") || "";
  const found = {tag: el.tagName.toLowerCase(), id: el.id, name: label.replace(/\s+/g, " ").trim()};
  const problems = [];
  const ring = (s) => `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} | ${s.boxShadow}`;
  const style = getComputedStyle(el);
  const twin = el.cloneNode(false);
  twin.removeAttribute("id");
  el.after(twin);
  const unfocused = ring(getComputedStyle(twin));
  twin.remove();
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  if (!outline && style.boxShadow === "none") problems.push("no outline or shadow");
  if (ring(style) === unfocused) problems.push("the ring looks as unfocused: " + unfocused);
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const s = getComputedStyle(node);
    if (parseFloat(s.opacity) === 0 || s.visibility === "hidden") problems.push("transparent: " + node.tagName);
  }
  const r = el.getBoundingClientRect();
  found.rect = [r.left, r.top, r.width, r.height].map(Math.round);
  if (r.width < 1 || r.height < 1) problems.push("no size");
  if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) {
    problems.push("outside the viewport");
  }
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!hit || !(el.contains(hit) || hit.control === el)) {
    problems.push("covered at its centre by " + (hit ? hit.outerHTML.slice(0, 120) : "nothing"));
  }
  const reach = outline ? Math.max(0, parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset)) : 0;
  for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
    const s = getComputedStyle(node);
    if (s.overflowX === "visible" && s.overflowY === "visible") continue;
    const box = node.getBoundingClientRect();
    const left = box.left + node.clientLeft, top = box.top + node.clientTop;
    const right = left + node.clientWidth, bottom = top + node.clientHeight;
    if (r.left - reach < left - 0.5 || r.top - reach < top - 0.5 || r.right + reach > right + 0.5 ||
        r.bottom + reach > bottom + 0.5) {
      problems.push("its ring is cut off by " + node.tagName + "." + node.className);
      break;
    }
  }
  found.problem = problems.join("; ");
  return found;
}
