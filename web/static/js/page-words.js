// The words a page's script shows, in the reader's language: the page writes them from the
// catalogues as JSON in <script type="application/json" id="…">, and a script reads them here.
// A missing block or word falls back to the English default the script passes.
//
//   const words = pageWords("console-words", { live: "Live." });
//   say(fill(words.waiting_since, { time: "10:02" }));

export function pageWords(id, defaults = {}) {
  const block = document.getElementById(id);
  return { ...defaults, ...(block ? JSON.parse(block.textContent) : {}) };
}

export function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
