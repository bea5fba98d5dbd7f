"""The two places where we reach inside aiortc 1.16, and a check that they are still there.

aiortc has no public API for encoded frames (maintainers, aiortc issues #366 and #449), so:

- **Receiving.** `RTCRtpReceiver._handle_rtp_packet` depayloads each RTP packet and hands it to its
  jitter buffer (`self.__jitter_buffer.add(packet)`), whose complete frames go to a decoder thread.
  We replace that jitter buffer with a `PacketTap`: every packet goes to our own frame assembler and
  the receiver is told "no frame", so nothing is ever decoded.
- **Sockets.** `enlarge_receive_buffers` reaches aioice's UDP sockets (`Connection._protocols`)
  to give keyframe bursts room while the event loop is busy.
- **Connecting.** `take_connect_outcome` finds the task aiortc starts to connect a peer and takes
  its outcome, so closing a peer mid-handshake is not logged as an error no one retrieved.
- **Sending.** `RTCRtpSender` packetizes anything its track returns that is not an `av.Frame`
  (`self.__encoder.pack(data)`), so forwarded frames go out as they came in. A keyframe request
  (PLI/FIR) from the subscriber calls `self._send_keyframe()`, which only matters to an encoder;
  we shadow that method on the instance to relay the request to the publisher instead.

`check_seam()` fails loudly, naming what moved, if an aiortc upgrade changes any of this; a test
runs it, `Rooms` runs it at start-up, and the pin in pyproject.toml (`aiortc==1.16.0`) keeps
upgrades deliberate.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import socket
from collections.abc import Callable

import aiortc
from aioice.ice import Connection, StunProtocol
from aiortc import RTCPeerConnection
from aiortc.exceptions import InvalidStateError
from aiortc.rtcicetransport import RTCIceTransport
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket

PINNED_VERSION = "1.16.0"
CONNECT_SETTLE_SECONDS = 1.0
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
_CONNECT_TASK = "RTCPeerConnection.__connect"

logger = logging.getLogger(__name__)


class SeamMoved(RuntimeError):
    """aiortc changed where encoded frames can be intercepted: forwarding would silently break."""


class PacketTap:
    """Stands in for the receiver's jitter buffer: packets go to `on_packet`, no frame to decode."""

    capacity = 0

    def __init__(self, on_packet: Callable[[RtpPacket], None]) -> None:
        self._on_packet = on_packet

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self._on_packet(packet)
        return False, None  # no PLI from aiortc's own logic, and nothing for the decoder thread


def tap_receiver(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket], None]) -> None:
    """Route every depayloaded RTP packet of `receiver` to `on_packet` instead of its decoder."""
    if not hasattr(receiver, _JITTER_BUFFER):
        raise SeamMoved("RTCRtpReceiver has no jitter buffer attribute to replace")
    setattr(receiver, _JITTER_BUFFER, PacketTap(on_packet))


def relay_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Call `on_request` whenever the remote end of `sender` asks for a keyframe (PLI or FIR)."""
    sender._send_keyframe = on_request  # type: ignore[method-assign]


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the publisher behind `receiver` for a keyframe (RTCP PLI, RFC 4585 section 6.3.1)."""
    await receiver._send_rtcp_pli(media_ssrc)


def enlarge_receive_buffers(pc: RTCPeerConnection, size: int) -> None:
    """Ask for `size`-byte kernel receive buffers on every UDP socket `pc` has gathered.

    A keyframe arrives as a burst of up to ~150 packets; with the default buffer (~208 KiB, about
    90 datagrams) a burst that lands while the event loop is busy fanning out the previous frame
    overflows, the frame is lost, the publisher is asked for another keyframe, whose burst is as
    likely to overflow: a loop of keyframes and frozen pictures on a busy machine. The kernel caps
    the size at `net.core.rmem_max` (stock Linux: 208 KiB, so raise that sysctl on a media host).
    """
    for transport in {t.receiver.transport.transport for t in pc.getTransceivers()}:
        for protocol in transport._connection._protocols:
            udp = protocol.transport.get_extra_info("socket") if protocol.transport else None
            if udp is not None:
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


async def stop_consent_checks(pc: RTCPeerConnection) -> None:
    """Cancel ICE consent checks that outlived `pc.close()`.

    aioice 0.13 race: when a connection is closed just as its checks complete, `connect()` still
    returns "completed" after `close()` and starts the consent-freshness task, which then runs for
    ~30 s on a dead connection. After `close()`, wait (briefly) for each transport's `start()` to
    return, then cancel what it started.
    """
    for transport in {t.receiver.transport.transport for t in pc.getTransceivers()}:
        started = getattr(transport, "_RTCIceTransport__start", None)
        if started is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(started.wait(), CONNECT_SETTLE_SECONDS)
        task = getattr(transport._connection, "_query_consent_task", None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def take_connect_outcome(pc: RTCPeerConnection) -> None:
    """Before closing `pc`, take the outcome of the task aiortc started to connect it.

    aiortc 1.16: `setRemoteDescription` starts `RTCPeerConnection.__connect` as a task no one
    awaits. Closed while that task is between steps (ICE done, DTLS still shaking hands), its next
    `RTCIceTransport.start()` raises InvalidStateError ("RTCIceTransport is closed"), and asyncio
    logs "Task exception was never retrieved" at ERROR for an ordinary event: someone left or was
    removed while their video was connecting (seen in the real-server socket fuzz test under
    load). That error is expected after a close; any other is still logged, as a warning.
    """
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if getattr(coro, "__qualname__", "") != _CONNECT_TASK or frame is None:
            continue
        if frame.f_locals.get("self") is pc:
            task.add_done_callback(_connect_ended)


def _connect_ended(task: asyncio.Future[object]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if isinstance(error, InvalidStateError):
        logger.debug("a peer was closed while it was connecting: %s", error)
    elif error is not None:
        logger.warning("connecting a peer failed: %r", error)


def check_seam() -> None:
    """Raise `SeamMoved`, naming each problem, unless aiortc still works the way we rely on."""
    problems = _seam_problems()
    if problems:
        raise SeamMoved("; ".join(problems))


@functools.cache
def _seam_problems() -> tuple[str, ...]:
    """Read once a process: the installed libraries do not change under it, and every app
    checks (reading their source took 15 ms an app, 7% of a test that builds one)."""
    problems = []
    if aiortc.__version__ != PINNED_VERSION:
        problems.append(
            f"aiortc is {aiortc.__version__}, the seam was written for {PINNED_VERSION}"
        )
    receive = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    if "self.__jitter_buffer.add(packet)" not in receive:
        problems.append("RTCRtpReceiver._handle_rtp_packet no longer feeds self.__jitter_buffer")
    if "packet._data = depayload(codec, packet.payload)" not in receive:
        problems.append("RTCRtpReceiver no longer depayloads into packet._data before buffering")
    if not inspect.iscoroutinefunction(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        problems.append("RTCRtpReceiver._send_rtcp_pli is gone")
    next_frame = inspect.getsource(RTCRtpSender._next_encoded_frame)
    if "self.__encoder.pack(data)" not in next_frame:
        problems.append("RTCRtpSender no longer packs pre-encoded data (encoder.pack)")
    rtcp = inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    if "self._send_keyframe()" not in rtcp:
        problems.append("RTCRtpSender no longer calls self._send_keyframe() on PLI/FIR")
    if "self.__start = asyncio.Event()" not in inspect.getsource(RTCIceTransport.start):
        problems.append("RTCIceTransport.start no longer records its progress in self.__start")
    if "self._protocols: list[StunProtocol] = []" not in inspect.getsource(Connection.__init__):
        problems.append("aioice no longer keeps its sockets' protocols in Connection._protocols")
    if "self.transport = " not in inspect.getsource(StunProtocol.connection_made):
        problems.append("aioice's StunProtocol no longer keeps its transport in .transport")
    consent = inspect.getsource(Connection.connect)
    if "self._query_consent_task = asyncio.create_task" not in consent:
        problems.append("aioice no longer keeps its consent task in Connection._query_consent_task")
    connect = getattr(RTCPeerConnection, "_RTCPeerConnection__connect", None)
    if connect is None or connect.__qualname__ != _CONNECT_TASK:
        problems.append("RTCPeerConnection.__connect is gone")
    if "asyncio.ensure_future(self.__connect())" not in inspect.getsource(
        RTCPeerConnection.setRemoteDescription
    ):
        problems.append("setRemoteDescription no longer starts __connect as a task of its own")
    return tuple(problems)
