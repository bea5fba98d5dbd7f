"""The web layer's exceptions: what a handler raises to answer with an error.

    HTTPError                       status + code + message (+ field)
     ├── Unauthenticated            401, or a redirect to /login for a page
     ├── Forbidden                  403
     ├── NotFound                   404
     ├── Invalid                    422, names the field
     ├── Conflict                   409
     ├── TooMany                    429 with Retry-After
     └── PayloadTooLarge            413
web/error_handler.py turns any of them, and the domain's errors from `coach/` (input errors,
NotVisible, JoinLinkInvalid), into JSON or a page.
"""

from __future__ import annotations


class HTTPError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"


class Unauthenticated(HTTPError):
    status, code = 401, "unauthenticated"


class Forbidden(HTTPError):
    status, code = 403, "forbidden"


class NotFound(HTTPError):
    status, code = 404, "not_found"


class Conflict(HTTPError):
    status, code = 409, "conflict"


class Invalid(HTTPError):
    status, code = 422, "invalid"


class PayloadTooLarge(HTTPError):
    status, code = 413, "payload_too_large"


class RetryLater(HTTPError):
    """Refused for now: the client sends the same request again after `retry_after` seconds
    (the answer's Retry-After header)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooMany(RetryLater):
    status, code = 429, "too_many_requests"


class Unavailable(RetryLater):
    """Something the request needs (the database) is not answering: a moment's outage."""

    status, code = 503, "unavailable"
