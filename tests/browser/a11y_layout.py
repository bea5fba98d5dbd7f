"""What axe cannot see, measured in the page: target sizes (WCAG 2.5.8, held to 44x44 CSS px for
older hands), dragging (2.5.7), reflow at 320 CSS px and at 200% text (1.4.10), contrast of text and
of state borders computed from the rendered colours (1.4.3, 1.4.11) and motion under
`prefers-reduced-motion` (2.3.3). Each check returns what fails, so a test asserts an empty list
and its message names the culprits.

The rule for targets, decided here once:
- every visible `a[href], button, input, select, textarea, summary, [role=button]` and focusable
  `[tabindex]` is at least 44x44 CSS px;
- a check box or radio button counts with its label (a press on the label is a press on it);
- a link that sits inline inside a sentence (its block says other words too) is exempt, as WCAG's
  "inline" exception says; a link that stands alone (a "Back" under a page) is a target;
- an element placed wholly off screen on purpose (the skip link until it has the focus) is not
  shown, so not measured; the tests measure the skip link focused separately."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import ARTIFACTS

MIN_TARGET = 44
# A phone held upright at its narrowest (1.4.10), and text doubled on a 640-wide window (1.4.4).
NARROW = {"width": 320, "height": 640}
WIDE_FOR_BIG_TEXT = {"width": 640, "height": 800}

CONTROLS = (
    'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], '
    '[tabindex]:not([tabindex="-1"])'
)

_SHARED_JS = """
const CONTROLS = CONTROLS_LIST;
const shown = (el) => {
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2) return null;  // not rendered, or visually hidden (1px)
  // Hidden by CSS, or inside a closed <details> (Chromium still gives those a box).
  if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) return null;
  if (r.right <= 0 || r.bottom + window.scrollY <= 0) return null;  // off screen on purpose
  return r;
};
const name = (el) => {
  const id = el.id ? "#" + el.id : "";
  const cls = el.classList.length ? "." + [...el.classList].join(".") : "";
  const words = (el.textContent || el.getAttribute("aria-label") || el.value || "").trim();
  return `${el.tagName.toLowerCase()}${id}${cls} "${words.slice(0, 30)}"`;
};
""".replace("CONTROLS_LIST", repr(CONTROLS))

TOO_SMALL_JS = (
    "(min) => {"
    + _SHARED_JS
    + """
  const inSentence = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const block = el.parentElement;
    const rest = (block.textContent || "").replace(el.textContent || "", "");
    return /[A-Za-z\\u00c0-\\u024f\\u4e00-\\u9fff]{2}/.test(rest);
  };
  const small = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    let r = shown(el);
    if (!r || inSentence(el)) continue;
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label") ||
        (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) r = label.getBoundingClientRect();
    }
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      small.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}"""
)

DRAGGING_JS = """() => [...document.querySelectorAll('input[type="range"], [draggable="true"]')]
  .map((el) => el.outerHTML.slice(0, 80))"""

REFLOW_JS = (
    "() => {"
    + _SHARED_JS
    + """
  const width = document.documentElement.clientWidth;
  const problems = [];
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) problems.push(`scrolls sideways: ${scroll} > ${width}`);
  const what = CONTROLS + ", h1, h2, h3, p, li, label, figcaption, dt, dd, th, td, legend";
  for (const el of document.querySelectorAll(what)) {
    const r = shown(el);
    if (!r) continue;
    if (r.left < -0.5 || r.right > width + 0.5) {
      problems.push(`${name(el)} is cut: ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    // Words cut off by an ellipsis or a hidden overflow are lost content too.
    const style = getComputedStyle(el);
    const hides = style.overflowX !== "visible" && el.clientWidth > 0;
    if (hides && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} is clipped: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return problems;
}"""
)

# The colour a pixel ends up with: `start` (text or a border, drawn at `el` above its background)
# composited through every ancestor's background and opacity onto the white canvas; the WCAG
# relative-luminance contrast of two such pixels.
_COLOUR_JS = """
const parse = (c) => {
  const m = /rgba?\\(([^)]+)\\)/.exec(c);
  if (!m) return [0, 0, 0, 0];
  const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, bottom) => {
  const a = top[3] + bottom[3] * (1 - top[3]);
  if (a === 0) return [0, 0, 0, 0];
  const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
  return [mix(0), mix(1), mix(2), a];
};
const pixel = (start, el) => {
  let layer = start;
  for (let e = el; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    layer = over(layer, parse(style.backgroundColor));
    layer = [layer[0], layer[1], layer[2], layer[3] * Number(style.opacity)];
  }
  return over(layer, [255, 255, 255, 1]);
};
const luminance = (c) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
};
const ratio = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
const hex = (c) =>
  "#" + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
"""

# For one element (a tile, an alert, a badge): the lowest text contrast inside it and which text,
# and the contrast of its border (the side named) against what is around it.
CONTRAST_JS = (
    "([el, side]) => {"
    + _COLOUR_JS
    + """
  let text = null;
  const all = [el, ...el.querySelectorAll("*")];
  for (const node of all) {
    const own = [...node.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const r = node.getBoundingClientRect();
    // No words of its own, or not shown now (the console's tile actions until hovered).
    const seen = node.checkVisibility({visibilityProperty: true, opacityProperty: true});
    if (!own || r.width < 2 || !seen) continue;
    const fg = pixel(parse(getComputedStyle(node).color), node);
    const bg = pixel([0, 0, 0, 0], node);
    const found = ratio(fg, bg);
    if (!text || found < text.ratio) {
      const words = node.textContent.trim().slice(0, 30);
      text = {ratio: found, fg: hex(fg), bg: hex(bg), text: words};
    }
  }
  const style = getComputedStyle(el);
  const width = parseFloat(style[`border-${side}-width`]);
  let border = null;
  if (width > 0 && style[`border-${side}-style`] !== "none") {
    const drawn = over(parse(style[`border-${side}-color`]), parse(style.backgroundColor));
    drawn[3] *= Number(style.opacity);  // the element's own opacity fades its border too
    const line = pixel(drawn, el.parentElement);
    const around = pixel([0, 0, 0, 0], el.parentElement);
    border = {ratio: ratio(line, around), colour: hex(line), around: hex(around), width};
  }
  return {text, border, style: style[`border-${side}-style`]};
}"""
)

MOVING_JS = """() => {
  const seconds = (list) => Math.max(...list.split(",").map((v) => {
    v = v.trim();
    return v.endsWith("ms") ? parseFloat(v) / 1000 : parseFloat(v);
  }));
  const moving = [];
  for (const el of document.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    const animation = style.animationName !== "none" ? seconds(style.animationDuration) : 0;
    const transition = seconds(style.transitionDuration);
    if (animation > 0.01 || transition > 0.01) {
      moving.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")}` +
                  ` animation ${animation}s transition ${transition}s`);
    }
  }
  if (getComputedStyle(document.documentElement).scrollBehavior === "smooth") {
    moving.push("html scrolls smoothly");
  }
  return moving;
}"""


def too_small(page: Page) -> list[str]:
    """The controls shown now that are smaller than 44x44 CSS px (the rule in the docstring)."""
    found: list[str] = page.evaluate(TOO_SMALL_JS, MIN_TARGET)
    return found


def skip_link_too_small(page: Page) -> list[str]:
    """The skip link, measured once the keyboard has brought it on screen."""
    page.keyboard.press("Tab")
    link = page.locator("a.skip")
    box = link.bounding_box()
    page.evaluate("() => document.activeElement?.blur()")
    assert box is not None
    if box["width"] < MIN_TARGET - 0.5 or box["height"] < MIN_TARGET - 0.5:
        return [f"a.skip {round(box['width'])}x{round(box['height'])}"]
    return []


def needs_dragging(page: Page) -> list[str]:
    """Sliders and draggable things (2.5.7): none on these pages, so none may creep in unseen."""
    found: list[str] = page.evaluate(DRAGGING_JS)
    return found


def reflow_problems(page: Page) -> list[str]:
    """Sideways scrolling, and shown text or controls cut at the window's edge or clipped."""
    found: list[str] = page.evaluate(REFLOW_JS)
    return found


def text_doubled(page: Page, on: bool = True) -> None:
    """200% text: the root font size doubled (every size here is in rem or em, so it all grows
    as a browser's text-size setting makes it grow)."""
    page.evaluate("(on) => { document.documentElement.style.fontSize = on ? '200%' : ''; }", on)


def contrast(page: Page, selector: str, side: str = "top") -> dict[str, Any]:
    """The lowest text contrast inside the element and its border's contrast with its
    surroundings (`side` names the border that carries the state)."""
    found: dict[str, Any] = page.locator(selector).evaluate(
        f"(el, side) => ({CONTRAST_JS})([el, side])", side
    )
    return found


def moving(page: Page) -> list[str]:
    """Elements with an animation or transition longer than 10 ms, and smooth scrolling."""
    found: list[str] = page.evaluate(MOVING_JS)
    return found


def reflow_shots(page: Page, name: str) -> list[str]:
    """The page at 320 CSS px and at 200% text on 640: what fails at either, and a full-page
    screenshot of each in test-artifacts/ (`<name>-320.png`, `<name>-text200.png`)."""
    ARTIFACTS.mkdir(exist_ok=True)
    before = page.viewport_size
    problems = []
    for size, doubled, suffix in ((NARROW, False, "320"), (WIDE_FOR_BIG_TEXT, True, "text200")):
        page.set_viewport_size(size)
        text_doubled(page, doubled)
        page.wait_for_timeout(150)  # resize observers (the console's grid) settle
        problems += [f"{suffix}: {p}" for p in reflow_problems(page)]
        page.screenshot(path=str(Path(ARTIFACTS) / f"{name}-{suffix}.png"), full_page=True)
    text_doubled(page, False)
    if before is not None:
        page.set_viewport_size(before)
    return problems
