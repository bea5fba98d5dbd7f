// The class connection: JSON messages over a websocket (docs/signaling.md) that comes back by
// itself after a drop, unless the server said why it closed for good.

// 4425 (not open yet) is final too: the page itself connects again when the room opens.
const FINAL_CLOSE_CODES = new Set([1000, 4401, 4403, 4404, 4409, 4410, 4425]);
const PING_MS = 20000;

export class Signaling {
  constructor(path, { onMessage, onStatus }) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = `${scheme}//${location.host}${path}`;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.socket = null;
    this.retries = 0;
    this.stopped = false;
    this.pinger = null;
  }

  connect() {
    this.stopped = false;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.retries = 0;
      this.onStatus("open");
      this.pinger = setInterval(() => this.send({ type: "ping" }), PING_MS);
    };
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(message);
    };
    socket.onclose = (event) => {
      clearInterval(this.pinger);
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped || FINAL_CLOSE_CODES.has(event.code)) {
        this.onStatus("closed", event.code);
        return;
      }
      this.onStatus("reconnecting");
      const delay = Math.min(500 * 2 ** this.retries, 5000);
      this.retries += 1;
      setTimeout(() => {
        if (!this.stopped) this.connect();
      }, delay);
    };
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  close() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
  }
}
