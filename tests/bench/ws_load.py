"""A lean WebSocket client for load generators: thousands of connections in one process.

A load generator shares the machine's cores with the servers it measures, so each microsecond it
spends on a message is taken from them (ours and the baseline alike) and shows up as their
latency. The `websockets` asyncio client spends a task wake-up, futures and a generator-based
parser on every message. Here one asyncio Protocol per connection speaks RFC 6455 directly: the
opening handshake (its `Sec-WebSocket-Accept` checked), masked client frames (as the RFC requires),
unmasked server frames parsed in place, pings answered, a close handshake honoured. Text messages
only, no extensions, no fragmentation (neither server here fragments what it sends).

    socket = await connect("ws://127.0.0.1:8000/ws/live/1", on_message, headers={"Cookie": ...})
    socket.send_text('{"type":"hello"}')

`on_message(text, at)` is called for each text message, `at` being `time.time()` when its bytes
arrived (one clock read per read from the socket, not per message).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from websockets.speedups import apply_mask

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OnMessage = Callable[[str, float], None]


class HandshakeFailed(Exception):
    """The server did not switch protocols (its status line is the message)."""


class LoadSocket(asyncio.Protocol):
    def __init__(self, key: bytes, on_message: OnMessage) -> None:
        self._accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())  # noqa: S324 (RFC 6455)
        self._on_message = on_message
        self._buffer = bytearray()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int] = loop.create_future()  # the close code
        self.transport: asyncio.Transport | None = None
        self._close_code = 1006

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] (uvloop's is not a subclass)

    def data_received(self, data: bytes) -> None:
        at = time.time()
        self._buffer += data
        if not self.opened.done() and not self._handshake():
            return
        self._parse(at)

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        status, _, rest = head.partition(b"\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(b":") for line in rest.split(b"\r\n"))
        }
        if not status.startswith(b"HTTP/1.1 101"):
            self.opened.set_exception(HandshakeFailed(status.decode(errors="replace")))
        elif headers.get(b"sec-websocket-accept") != self._accept:
            self.opened.set_exception(HandshakeFailed("wrong Sec-WebSocket-Accept"))
        else:
            self.opened.set_result(None)
            return True
        assert self.transport is not None
        self.transport.close()
        return False

    def _parse(self, at: float) -> None:
        buf = self._buffer
        pos, size = 0, len(buf)
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            length, head = second & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            opcode = first & 0x0F
            if not first & 0x80 or second & 0x80:
                self._fail(1002)  # fragmented or masked: not what these servers send
                return
            if opcode == 0x1:
                self._on_message(payload.decode(), at)
            elif opcode == 0x9:
                self._frame(0xA, payload)
            elif opcode == 0x8:
                self._close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self._frame(0x8, payload[:2])
                assert self.transport is not None
                self.transport.close()
                return
        del buf[:pos]

    def _frame(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        mask = random.getrandbits(32).to_bytes(4, "big")
        size = len(payload)
        if size < 126:
            header = bytes((0x80 | opcode, 0x80 | size))
        elif size < 1 << 16:
            header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
        self.transport.write(header + mask + apply_mask(payload, mask))

    def _fail(self, code: int) -> None:
        self._close_code = code
        self._frame(0x8, code.to_bytes(2, "big"))
        assert self.transport is not None
        self.transport.close()

    def send_text(self, text: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._frame(0x1, text.encode())

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._fail(1000)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(HandshakeFailed(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self._close_code)


async def connect(
    url: str, on_message: OnMessage, *, headers: dict[str, str] | None = None, timeout: float = 60
) -> LoadSocket:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    key = base64.b64encode(os.urandom(16))
    loop = asyncio.get_running_loop()
    transport, socket = await asyncio.wait_for(
        loop.create_connection(lambda: LoadSocket(key, on_message), host, port), timeout
    )
    lines = [
        f"GET {parts.path or '/'} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        await asyncio.wait_for(asyncio.shield(socket.opened), timeout)
    except BaseException:
        transport.close()
        raise
    return socket
