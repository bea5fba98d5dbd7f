"""Encoded frames rebuilt from RTP packets, the moment their last packet is in.

aiortc's own jitter buffer releases a frame only when the first packet of the *next* frame arrives,
which would add a whole frame interval (33-66 ms) to every forwarded frame. A VP8 frame is complete
when we hold its first packet (S=1, partition 0), its last (RTP marker bit) and every sequence
number between; an Opus frame is one packet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc.rtp import RtpPacket

# A complete frame waits this long behind an incomplete older one for its retransmission (NACK/RTX)
# before the older one is given up and the stream needs a keyframe again.
HOLD_SECONDS = 0.1
MAX_PENDING_PACKETS = 1024


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    data: bytes
    timestamp: int  # the publisher's RTP timestamp
    keyframe: bool


def is_vp8_keyframe(data: bytes) -> bool:
    # RFC 6386 section 9.1: bit 0 of the frame tag is 0 for a key frame.
    return len(data) > 0 and data[0] & 0x01 == 0


def _ahead(seq: int, base: int) -> int:
    """How far `seq` is after `base` in 16-bit sequence space (negative when before)."""
    delta = (seq - base) & 0xFFFF
    return delta - 0x10000 if delta >= 0x8000 else delta


def _payload_data(packet: RtpPacket) -> bytes:
    # The receiver stores the depayloaded bytes (VP8 descriptor stripped) in `_data`.
    data: bytes = packet._data  # type: ignore[attr-defined]
    return data


@dataclass
class _Pending:
    packets: dict[int, RtpPacket] = field(default_factory=dict)
    start: int | None = None  # sequence number of the frame's first packet
    end: int | None = None  # sequence number of the packet with the marker bit
    completed_at: float | None = None

    @property
    def complete(self) -> bool:
        if self.start is None or self.end is None:
            return False
        return len(self.packets) == ((self.end - self.start) & 0xFFFF) + 1

    def frame(self) -> EncodedFrame:
        assert self.start is not None
        seqs = sorted(self.packets, key=lambda s: _ahead(s, self.start or 0))
        data = b"".join(_payload_data(self.packets[s]) for s in seqs)
        first = self.packets[self.start]
        return EncodedFrame(data, first.timestamp, is_vp8_keyframe(data))


class Vp8Assembler:
    """Feed RTP packets in arrival order; get complete frames in stream order, and loss reports."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._pending: dict[int, _Pending] = {}  # by RTP timestamp
        self._next_seq: int | None = None  # first sequence number of the next frame to release
        self._base: int | None = None  # orders packets before the first release, wrap-safe
        self._clock = clock

    def add(self, packet: RtpPacket) -> tuple[list[EncodedFrame], bool]:
        """Returns the frames now ready (oldest first) and whether a frame was given up as lost."""
        seq = packet.sequence_number
        if self._next_seq is not None and _ahead(seq, self._next_seq) < 0:
            return [], False  # a late copy of something already released or given up
        if self._base is None:
            self._base = (seq - 0x1000) & 0xFFFF
        pending = self._pending.setdefault(packet.timestamp, _Pending())
        pending.packets[seq] = packet
        first_byte = packet.payload[0] if packet.payload else 0
        if first_byte & 0x10 and first_byte & 0x0F == 0:  # S bit, partition 0
            pending.start = seq
        if packet.marker:
            pending.end = seq
        if pending.complete and pending.completed_at is None:
            pending.completed_at = self._clock()
        if sum(len(p.packets) for p in self._pending.values()) > MAX_PENDING_PACKETS:
            self._pending.clear()
            self._next_seq = self._base = None
            return [], True
        return self._release()

    def _release(self) -> tuple[list[EncodedFrame], bool]:
        ready: list[EncodedFrame] = []
        lost = False
        while self._pending:
            head_ts, head = self._oldest()
            if head.complete and (self._next_seq is None or head.start == self._next_seq):
                ready.append(self._pop(head_ts, head))
                continue
            complete = [p for p in self._pending.values() if p.completed_at is not None]
            waited = min((p.completed_at or 0.0 for p in complete), default=None)
            if waited is None or waited + HOLD_SECONDS > self._clock():
                break
            # The oldest incomplete frame is not coming: drop everything before the next
            # complete one and carry on from there.
            resume = min(complete, key=self._order)
            for ts in [t for t, p in self._pending.items() if self._order(p) < self._order(resume)]:
                del self._pending[ts]
            self._next_seq = resume.start
            lost = True
        return ready, lost

    def _order(self, pending: _Pending) -> int:
        anchor = self._next_seq if self._next_seq is not None else self._base or 0
        if pending.start is not None:
            return _ahead(pending.start, anchor)
        return min(_ahead(seq, anchor) for seq in pending.packets)

    def _oldest(self) -> tuple[int, _Pending]:
        return min(self._pending.items(), key=lambda item: self._order(item[1]))

    def _pop(self, ts: int, pending: _Pending) -> EncodedFrame:
        del self._pending[ts]
        assert pending.end is not None
        self._next_seq = (pending.end + 1) & 0xFFFF
        return pending.frame()


class OpusAssembler:
    """One Opus packet is one frame; late and repeated ones are dropped (decoders conceal gaps)."""

    def __init__(self) -> None:
        self._last_seq: int | None = None

    def add(self, packet: RtpPacket) -> tuple[list[EncodedFrame], bool]:
        seq = packet.sequence_number
        if self._last_seq is not None and _ahead(seq, self._last_seq) <= 0:
            return [], False
        self._last_seq = seq
        return [EncodedFrame(_payload_data(packet), packet.timestamp, True)], False
