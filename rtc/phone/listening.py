"""A phone caller's media in the room: their voice as one Opus source, and what they hear.

    caller's μ-law --CallerToRoom--> Opus frames --Source.publish--> forwarded to the coach
    coach's / spotlighted Opus --Listener (decode, 8 kHz)--> mix every 20 ms --> caller

Only a room with a caller decodes anything, and only the tracks that caller hears: every other
subscriber still gets encoded frames forwarded untouched. The caller's own voice is never a
source of theirs (the room never routes a member to themself).
"""

from __future__ import annotations

from rtc.forwarding import Source
from rtc.frames import EncodedFrame
from rtc.peer import SlotKey
from rtc.phone.audio import PHONE_SAMPLES, ROOM_SAMPLES, CallerToRoom, RoomToCaller, mix

FRAME_BYTES = PHONE_SAMPLES * 2
# What a listener holds for the mix. Playing starts as soon as one frame is in (every frame held
# back is 20 ms more delay on the phone); when more than a few frames pile up (a burst after a
# stall) the oldest are dropped, so the caller loses a little audio rather than hearing it late.
PREBUFFER_BYTES = FRAME_BYTES
MAX_BUFFER_BYTES = 3 * FRAME_BYTES


async def _no_keyframes(ssrc: int) -> None:
    return None  # audio has no keyframes


class Listener:
    """One source a caller hears, decoded into a short buffer of 8 kHz PCM."""

    def __init__(self, source: Source) -> None:
        self.source: Source | None = source
        self._decoder = RoomToCaller()
        self._buffer = bytearray()
        self._playing = False
        source.subscribers.add(self)

    def push(self, source: Source, frame: EncodedFrame) -> None:
        if source is not self.source:
            return
        self._buffer += self._decoder.decode(frame.data)
        if len(self._buffer) > MAX_BUFFER_BYTES:
            # Keep the newest whole frames: stale audio is skipped, not queued.
            stale = len(self._buffer) - MAX_BUFFER_BYTES
            stale += -stale % FRAME_BYTES
            del self._buffer[:stale]

    def take(self) -> bytes | None:
        """The next 20 ms, or None while this source has nothing to say."""
        if not self._playing and len(self._buffer) < PREBUFFER_BYTES:
            return None
        if len(self._buffer) < FRAME_BYTES:
            self._playing = False  # ran dry: wait for a little again before playing on
            return None
        self._playing = True
        frame = bytes(self._buffer[:FRAME_BYTES])
        del self._buffer[:FRAME_BYTES]
        return frame

    def detach(self) -> None:
        if self.source is not None:
            self.source.subscribers.discard(self)
            self.source = None


class PhonePeer:
    """A caller's `MediaPeer` (rtc/participants.py): one audio source, no video, no slots."""

    def __init__(self) -> None:
        self.sources: dict[str, Source] = {"audio": Source("audio", _no_keyframes)}
        self._listeners: dict[SlotKey, Listener] = {}
        self._encoder = CallerToRoom()
        self._timestamp = 0
        self.frames_in = 0
        self.frames_out = 0

    # -- what the caller says ----------------------------------------------------------------

    def speak(self, mulaw: bytes) -> None:
        voice = self.sources["audio"]
        if not voice.enabled:
            return  # muted: nothing is encoded, nothing forwarded
        for packet in self._encoder.encode(mulaw):
            voice.publish(EncodedFrame(packet, self._timestamp, True))
            self._timestamp = (self._timestamp + ROOM_SAMPLES) & 0xFFFFFFFF
            self.frames_in += 1

    # -- what the caller hears ---------------------------------------------------------------

    def assign(self, wanted: dict[SlotKey, Source]) -> None:
        for key, listener in list(self._listeners.items()):
            if wanted.get(key) is not listener.source:
                listener.detach()
                del self._listeners[key]
        for key, source in wanted.items():
            if key[1] == "audio" and key not in self._listeners:
                self._listeners[key] = Listener(source)

    def track_mids(self) -> dict[SlotKey, str]:
        return {}

    def next_frame(self) -> bytes:
        """20 ms of the mix, 8 kHz PCM (silence when nobody speaks)."""
        self.frames_out += 1
        frames = [f for f in (x.take() for x in self._listeners.values()) if f is not None]
        return mix(frames)

    def close(self) -> None:
        for listener in self._listeners.values():
            listener.detach()
        self._listeners.clear()
        self.sources["audio"].close()
