"""Encoded frames from one publisher's track to every subscriber's sender, never decoded.

    publisher's RTCRtpReceiver --PacketTap--> Source --frames--> ForwardedTrack --> RTCRtpSender
                ^                                                       |            (packs only)
                '-------------------- PLI (keyframe request) <---------'

A `ForwardedTrack` is a long-lived slot in a subscriber's connection: it can be re-pointed at
another `Source` (a participant leaves, another takes the slot, a publisher reconnects) without
renegotiating, and keeps its output timestamps continuous across the switch.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import av
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RtpPacket

from rtc.frames import EncodedFrame, OpusAssembler, Vp8Assembler

CLOCK_RATE = {"audio": 48000, "video": 90000}
TIME_BASE = {kind: fractions.Fraction(1, rate) for kind, rate in CLOCK_RATE.items()}
# Timestamp step inserted when a slot switches source: one Opus frame, one frame at 30 fps.
SWITCH_STEP = {"audio": 960, "video": 3000}
# A subscriber whose sender falls this far behind skips ahead (about a second). Shorter queues
# turn a busy moment into dropped frames and keyframe requests, and keyframes cost ten times more.
QUEUE_FRAMES = {"audio": 50, "video": 30}
# Keyframe requests to one publisher are spaced at least this far apart: a room full of new
# subscribers asks once, not once each (and a keyframe every few ms would starve the bitrate).
PLI_INTERVAL = 0.5

RequestKeyframe = Callable[[int], Awaitable[None]]


class Subscriber(Protocol):
    """What a source hands its frames to: a subscriber's forwarded track, or a phone caller's
    mix (rtc/phone/listening.py), which decodes them."""

    def push(self, source: Source, frame: EncodedFrame) -> None: ...

    def detach(self) -> None: ...


class Source:
    """One published track (audio or video) of one participant's connection."""

    def __init__(self, kind: str, request_keyframe: RequestKeyframe) -> None:
        self.kind = kind
        self.subscribers: set[Subscriber] = set()
        self.frames_in = 0
        self.last_packet: float | None = None  # monotonic; the peer's watch tells silence by it
        self.keyframe_requests = 0  # PLIs actually sent to the publisher
        self._assembler: Vp8Assembler | OpusAssembler = (
            Vp8Assembler() if kind == "video" else OpusAssembler()
        )
        self._request = request_keyframe
        self._enabled = True
        self._ssrc: int | None = None
        self._need_keyframe = kind == "video"
        self._last_pli = -PLI_INTERVAL
        self._pli_pending = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """A muted publisher's frames are dropped here; unmuting video waits for a keyframe."""
        if enabled and not self._enabled and self.kind == "video":
            self._need_keyframe = True
            self.request_keyframe()
        self._enabled = enabled

    def on_packet(self, packet: RtpPacket) -> None:
        """Called by the receiver's tap, on the event loop, for every depayloaded RTP packet."""
        self.last_packet = time.monotonic()
        self._ssrc = packet.ssrc
        frames, lost = self._assembler.add(packet)
        if lost and self.kind == "video":
            self._need_keyframe = True
        for frame in frames:
            self._deliver(frame)
        if self._need_keyframe and self.subscribers:
            self.request_keyframe()

    def publish(self, frame: EncodedFrame) -> None:
        """A frame made on the server (a phone caller's voice, encoded once), not received."""
        self.last_packet = time.monotonic()
        self._deliver(frame)

    def _deliver(self, frame: EncodedFrame) -> None:
        self.frames_in += 1
        if self._need_keyframe:
            if not frame.keyframe:
                return  # a delta frame after a loss would only show corruption downstream
            self._need_keyframe = False
        if not self._enabled:
            return
        for track in tuple(self.subscribers):
            track.push(self, frame)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most once per `PLI_INTERVAL`."""
        if self.kind != "video" or self._closed or self._ssrc is None or self._pli_pending:
            return
        now = time.monotonic()
        if now - self._last_pli < PLI_INTERVAL:
            # Too soon: ask again when the interval is over, so the request is not lost.
            self._pli_pending = True
            self._spawn(self._delayed_pli(self._last_pli + PLI_INTERVAL - now))
            return
        self._last_pli = now
        self.keyframe_requests += 1
        self._spawn(self._request(self._ssrc))

    async def _delayed_pli(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._pli_pending = False
        self.request_keyframe()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        self._closed = True
        for track in tuple(self.subscribers):
            track.detach()
        for task in tuple(self._tasks):
            task.cancel()


class ForwardedTrack(MediaStreamTrack):
    """What a subscriber's sender reads: encoded frames as `av.Packet`s, which it only packs."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.source: Source | None = None
        self.frames_out = 0
        self.frames_dropped = 0  # by overflow: the subscriber's sender fell behind
        self._queue: asyncio.Queue[av.Packet[Any]] = asyncio.Queue(QUEUE_FRAMES[kind])
        self._need_keyframe = kind == "video"
        self._pts = 0
        self._last_in: int | None = None  # None: the next frame starts a new source's timeline
        self._started = False
        # Until the sender first asks for a frame (its connection is up), frames would only go
        # stale here; the keyframe to start with is requested then.
        self._reading = False

    def attach(self, source: Source) -> None:
        if source is self.source:
            return
        self.detach()
        self.source = source
        source.subscribers.add(self)
        self._last_in = None
        if self.kind == "video":
            self._need_keyframe = True
            if self._reading:
                source.request_keyframe()

    def detach(self) -> None:
        if self.source is not None:
            self.source.subscribers.discard(self)
            self.source = None

    def keyframe_requested(self) -> None:
        """The subscriber lost pictures (its PLI reached our sender): pass the request upstream."""
        if self.source is not None:
            self.source.request_keyframe()

    def push(self, source: Source, frame: EncodedFrame) -> None:
        if source is not self.source or not self._reading:
            return
        if self._queue.full():
            self._overflow()
        if self._need_keyframe:
            if not frame.keyframe:
                return
            self._need_keyframe = False
        if self._last_in is None:
            # A new source: keep our own timeline going, one frame on from where it was.
            self._pts += SWITCH_STEP[self.kind] if self._started else 0
        else:
            step = (frame.timestamp - self._last_in) & 0xFFFFFFFF
            self._pts += step if step < 0x80000000 else 0
        self._last_in = frame.timestamp
        self._started = True
        packet = av.Packet(frame.data)
        packet.pts = self._pts
        packet.time_base = TIME_BASE[self.kind]
        self._queue.put_nowait(packet)
        self.frames_out += 1

    def _overflow(self) -> None:
        # The subscriber's sender fell behind: drop what waits rather than add delay. Video
        # then needs a keyframe (the dropped frames were references); audio just skips.
        while not self._queue.empty():
            self._queue.get_nowait()
            self.frames_dropped += 1
        if self.kind == "video":
            self._need_keyframe = True
            self.keyframe_requested()

    async def recv(self) -> av.Packet[Any]:
        if not self._reading:
            self._reading = True
            if self._need_keyframe:
                self.keyframe_requested()
        return await self._queue.get()

    def stop(self) -> None:
        self.detach()
        super().stop()
