// A standard Bluetooth LE heart-rate sensor in the browser (Web Bluetooth: Chrome and Edge on
// desktop and Android; not Safari/iOS), and streaming its readings over /ws/live/{occurrence}.
//
// Heart Rate Measurement (0x2A37), byte 0 flags: bit 0 value is uint16 (else uint8); bits 1-2
// sensor contact (bit 2: reported, bit 1: detected); bit 3 energy expended uint16 (kJ) follows;
// bit 4 RR intervals follow, uint16 each in 1/1024 s. Little-endian. The reference parser in
// tests/heart_rate/ble_reference.py parses the same way; both are tested against
// tests/heart_rate/ble_vectors.json.

export const HEART_RATE_SERVICE = 0x180d;
export const HEART_RATE_MEASUREMENT = 0x2a37;

function toView(data) {
  if (data instanceof DataView) return data;
  if (data instanceof ArrayBuffer) return new DataView(data);
  if (ArrayBuffer.isView(data)) return new DataView(data.buffer, data.byteOffset, data.byteLength);
  return new DataView(Uint8Array.from(data).buffer);
}

// 1/1024 s to milliseconds, halves rounded up (the Python side does the same integer arithmetic).
export function rrToMs(raw) {
  return Math.floor((raw * 1000 + 512) / 1024);
}

export function parseHeartRateMeasurement(data) {
  const view = toView(data);
  if (view.byteLength < 2) throw new Error("too short");
  const flags = view.getUint8(0);
  let offset;
  let bpm;
  if (flags & 0x01) {
    if (view.byteLength < 3) throw new Error("uint16 value missing");
    bpm = view.getUint16(1, true);
    offset = 3;
  } else {
    bpm = view.getUint8(1);
    offset = 2;
  }
  const contact = flags & 0x04 ? Boolean(flags & 0x02) : null;
  let energyKj = null;
  if (flags & 0x08) {
    if (view.byteLength < offset + 2) throw new Error("energy expended missing");
    energyKj = view.getUint16(offset, true);
    offset += 2;
  }
  const rrMs = [];
  if (flags & 0x10) {
    if ((view.byteLength - offset) % 2) throw new Error("odd number of RR bytes");
    for (; offset < view.byteLength; offset += 2) rrMs.push(rrToMs(view.getUint16(offset, true)));
  }
  return { bpm, contact, energyKj, rrMs };
}

export function bluetoothAvailable() {
  return typeof navigator !== "undefined" && Boolean(navigator.bluetooth);
}

// Pairs a sensor (the browser shows its chooser) and calls onMeasurement for every notification.
// Reconnects by itself when the sensor drops; onStatus("connected" | "lost") reports it.
export async function connectSensor(onMeasurement, onStatus = () => {}) {
  if (!bluetoothAvailable()) throw new Error("unsupported");
  const device = await navigator.bluetooth.requestDevice({
    filters: [{ services: [HEART_RATE_SERVICE] }],
  });
  async function subscribe() {
    const server = await device.gatt.connect();
    const service = await server.getPrimaryService(HEART_RATE_SERVICE);
    const characteristic = await service.getCharacteristic(HEART_RATE_MEASUREMENT);
    characteristic.addEventListener("characteristicvaluechanged", (event) => {
      try {
        onMeasurement(parseHeartRateMeasurement(event.target.value));
      } catch (error) {
        // A malformed notification: skip it, the next one comes in a second.
      }
    });
    await characteristic.startNotifications();
    onStatus("connected");
  }
  device.addEventListener("gattserverdisconnected", async () => {
    onStatus("lost");
    for (let wait = 1000; ; wait = Math.min(wait * 2, 15000)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        await subscribe();
        return;
      } catch (error) {
        // Still out of range: keep trying.
      }
    }
  });
  await subscribe();
  return device;
}

// Streams readings to the class's live socket. Every reading stays in `unacked` until the server
// says it is stored, and is sent again after a reconnect: none is lost, none is counted twice.
export class LiveSender {
  constructor(url, { watch = true, onBand = () => {}, onReading = () => {}, onStatus = () => {}, onOther = () => {} } = {}) {
    this.url = url;
    this.onOther = onOther; // cues and the like (hr-cue.js)
    this.watch = watch;
    this.onBand = onBand;
    this.onReading = onReading;
    this.onStatus = onStatus;
    this.unacked = new Map(); // t -> reading
    this.socket = null;
    this.wait = 1000;
    this.stopped = false;
  }

  start() {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.wait = 1000;
      socket.send(JSON.stringify({ type: "hello", watch: this.watch }));
      const backlog = [...this.unacked.values()];
      for (let i = 0; i < backlog.length; i += 1000) {
        socket.send(JSON.stringify({ type: "readings", readings: backlog.slice(i, i + 1000) }));
      }
      this.onStatus("online");
    });
    socket.addEventListener("message", (event) => this.handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      this.socket = null;
      if (this.stopped || event.code === 4401 || event.code === 4403 || event.code === 4404) {
        this.onStatus(event.code === 4401 ? "signed_out" : "closed");
        return;
      }
      this.onStatus("offline");
      setTimeout(() => this.start(), this.wait);
      this.wait = Math.min(this.wait * 2, 15000);
    });
  }

  handle(message) {
    if (message.type === "band") this.onBand(message.zone, message.occurrence);
    else if (message.type === "reading") this.onReading(message);
    else if (message.type === "stored") for (const t of message.t) this.unacked.delete(t);
    else if (message.type === "rejected") this.unacked.delete(message.t);
    else if (message.type === "error") this.onStatus("error", message);
    else this.onOther(message);
  }

  // A message other than a reading (an RPE answer); dropped while offline.
  sendMessage(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  send(bpm, rrMs = [], t = Date.now()) {
    if (bpm < 25 || bpm > 250) return;
    const reading = { t, bpm };
    if (rrMs.length) reading.rr_ms = rrMs.filter((rr) => rr >= 150 && rr <= 3000).slice(0, 32);
    this.unacked.set(t, reading);
    if (this.unacked.size > 3600) this.unacked.delete(this.unacked.keys().next().value);
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "reading", ...reading }));
    }
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close();
  }
}
