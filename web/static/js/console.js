// The coach's console: admit from the lobby, a tile per patient (their video and their heart
// rate together), alerts beside them, and the class controls.
import { HeartRateTiles } from "./hr-tiles.js";
import { fitGrid } from "./console-grid.js";
import { setText } from "./live-text.js";
import { fill, pageWords } from "./page-words.js";
import { MediaLink, show } from "./media-link.js";
import { Signaling } from "./signaling.js";

const $ = (id) => document.getElementById(id);
const root = $("console");
const page = { local: null, state: null, mic: true, camera: true, over: false, seen: null };
const words = pageWords("console-words"); // the coach's language (console.html)
const holdWords = pageWords("console-hold-words", { rules: {}, separator: ", " });

// #status is a live region: said once per change, however often the state repeats it.
function say(message, key) {
  setText($("status"), message);
  root.dataset.status = key;
}

// The heart rates are live from the moment the page opens; a patient's readout moves into their
// video tile (participant "p<patient id>") while they have one, and waits in the side list else.
const hrRoot = $("hr-monitor");
const hrTiles = new HeartRateTiles(hrRoot, hrRoot.dataset.socket, {
  // A caller's tile says "no heart rate (phone)" instead: their readout, if any, stays aside.
  home: (patientId) =>
    $("tiles").querySelector(`[data-participant="p${patientId}"]:not([data-kind="phone"]) .hr-slot`),
  onRender: (patientId, rate) => showLobbyRate($("lobby").querySelector(`[data-participant="p${patientId}"]`), rate),
});
window.hrTiles = hrTiles;
hrTiles.connect();

const signaling = new Signaling(root.dataset.socket, { onMessage, onStatus });
const link = new MediaLink(signaling, {
  onTracks: render,
  onConnection: (state) =>
    state === "connected" ? say(words.live, "live") : say(words.connection_lost, "reconnecting"),
});

async function start() {
  try {
    page.local = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 640, height: 360 },
    });
  } catch {
    page.local = null;
    say(words.no_devices, "no-devices");
  }
  link.setLocal(page.local);
  $("self-video").srcObject = page.local;
  $("start").hidden = true;
  for (const part of root.querySelectorAll("[data-live]")) part.hidden = false;
  placeRatesElsewhere(true); // nobody is in the room yet
  $("mute").focus(); // "Start class" is gone: the keyboard goes on from the class's controls
  signaling.connect();
}

function onStatus(status, code) {
  if (status === "reconnecting") {
    link.reset();
    say(words.reconnecting_class, "reconnecting");
  } else if (status === "closed" && !page.over) {
    link.reset();
    if (!page.waiting) say(code === 4401 ? words.signed_out : words.disconnected, "closed");
  }
}

function onMessage(message) {
  switch (message.type) {
    case "welcome":
      link.iceServers = message.ice_servers;
      if (message.room.ended) {
        say(words.was_ended, "ended");
        $("reopen").hidden = false;
        break;
      }
      signaling.send({ type: "join" });
      if (!page.mic) signaling.send({ type: "mute", kind: "audio", muted: true });
      if (!page.camera) signaling.send({ type: "mute", kind: "video", muted: true });
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
    case "ended":
      page.over = true;
      link.reset();
      say(words.ended, "ended");
      break;
    case "error":
      if (message.code === "not_open") waitForOpening(message.opens_at);
      else if (message.code === "class_ended") {
        page.over = true;
        say(words.ended, "ended");
      } else say(fill(words.server_said, { message: message.message }), "error");
      break;
  }
}

function waitForOpening(opensAt) {
  page.waiting = true;
  say(fill(words.opens, { when: root.dataset.opensLocal }), "not-open");
  setTimeout(() => {
    page.waiting = false;
    signaling.connect();
  }, Math.max(5000, Date.parse(opensAt) - Date.now() + 1000));
}

function render() {
  const state = page.state;
  if (!state) return;
  const patients = state.participants.filter((p) => p.role === "patient");
  // A patient whose connection dropped keeps their tile, marked lost, until they are back.
  const lost = (p) => p.connection === "lost";
  const waiting = patients.filter((p) => !p.admitted && !lost(p));
  const inClass = patients.filter((p) => p.admitted || lost(p));
  announce(waiting, inClass);
  renderLobby(waiting);
  renderTiles(inClass, state.spotlight);
  $("see-each-other").checked = state.options.patients_see_each_other;
}

function renderLobby(waiting) {
  const list = $("lobby");
  // The list is drawn anew: a keyboard on an "Admit" button stays on that patient's button, or,
  // once they are admitted, goes to the lobby's heading rather than to the top of the page.
  const focused = list.contains(document.activeElement)
    ? document.activeElement.closest("[data-participant]")?.dataset.participant
    : null;
  list.replaceChildren(
    ...waiting.map((person) => {
      const item = document.createElement("li");
      item.dataset.participant = person.id;
      if (person.kind === "phone") item.append(phoneTag(), " ");
      item.append(`${person.name} `, lobbyRate());
      if (person.on_hold) item.append(holdTag(person));
      showLobbyRate(item, hrTiles.latest(Number(person.id.slice(1)))); // participant "p<patient id>"
      const admit = document.createElement("button");
      admit.type = "button";
      admit.textContent = fill(words.admit, { name: person.name });
      admit.addEventListener("click", () => signaling.send({ type: "admit", participant: person.id }));
      item.append(" ", admit);
      return item;
    }),
  );
  $("lobby-empty").hidden = waiting.length > 0;
  if (focused) (list.querySelector(`[data-participant="${focused}"] button`) || $("lobby-h")).focus();
}

// Who came to the lobby and who came into the class (admitted, or straight in), said once each:
// the lists themselves are drawn anew with every state and are not live regions. A patient whose
// connection drops keeps their place, so their return is not news. The first state is not said.
function announce(waiting, inClass) {
  const before = page.seen;
  page.seen = { waiting: new Set(waiting.map((p) => p.id)), inClass: new Set(inClass.map((p) => p.id)) };
  if (!before) return;
  const news = [
    ...waiting.filter((p) => !before.waiting.has(p.id)).map((p) => fill(words.lobby_arrived, { name: p.name })),
    ...inClass.filter((p) => !before.inClass.has(p.id)).map((p) => fill(words.lobby_admitted, { name: p.name })),
  ];
  if (news.length) $("announce").textContent = news.join(" ");
}

// A waiting patient who already streams a heart rate shows it beside their name, in the zone's
// colour, so the coach sees who is warm before admitting them.
function lobbyRate() {
  const rate = document.createElement("span");
  rate.className = "lobby-hr";
  rate.hidden = true;
  return rate;
}

function showLobbyRate(item, rate) {
  const box = item && item.querySelector(".lobby-hr");
  if (!box) return;
  box.hidden = rate == null;
  box.dataset.zone = rate ? rate.zone : "";
  box.textContent = rate ? fill(words.lobby_hr, { bpm: rate.bpm, band: rate.band }) : "";
}

function phoneTag() {
  const tag = document.createElement("span");
  tag.className = "tag phone";
  tag.textContent = words.phone;
  tag.title = words.phone_title;
  return tag;
}

function holdTag(person) {
  const tag = document.createElement("span");
  tag.className = "tag hold";
  tag.textContent = words.on_hold;
  tag.title = holdTitle(person);
  return tag;
}

// Why a patient is on hold, in the coach's words: the room names each rule by its id.
function holdTitle(person) {
  const named = (id) => holdWords.rules[id.replace(/^hold\./, "")] || id;
  return (person.hold_reasons || []).map(named).join(holdWords.separator);
}

function renderTiles(admitted, spotlight) {
  const box = $("tiles");
  let focusLost = false; // the keyboard was on a tile that goes (the patient left)
  for (const tile of [...box.children]) {
    if (admitted.some((p) => p.id === tile.dataset.participant)) continue;
    focusLost ||= tile.contains(document.activeElement);
    tile.remove();
  }
  for (const person of admitted) {
    let tile = box.querySelector(`[data-participant="${person.id}"]`);
    if (!tile) {
      tile = $("tile-template").content.firstElementChild.cloneNode(true);
      tile.dataset.participant = person.id;
      for (const button of tile.querySelectorAll("button")) {
        button.addEventListener("click", () => act(button.dataset.action, person.id));
      }
      watchPicture(tile);
      box.append(tile);
    }
    tile.querySelector(".name").textContent = person.name;
    tile.querySelector(".placeholder-name").textContent = person.name;
    // A caller has no camera and no heart-rate sensor: the tile says so rather than wait.
    const phone = person.kind === "phone";
    tile.dataset.kind = phone ? "phone" : "browser";
    tile.querySelector(".tag.phone").hidden = !phone;
    tile.querySelector(".hr-none:not(.hr-phone)").hidden = phone;
    tile.querySelector(".hr-phone").hidden = !phone;
    const hold = tile.querySelector(".hold");
    hold.hidden = !person.on_hold;
    hold.title = holdTitle(person);
    showLink(tile, person);
    tile.querySelector(".muted").hidden = !person.audio_muted;
    tile.querySelector(".audio-only").hidden = !person.audio_only || phone;
    tile.classList.toggle("spotlit", spotlight === person.id);
    tile.querySelector(".tag.spotlight").hidden = spotlight !== person.id;
    tile.querySelector('[data-action="spotlight"]').textContent =
      spotlight === person.id ? words.end_spotlight : words.spotlight;
    // Twelve "Mute" buttons on one page: each says whose it is to a screen reader.
    for (const button of tile.querySelectorAll(".tile-actions button")) {
      button.setAttribute("aria-label", `${button.textContent} ${person.name}`);
    }
    show(tile.querySelector("video"), link.tracks(person.mids));
    tile.dataset.cameraOff = String(Boolean(person.video_muted));
    tile.dataset.hasVideo = String(Boolean(person.mids && person.mids.video));
    showPlaceholder(tile);
  }
  $("tiles-empty").hidden = admitted.length > 0;
  placeRatesElsewhere(admitted.length === 0);
  if (focusLost) (box.querySelector(".tile-actions button:not([hidden])") || $("mute")).focus();
  hrTiles.rehome();
  layoutTiles();
}

// The heart rates of patients not in the room sit in the side column, beside the class's video.
// With nobody in the room (the first minutes, or a class whose patients stream only their rates)
// the stage would stand empty while those rates were squeezed under the alerts: they take the
// stage instead, until the first patient is in.
function placeRatesElsewhere(stageEmpty) {
  const section = $("hr-elsewhere");
  const home = stageEmpty && !$("live").hidden ? $("live") : hrRoot;
  if (section.parentElement === home) return;
  const focused = section.contains(document.activeElement) ? document.activeElement : null;
  if (home === hrRoot) home.insertBefore(section, home.querySelector(".hr-legend"));
  else home.append(section);
  if (focused) focused.focus(); // a moved element loses the keyboard: give it back
}

// No picture to watch (camera off, no camera, nothing arriving yet): a placeholder that names the
// patient and says why, so a black box is never mistaken for a frozen one. The heart rate stays.
function showPlaceholder(tile) {
  const video = tile.querySelector("video");
  const track = video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
  const picture = Boolean(track) && !track.muted && video.videoWidth > 0;
  let why = null;
  if (tile.dataset.connection === "lost") why = words.why_lost;
  else if (tile.dataset.kind === "phone") why = words.why_phone;
  else if (tile.dataset.cameraOff === "true") why = words.why_camera_off;
  else if (tile.dataset.hasVideo !== "true" || !picture) why = words.why_no_video;
  const placeholder = tile.querySelector(".placeholder");
  placeholder.hidden = why == null;
  placeholder.querySelector(".placeholder-why").textContent = why || "";
  tile.dataset.picture = why == null ? "yes" : "no";
}

function watchPicture(tile) {
  const video = tile.querySelector("video");
  const again = () => showPlaceholder(tile);
  for (const event of ["loadeddata", "resize", "emptied", "playing"]) video.addEventListener(event, again);
}

// A remote track goes "muted" when its packets stop and unmuted when they flow again: look again.
setInterval(() => {
  for (const tile of $("tiles").children) showPlaceholder(tile);
}, 2000);

// As many tiles as fit, as large as they can be, on the screen without scrolling; a spotlit tile
// takes a 2×2 block.
const NARROW = window.matchMedia("(max-width: 56rem)");

function layoutTiles() {
  const box = $("tiles");
  if (NARROW.matches) {
    // A small screen scrolls instead: tiles in one or two columns, the side column below them.
    box.style.setProperty("--cols", box.clientWidth < 480 ? "1" : "2");
    return;
  }
  const count = box.children.length;
  const spotlit = box.querySelector(".spotlit") ? 1 : 0;
  const { cols, rows } = fitGrid(count, spotlit, box.clientWidth, box.clientHeight);
  box.style.setProperty("--cols", String(cols));
  box.style.setProperty("--rows", String(rows));
}

// The console fills the window below the site's header, so nothing needs scrolling.
function fitToWindow() {
  const top = root.getBoundingClientRect().top + window.scrollY;
  root.style.setProperty("--console-height", `${Math.max(480, window.innerHeight - top - 8)}px`);
}

fitToWindow();
window.addEventListener("resize", fitToWindow);
NARROW.addEventListener("change", layoutTiles);
new ResizeObserver(layoutTiles).observe($("tiles"));

const LINK_WORDS = {
  connecting: () => words.connecting,
  reconnecting: () => words.reconnecting,
  lost: (since) => (since ? fill(words.lost_at, { time: since }) : words.lost),
};

function showLink(tile, person) {
  const words = LINK_WORDS[person.connection];
  const since = person.connection_since
    ? new Date(person.connection_since).toLocaleTimeString("en-GB", {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: root.dataset.zone, // the coach's own zone, as every other time on the page
      })
    : "";
  const label = tile.querySelector(".link");
  label.hidden = !words;
  setText(label, words ? words(since) : ""); // a live region: said when it changes
  tile.dataset.connection = person.connection || "";
  for (const button of tile.querySelectorAll('[data-action="mute"], [data-action="spotlight"]')) {
    button.hidden = person.connection === "lost";
  }
}

function act(action, participant) {
  if (action === "mute") signaling.send({ type: "mute", participant });
  if (action === "spotlight") {
    const off = page.state && page.state.spotlight === participant;
    signaling.send({ type: "spotlight", participant: off ? null : participant });
  }
  if (action === "remove" && confirm(words.confirm_remove)) {
    signaling.send({ type: "remove", participant });
  }
}

$("start").addEventListener("click", start);
$("start").disabled = false;
$("reopen").addEventListener("click", () => {
  $("reopen").hidden = true;
  signaling.send({ type: "join", reopen: true });
});
$("mute").addEventListener("click", () => {
  page.mic = !page.mic;
  for (const track of page.local ? page.local.getAudioTracks() : []) track.enabled = page.mic;
  $("mute").setAttribute("aria-pressed", String(!page.mic));
  $("mute").textContent = page.mic ? words.mute : words.unmute;
  signaling.send({ type: "mute", kind: "audio", muted: !page.mic });
});
$("camera").addEventListener("click", () => {
  page.camera = !page.camera;
  for (const track of page.local ? page.local.getVideoTracks() : []) track.enabled = page.camera;
  $("camera").setAttribute("aria-pressed", String(!page.camera));
  $("camera").textContent = page.camera ? words.camera_off : words.camera_on;
  signaling.send({ type: "mute", kind: "video", muted: !page.camera });
});
$("see-each-other").addEventListener("change", (event) =>
  signaling.send({ type: "options", patients_see_each_other: event.target.checked }),
);
$("end").addEventListener("click", () => {
  if (confirm(words.confirm_end)) signaling.send({ type: "end" });
});
