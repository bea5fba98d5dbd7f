"""The signaling errors a client is told about: a stable `code` and a human `message`.

SignalingError          an error message to the client; the connection stays open
 └── Fatal              ...and then the connection is closed with `close_code`
"""

from __future__ import annotations


class SignalingError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request: str | None = None  # the message type that caused it, once it was read

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class Fatal(SignalingError):
    """The client may not go on: it is told why, then the websocket closes with `close_code`."""

    def __init__(self, code: str, message: str, close_code: int) -> None:
        super().__init__(code, message)
        self.close_code = close_code
