// The media connection to the class server. The server always offers and we answer. A new `peer`
// number in an offer means the server started a fresh connection, so we start a fresh one too.
// When ours fails we ask for a new one ("join"): there is no ICE restart with this server.

const DISCONNECTED_GRACE_MS = 4000;

export class MediaLink {
  constructor(signaling, { onTracks, onConnection }) {
    this.signaling = signaling;
    this.onTracks = onTracks;
    this.onConnection = onConnection;
    this.pc = null;
    this.peer = null;
    this.iceServers = [];
    this.local = { audio: null, video: null };
    this.audioOnly = false;
    this.chain = Promise.resolve();
    this.graceTimer = null;
  }

  setLocal(stream) {
    this.local.audio = stream ? stream.getAudioTracks()[0] || null : null;
    this.local.video = stream ? stream.getVideoTracks()[0] || null : null;
  }

  // Offers are answered one at a time, in the order they came.
  offer(message) {
    this.chain = this.chain
      .then(() => this.answer(message))
      .catch((error) => console.warn("answering the offer failed", error));
  }

  async answer(message) {
    if (!this.pc || message.peer !== this.peer) this.fresh(message.peer);
    const pc = this.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    for (const [kind, mid] of Object.entries(message.upload || {})) {
      const transceiver = pc.getTransceivers().find((t) => t.mid === mid);
      if (!transceiver) continue;
      transceiver.direction = "sendonly";
      if (transceiver.sender.track !== this.local[kind]) {
        await transceiver.sender.replaceTrack(this.local[kind]);
      }
    }
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.pc) return;
    this.signaling.send({
      type: "answer",
      peer: message.peer,
      revision: message.revision,
      sdp: pc.localDescription.sdp,
    });
    this.onTracks();
  }

  fresh(peer) {
    this.reset();
    this.peer = peer;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    pc.onicecandidate = (event) => {
      if (this.pc !== pc) return;
      const candidate = event.candidate ? event.candidate.toJSON() : null;
      this.signaling.send({ type: "candidate", peer, candidate });
    };
    pc.onconnectionstatechange = () => this.watch(pc);
    pc.ontrack = () => this.onTracks();
    this.pc = pc;
  }

  watch(pc) {
    if (pc !== this.pc) return;
    clearTimeout(this.graceTimer);
    const state = pc.connectionState;
    if (state === "connected") {
      this.onConnection("connected");
    } else if (state === "failed") {
      this.rebuild();
    } else if (state === "disconnected") {
      // Often a blip that heals by itself; if not, start over.
      this.graceTimer = setTimeout(() => {
        if (this.pc === pc && pc.connectionState !== "connected") this.rebuild();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  rebuild() {
    this.reset();
    this.onConnection("reconnecting");
    this.signaling.send({ type: "join", audio_only: this.audioOnly });
  }

  get connected() {
    return Boolean(this.pc && this.pc.connectionState === "connected");
  }

  // The received tracks of one participant, from the mids the server's state gives for them.
  tracks(mids) {
    if (!this.pc || !mids) return [];
    const found = [];
    for (const kind of ["video", "audio"]) {
      const transceiver = mids[kind] && this.pc.getTransceivers().find((t) => t.mid === mids[kind]);
      if (transceiver) found.push(transceiver.receiver.track);
    }
    return found;
  }

  reset() {
    clearTimeout(this.graceTimer);
    if (this.pc) {
      this.pc.onicecandidate = null;
      this.pc.onconnectionstatechange = null;
      this.pc.ontrack = null;
      this.pc.close();
    }
    this.pc = null;
    this.peer = null;
  }
}

// Show `tracks` in `video` without restarting playback when they did not change.
export function show(video, tracks) {
  const current = video.srcObject ? video.srcObject.getTracks().map((t) => t.id).join() : "";
  if (current === tracks.map((t) => t.id).join()) return;
  video.srcObject = tracks.length ? new MediaStream(tracks) : null;
}
