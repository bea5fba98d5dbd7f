"""A local HTTP server that speaks the part of Twilio's REST API Telecoach uses: Messages create.

The `twilio` library is pointed at it through `TWILIO_API_BASE`, so its real request building and
response parsing run. Replies are chosen by the recipient number, as with Twilio's magic numbers:

    +15005550009   400, code 21610 (the recipient replied STOP)
    +15005550001   400, code 21211 (not a valid phone number)
    +15005550429   429, code 20429 (too many requests)
    +15005550503   503 with an HTML body (Twilio having a bad day)
    anything else  201 with a queued message
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.http_servers import serving

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SERVICE_SID = "MG" + "1" * 32

ERRORS = {
    "+15005550009": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "+15005550001": (400, 21211, "The 'To' number is not a valid phone number."),
    "+15005550429": (429, 20429, "Too Many Requests"),
}
OUTAGE = "+15005550503"


@dataclass
class Received:
    method: str
    path: str
    auth: tuple[str, str]
    form: dict[str, str]
    user_agent: str


@dataclass
class FakeTwilio:
    base_url: str
    requests: list[Received] = field(default_factory=list)

    def creates(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/Messages.json")]


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as Twilio's API: a client sending many texts reuses its connections (every
        # reply has a Content-Length). Without Nagle, or each reply's body (written after its
        # headers) would wait for the client's delayed ACK: 40 ms a request.
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            return None

        def _reply(self, status: int, body: str, content_type: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
            user, _, password = base64.b64decode(encoded).decode().partition(":")
            fake.requests.append(
                Received("POST", self.path, (user, password), form, self.headers["User-Agent"])
            )
            expected = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
            if scheme != "Basic" or (user, password) != (ACCOUNT_SID, AUTH_TOKEN):
                return self._reply(
                    401, json.dumps({"code": 20003, "message": "Authenticate", "status": 401})
                )
            if self.path != expected:
                return self._reply(
                    404, json.dumps({"code": 20404, "message": "Not found", "status": 404})
                )
            to = form.get("To", "")
            if to == OUTAGE:
                return self._reply(503, "<html>Service Unavailable</html>", "text/html")
            if to in ERRORS:
                status, code, message = ERRORS[to]
                return self._reply(
                    status,
                    json.dumps(
                        {
                            "code": code,
                            "message": message,
                            "status": status,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        }
                    ),
                )
            sid = "SM" + secrets.token_hex(16)
            self._reply(
                201,
                json.dumps(
                    {
                        "sid": sid,
                        "account_sid": ACCOUNT_SID,
                        "to": to,
                        "from": form.get("From"),
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "error_code": None,
                        "error_message": None,
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                    }
                ),
            )

    return Handler


class _Server(ThreadingHTTPServer):
    # Room for many clients connecting at once (socketserver's default backlog is 5: a sixth
    # would wait a second for its SYN to be sent again, which Twilio never makes anyone do).
    request_queue_size = 128


def serve() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("")
    with serving(_Server(("127.0.0.1", 0), _handler(fake))) as fake.base_url:
        yield fake
