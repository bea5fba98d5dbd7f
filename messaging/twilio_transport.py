"""SMS through Twilio with the official library: a Messaging Service SID or a From number, a status
callback URL per message, a validity period on time-sensitive ones.

The library's blocking client is used from a worker thread (see `SmsSender`). `api_base` points the
library's own HTTP client at another host (a proxy, or the local test server): the library still
builds and parses every request itself.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from messaging.transport import OutgoingSms, TransportResult

log = logging.getLogger("telecoach.sms")

# 21610: the recipient replied STOP; 21211/21614: not a valid (mobile) number; 21408: region off.
PERMANENT_CODES = frozenset({21610, 21211, 21614, 21408, 21612, 30004, 30005, 30006})
TRANSIENT_CODES = frozenset({20429, 20500, 20503})
VALIDITY_RANGE = (1, 36000)  # seconds, as Twilio accepts


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The library's HTTP client, sending to `base` instead of `https://api.twilio.com`."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, pool_connections=True)
        parts = urlsplit(base)
        self._scheme, self._netloc, self._prefix = (
            parts.scheme,
            parts.netloc,
            parts.path.rstrip("/"),
        )

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )
        return super().request(method, rebased, *args, **kwargs)


class TwilioTransport:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        api_base: str | None = None,
        timeout: float = 10.0,
        connections: int = 10,
    ) -> None:
        """`connections`: how many kept-alive connections to hold, one per text sent at once
        (the library's own pool holds min(32, CPUs + 4): with fewer cores than concurrent sends,
        every extra send would open, and throw away, a new TLS connection)."""
        if not (messaging_service_sid or from_number):
            raise ValueError("Twilio needs a Messaging Service SID or a From number")
        http_client = (
            RebasedHttpClient(api_base, timeout)
            if api_base
            else TwilioHttpClient(timeout=timeout, pool_connections=True)
        )
        if http_client.session is not None:
            for scheme in ("https://", "http://"):
                http_client.session.mount(scheme, HTTPAdapter(pool_maxsize=max(1, connections)))
        self._http = http_client
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._sender: dict[str, str] = (
            {"messaging_service_sid": messaging_service_sid}
            if messaging_service_sid
            else {"from_": from_number or ""}
        )

    def send(self, sms: OutgoingSms) -> TransportResult:
        arguments: dict[str, Any] = {"to": sms.to, "body": sms.body, **self._sender}
        if sms.status_callback:
            arguments["status_callback"] = sms.status_callback
        if sms.validity_seconds is not None:
            low, high = VALIDITY_RANGE
            arguments["validity_period"] = max(low, min(high, sms.validity_seconds))
        try:
            created = self._client.messages.create(**arguments)
        except (TwilioRestException, TwilioServiceException) as exc:
            return self._refused(sms, int(exc.status), exc.code)
        except requests.RequestException as exc:
            # A timeout may come after Twilio accepted the message: the caller decides whether a
            # retry risks a duplicate (the scheduler reconciles such rows instead of resending).
            log.warning("twilio unreachable for message %s: %s", sms.message_id, type(exc).__name__)
            error = "network_timeout" if isinstance(exc, requests.Timeout) else "network"
            return TransportResult(status="failed", error_code=error, retryable=True)
        return TransportResult(status=str(created.status or "queued"), provider_sid=created.sid)

    @staticmethod
    def _refused(sms: OutgoingSms, status: int, raw_code: object) -> TransportResult:
        # Without a Twilio error body the library reports the HTTP status as the code.
        code = raw_code if isinstance(raw_code, int) and raw_code != status else None
        retryable = code not in PERMANENT_CODES and (
            status == 429 or status >= 500 or code in TRANSIENT_CODES
        )
        log.warning("twilio refused message %s: status %s code %s", sms.message_id, status, code)
        return TransportResult(
            status="failed",
            error_code=str(code) if code else f"http_{status}",
            retryable=retryable,
        )

    def close(self) -> None:
        session = getattr(self._http, "session", None)
        if session is not None:
            session.close()
