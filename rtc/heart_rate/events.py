"""The JSON entries heart rate puts on the live bus (docs/heart-rate.md, "Live bus entries")."""

from __future__ import annotations

import json
from typing import Any


def reading(patient_id: int, t_ms: int, bpm: int, source: str) -> str:
    return (
        f'{{"type":"reading","patient_id":{patient_id},"t":{t_ms},"bpm":{bpm},'
        f'"src":{json.dumps(source)}}}'
    )


def alert(alert_json: dict[str, Any]) -> str:
    return json.dumps({"type": "alert", "alert": alert_json}, separators=(",", ":"))


def alert_ack(alert_id: int, acknowledged_at: str) -> str:
    return json.dumps(
        {"type": "alert_ack", "alert_id": alert_id, "acknowledged_at": acknowledged_at},
        separators=(",", ":"),
    )


def stream_name(occurrence_id: int) -> str:
    return f"occ:{occurrence_id}"
