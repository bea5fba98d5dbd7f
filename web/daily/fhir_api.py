"""Daily Observations posted to `/fhir/Observation` (web/heart_rate/fhir_api.py hands them here
when the first one carries a daily code): grouped into days per patient, checked by the same
rules as the device API, stored and evaluated through the daily use case. All or nothing for a
transaction: an entry out of range fails the Bundle, naming it (FHIR's rule)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from starlette.responses import JSONResponse, Response

from coach import daily
from coach.audit import record, record_system
from coach.daily_fhir import DailyObservation, observations
from coach.fhir_input import FhirInvalid
from coach.models import Patient
from usecases.daily import record_daily_data
from web.auth.principal import Principal
from web.context import AppContext
from web.heart_rate.fhir_errors import FHIR_JSON, FhirError, patient_for


def _zones(session: Session, patient_ids: list[int]) -> dict[int, str]:
    zones = {}
    for patient_id in patient_ids:
        patient = session.get(Patient, patient_id)
        if patient is not None:
            zones[patient_id] = patient.time_zone
    return zones


def _grouped(
    found: list[DailyObservation], device_patient: int | None
) -> dict[int, list[tuple[int, DailyObservation]]]:
    groups: dict[int, list[tuple[int, DailyObservation]]] = defaultdict(list)
    for index, item in enumerate(found):
        groups[patient_for(item.subject, item.expression, device_patient)].append((index, item))
    return groups


def _days(
    items: list[tuple[int, DailyObservation]], zone: str, now: Any
) -> tuple[list[tuple[int, daily.DayValues]], dict[int, list[int]]]:
    """One DayValues per local day (indexed by its first Observation) and which Observations
    went into each; FhirError naming the first Observation that fails the checks."""
    today = now.astimezone(ZoneInfo(zone)).date()
    by_day: dict[Any, dict[str, Any]] = {}
    members: dict[Any, list[int]] = defaultdict(list)
    for index, item in items:
        day = item.day(zone)
        values = by_day.setdefault(day, {"date": day.isoformat()})
        if item.measure in values:
            raise FhirError(422, f"two Observations of {item.measure} for {day}", item.expression)
        values[item.measure] = item.value
        try:
            daily.check_entry(values, today)
        except daily.EntryInvalid as exc:
            raise FhirError(422, str(exc), item.expression) from None
        members[day].append(index)
    entries = []
    owners: dict[int, list[int]] = {}
    for day, values in by_day.items():
        first = members[day][0]
        entries.append((first, daily.check_entry(values, today)))
        owners[first] = members[day]
    return entries, owners


async def post_daily_observations(
    ctx: AppContext,
    body: object,
    device_patient: int | None,
    principal: Principal | None,
    device_id: int | None,
    first_invisible: Any,
) -> Response:
    try:
        kind, found = observations(body)
    except FhirInvalid as exc:
        raise FhirError(400, str(exc), exc.expression) from None
    groups = _grouped(found, device_patient)
    if principal is not None:
        invisible = await ctx.db.run(first_invisible, principal, list(groups))
        if invisible is not None:
            raise FhirError(404, f"Patient/{invisible} not found", "subject")
    zones = await ctx.db.run(_zones, list(groups))
    now = ctx.clock.now()
    checked = {}
    for patient_id, items in groups.items():
        if patient_id not in zones:
            raise FhirError(404, f"Patient/{patient_id} not found", "subject")
        try:
            checked[patient_id] = _days(items, zones[patient_id], now)
        except FhirInvalid as exc:
            raise FhirError(400, str(exc), exc.expression) from None

    def audit(session: Session, patient_id: int, detail: str) -> None:
        if principal is not None:
            record(session, principal.actor, "daily.ingest", patient_id, "ok", f"FHIR {detail}")
        else:
            record_system(
                session,
                "device",
                "daily.ingest",
                patient_id,
                f"device token {device_id}: FHIR {detail}",
            )

    stored: set[int] = set()
    for patient_id, (entries, owners) in checked.items():
        out = await record_daily_data(
            ctx.db, ctx.alerts, patient_id, entries, "fhir", now, ctx.rules, ctx.schedule, audit
        )
        for index in out.stored:
            stored.update(owners[index])
    return _answer(kind, len(found), stored)


def _answer(kind: str, count: int, stored: set[int]) -> Response:
    if kind == "Observation":
        body: dict[str, Any] = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": "stored" if stored else "already stored",
                }
            ],
        }
        return JSONResponse(body, status_code=201 if stored else 200, media_type=FHIR_JSON)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {"response": {"status": "201 Created" if i in stored else "200 OK"}}
            for i in range(count)
        ],
    }
    return JSONResponse(bundle, status_code=200, media_type=FHIR_JSON)
