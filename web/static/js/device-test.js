// "Test my camera and sound" before joining a class: the camera (a picture arrives), the
// microphone (the level moves while the patient speaks), the speaker (a test sound the patient
// says they heard). Every result is said in words, with what to do when something does not work;
// the mark and the colour only repeat the words.
const $ = (id) => document.getElementById(id);
const VIDEO = { width: 640, height: 360 };
// A voice lifts the peak level (0 to 1) well above a quiet room's hiss.
const MIC_HEARD = 0.08;
// Long enough to say a name on a slow phone; after that the page says what to check.
const MIC_WAIT_MS = 10000;
const CAMERA_WAIT_MS = 10000;
const MARKS = { ok: "✓ ", problem: "! ", wait: "" };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Why the browser gave no camera or microphone, as one of the test's words.
function problemOf(error) {
  if (["NotAllowedError", "SecurityError"].includes(error?.name)) return "blocked";
  if (["NotFoundError", "OverconstrainedError"].includes(error?.name)) return "none";
  if (error?.name === "TypeError") return "unsupported";
  return "busy"; // NotReadableError, AbortError: held by another app, or the device failed
}

// The camera and microphone together; if one of them is missing, the other alone. The stream
// (or null) and, for each of the two, null when it opened or the problem's word.
export async function openMedia() {
  const devices = navigator.mediaDevices;
  if (!devices?.getUserMedia) return { stream: null, camera: "unsupported", mic: "unsupported" };
  try {
    const stream = await devices.getUserMedia({ audio: true, video: VIDEO });
    return { stream, camera: null, mic: null };
  } catch (error) {
    const problem = problemOf(error);
    if (problem !== "none") return { stream: null, camera: problem, mic: problem };
  }
  const opened = { stream: new MediaStream(), camera: null, mic: null };
  for (const [kind, constraints] of [["mic", { audio: true }], ["camera", { video: VIDEO }]]) {
    try {
      for (const track of (await devices.getUserMedia(constraints)).getTracks()) {
        opened.stream.addTrack(track);
      }
    } catch (error) {
      opened[kind] = problemOf(error);
    }
  }
  if (!opened.stream.getTracks().length) opened.stream = null;
  return opened;
}

export class DeviceTest {
  // words: the page's strings; onOpened(stream) keeps the stream for the class; onSummary(key)
  // says the overall result in the page's status; active() is false once the patient joined.
  constructor(words, { onOpened, onSummary, active }) {
    Object.assign(this, { words, onOpened, onSummary, active, stream: null, run_id: 0 });
    $("play-sound").addEventListener("click", () => this.playSound());
    $("heard-yes").addEventListener("click", () => this.report("test-sound", "ok", "sound_ok"));
    $("heard-no").addEventListener("click", () => this.report("test-sound", "problem", "sound_none"));
  }

  report(row, result, key) {
    const item = $(row);
    item.dataset.result = result;
    item.querySelector(".mark").textContent = MARKS[result];
    item.querySelector(".result").textContent = this.words[key];
  }

  async run() {
    const run = ++this.run_id;
    for (const track of this.stream ? this.stream.getTracks() : []) track.stop();
    if (this.stream) this.onOpened(null); // a join meanwhile opens its own
    this.stream = null;
    $("device-results").hidden = false;
    $("check-devices").textContent = this.words.again;
    this.report("test-camera", "wait", "camera_wait");
    this.report("test-mic", "wait", "mic_wait");
    if ($("test-sound").dataset.result === "wait") this.report("test-sound", "wait", "sound_wait");
    const opened = await openMedia();
    if (run !== this.run_id || !this.active()) {
      // Tested again, or joined meanwhile with its own stream: this one is nobody's.
      for (const track of opened.stream ? opened.stream.getTracks() : []) track.stop();
      return;
    }
    this.stream = opened.stream;
    this.onOpened(opened.stream);
    // "blocked", "busy" and "unsupported" are words of their own; "none" is each device's.
    if (opened.camera) {
      const key = opened.camera === "none" ? "camera_none" : opened.camera;
      this.report("test-camera", "problem", key);
    }
    if (opened.mic && opened.mic === opened.camera && opened.mic !== "none") {
      // One problem of both: said once, above; here what she can still do.
      this.report("test-mic", "problem", "still_join");
    } else if (opened.mic) {
      this.report("test-mic", "problem", opened.mic === "none" ? "mic_none" : opened.mic);
    }
    $("mic-level").parentElement.hidden = Boolean(opened.mic); // a level of nothing says nothing
    if (opened.camera || opened.mic) this.onSummary("check_failed");
    if (!opened.stream) return;
    $("preview").srcObject = opened.stream;
    const [camera, mic] = await Promise.all([
      opened.camera ? false : this.watchCamera(run),
      opened.mic ? false : this.listen(run),
    ]);
    if (camera && mic && run === this.run_id && this.active()) this.onSummary("check_ok");
  }

  // A picture arrives: the video has a size and its clock moves.
  async watchCamera(run) {
    const video = $("preview");
    const deadline = performance.now() + CAMERA_WAIT_MS;
    let first = null;
    while (run === this.run_id && this.active()) {
      if (video.videoWidth > 0) {
        if (first === null) first = video.currentTime;
        else if (video.currentTime > first) {
          this.report("test-camera", "ok", "camera_ok");
          return true;
        }
      }
      if (performance.now() > deadline) {
        this.report("test-camera", "problem", "camera_dark");
        return false;
      }
      await sleep(150);
    }
    return false;
  }

  // The level meter, and "we hear you" once a voice lifts it; it keeps listening after a silence,
  // so that unmuting the microphone turns the result to "works" without testing again.
  listen(run) {
    const stream = this.stream;
    if (!window.AudioContext) return Promise.resolve(false);
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const started = performance.now();
    return new Promise((resolve) => {
      let heard = false;
      let silent = false;
      const tick = () => {
        if (run !== this.run_id || !this.active()) {
          context.close();
          return resolve(heard);
        }
        analyser.getByteTimeDomainData(samples);
        const peak = samples.reduce((max, s) => Math.max(max, Math.abs(s - 128)), 0) / 128;
        $("mic-level").value = peak;
        if (!heard && peak >= MIC_HEARD) {
          heard = true;
          this.report("test-mic", "ok", "mic_ok");
          resolve(true);
        } else if (!heard && !silent && performance.now() - started > MIC_WAIT_MS) {
          silent = true;
          this.report("test-mic", "problem", "mic_silent");
          resolve(false);
        }
        requestAnimationFrame(tick);
      };
      tick();
    });
  }

  // A short two-note chime, then the question; the patient's answer is the result.
  playSound() {
    try {
      const context = new AudioContext();
      const gain = context.createGain();
      gain.connect(context.destination);
      const now = context.currentTime;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.4, now + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 1.6);
      for (const [hz, at] of [[660, 0], [880, 0.4]]) {
        const tone = context.createOscillator();
        tone.frequency.value = hz;
        tone.connect(gain);
        tone.start(now + at);
        tone.stop(now + 1.6);
      }
      setTimeout(() => context.close(), 2000);
    } catch {
      this.report("test-sound", "problem", "sound_broken");
      return;
    }
    $("sound-question").hidden = false;
  }
}
