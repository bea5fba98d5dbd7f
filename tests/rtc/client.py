"""A participant as a plain aiortc script speaking docs/signaling.md, that also keeps every encoded
frame it receives (through the same receiver seam the server uses) for byte-for-byte checks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RtpPacket
from websockets.asyncio.client import ClientConnection, connect

from rtc.frames import EncodedFrame, OpusAssembler, Vp8Assembler
from rtc.seam import relay_keyframe_requests, stop_consent_checks, tap_receiver

Received = list[tuple[EncodedFrame, float]]


class RoomClient:
    def __init__(
        self,
        http_url: str,
        occurrence_id: int,
        cookie: str | None,
        *,
        video: MediaStreamTrack | None = None,
        audio: MediaStreamTrack | None = None,
        origin: str | None = None,
        auto_answer: bool = True,
        on_frame: Callable[[str, Any, float], None] | None = None,
        decode: bool = False,
        estimate_bandwidth: bool = True,
    ) -> None:
        self.url = http_url.replace("http", "ws", 1) + f"/ws/rooms/{occurrence_id}"
        self.cookie = cookie
        self.origin = origin
        self.auto_answer = auto_answer  # False: offers are left to the test to answer
        # For benchmarks: frames go to `on_frame(kind, frame, arrival)` instead of being kept;
        # with `decode`, as decoded av.VideoFrames (aiortc's normal path) instead of encoded.
        self.on_frame = on_frame
        self.decode = decode
        # False declines abs-send-time in answers: the server sends without it, and this
        # client's receivers skip aiortc's bandwidth estimator (costly per packet, and the
        # server ignores a subscriber's estimate anyway). Lets a benchmark host more clients.
        self.estimate_bandwidth = estimate_bandwidth
        self._readers: list[asyncio.Task[None]] = []
        self.video = video
        self.audio = audio
        self.messages: list[dict[str, Any]] = []
        self.ice_servers: list[dict[str, Any]] = []
        self.state: dict[str, Any] | None = None
        self.pc: RTCPeerConnection | None = None
        self.peer: int | None = None
        self.received: dict[str, Received] = {}
        self._ssrcs: dict[str, int] = {}  # mid -> the server's SSRC for it
        self.closed_code: int | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._arrived = asyncio.Condition()
        self._seen = 0

    # -- the connection ---------------------------------------------------------------------

    async def connect(self) -> None:
        headers = {"Cookie": f"tc_session={self.cookie}"} if self.cookie else {}
        if self.origin:
            headers["Origin"] = self.origin
        self._ws = await connect(self.url, additional_headers=headers, max_size=2**24)
        self._reader = asyncio.ensure_future(self._read())

    async def send(self, message: dict[str, Any] | str) -> None:
        """Send; later waits look only at what arrives from now on (the answer to this)."""
        assert self._ws is not None
        self._seen = len(self.messages)
        await self._ws.send(message if isinstance(message, str) else json.dumps(message))

    async def join(self, audio_only: bool = False) -> None:
        await self.send({"type": "join", "audio_only": audio_only})

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                if message["type"] == "offer" and self.auto_answer:
                    with contextlib.suppress(Exception):  # e.g. closed meanwhile: read on
                        await self.answer(message)
                if message["type"] == "state":
                    self.state = message
                if message["type"] == "welcome":
                    self.ice_servers = message["ice_servers"]
                async with self._arrived:
                    self.messages.append(message)
                    self._arrived.notify_all()
        except Exception:  # noqa: S110 - the close code below tells the test what happened
            pass
        finally:
            self.closed_code = self._ws.close_code
            async with self._arrived:
                self._arrived.notify_all()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first message from now on (or already seen since the last wait) matching."""

        def found() -> dict[str, Any] | None:
            for message in self.messages[self._seen :]:
                if predicate(message):
                    self._seen = self.messages.index(message) + 1
                    return message
            return None

        async with asyncio.timeout(timeout), self._arrived:
            while (message := found()) is None:
                if self.closed_code is not None:
                    raise ConnectionError(f"closed with {self.closed_code}: {self.messages[-3:]}")
                await self._arrived.wait()
            return message

    async def expect(self, kind: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        return await self.wait_for(
            lambda m: m["type"] == kind and all(m.get(k) == v for k, v in fields.items()), timeout
        )

    async def wait_closed(self, timeout: float = 10.0) -> int:
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        assert self.closed_code is not None
        return self.closed_code

    # -- media --------------------------------------------------------------------------------

    async def answer(self, offer: dict[str, Any]) -> None:
        if self.pc is None or offer["peer"] != self.peer:
            await self._close_pc()
            # max-bundle, as docs/signaling.md says: with aiortc's default ("balanced") the
            # second track of a kind stays on a transport that BUNDLE has already closed.
            # The ICE servers from "welcome" (none here): left out, aiortc would use Google's STUN.
            servers = [RTCIceServer(**server) for server in self.ice_servers]
            config = RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
            self.pc, self.peer = RTCPeerConnection(config), offer["peer"]
        pc = self.pc
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        upload = {mid: kind for kind, mid in offer["upload"].items()}
        for transceiver in pc.getTransceivers():
            mid = transceiver.mid
            assert mid is not None
            if mid in upload:
                track = self.video if upload[mid] == "video" else self.audio
                if track is not None and transceiver.sender.track is None:
                    transceiver.sender.replaceTrack(track)
                    transceiver.direction = "sendonly"
                    if upload[mid] == "video" and hasattr(track, "restart_at_keyframe"):
                        relay_keyframe_requests(transceiver.sender, track.restart_at_keyframe)
            elif mid not in self.received:
                self.received[mid] = []
                if self.decode and self.on_frame is not None:
                    self._readers.append(asyncio.ensure_future(self._decoded(transceiver, mid)))
                else:
                    tap_receiver(transceiver.receiver, self._collector(transceiver.kind, mid))
        answer = await pc.createAnswer()
        if not self.estimate_bandwidth:
            lines = answer.sdp.split("\r\n")
            answer = RTCSessionDescription(
                "\r\n".join(line for line in lines if "abs-send-time" not in line), "answer"
            )
        await pc.setLocalDescription(answer)
        assert self._ws is not None
        await self._ws.send(
            json.dumps(
                {
                    "type": "answer",
                    "peer": offer["peer"],
                    "revision": offer["revision"],
                    "sdp": pc.localDescription.sdp,
                }
            )
        )

    def _collector(self, kind: str, mid: str) -> Callable[[RtpPacket], None]:
        assembler = Vp8Assembler() if kind == "video" else OpusAssembler()
        sink = self.received[mid]

        def collect(packet: RtpPacket) -> None:
            self._ssrcs[mid] = packet.ssrc
            frames, _ = assembler.add(packet)
            now = time.monotonic()
            for frame in frames:
                if self.on_frame is not None:
                    self.on_frame(kind, frame, now)
                else:
                    sink.append((frame, now))

        return collect

    async def _decoded(self, transceiver: Any, mid: str) -> None:
        assert self.on_frame is not None
        with contextlib.suppress(Exception):  # the track ends when the connection closes
            while True:
                frame = await transceiver.receiver.track.recv()
                self.on_frame(transceiver.kind, frame, time.monotonic())

    def participant(self, participant_id: str) -> dict[str, Any]:
        assert self.state is not None
        return next(p for p in self.state["participants"] if p["id"] == participant_id)

    def frames_of(self, participant_id: str, kind: str) -> Received:
        """Frames received on the mid that the latest state gives for that participant's track."""
        if self.state is None:
            return []
        entry = next((p for p in self.state["participants"] if p["id"] == participant_id), None)
        mid = entry["mids"].get(kind) if entry else None
        return self.received.get(mid, []) if mid else []

    async def wait_frames(
        self, participant_id: str, kind: str, count: int, timeout: float = 10.0
    ) -> Received:
        deadline = time.monotonic() + timeout
        while len(frames := self.frames_of(participant_id, kind)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(frames)} of {count} {kind} frames from {participant_id}")
            await asyncio.sleep(0.05)
        return frames

    async def request_keyframe(self, participant_id: str) -> None:
        """Send the server a PLI for that participant's video, as a browser's decoder would."""
        assert self.pc is not None and self.state is not None
        mid = self.participant(participant_id)["mids"]["video"]
        transceiver = next(t for t in self.pc.getTransceivers() if t.mid == mid)
        await transceiver.receiver._send_rtcp_pli(self._ssrcs[mid])

    # -- the end -------------------------------------------------------------------------------

    async def _close_pc(self) -> None:
        for reader in self._readers:
            reader.cancel()
        self._readers.clear()
        if self.pc is not None:
            await self.pc.close()
            await stop_consent_checks(self.pc)
            self.pc = None
        self.received.clear()

    async def close(self, abrupt: bool = False) -> None:
        """`abrupt`: drop the TCP connection with no goodbye, like a laptop lid closing."""
        if self._ws is not None:
            if abrupt:
                self._ws.transport.abort()
            else:
                await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        await self._close_pc()
