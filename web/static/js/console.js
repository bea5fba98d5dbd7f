// The coach's console: admit from the lobby, a tile per patient (their video and their heart
// rate together), alerts beside them, and the class controls.
import { HeartRateTiles } from "./hr-tiles.js";
import { fitGrid } from "./console-grid.js";
import { MediaLink, show } from "./media-link.js";
import { Signaling } from "./signaling.js";

const $ = (id) => document.getElementById(id);
const root = $("console");
const page = { local: null, state: null, mic: true, camera: true, over: false };

function say(message, key) {
  $("status").textContent = message;
  root.dataset.status = key;
}

// The heart rates are live from the moment the page opens; a patient's readout moves into their
// video tile (participant "p<patient id>") while they have one, and waits in the side list else.
const hrRoot = $("hr-monitor");
const hrTiles = new HeartRateTiles(hrRoot, hrRoot.dataset.socket, {
  // A caller's tile says "no heart rate (phone)" instead: their readout, if any, stays aside.
  home: (patientId) =>
    $("tiles").querySelector(`[data-participant="p${patientId}"]:not([data-kind="phone"]) .hr-slot`),
});
window.hrTiles = hrTiles;
hrTiles.connect();

const signaling = new Signaling(root.dataset.socket, { onMessage, onStatus });
const link = new MediaLink(signaling, {
  onTracks: render,
  onConnection: (state) =>
    state === "connected" ? say("Live.", "live") : say("Connection lost. Reconnecting…", "reconnecting"),
});

async function start() {
  try {
    page.local = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 640, height: 360 },
    });
  } catch {
    page.local = null;
    say("No camera or microphone: patients will not see or hear you.", "no-devices");
  }
  link.setLocal(page.local);
  $("self-video").srcObject = page.local;
  $("start").hidden = true;
  for (const part of root.querySelectorAll("[data-live]")) part.hidden = false;
  signaling.connect();
}

function onStatus(status, code) {
  if (status === "reconnecting") {
    link.reset();
    say("Connection lost. Reconnecting… The class goes on without you meanwhile.", "reconnecting");
  } else if (status === "closed" && !page.over) {
    link.reset();
    if (!page.waiting) say(code === 4401 ? "Your sign-in ended. Sign in again." : "Disconnected.", "closed");
  }
}

function onMessage(message) {
  switch (message.type) {
    case "welcome":
      link.iceServers = message.ice_servers;
      if (message.room.ended) {
        say("This class was ended. Start it again only if you mean to: patients wait in the lobby again.", "ended");
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
      say("The class has ended.", "ended");
      break;
    case "error":
      if (message.code === "not_open") waitForOpening(message.opens_at);
      else if (message.code === "class_ended") {
        page.over = true;
        say("The class has ended.", "ended");
      } else say(`The server said: ${message.message}`, "error");
      break;
  }
}

function waitForOpening(opensAt) {
  page.waiting = true;
  say(`The class room opens ${root.dataset.opensLocal}. This page connects then.`, "not-open");
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
  renderLobby(patients.filter((p) => !p.admitted && !lost(p)));
  renderTiles(patients.filter((p) => p.admitted || lost(p)), state.spotlight);
  $("see-each-other").checked = state.options.patients_see_each_other;
}

function renderLobby(waiting) {
  const list = $("lobby");
  list.replaceChildren(
    ...waiting.map((person) => {
      const item = document.createElement("li");
      item.dataset.participant = person.id;
      if (person.kind === "phone") item.append(phoneTag(), " ");
      item.append(`${person.name} `);
      if (person.on_hold) item.append(holdTag(person));
      const admit = document.createElement("button");
      admit.type = "button";
      admit.textContent = `Admit ${person.name}`;
      admit.addEventListener("click", () => signaling.send({ type: "admit", participant: person.id }));
      item.append(" ", admit);
      return item;
    }),
  );
  $("lobby-empty").hidden = waiting.length > 0;
}

function phoneTag() {
  const tag = document.createElement("span");
  tag.className = "tag phone";
  tag.textContent = "Phone";
  tag.title = "Joined by phone: voice only";
  return tag;
}

function holdTag(person) {
  const tag = document.createElement("span");
  tag.className = "tag hold";
  tag.textContent = "On hold today";
  tag.title = person.hold_reasons.join(", ");
  return tag;
}

function renderTiles(admitted, spotlight) {
  const box = $("tiles");
  for (const tile of [...box.children]) {
    if (!admitted.some((p) => p.id === tile.dataset.participant)) tile.remove();
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
    hold.title = (person.hold_reasons || []).join(", ");
    showLink(tile, person);
    tile.querySelector(".muted").hidden = !person.audio_muted;
    tile.querySelector(".audio-only").hidden = !person.audio_only || phone;
    tile.classList.toggle("spotlit", spotlight === person.id);
    tile.querySelector(".tag.spotlight").hidden = spotlight !== person.id;
    tile.querySelector('[data-action="spotlight"]').textContent =
      spotlight === person.id ? "End spotlight" : "Spotlight";
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
  hrTiles.rehome();
  layoutTiles();
}

// No picture to watch (camera off, no camera, nothing arriving yet): a placeholder that names the
// patient and says why, so a black box is never mistaken for a frozen one. The heart rate stays.
function showPlaceholder(tile) {
  const video = tile.querySelector("video");
  const track = video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
  const picture = Boolean(track) && !track.muted && video.videoWidth > 0;
  let why = null;
  if (tile.dataset.connection === "lost") why = "Connection lost";
  else if (tile.dataset.kind === "phone") why = "On the phone";
  else if (tile.dataset.cameraOff === "true") why = "Camera off";
  else if (tile.dataset.hasVideo !== "true" || !picture) why = "No video";
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
  connecting: () => "Connecting…",
  reconnecting: () => "Reconnecting…",
  lost: (since) => `Lost${since ? ` at ${since}` : ""}: not back yet`,
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
  label.textContent = words ? words(since) : "";
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
  if (action === "remove" && confirm("Remove this patient from the class?")) {
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
  $("mute").textContent = page.mic ? "Mute" : "Unmute";
  signaling.send({ type: "mute", kind: "audio", muted: !page.mic });
});
$("camera").addEventListener("click", () => {
  page.camera = !page.camera;
  for (const track of page.local ? page.local.getVideoTracks() : []) track.enabled = page.camera;
  $("camera").setAttribute("aria-pressed", String(!page.camera));
  $("camera").textContent = page.camera ? "Turn camera off" : "Turn camera on";
  signaling.send({ type: "mute", kind: "video", muted: !page.camera });
});
$("see-each-other").addEventListener("change", (event) =>
  signaling.send({ type: "options", patients_see_each_other: event.target.checked }),
);
$("end").addEventListener("click", () => {
  if (confirm("End the class for everyone?")) signaling.send({ type: "end" });
});
