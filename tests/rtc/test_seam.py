"""The aiortc internals forwarding depends on: this fails loudly, naming what moved, when an
upgrade changes them (aiortc is pinned to 1.16.0 in pyproject.toml for that reason)."""

from __future__ import annotations

import asyncio
import socket
import tomllib
from pathlib import Path

from aiortc import RTCConfiguration, RTCPeerConnection

from rtc.seam import PINNED_VERSION, check_seam, enlarge_receive_buffers

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
