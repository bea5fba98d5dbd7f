// The patient's class room: check the devices, join, see the coach large and yourself small.
import { setText } from "./live-text.js";
import { MediaLink, show } from "./media-link.js";
import { Signaling } from "./signaling.js";
import { DeviceTest, openMedia } from "./device-test.js";

const $ = (id) => document.getElementById(id);
const room = $("room");
const text = JSON.parse($("room-strings").textContent);
const page = { local: null, state: null, audioOnly: false, mic: true, camera: true, over: false };
// Codes after which the server closes the connection (docs/signaling.md).
const FATAL = new Set(["forbidden_origin", "rate_limited"]);

// #status is a live region: state messages repeat, the words are said once (live-text.js).
function say(key, values = {}) {
  setText($("status"), text[key].replace(/{(\w+)}/g, (_, name) => values[name] ?? ""));
  room.dataset.status = key;
}

function setButton(id, pressed, key) {
  $(id).setAttribute("aria-pressed", String(pressed));
  $(id).textContent = text[key];
}

// The camera and microphone for the class; without them the patient can still watch and listen.
async function openDevices() {
  page.local = (await openMedia()).stream;
  return page.local;
}

const deviceTest = new DeviceTest(text, {
  onOpened: (stream) => (page.local = stream),
  onSummary: (key) => say(key),
  active: () => !$("check").hidden,
});

const signaling = new Signaling(room.dataset.socket, { onMessage, onStatus });
const link = new MediaLink(signaling, {
  onTracks: render,
  onConnection: (state) => say(state === "connected" ? "status_live" : "status_reconnecting"),
});

function start() {
  page.audioOnly = $("start-audio-only").checked;
  link.audioOnly = page.audioOnly;
  link.setLocal(page.local);
  page.over = false;
  showPart("stage");
  window.scrollTo(0, 0); // the device check may have been scrolled: the class shows from its top
  $("self-video").srcObject = page.local;
  setButton("audio-only", page.audioOnly, page.audioOnly ? "audio_only_off" : "audio_only_on");
  say("status_connecting");
  $("mute").focus(); // the pressed button is gone: the keyboard goes on from the class's controls
  signaling.connect();
}

function onStatus(status, code) {
  if (status === "reconnecting") {
    link.reset();
    say("status_reconnecting");
  } else if (status === "closed") {
    link.reset();
    if (page.over || page.waiting) return;
    if (code === 4401) finish("status_signed_out");
    else finish("status_left", { rejoin: true });
  }
}

function onMessage(message) {
  switch (message.type) {
    case "welcome":
      link.iceServers = message.ice_servers;
      signaling.send({ type: "join", audio_only: page.audioOnly });
      if (!page.mic) signaling.send({ type: "mute", kind: "audio", muted: true });
      if (!page.camera) signaling.send({ type: "mute", kind: "video", muted: true });
      break;
    case "lobby":
      say("status_lobby");
      break;
    case "admitted":
      say("status_connecting");
      break;
    case "offer":
      link.offer(message);
      break;
    case "state":
      page.state = message;
      render();
      break;
    case "reconnect":
      link.rebuild();
      break;
    case "removed":
    case "ended":
      finish(message.type === "removed" ? "status_removed" : "status_ended");
      break;
    case "error":
      if (message.code === "not_open") waitForOpening(message.opens_at);
      else if (message.code === "class_ended") finish("status_ended");
      else if (message.code === "class_cancelled") finish("status_cancelled");
      else if (message.code === "room_full") say("status_full");
      else if (["unauthenticated", "session_ended"].includes(message.code)) finish("status_signed_out");
      else if (message.code === "not_found") finish("error_not_found");
      else if (message.code === "removed") finish("status_removed");
      else if (message.code === "replaced") finish("error_replaced", { rejoin: true });
      // Everything else is said in the page's language, never the server's English words.
      else if (FATAL.has(message.code)) finish("error_generic", { rejoin: true });
      else say("error_generic");
      break;
  }
}

function render() {
  const state = page.state;
  if (!state || page.over) return;
  const me = state.participants.find((p) => p.id === state.you);
  if (me && me.muted_by_host && page.mic) {
    toggleMic(false);
    say("status_muted_by_coach");
  }
  const coach = state.participants.find((p) => p.role === "host");
  const coachTracks = coach ? link.tracks(coach.mids) : [];
  show($("coach-video"), coachTracks);
  $("coach-name").textContent = coach ? coach.name : text.coach;
  if (state.admitted && link.connected && !(me && me.muted_by_host)) {
    say(coach ? "status_live" : "status_coach_away");
  }
  renderPeers(state);
}

// Other patients, only when the coach lets the class see each other.
function renderPeers(state) {
  const others = state.participants.filter((p) => p.role === "patient" && p.id !== state.you);
  const box = $("peers");
  for (const tile of [...box.children]) {
    if (!others.some((p) => p.id === tile.dataset.participant)) tile.remove();
  }
  for (const person of others) {
    let tile = box.querySelector(`[data-participant="${person.id}"]`);
    if (!tile) {
      tile = document.createElement("figure");
      tile.dataset.participant = person.id;
      tile.append(document.createElement("video"), document.createElement("figcaption"));
      tile.querySelector("video").autoplay = true;
      tile.querySelector("video").playsInline = true;
      box.append(tile);
    }
    tile.querySelector("figcaption").textContent = person.name;
    tile.classList.toggle("spotlit", state.spotlight === person.id);
    show(tile.querySelector("video"), link.tracks(person.mids));
  }
}

function toggleMic(on) {
  page.mic = on;
  for (const track of page.local ? page.local.getAudioTracks() : []) track.enabled = on;
  setButton("mute", !on, on ? "mute" : "unmute");
  signaling.send({ type: "mute", kind: "audio", muted: !on });
}

// Connect again when the room opens (a little after, and never in a tight loop if the clocks
// of this device and the server disagree).
function waitForOpening(opensAt) {
  page.waiting = true;
  showPart(null); // nothing to see or press before the class opens
  say("status_not_open", { when: room.dataset.opensLocal });
  const wait = Math.max(5000, Date.parse(opensAt) - Date.now() + 1000);
  setTimeout(() => {
    page.waiting = false;
    showPart("stage");
    signaling.connect();
  }, wait);
}

// One part of the page at a time: the device check, the class (stage), or what comes after.
// The patient's own heart rate sits under the coach's video during class, so that both are in
// view on a phone; before the class it stays with the device check.
function showPart(part) {
  for (const id of ["check", "stage", "after"]) $(id).hidden = id !== part;
  const hr = $("hr-me");
  if (hr) {
    $(part === "stage" ? "hr-slot" : "hr-home").append(hr);
    hr.hidden = part === "after";
  }
  $("back").hidden = part === "after";
}

// The class goes on without this patient (left, or a fault): "join again" is offered. When it is
// over for them (ended, cancelled, removed, signed out) only the way back to their classes is.
function finish(key, { rejoin = false } = {}) {
  page.over = true;
  signaling.close();
  link.reset();
  for (const track of page.local ? page.local.getTracks() : []) track.stop();
  page.local = null;
  showPart("after");
  $("rejoin").hidden = !rejoin;
  say(key);
  // The pressed control is gone: the focus goes to the one thing to do next.
  if (document.activeElement === document.body || !document.activeElement?.offsetParent) {
    $(rejoin ? "rejoin" : "after-back").focus();
  }
}

async function rejoin() {
  say("status_connecting");
  for (const track of (await openDevices())?.getTracks() ?? []) {
    track.enabled = track.kind === "audio" ? page.mic : page.camera;
  }
  start();
}

const CORNERS = ["top-right", "bottom-right", "bottom-left", "top-left"];
function moveSelf() {
  const tile = $("self-tile");
  tile.dataset.corner = CORNERS[(CORNERS.indexOf(tile.dataset.corner) + 1) % CORNERS.length];
}

function hideSelf(hidden) {
  $("self-tile").hidden = hidden;
  $("self-move").disabled = hidden;
  setButton("self-hide", hidden, hidden ? "self_show" : "self_hide");
}

$("check-devices").addEventListener("click", () => deviceTest.run());
$("check-devices").disabled = $("join").disabled = false;
$("join").addEventListener("click", async () => {
  if (!page.local) await openDevices();
  start();
});
$("mute").addEventListener("click", () => toggleMic(!page.mic));
$("camera").addEventListener("click", () => {
  page.camera = !page.camera;
  for (const track of page.local ? page.local.getVideoTracks() : []) track.enabled = page.camera;
  setButton("camera", !page.camera, page.camera ? "camera_off" : "camera_on");
  signaling.send({ type: "mute", kind: "video", muted: !page.camera });
});
$("audio-only").addEventListener("click", () => {
  page.audioOnly = !page.audioOnly;
  link.audioOnly = page.audioOnly;
  setButton("audio-only", page.audioOnly, page.audioOnly ? "audio_only_off" : "audio_only_on");
  signaling.send({ type: "audio_only", enabled: page.audioOnly });
});
$("leave").addEventListener("click", () => {
  signaling.send({ type: "leave" });
  finish("status_left", { rejoin: true });
});
$("rejoin").addEventListener("click", rejoin);
$("self-move").addEventListener("click", moveSelf);
$("self-hide").addEventListener("click", () => hideSelf(!$("self-tile").hidden));
