"""The local HTTP servers tests talk to (a Twilio API, static files), served from a thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import HTTPServer

# How often the serving loop looks for a shutdown. socketserver's default, half a second, was
# what stopping a server cost; hundreds of tests each start and stop one.
SHUTDOWN_POLL_S = 0.02


@contextlib.contextmanager
def serving(server: HTTPServer) -> Iterator[str]:
    """Serve for the block; its base URL. Stopped and closed after, whatever happened."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
