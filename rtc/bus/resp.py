"""Redis commands with hundreds of arguments, packed and read without redis-py's generic layer.

The bus sends two commands many times a second: a script call carrying a batch of readings (four
arguments each), and an XREAD of the firehose returning up to a thousand entries. redis-py packs
each argument through its encoder in Python (about a microsecond apiece) and turns an XREAD reply
into dicts; at a few thousand readings a second that was a large share of a `serve` process's CPU.
Here the arguments that do not change (stream keys) are encoded once, and replies are read as the
plain lists the parser gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.exceptions import ResponseError


def bulk(value: bytes) -> bytes:
    """One argument in the Redis protocol (RESP bulk string)."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


def command(parts: Sequence[bytes]) -> bytes:
    """A whole command from its arguments, each already passed through `bulk` (one per item)."""
    return b"*%d\r\n%s" % (len(parts), b"".join(parts))


async def call(redis: Any, packed: bytes) -> Any:
    """Send a packed command on a connection of `redis`'s pool and return the raw reply (bytes,
    lists, ints). An error reply raises as redis-py would (NoScriptError included)."""
    pool = redis.connection_pool
    connection = await pool.get_connection()
    try:
        await connection.send_packed_command(packed, check_health=False)
        return await connection.read_response()
    except ResponseError:
        raise  # the whole reply was read: the connection is fine
    except BaseException:
        # Cancelled or failed halfway (e.g. during a blocking read): a reply may still come on
        # this connection, so it must not be handed to the next command.
        await connection.disconnect(nowait=True)
        raise
    finally:
        await pool.release(connection)
