"""One participant's connection on the server: an aiortc peer with their camera and microphone
coming in, and one slot per track forwarded to them going out.

The server is always the offerer, so only one side ever starts a negotiation (no glare). A new
slot means a new offer; a slot that falls free is reused for the next track of its kind, so people
leaving never costs a renegotiation. aiortc has no ICE restart: a failed connection is replaced by a
new `ServerPeer` (a new `generation`), never repaired.

Each peer watches its own life (`PeerTimings`, documented in docs/signaling.md): an answer that
never connects, a connection aiortc reports failed or closed, and media that stops arriving while
the websocket stays open (a cut network path: ICE consent notices only after ~30 s) all end in
`on_failed`, so the client is told and the room frees the peer's slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiortc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.sdp import candidate_from_sdp

from rtc.answer_check import check_answer
from rtc.errors import SignalingError
from rtc.forwarding import ForwardedTrack, Source
from rtc.seam import (
    enlarge_receive_buffers,
    relay_keyframe_requests,
    send_pli,
    stop_consent_checks,
    take_connect_outcome,
    tap_receiver,
)

KINDS = ("audio", "video")
MAX_QUEUED_CANDIDATES = 64
GATHER_SECONDS = 10.0  # STUN servers that do not answer hold gathering for a few seconds
# Room for a few keyframe bursts while the event loop is busy (see `enlarge_receive_buffers`).
RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024
SlotKey = tuple[str, str]  # (publisher's participant id, kind)
WATCH_INTERVAL = 0.5
# "connecting" until aiortc says connected; "interrupted" while media that was flowing is silent.
Link = Literal["connecting", "connected", "interrupted"]


@dataclass(frozen=True)
class PeerTimings:
    negotiation_timeout: float = 20.0  # offer sent, no usable answer
    connect_timeout: float = 15.0  # answer applied, not connected (ICE + DTLS) yet
    media_stall: float = 3.0  # media that was arriving is silent: the coach sees "reconnecting"
    media_timeout: float = 10.0  # ...still silent: give up on the peer, ask for a new one


def _codec_preferences(kind: str) -> list[Any]:
    # Forwarding needs one codec on every leg of the room: VP8 (with RTX) and Opus.
    wanted = {"video": ("video/VP8", "video/rtx"), "audio": ("audio/opus",)}[kind]
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType in wanted]


def _parse_candidate(candidate: dict[str, Any] | None) -> RTCIceCandidate | None:
    """A browser's `RTCIceCandidate.toJSON()`; None (or an empty line) ends the candidates."""
    if candidate is None or not candidate["candidate"]:
        return None
    try:
        parsed = candidate_from_sdp(candidate["candidate"].split(":", 1)[1])
    except (ValueError, IndexError, KeyError, AssertionError) as exc:  # aiortc asserts the shape
        raise SignalingError("bad_candidate", "not an ICE candidate line") from exc
    parsed.sdpMid = candidate.get("sdpMid")
    parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
    if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
        parsed.sdpMLineIndex = 0
    return parsed


@dataclass
class Slot:
    transceiver: RTCRtpTransceiver
    track: ForwardedTrack
    key: SlotKey | None = None


class ServerPeer:
    def __init__(
        self,
        generation: int,
        configuration: RTCConfiguration,
        post: Callable[[dict[str, Any]], None],
        on_offered: Callable[[], None],
        on_failed: Callable[[ServerPeer, str], None],
        on_link: Callable[[ServerPeer], None],
        timings: PeerTimings,
    ) -> None:
        self.generation = generation
        self.pc = RTCPeerConnection(configuration)
        self.sources: dict[str, Source] = {}
        self.slots: list[Slot] = []
        self.revision = 0
        self._post = post
        self._on_offered = on_offered
        self._on_failed = on_failed
        self._on_link = on_link
        self._timings = timings
        self.link: Link = "connecting"
        self._answered_at: float | None = None
        self._dirty = False
        self._negotiator: asyncio.Task[None] | None = None
        self._describing = False
        self._answered = asyncio.Event()
        self._has_answer = False
        self._queued_candidates: list[RTCIceCandidate | None] = []
        self._closed = False
        self._upload: dict[str, RTCRtpTransceiver] = {}
        for kind in KINDS:
            transceiver = self.pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(_codec_preferences(kind))
            source = Source(kind, functools.partial(send_pli, transceiver.receiver))
            tap_receiver(transceiver.receiver, source.on_packet)
            self._upload[kind] = transceiver
            self.sources[kind] = source
        self.pc.on("connectionstatechange", self._state_changed)
        self._watcher = asyncio.ensure_future(self._watch())

    # -- slots -------------------------------------------------------------------------------

    def assign(self, wanted: dict[SlotKey, Source]) -> None:
        """Point the slots at exactly `wanted`; offer again only if a new slot was needed."""
        for unwanted in self.slots:
            if unwanted.key is not None and unwanted.key not in wanted:
                unwanted.track.detach()
                unwanted.key = None
        taken = {s.key: s for s in self.slots if s.key is not None}
        added = False
        for key, source in wanted.items():
            slot = taken.get(key) or self._free_slot(key[1])
            if slot is None:
                slot = self._new_slot(key[1])
                added = True
            slot.key = key
            slot.track.attach(source)
        if added:
            self.request_negotiation()

    def _free_slot(self, kind: str) -> Slot | None:
        return next((s for s in self.slots if s.key is None and s.track.kind == kind), None)

    def _new_slot(self, kind: str) -> Slot:
        track = ForwardedTrack(kind)
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        transceiver.setCodecPreferences(_codec_preferences(kind))
        relay_keyframe_requests(transceiver.sender, track.keyframe_requested)
        slot = Slot(transceiver, track)
        self.slots.append(slot)
        return slot

    def track_mids(self) -> dict[SlotKey, str]:
        """Which negotiated mid carries which participant's track, for this participant."""
        return {s.key: s.transceiver.mid for s in self.slots if s.key and s.transceiver.mid}

    # -- negotiation ---------------------------------------------------------------------------

    def request_negotiation(self) -> None:
        self._dirty = True
        if self._negotiator is None or self._negotiator.done():
            self._negotiator = asyncio.ensure_future(self._negotiate())

    async def _negotiate(self) -> None:
        try:
            while self._dirty and not self._closed:
                self._dirty = False
                self._describing = True
                try:
                    await self.pc.setLocalDescription(await self.pc.createOffer())
                finally:
                    self._describing = False
                if self._closed:
                    return
                enlarge_receive_buffers(self.pc, RECEIVE_BUFFER_BYTES)
                self.revision += 1
                self._answered.clear()
                self._post(
                    {
                        "type": "offer",
                        "peer": self.generation,
                        "revision": self.revision,
                        "sdp": self.pc.localDescription.sdp,
                        "upload": {k: t.mid for k, t in self._upload.items()},
                    }
                )
                self._on_offered()
                await asyncio.wait_for(self._answered.wait(), self._timings.negotiation_timeout)
        except TimeoutError:
            self._fail("negotiation_timeout")

    async def accept_answer(self, peer: int, revision: int, sdp: str) -> None:
        if (
            peer != self.generation
            or revision != self.revision
            or self.pc.signalingState != "have-local-offer"
        ):
            raise SignalingError("unexpected_answer", "no offer with that peer and revision waits")
        check_answer(self.pc.localDescription.sdp, sdp)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:  # aiortc raises a dozen kinds for a malformed SDP
            raise SignalingError("bad_sdp", f"the answer was refused: {exc}"[:300]) from exc
        self._has_answer = True
        if self._answered_at is None:
            self._answered_at = time.monotonic()
        queued, self._queued_candidates = self._queued_candidates, []
        for candidate in queued:
            await self.pc.addIceCandidate(candidate)
        self._answered.set()

    async def add_candidate(self, candidate: dict[str, Any] | None) -> None:
        parsed = _parse_candidate(candidate)
        if not self._has_answer:
            # A browser may trickle before its answer has been applied here.
            if len(self._queued_candidates) >= MAX_QUEUED_CANDIDATES:
                raise SignalingError("bad_candidate", "too many candidates before the answer")
            self._queued_candidates.append(parsed)
            return
        await self.pc.addIceCandidate(parsed)

    # -- life ----------------------------------------------------------------------------------

    def _state_changed(self) -> None:
        if self._closed:
            return
        state = self.pc.connectionState
        if state == "connected":
            self._set_link("connected")
        elif state in ("failed", "closed"):
            # "closed" without our close(): the client closed its end (DTLS close_notify), or ICE
            # consent expired and aiortc shut the connection down.
            self._fail("connection_failed")

    async def _watch(self) -> None:
        while not self._closed:
            await asyncio.sleep(WATCH_INTERVAL)
            self._check(time.monotonic())

    def _check(self, now: float) -> None:
        timings = self._timings
        if self._closed:
            return
        if self.pc.connectionState != "connected":
            if self._answered_at is not None and now - self._answered_at > timings.connect_timeout:
                self._fail("connect_timeout")
            return
        heard = [s.last_packet for s in self.sources.values() if s.last_packet is not None]
        if not heard:
            return  # nothing published (no camera, no microphone): ICE consent watches it
        silent = now - max(heard)
        if silent >= timings.media_timeout:
            self._fail("media_stopped")
        else:
            self._set_link("interrupted" if silent >= timings.media_stall else "connected")

    def _set_link(self, link: Link) -> None:
        if link != self.link:
            self.link = link
            self._on_link(self)

    def _fail(self, reason: str) -> None:
        if not self._closed:
            self._on_failed(self, reason)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._watcher is not asyncio.current_task():
            self._watcher.cancel()
        negotiator = self._negotiator
        if negotiator is not None and negotiator is not asyncio.current_task():
            if self._describing:
                # Cancelling aioice while it gathers candidates leaks the sockets it was opening
                # (seen with aioice 0.13): let the offer finish, then stop.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(negotiator), GATHER_SECONDS)
            negotiator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await negotiator
        for source in self.sources.values():
            source.close()
        for slot in self.slots:
            slot.track.stop()
        take_connect_outcome(self.pc)
        await self.pc.close()
        await stop_consent_checks(self.pc)
