// The patient's own heart rate: pair a sensor, stream it, see the rate against the target band.
import { band } from "./hr-zone.js";
import { CueView } from "./hr-cue.js";
import { LiveSender, bluetoothAvailable, connectSensor } from "./heart-rate-sensor.js";
import { setText } from "./live-text.js";

const root = document.querySelector("#hr-me");
if (root) {
  const text = root.dataset;
  const bpmEl = root.querySelector("#hr-own-bpm");
  const bandEl = root.querySelector("#hr-own-band");
  const statusEl = root.querySelector("#hr-sensor-status");
  const button = root.querySelector("#hr-connect");
  let zone = null;
  let latest = 0;

  function show(bpm, t) {
    if (t < latest) return;
    latest = t;
    bpmEl.textContent = String(bpm);
    const where = band(bpm, zone);
    bandEl.dataset.zone = where;
    bandEl.textContent = { below: text.textBelow, in: text.textIn, above: text.textAbove }[where] || "";
  }

  const url = new URL(root.dataset.socket, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  let cues = null;
  const sender = new LiveSender(url.toString(), {
    onBand: (z) => {
      zone = z;
    },
    onReading: (message) => show(message.bpm, message.t),
    onOther: (message) => cues?.handle(message),
    onStatus: (state) => {
      if (state === "offline") setText(statusEl, text.textOffline);
    },
  });
  cues = new CueView(root.querySelector("#hr-cue"), (message) => sender.sendMessage(message));
  sender.start();
  window.hrSender = sender;

  if (!bluetoothAvailable()) {
    button.disabled = true;
    setText(statusEl, text.textUnsupported);
  }
  button.addEventListener("click", async () => {
    try {
      await connectSensor(
        (m) => {
          if (m.contact === false) {
            setText(statusEl, text.textNoContact);
            return;
          }
          const t = Date.now();
          show(m.bpm, t);
          sender.send(m.bpm, m.rrMs, t);
        },
        (state) => {
          setText(statusEl, state === "connected" ? text.textConnected : text.textSensorLost);
        },
      );
    } catch (error) {
      if (error.message === "unsupported") setText(statusEl, text.textUnsupported);
    }
  });
}
