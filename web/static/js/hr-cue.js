// The cue on the patient's class page (docs/heart-rate.md, "Cues"): large, in an aria-live region
// changed only by a new cue (announced once), spoken in the patient's language unless they turned
// speech off (remembered here). An RPE prompt shows the Borg scale; a tap sends the answer.
import { setText } from "./live-text.js";

const SPEECH_KEY = "telecoach.cueSpeech";

export class CueView {
  constructor(root, send) {
    this.root = root;
    this.send = send;
    this.textEl = root.querySelector("#hr-cue-text");
    this.scale = root.querySelector("#hr-rpe");
    this.toggle = root.querySelector("#hr-cue-speech");
    this.at = null;
    this.speak = localStorage.getItem(SPEECH_KEY) !== "off";
    this.toggle.addEventListener("click", () => {
      this.speak = !this.speak;
      localStorage.setItem(SPEECH_KEY, this.speak ? "on" : "off");
      if (!this.speak) window.speechSynthesis?.cancel();
      this.showToggle();
    });
    this.scale.addEventListener("click", (event) => {
      const button = event.target.closest("[data-rpe]");
      if (button) this.send({ type: "rpe", value: Number(button.dataset.rpe) });
    });
    this.showToggle();
  }

  showToggle() {
    this.toggle.setAttribute("aria-pressed", String(this.speak));
    this.toggle.querySelector(".label").textContent = this.root.dataset[this.speak ? "speechOn" : "speechOff"];
  }

  // A `cue` entry's cue, a `cue_state` (after connecting), or a `cue_mute`.
  handle(message) {
    if (message.type === "cue_state") {
      if (message.cue && (!message.cues_muted || message.cue.kind === "coach")) this.show(message.cue, false);
    } else if (message.type === "cue") this.show(message.cue, true);
    else if (message.type === "cue_mute" && message.muted) this.clear();
    else if (message.type === "live_view") this.showLiveView(message.on);
    else if (message.type === "rpe_stored") {
      this.scale.hidden = true;
      this.say(this.root.dataset.rpeThanks, false, "rpe_stored");
    }
  }

  show(cue, fresh) {
    if (this.at != null && cue.at_ms <= this.at) return; // seen, or older than what is shown
    this.at = cue.at_ms;
    const words = cue.kind === "coach" ? `${this.root.dataset.coach} ${cue.text}` : this.root.dataset[cue.kind];
    if (!words) return;
    this.scale.hidden = cue.kind !== "rpe_prompt";
    this.say(words, fresh, cue.kind);
  }

  say(words, speak, kind) {
    this.root.dataset.kind = kind;
    this.textEl.textContent = words;
    if (!speak || !this.speak || !window.speechSynthesis) return;
    const utterance = new SpeechSynthesisUtterance(words);
    utterance.lang = this.root.dataset.lang;
    window.speechSynthesis.cancel(); // the newest cue, not a queue of old ones
    window.speechSynthesis.speak(utterance);
  }

  // Without the live view (the server's bus away) no cue can come: said until it is back, in
  // place of a cue that may be stale by now, but never of a stop.
  showLiveView(on) {
    const kind = this.root.dataset.kind;
    if (!on && kind !== "stop") {
      this.at = null; // the cue current when the bus is back is shown again, not taken as seen
      this.scale.hidden = true;
      this.say(this.root.dataset.paused, false, "paused");
    } else if (on && kind === "paused") {
      this.clear();
    }
  }

  clear() {
    this.root.dataset.kind = "none";
    this.scale.hidden = true;
    setText(this.textEl, this.root.dataset.waiting); // a mute repeated is not said again
  }
}
