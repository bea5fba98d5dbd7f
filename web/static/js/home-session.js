// "Today's session" at home: the timer through the phases, the strap's readings (or a tick a
// second without one) sent to the server in small batches, one request at a time, and the cues
// that come back shown in an aria-live region and spoken in the patient's language.
// Formats: docs/home-sessions.md. The clock is the page's Date.now(): tests install their own.
import { bluetoothAvailable, connectSensor } from "./heart-rate-sensor.js";
import { setText } from "./live-text.js"; // the sensor's status, a live region, said on a change

const root = document.querySelector("#home");
if (root) {
  const { plan } = JSON.parse(document.querySelector("#home-plan").textContent);
  const words = JSON.parse(document.querySelector("#home-strings").textContent);
  const $ = (id) => document.querySelector(id);
  const lang = root.dataset.lang;
  const phases = plan.phases.map((p) => ({ phase: p.phase, ms: p.minutes * 60000 }));
  const TICK_MS = 1000;
  const SEND_EVERY_MS = 5000;
  const FRESH_MS = 3000; // a reading older than this is no reading
  const MAX_BATCH = 600;

  const state = {
    id: null,
    withStrap: false,
    running: false,
    paused: false,
    activeMs: 0, // time spent unpaused
    lastTick: null,
    lastSent: 0,
    queue: [],
    inFlight: false,
    bpm: null,
    bpmAt: 0,
    ended: false,
    answering: false, // an RPE answer on its way
    status: "done",
    timer: null,
  };

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": root.dataset.csrf,
      },
      body: JSON.stringify(body),
    });
  }

  function phaseAt(ms) {
    let start = 0;
    for (let i = 0; i < phases.length; i += 1) {
      if (ms < start + phases[i].ms) return { index: i, left: start + phases[i].ms - ms };
      start += phases[i].ms;
    }
    return null;
  }

  function clock(ms) {
    const seconds = Math.ceil(ms / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function speak(text) {
    if (!$("#home-speak").checked || !window.speechSynthesis || !text) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  }

  function showCue(cue) {
    if (!cue) return;
    // The warm-up check says why the main part should start gentler or brisker.
    const why = cue.rule === "cue.warm_up_check" ? words[`cue_${cue.reason}`] : "";
    const text = why || words[`cue_${cue.kind}`] || "";
    const el = $("#home-cue");
    el.dataset.kind = cue.kind;
    el.textContent = text;
    speak(text);
    if (cue.kind === "rpe_prompt") $("#home-rpe-prompt").hidden = false;
    if (cue.kind === "stop") finish("stopped");
  }

  function showBand(band) {
    if (!band) return;
    const el = $("#home-band");
    el.dataset.zone = band;
    el.textContent = words[`band_${band}`] || "";
  }

  async function flush(force = false) {
    if (state.inFlight || state.id === null || !state.queue.length) return;
    const now = Date.now();
    if (!force && now - state.lastSent < SEND_EVERY_MS) return;
    const batch = state.queue.slice(0, MAX_BATCH);
    state.inFlight = true;
    state.lastSent = now;
    let more = false;
    try {
      const answer = await post(`/api/v1/me/home-sessions/${state.id}/readings`, { samples: batch });
      if (answer.ok) {
        state.queue.splice(0, batch.length);
        const reply = await answer.json();
        for (const cue of reply.cues) showCue(cue);
        showBand(reply.band);
        setText($("#home-sensor-status"), "");
        more = state.queue.length > 0;
      } else if (answer.status === 409) {
        state.queue = []; // the session ended elsewhere: nothing more to send
      } else if (answer.status === 422) {
        state.queue.splice(0, batch.length); // never acceptable: sending it again would not help
      }
    } catch (error) {
      setText($("#home-sensor-status"), words.offline);
    } finally {
      state.inFlight = false;
    }
    // A backlog (a slow network, a phone that slept) drains at once, one request at a time.
    if (more) await flush(true);
  }

  function tick() {
    const now = Date.now();
    if (!state.paused && state.lastTick !== null) state.activeMs += now - state.lastTick;
    state.lastTick = now;
    const where = phaseAt(state.activeMs);
    if (!where) {
      render(null);
      finish("done");
      return;
    }
    render(where);
    if (!state.paused) {
      const fresh = state.bpm !== null && now - state.bpmAt <= FRESH_MS;
      state.queue.push({ t: now, bpm: fresh ? state.bpm : null, phase: phases[where.index].phase });
    }
    flush();
  }

  function render(where) {
    if (!where) return;
    const phase = phases[where.index].phase;
    $("#home-phase").textContent = words[`phase_${phase}`];
    $("#home-phase-step").textContent = `${where.index + 1}/${phases.length}`;
    $("#home-timer").textContent = clock(where.left);
    root.dataset.phase = phase;
    for (const item of document.querySelectorAll("#home-phases li")) {
      item.classList.toggle("current", item.dataset.phase === phase);
    }
  }

  async function start(withStrap) {
    $("#home-start").disabled = true;
    $("#home-start-no-strap").disabled = true;
    const answer = await post("/api/v1/me/home-sessions", { with_strap: withStrap });
    if (!answer.ok) {
      setText($("#home-sensor-status"), words.error);
      return;
    }
    const reply = await answer.json();
    state.id = reply.id;
    state.withStrap = withStrap;
    state.running = true;
    state.lastTick = Date.now();
    $("#home-before").hidden = true;
    $("#home-running").hidden = false;
    $("#home-hr").hidden = !withStrap;
    if (!withStrap) $("#home-cue").textContent = words.cue_talk_test;
    tick();
    state.timer = setInterval(tick, TICK_MS);
  }

  async function finish(status) {
    if (state.ended) return;
    state.ended = true;
    state.status = status;
    clearInterval(state.timer);
    // What is still to send goes before the end check (a few tries: offline, it is left).
    for (let tries = 0; tries < 20 && (state.inFlight || state.queue.length); tries += 1) {
      if (state.inFlight) await new Promise((resolve) => setTimeout(resolve, 100));
      else await flush(true);
    }
    $("#home-running").hidden = true;
    for (const item of document.querySelectorAll("#home-phases li")) item.classList.remove("current");
    $("#home-end").hidden = false;
    root.dataset.state = "ending";
    $("#home-end").querySelector("input").focus();
  }

  $("#home-connect").addEventListener("click", async () => {
    try {
      await connectSensor(
        (m) => {
          if (m.contact === false) {
            setText($("#home-sensor-status"), words.sensor_no_contact);
            return;
          }
          state.bpm = m.bpm;
          state.bpmAt = Date.now();
          $("#home-bpm").textContent = String(m.bpm);
        },
        (status) => {
          setText($("#home-sensor-status"), status === "connected" ? words.sensor_connected : words.sensor_lost);
          if (status === "connected") $("#home-start").disabled = false;
        },
      );
    } catch (error) {
      setText($("#home-sensor-status"), words.sensor_unsupported);
    }
  });
  $("#home-start").addEventListener("click", () => start(true));
  $("#home-start-no-strap").addEventListener("click", () => start(false));
  $("#home-pause").addEventListener("click", () => {
    state.paused = !state.paused;
    $("#home-pause").textContent = state.paused ? words.resume : words.pause;
    if (state.paused) $("#home-cue").textContent = words.paused;
  });
  $("#home-stop").addEventListener("click", () => {
    if (window.confirm(words.confirm_stop)) finish("stopped");
  });
  // An answer to "how hard does this feel?" goes to the cue engine (rule cue.rpe_answer): above
  // the prescribed band it eases off at once; below it the engine asks again before a pick-up.
  $("#home-rpe-prompt").addEventListener("click", async (event) => {
    const rpe = Number(event.target.dataset.rpe);
    if (!rpe || state.id === null) return;
    $("#home-rpe-prompt").hidden = true;
    $("#home-cue").textContent = words.rpe_thanks;
    state.answering = true;
    try {
      const answer = await post(`/api/v1/me/home-sessions/${state.id}/rpe`, { t: Date.now(), rpe });
      if (answer.ok) {
        const reply = await answer.json();
        if (reply.cue) showCue(reply.cue);
      }
    } catch (error) {
      setText($("#home-sensor-status"), words.offline);
    } finally {
      state.answering = false;
    }
  });
  $("#home-end").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = {
      status: state.status,
      rpe: Number(form.get("rpe")),
      symptoms: form.getAll("symptoms"),
    };
    const answer = await post(`/api/v1/me/home-sessions/${state.id}/end`, body);
    const saved = $("#home-saved");
    if (!answer.ok) {
      saved.textContent = words.error;
      $("#home-after").hidden = false;
      return;
    }
    const reply = await answer.json();
    $("#home-end").hidden = true;
    $("#home-after").hidden = false;
    root.dataset.state = "saved";
    saved.textContent = reply.held ? words.safety : words.saved;
    if (reply.held) saved.classList.add("safety");
  });
  // Ready: the buttons stay disabled in the page until here, so no tap goes unheard.
  $("#home-start-no-strap").disabled = false;
  if (bluetoothAvailable()) $("#home-connect").disabled = false;
  else setText($("#home-sensor-status"), words.sensor_unsupported);
  window.homeSession = {
    idle: () => !state.inFlight && !state.answering && state.queue.length === 0,
    state,
  };
}
