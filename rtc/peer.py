"""One participant's connection on the server: an aiortc peer with their camera and microphone
coming in, and one slot per track forwarded to them going out.

The server is always the offerer, so only one side ever starts a negotiation (no glare). A new
slot means a new offer; a slot that falls free is reused for the next track of its kind, so people
leaving never costs a renegotiation. aiortc has no ICE restart: a failed connection is replaced by a
new `ServerPeer` (a new `generation`), never repaired.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.sdp import candidate_from_sdp

from rtc.errors import SignalingError
from rtc.forwarding import ForwardedTrack, Source
from rtc.seam import (
    enlarge_receive_buffers,
    relay_keyframe_requests,
    send_pli,
    stop_consent_checks,
    tap_receiver,
)

KINDS = ("audio", "video")
MAX_QUEUED_CANDIDATES = 64
GATHER_SECONDS = 10.0  # STUN servers that do not answer hold gathering for a few seconds
# Room for a few keyframe bursts while the event loop is busy (see `enlarge_receive_buffers`).
RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024
SlotKey = tuple[str, str]  # (publisher's participant id, kind)


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
        negotiation_timeout: float,
    ) -> None:
        self.generation = generation
        self.pc = RTCPeerConnection(configuration)
        self.sources: dict[str, Source] = {}
        self.slots: list[Slot] = []
        self.revision = 0
        self._post = post
        self._on_offered = on_offered
        self._on_failed = on_failed
        self._timeout = negotiation_timeout
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
                await asyncio.wait_for(self._answered.wait(), self._timeout)
        except TimeoutError:
            self._on_failed(self, "negotiation_timeout")

    async def accept_answer(self, peer: int, revision: int, sdp: str) -> None:
        if (
            peer != self.generation
            or revision != self.revision
            or self.pc.signalingState != "have-local-offer"
        ):
            raise SignalingError("unexpected_answer", "no offer with that peer and revision waits")
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:  # aiortc raises a dozen kinds for a malformed SDP
            raise SignalingError("bad_sdp", f"the answer was refused: {exc}"[:300]) from exc
        self._has_answer = True
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
        if self.pc.connectionState == "failed" and not self._closed:
            self._on_failed(self, "connection_failed")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
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
        await self.pc.close()
        await stop_consent_checks(self.pc)
