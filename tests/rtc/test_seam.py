"""The aiortc internals forwarding depends on: this fails loudly, naming what moved, when an
upgrade changes them (aiortc is pinned to 1.16.0 in pyproject.toml for that reason)."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import tomllib
from pathlib import Path

import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection

from rtc.seam import PINNED_VERSION, check_seam, enlarge_receive_buffers, take_connect_outcome

ROOT = Path(__file__).resolve().parents[2]


def test_aiortc_still_has_the_seams_we_use() -> None:
    check_seam()  # raises SeamMoved, with every problem named


def test_aiortc_is_pinned_to_the_version_the_seam_was_written_for() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"aiortc=={PINNED_VERSION}" in project["dependencies"]


def test_receive_buffers_are_enlarged_on_every_gathered_socket() -> None:
    """A keyframe burst must fit while the event loop is busy (see `enlarge_receive_buffers`)."""
    wanted = 1024 * 1024
    ceiling = int(Path("/proc/sys/net/core/rmem_max").read_text())

    async def scenario() -> list[int]:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN: host candidates
        try:
            pc.addTransceiver("video", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            enlarge_receive_buffers(pc, wanted)
            sockets = [
                protocol.transport.get_extra_info("socket")
                for transceiver in pc.getTransceivers()
                for protocol in transceiver.receiver.transport.transport._connection._protocols
            ]
            return [s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) for s in sockets]
        finally:
            await pc.close()

    sizes = asyncio.run(scenario())
    assert sizes
    # Linux doubles the request (bookkeeping) and caps it at net.core.rmem_max.
    assert all(size >= min(wanted, ceiling) for size in sizes)


@pytest.mark.parametrize("taken", [True, False])
def test_closing_a_peer_mid_connect_is_not_an_error_no_one_retrieved(
    caplog: pytest.LogCaptureFixture, taken: bool
) -> None:
    """The race `take_connect_outcome` is for, made certain: aiortc's connecting task runs only
    after its transport was closed under it (as when a close lands between ICE and DTLS). Without
    the outcome taken, asyncio logs "Task exception was never retrieved" (the `taken=False` case
    shows the test sees it); with it, nothing at ERROR."""

    async def scenario() -> None:
        config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        server, client = RTCPeerConnection(config), RTCPeerConnection(config)
        try:
            server.addTransceiver("audio", direction="recvonly")
            server.addTransceiver("video", direction="recvonly")
            await server.setLocalDescription(await server.createOffer())
            await client.setRemoteDescription(server.localDescription)
            await client.setLocalDescription(await client.createAnswer())
            await server.setRemoteDescription(client.localDescription)  # starts __connect
            if taken:
                take_connect_outcome(server)
            # The shared ICE transport is stopped (closed at once) before __connect first runs.
            await server.getTransceivers()[0].receiver.transport.transport.stop()
            await asyncio.sleep(0.05)
        finally:
            await server.close()
            await client.close()

    caplog.set_level(logging.DEBUG, logger="rtc.seam")
    asyncio.run(scenario())
    gc.collect()  # an unretrieved task's exception is logged when the task is collected
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    if taken:
        assert errors == []
        assert any("closed while it was connecting" in r.getMessage() for r in caplog.records)
    else:
        assert any("never retrieved" in e and "RTCIceTransport is closed" in e for e in errors)
