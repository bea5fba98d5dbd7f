"""Texts and delivery reports that arrived while the database could not store them, kept as
files until it can.

Twilio does not send a webhook again after an error answer, so a text refused during a database
restart would be lost, a red flag with it, and so would a report that a safety text failed.
Instead the webhooks keep what came here (one file each, written whole or not at all) and answer
as usual; `SmsService.drain_spool` stores and acts on the kept texts, oldest first, then applies
the kept reports, once the database answers. Storing a text is keyed by MessageSid and a report
only moves a message's status forward, so one kept twice, or drained by two processes at once,
counts once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from messaging.inbound import InboundSms
from messaging.status import StatusReport, check_status

log = logging.getLogger("telecoach.sms")
T = TypeVar("T")

_NAME = re.compile(r"[A-Za-z0-9]{2,64}(?:\.[a-z]{1,16})?")  # a MessageSid, maybe a status


class KeptFiles:
    """JSON records in a directory, one file each, written whole or not at all."""

    def __init__(self, directory: Path, what: str) -> None:
        self.directory = directory
        self.what = what  # for the log: "text", "status report"

    def write(self, name: str, record: dict[str, object]) -> None:
        """Raises OSError when nothing could be written (the caller must not then answer as if
        it were taken)."""
        if not _NAME.fullmatch(name):
            raise ValueError("a MessageSid is letters and digits")
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{name}.json"
        partial = final.with_suffix(".part")
        with partial.open("w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)

    def read(self, parse: Callable[[dict[str, Any]], T]) -> list[T]:
        """Each file's record. One that `parse` cannot read is set aside (`.bad`, logged by
        name only: it may hold a patient's text) so that it never blocks the others."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            name = path.name.removesuffix(".json")
            if not (path.name.endswith(".json") and _NAME.fullmatch(name)):
                continue
            try:
                found.append(parse(json.loads(path.read_text(encoding="utf-8"))))
            except FileNotFoundError:
                continue  # another process stored it meanwhile
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.error(
                    "kept %s %s unreadable (%s); set aside",
                    self.what,
                    path.name,
                    type(exc).__name__,
                )
                self.set_aside(name, ".bad")
        return found

    def set_aside(self, name: str, suffix: str) -> None:
        with contextlib.suppress(OSError):
            path = self.directory / f"{name}.json"
            path.rename(path.with_suffix(suffix))

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / f"{name}.json").unlink()


@dataclass(frozen=True)
class KeptText:
    sms: InboundSms
    # What the patient was already answered with when the text was kept (a red flag's safety
    # text, in the webhook's answer): recorded when the text is stored, not sent again.
    answered: str | None = None


def _text(data: dict[str, Any]) -> KeptText:
    sms = InboundSms(
        str(data["message_sid"]),
        str(data["from_phone"]),
        str(data["body"]),
        datetime.fromisoformat(data["received_at"]),
    )
    answered = data.get("answered")  # absent in files kept before it was written
    if answered is not None and not isinstance(answered, str):
        raise TypeError("answered is not text")
    return KeptText(sms, answered)


def _status_name(report: StatusReport) -> str:
    return f"{report.provider_sid}.{report.status}"


def _status(data: dict[str, Any]) -> StatusReport:
    message_id, error_code = data["message_id"], data["error_code"]
    if message_id is not None and type(message_id) is not int:
        raise TypeError("message_id is not a number")
    if error_code is not None and not isinstance(error_code, str):
        raise TypeError("error_code is not text")
    check_status(data["status"])  # an unknown one is a ValueError: set aside as unreadable
    return StatusReport(
        message_id,
        str(data["provider_sid"]),
        str(data["status"]),
        error_code,
        datetime.fromisoformat(data["received_at"]),
    )


class InboundSpool:
    def __init__(self, directory: Path) -> None:
        self._texts = KeptFiles(directory, "text")
        self._statuses = KeptFiles(directory / "statuses", "status report")

    def keep(self, sms: InboundSms, answered: str | None = None) -> None:
        """Keep the text in its own file; an existing file for that MessageSid is replaced by
        the same text. Raises OSError when nothing could be written."""
        record: dict[str, object] = {
            "message_sid": sms.message_sid,
            "from_phone": sms.from_phone,
            "body": sms.body,
            "received_at": sms.received_at.isoformat(),
            "answered": answered,
        }
        self._texts.write(sms.message_sid, record)

    def waiting(self) -> list[KeptText]:
        """The kept texts, oldest first."""
        found = self._texts.read(_text)
        return sorted(found, key=lambda kept: (kept.sms.received_at, kept.sms.message_sid))

    def set_aside(self, message_sid: str) -> None:
        """Out of the way of the others, kept for a person to look at (`.failed`)."""
        self._texts.set_aside(message_sid, ".failed")

    def forget(self, message_sid: str) -> None:
        self._texts.remove(message_sid)

    def keep_status(self, report: StatusReport) -> None:
        """Keep a delivery report; the same report again replaces it. Raises OSError."""
        record: dict[str, object] = {
            "message_id": report.message_id,
            "provider_sid": report.provider_sid,
            "status": report.status,
            "error_code": report.error_code,
            "received_at": report.received_at.isoformat(),
        }
        self._statuses.write(_status_name(report), record)

    def waiting_statuses(self) -> list[StatusReport]:
        """The kept delivery reports, oldest first."""
        found = self._statuses.read(_status)
        return sorted(found, key=lambda kept: (kept.received_at, _status_name(kept)))

    def set_aside_status(self, report: StatusReport) -> None:
        self._statuses.set_aside(_status_name(report), ".failed")

    def forget_status(self, report: StatusReport) -> None:
        self._statuses.remove(_status_name(report))
