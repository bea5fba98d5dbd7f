// The coach's heart-rate tiles for one class, fed by /ws/live/{occurrence} (docs/heart-rate.md).
// A tile per patient: bpm, % of heart-rate reserve, zone colour, a five-minute sparkline, time in
// zone and last seen; alerts the coach acknowledges. On reconnect it sends back the last entry it
// saw and gets exactly the ones it missed (or a fresh snapshot after a long absence).
//
//   const tiles = new HeartRateTiles(document.querySelector("#hr-monitor"), "/ws/live/12");
//   tiles.connect();
//
// The element needs #hr-tiles, #hr-alert-list, #hr-no-alerts and #hr-status inside it (optional).
// `home(patientId)` may name another element for a patient's tile (the console puts it inside
// that patient's video tile); null keeps it in #hr-tiles. Call `rehome()` when homes change.
// `onRender(patientId, {bpm, band})` hears each patient's newest reading and zone word (the
// console shows them beside a waiting patient's name); `latest(patientId)` asks for them.
// One list of alerts, by severity then newest: the class's own (snapshot and stream) and the
// patients' others (roster, and as they come: a red-flag text, with a link to the messages).

import { addReading, hrrPct, newTileState, tileFromSnapshot, tileZone } from "./hr-zone.js";
import { setText } from "./live-text.js";
import { fill, pageWords } from "./page-words.js";

const SVG = "http://www.w3.org/2000/svg";
const STALE_MS = 20000;
const MAX_COACH_CUE = 80;
const SEVERITY_RANK = { urgent: 0, warning: 1, info: 2 };
// The words, in the reader's language: the page writes them as JSON (_hr_words.html). A zone
// band is "band_<zone>", an alert kind "alert_<kind>", a zone's basis "basis_<basis>".
const words = pageWords("hr-words");

function minutes(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// A red flag texted in, worded from its flags in the page's language (web/templates/
// _alert_words.html does the same for server pages); a row stored before has only its summary.
function redFlagWords(alert) {
  if (alert.kind !== "red_flag" || !alert.detail_args) return "";
  const symptoms = (alert.flags || []).map((flag) => words[`symptom_${flag}`] || flag.replace(/_/g, " "));
  return fill(words.red_flag_sms, { symptoms: symptoms.join(words.list_sep || ", ") }) +
    (alert.detail_args.opted_out ? words.opted_out_note : "");
}

// A warning from daily data (early warning, drifting away), worded from its kind and reasons as
// the dashboard words it; its stored summary is English.
function dailyWords(alert) {
  const kind = (words.warn_kind || {})[alert.kind];
  if (!kind) return "";
  const reasons = (alert.flags || []).map((r) => (words.warn_reason || {})[r] || r.replace(/_/g, " "));
  return reasons.length ? fill(words.alert_line, { what: kind, detail: reasons.join(words.list_sep) }) : kind;
}

export class HeartRateTiles {
  constructor(root, socketUrl, { now = () => Date.now(), home = () => null, onRender = () => {} } = {}) {
    this.root = root;
    this.home = home;
    this.onRender = onRender;
    this.socketUrl = socketUrl;
    this.now = now;
    this.tilesEl = root.querySelector("#hr-tiles");
    this.alertsEl = root.querySelector("#hr-alert-list");
    this.noAlertsEl = root.querySelector("#hr-no-alerts");
    this.ackMinorEl = root.querySelector("#hr-ack-minor");
    this.ackMinorEl?.addEventListener("click", () => this.send({ type: "ack_minor_alerts" }));
    this.statusEl = root.querySelector("#hr-status");
    this.announceEl = root.querySelector("#hr-announce"); // optional: says each new alert once
    this.patients = new Map(); // id -> {name, state, el}
    this.alerts = new Map(); // id -> alert (docs/heart-rate.md: one shape for every kind)
    this.occurrenceId = null;
    this.epoch = null;
    this.seq = null;
    this.socket = null;
    this.wait = 1000;
    this.timer = setInterval(() => this.refreshAges(), 1000);
  }

  connect() {
    const url = new URL(this.socketUrl, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      const hello = { type: "hello" };
      if (this.epoch != null && this.seq != null) Object.assign(hello, { epoch: this.epoch, after: this.seq });
      socket.send(JSON.stringify(hello));
      this.wait = 1000;
    });
    socket.addEventListener("message", (event) => this.handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403 || event.code === 4404) {
        this.status(words.closed);
        return;
      }
      this.status(words.lost);
      setTimeout(() => this.connect(), this.wait);
      this.wait = Math.min(this.wait * 2, 15000);
    });
  }

  // A live region: "Connection lost" once, not at every try to reconnect.
  status(text) {
    setText(this.statusEl, text);
  }

  handle(message) {
    // Alerts from elsewhere (another class, a text) come without a seq: not stream entries.
    const entry = !["roster", "snapshot", "resumed", "error", "pong"].includes(message.type);
    if (entry && message.seq != null) {
      if (this.seq != null && message.seq <= this.seq) return; // already applied
      this.seq = message.seq;
    }
    switch (message.type) {
      case "roster":
        this.occurrenceId = message.occurrence.id;
        this.roster(message.patients);
        this.replaceAlerts((a) => a.occurrence_id !== this.occurrenceId, message.alerts);
        break;
      case "snapshot":
        this.snapshot(message);
        this.status(words.live);
        break;
      case "resumed":
        this.status(words.resumed);
        break;
      case "reading":
        this.reading(message);
        break;
      case "cue":
      case "cue_mute":
      case "rpe":
        this.cue(message);
        break;
      case "alert":
        // A new alert is said once; its repeats, folded into it, are not said again.
        if (!this.alerts.has(message.alert.id) && !message.alert.acknowledged_at) this.announce(message.alert);
        this.alerts.set(message.alert.id, message.alert);
        this.renderAlerts();
        break;
      case "alert_ack": {
        const alert = this.alerts.get(message.alert_id);
        if (alert) alert.acknowledged_at = message.acknowledged_at;
        this.renderAlerts();
        break;
      }
      case "error":
        this.status(fill(words.error, { message: message.message }));
        break;
      default:
        break;
    }
  }

  roster(patients) {
    const ids = new Set();
    for (const p of patients) {
      ids.add(p.patient_id);
      const known = this.patients.get(p.patient_id);
      if (known) {
        known.name = p.name;
        known.state.zone = p.zone;
      } else {
        this.patients.set(p.patient_id, { name: p.name, state: newTileState(p.zone), el: null });
      }
    }
    for (const [id, p] of this.patients) {
      if (!ids.has(id)) {
        if (p.el) p.el.remove();
        this.patients.delete(id);
      }
    }
    for (const id of this.patients.keys()) this.render(id);
  }

  snapshot(message) {
    this.epoch = message.epoch;
    this.seq = message.seq;
    for (const [id, p] of this.patients) {
      const tile = message.tiles[String(id)] || {};
      p.state = tileFromSnapshot(p.state.zone, tile);
      Object.assign(p, { cue: tile.cue || null, muted: !!tile.cues_muted, rpe: null });
      this.render(id);
    }
    this.replaceAlerts((a) => a.occurrence_id === this.occurrenceId, message.alerts);
  }

  // The alerts `which` selects are replaced by `fresh` (the roster brings the others' open ones,
  // a snapshot the class's own); the rest stay.
  replaceAlerts(which, fresh) {
    for (const [id, alert] of this.alerts) if (which(alert)) this.alerts.delete(id);
    for (const alert of fresh || []) this.alerts.set(alert.id, alert);
    this.renderAlerts();
  }

  reading(message) {
    const p = this.patients.get(message.patient_id);
    if (!p) return;
    if (addReading(p.state, message.t, message.bpm)) this.render(message.patient_id);
  }

  // A cue, a mute or an RPE answer for one patient (docs/heart-rate.md, "Cues").
  cue(message) {
    const p = this.patients.get(message.patient_id);
    if (!p) return;
    if (message.type === "cue") p.cue = message.cue;
    else if (message.type === "rpe") p.rpe = message.value;
    else {
      p.muted = message.muted;
      if (p.muted) p.cue = null;
    }
    this.render(message.patient_id);
  }

  // Behind a "Cues" disclosure: a tile inside a video tile has room for one line of it.
  cueTools(id) {
    const tools = el("details", "hr-cue-tools");
    const body = el("div");
    const mute = el("button", "hr-cue-mute");
    mute.type = "button";
    mute.addEventListener("click", () => {
      const p = this.patients.get(id);
      this.send({ type: "cue_mute", patient_id: id, muted: !p.muted });
    });
    const form = el("form", "hr-cue-say");
    const input = el("input");
    input.maxLength = MAX_COACH_CUE;
    input.required = true;
    input.setAttribute("aria-label", fill(words.cue_own_label, { name: this.patients.get(id).name }));
    const say = el("button", null, words.cue_send);
    form.append(input, say);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.send({ type: "cue_say", patient_id: id, text });
      input.value = "";
    });
    body.append(mute, form);
    tools.append(el("summary", null, words.cues), body);
    return tools;
  }

  render(id) {
    const p = this.patients.get(id);
    if (!p.el) {
      p.el = el("article", "hr-tile");
      p.el.dataset.patient = String(id);
      p.el.append(
        el("h3", "hr-name"),
        el("p", "hr-bpm"),
        el("p", "hr-meta"),
        document.createElementNS(SVG, "svg"),
        el("p", "hr-time"),
        el("p", "hr-zone-note hint"),
        el("p", "hr-cue-word"),
        this.cueTools(id),
      );
      const svg = p.el.querySelector("svg");
      svg.setAttribute("class", "hr-spark");
      svg.setAttribute("viewBox", "0 0 300 48");
      svg.setAttribute("aria-hidden", "true");
      svg.append(document.createElementNS(SVG, "polyline"));
    }
    this.place(id, p.el);
    const { state } = p;
    const zone = tileZone(state);
    p.el.dataset.zone = zone;
    p.el.className = `hr-tile zone-${zone}`;
    p.el.querySelector(".hr-name").textContent = p.name;
    const bpm = state.lastBpm == null ? "--" : String(state.lastBpm);
    p.el.querySelector(".hr-bpm").textContent = `${bpm} ${words.bpm}`;
    const hrr = state.lastBpm == null ? null : hrrPct(state.lastBpm, state.zone);
    // Parts, so that a small tile can keep the zone word and leave the % HRR out.
    p.el.querySelector(".hr-meta").replaceChildren(
      ...(hrr == null ? [] : [el("span", "hr-hrr", fill(words.hrr, { pct: hrr }))]),
      el("span", "hr-band", words[`band_${zone}`] || zone),
    );
    const z = state.zone || {};
    const target = z.low != null ? fill(words.zone, { low: z.low, high: z.high }) : words.no_zone;
    const basis = words[`basis_${z.basis}`] || z.basis;
    p.el.querySelector(".hr-zone-note").textContent = fill(words.zone_note, { target, basis });
    this.renderCue(p);
    this.renderSpark(p);
    this.renderAge(p);
    this.onRender(id, this.latest(id));
  }

  // A patient's newest heart rate and its zone word; null before their first reading.
  latest(id) {
    const p = this.patients.get(id);
    if (!p || p.state.lastBpm == null) return null;
    const zone = tileZone(p.state);
    return { bpm: p.state.lastBpm, zone, band: words[`band_${zone}`] || zone };
  }

  renderCue(p) {
    const word = p.el.querySelector(".hr-cue-word");
    const cue = p.cue;
    // The coach's own words reach a muted patient too: only the engine's are silenced.
    const own = cue?.kind === "coach";
    let text = words.cue_none;
    if (cue) text = own ? fill(words.cue_coach, { text: cue.text }) : words[`cue_${cue.kind}`] || cue.kind;
    if (p.muted) text = own ? fill(words.cue_own_muted, { text }) : words.cues_muted;
    if (p.rpe != null) text += fill(words.cue_rpe, { rpe: p.rpe });
    word.textContent = text;
    word.dataset.cue = p.muted && !own ? "muted" : cue?.kind || "none";
    const mute = p.el.querySelector(".hr-cue-mute");
    mute.textContent = p.muted ? words.cue_unmute : words.cue_mute;
    mute.setAttribute("aria-pressed", String(!!p.muted));
  }

  // Puts a patient's tile where it belongs now: their home if they have one, else the list.
  place(id, node) {
    const home = this.home(id) || this.tilesEl;
    if (node.parentNode !== home) home.append(node);
  }

  rehome() {
    for (const [id, p] of this.patients) if (p.el) this.place(id, p.el);
  }

  renderSpark(p) {
    const line = p.el.querySelector("polyline");
    const points = p.state.spark;
    if (!points.length) {
      line.setAttribute("points", "");
      return;
    }
    const end = points[points.length - 1][0];
    const start = end - 5 * 60 * 1000;
    const values = points.map((q) => q[1]);
    const low = Math.min(...values, p.state.zone?.low ?? Infinity) - 5;
    const high = Math.max(...values, p.state.zone?.high ?? -Infinity) + 5;
    const coords = points.map(([t, bpm]) => {
      const x = ((t - start) / (end - start || 1)) * 300;
      const y = 46 - ((bpm - low) / (high - low || 1)) * 44;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    line.setAttribute("points", coords.join(" "));
  }

  renderAge(p) {
    const { state } = p;
    const time = p.el.querySelector(".hr-time");
    if (state.lastT == null) {
      time.textContent = words.no_reading;
      return;
    }
    const age = Math.max(0, Math.round((this.now() - state.lastT) / 1000));
    p.el.classList.toggle("stale", age * 1000 > STALE_MS);
    // Two parts, so that a small tile can show the time in zone and keep "seen" for when it is late.
    time.replaceChildren(
      el("span", "hr-in-zone", fill(words.in_zone, { time: minutes(state.seconds.in) })),
      el("span", "hr-seen", fill(words.seen, { age })),
    );
  }

  refreshAges() {
    for (const p of this.patients.values()) if (p.el) this.renderAge(p);
  }

  renderAlerts() {
    if (!this.alertsEl) return;
    const alerts = [...this.alerts.values()].sort(
      (a, b) =>
        (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
        b.raised_at.localeCompare(a.raised_at),
    );
    // Drawn anew: a keyboard inside an alert stays on it (its button, or the alert once
    // acknowledged) instead of falling to the top of the page.
    const focused = this.alertsEl.contains(document.activeElement)
      ? document.activeElement.closest("[data-alert]")?.dataset.alert
      : null;
    this.alertsEl.replaceChildren(...alerts.map((alert) => this.alertItem(alert)));
    if (focused) {
      const item = this.alertsEl.querySelector(`[data-alert="${focused}"]`);
      const target = item?.querySelector("button") || item;
      if (target) {
        if (target === item) item.tabIndex = -1;
        target.focus();
      }
    }
    if (this.noAlertsEl) this.noAlertsEl.hidden = alerts.length > 0;
    // This class's open alerts that are not urgent, acknowledged in one go (the server leaves
    // an urgent one, and other classes' alerts, to be acknowledged one by one).
    if (this.ackMinorEl) {
      this.ackMinorEl.hidden = !alerts.some(
        (a) => !a.acknowledged_at && a.severity !== "urgent" && a.occurrence_id === this.occurrenceId,
      );
    }
  }

  alertWords(alert) {
    const name = this.patients.get(alert.patient_id)?.name ?? fill(words.patient, { id: alert.patient_id });
    // The severity in words as well as in colour (WCAG 1.4.1); an "info" one has no prefix.
    const prefix = { urgent: words.urgent, warning: words.warning }[alert.severity] || "";
    const what = redFlagWords(alert) || dailyWords(alert) || alert.summary || words[`alert_${alert.kind}`] || alert.kind;
    return { name, prefix, what };
  }

  announce(alert) {
    if (!this.announceEl) return;
    const { name, prefix, what } = this.alertWords(alert);
    this.announceEl.textContent = `${prefix}${name}${words.name_sep}${what}`;
  }

  alertItem(alert) {
    const { name, prefix, what } = this.alertWords(alert);
    const item = el("li", `hr-alert ${alert.severity} ${alert.acknowledged_at ? "acknowledged" : "open"}`);
    item.dataset.alert = String(alert.id);
    item.dataset.kind = alert.kind;
    // Worded from its numbers in the page's language; a row stored before has only English.
    const worded = alert.detail_args && alert.kind !== "red_flag" && words[`detail_${alert.kind}`];
    // A daily warning's suggestion (stored in English) is the dashboard's to say, with its chart.
    const daily = Boolean((words.warn_kind || {})[alert.kind]);
    const detail = worded ? fill(worded, alert.detail_args) : daily ? "" : alert.detail;
    const line = detail ? fill(words.alert_line, { what, detail }) : what;
    item.append(el("strong", null, `${prefix}${name}${words.name_sep}`), `${line} `);
    // Repeats of one kind for one patient in one class fold into one alert (coach/alerts.py).
    if (alert.repeats > 1) item.append(el("span", "repeats", fill(words.repeats, { n: alert.repeats })));
    if (alert.source === "sms") {
      const thread = el("a", null, words.messages);
      thread.href = `/inbox/${alert.patient_id}`;
      item.append(thread, " ");
    }
    if (alert.acknowledged_at) {
      item.append(el("span", "hint", words.acknowledged));
    } else {
      const button = el("button", null, words.acknowledge);
      button.type = "button";
      button.addEventListener("click", () => this.acknowledge(alert.id));
      item.append(button);
    }
    return item;
  }

  acknowledge(alertId) {
    this.send({ type: "ack_alert", alert_id: alertId });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }
}
