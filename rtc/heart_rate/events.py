"""The JSON entries heart rate puts on the live bus (docs/heart-rate.md, "Live bus entries")."""

from __future__ import annotations

import json
import re
from typing import Any

# The sources a reading comes from, JSON-encoded once (every reading names one).
_SOURCES = {source: json.dumps(source) for source in ("ble", "api", "fhir", "simulator")}
# A reading as `reading` writes it; `parse_reading` falls back to JSON for anything else.
_READING = re.compile(r'\{"type":"reading","patient_id":(\d+),"t":(\d+),"bpm":(\d+),')


def reading(patient_id: int, t_ms: int, bpm: int, source: str) -> str:
    encoded = _SOURCES.get(source) or json.dumps(source)
    return f'{{"type":"reading","patient_id":{patient_id},"t":{t_ms},"bpm":{bpm},"src":{encoded}}}'


def parse_reading(data: str) -> tuple[int, int, int] | None:
    """(patient_id, t, bpm) of a reading entry; None for any other entry (or one that is not
    JSON). Every process that follows a class reads each of its entries: a match of the form
    `reading` writes costs half a JSON decode."""
    match = _READING.match(data)
    if match is not None:
        return int(match[1]), int(match[2]), int(match[3])
    try:
        entry = json.loads(data)
        if not isinstance(entry, dict) or entry.get("type") != "reading":
            return None
        return int(entry["patient_id"]), int(entry["t"]), int(entry["bpm"])
    except (ValueError, KeyError, TypeError):
        return None


def alert(alert_json: dict[str, Any]) -> str:
    return json.dumps({"type": "alert", "alert": alert_json}, separators=(",", ":"))


def alert_ack(alert_id: int, acknowledged_at: str) -> str:
    return json.dumps(
        {"type": "alert_ack", "alert_id": alert_id, "acknowledged_at": acknowledged_at},
        separators=(",", ":"),
    )


def cue(patient_id: int, cue_json: dict[str, Any]) -> str:
    """What the patient is asked now: the cue engine's cue, or the coach's own words."""
    return json.dumps(
        {"type": "cue", "patient_id": patient_id, "cue": cue_json}, separators=(",", ":")
    )


def cue_mute(patient_id: int, muted: bool) -> str:
    return json.dumps(
        {"type": "cue_mute", "patient_id": patient_id, "muted": muted}, separators=(",", ":")
    )


def rpe(patient_id: int, value: int, t_ms: int) -> str:
    """A patient's answer to "how hard does this feel?" (Borg 6-20), for the coach's tile and the
    patient's cue engine."""
    return f'{{"type":"rpe","patient_id":{patient_id},"value":{value},"t":{t_ms}}}'


def _decoded(data: str, prefix: str) -> dict[str, Any] | None:
    """An entry starting with `prefix`, decoded; None for anything else (the prefix test keeps
    readings, most of a stream, from being decoded at all)."""
    if not data.startswith(prefix):
        return None
    try:
        entry = json.loads(data)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def parse_rpe_entry(data: str) -> tuple[int, int, int] | None:
    """An `rpe` entry as (patient_id, value, t_ms); None for anything else."""
    entry = _decoded(data, '{"type":"rpe"')
    if entry is None:
        return None
    patient_id, value, t_ms = entry.get("patient_id"), entry.get("value"), entry.get("t")
    if type(patient_id) is not int or type(value) is not int or type(t_ms) is not int:
        return None
    return patient_id, value, t_ms


def parse_cue_entry(data: str) -> dict[str, Any] | None:
    """A `cue` or `cue_mute` entry, decoded; None for anything else (readings cost nothing)."""
    return _decoded(data, '{"type":"cue')


def stream_name(occurrence_id: int) -> str:
    return f"occ:{occurrence_id}"
