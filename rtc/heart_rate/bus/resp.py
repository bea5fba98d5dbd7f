"""Redis commands with hundreds of arguments, packed and read without redis-py's generic layer.

The bus sends two commands many times a second: a script call carrying a batch of readings (four
arguments each), and an XREAD of the firehose returning up to a thousand entries. redis-py packs
each argument through its encoder in Python (about a microsecond apiece) and turns an XREAD reply
into dicts; at a few thousand readings a second that was a large share of a `serve` process's CPU.
Here the arguments that do not change (stream keys) are encoded once, replies are read as the
plain lists the parser gives, and each kind of command keeps its own connection (`Line`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from redis.exceptions import ResponseError


def bulk(value: bytes) -> bytes:
    """One argument in the Redis protocol (RESP bulk string)."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


def command(parts: Sequence[bytes]) -> bytes:
    """A whole command from its arguments, each already passed through `bulk` (one per item)."""
    return b"*%d\r\n%s" % (len(parts), b"".join(parts))


class Line:
    """One connection of `redis`'s pool, kept for one stream of commands (the bus's publishes, or
    its firehose reads): taking a connection from the pool and giving it back costs more than the
    command's own Python work (a lock, a check that nothing is left to read, an event). A failed
    call drops it; the next takes another, checked. So does a call after a second of quiet, when
    the connection may have died unnoticed (Redis restarted) while nothing was sent."""

    IDLE_CHECK_S = 1.0

    def __init__(self, redis: Any) -> None:
        self._pool = redis.connection_pool
        self._connection: Any = None
        self._used = 0.0

    async def call(self, packed: bytes) -> Any:
        """Send a packed command and return the raw reply (bytes, lists, ints). An error reply
        raises as redis-py would (NoScriptError included)."""
        loop = asyncio.get_running_loop()
        connection = self._connection
        if connection is None:
            connection = self._connection = await self._pool.get_connection()
        elif loop.time() - self._used > self.IDLE_CHECK_S:
            try:
                await self._pool.ensure_connection(connection)
            except BaseException:
                await self._drop()
                raise
        try:
            await connection.send_packed_command(packed, check_health=False)
            reply = await connection.read_response()
        except ResponseError:
            raise  # the whole reply was read: the connection is fine
        except BaseException:
            # Cancelled or failed halfway (e.g. during a blocking read): a reply may still come
            # on this connection, so it must not carry another command.
            await self._drop()
            raise
        self._used = loop.time()
        return reply

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await self._pool.release(connection)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.disconnect(nowait=True)
            await self._pool.release(connection)
