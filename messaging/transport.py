"""The one interface every SMS transport has, and the local outbox used by the embedded default.

A transport's `send` blocks (an HTTPS call, a file append): `SmsSender` runs it in a worker
thread, never on the event loop. It never raises for a refusal by the provider: it returns the
status and error code, and says whether trying again later could work (429, 5xx, network) or not
(21610, 21211).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from coach.models import utcnow


@dataclass(frozen=True)
class OutgoingSms:
    to: str  # E.164
    body: str
    message_id: int  # our sms_message row
    status_callback: str | None = None  # where the provider reports delivery
    validity_seconds: int | None = None  # drop it if still queued after this long


@dataclass(frozen=True)
class TransportResult:
    status: str  # queued, accepted, sent, delivered, failed
    provider_sid: str | None = None
    error_code: str | None = None  # the provider's code ("21610") or "http_503", "network"
    retryable: bool = False


class SmsTransport(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> TransportResult: ...

    def close(self) -> None: ...


class OutboxTransport:
    """Nothing leaves the machine: each message is one JSON line in the outbox file, delivered.

    The conversation itself lives in the database (the `/dev/phone` simulator shows it); the file is
    for a developer who wants `tail -f`.
    """

    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, sms: OutgoingSms, now: datetime | None = None) -> TransportResult:
        sid = "OB" + secrets.token_hex(16)
        line = json.dumps(
            {
                "sid": sid,
                "message_id": sms.message_id,
                "to": sms.to,
                "body": sms.body,
                "at": (now or utcnow()).isoformat(),
            },
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        return TransportResult(status="delivered", provider_sid=sid)

    def close(self) -> None:
        return None
