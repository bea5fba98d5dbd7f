"""What the workflow pages show, built from stored rows: a prescription's lines, a progression
proposal, the holds banner, and the override form's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import holds, overrides, prescriptions, progression_store
from coach.models import Prescription, StaffUser
from coach.workflow_models import ProgressionProposal
from web.plain_labels import plain_word
from web.prescribing.forms import Form, show_number

DASH = "\N{EN DASH}"


def _words(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(plain_word(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, float):
        return show_number(value)
    return str(value).replace("_", " ")


def _staff_name(session: Session, staff_id: int | None) -> str:
    staff = session.get(StaffUser, staff_id) if staff_id else None
    return staff.name if staff else "—"


def rx_view(session: Session, row: Prescription) -> dict[str, Any]:
    data = row.data
    changed = {o["field"]: o for o in data.get("overrides", [])}
    aerobic, resistance = data.get("aerobic", {}), data.get("resistance", {})

    def line(label: str, value: str, *paths: str) -> dict[str, Any]:
        found = [changed[p] for p in paths if p in changed]
        return {"label": label, "value": value, "overrides": found}

    if data.get("intensity_basis") == "rpe":
        zone = "by RPE and talk test (heart rate shown, not used for zones)"
    elif aerobic.get("hr_low") is None:
        zone = "—"
    else:
        zone = (
            f"{aerobic['hr_low']}{DASH}{aerobic['hr_high']} bpm"
            f" ({aerobic.get('hrr_low_pct')}{DASH}{aerobic.get('hrr_high_pct')}%"
            " of heart-rate reserve);"
            f" alert ceiling {aerobic['hr_high']} bpm"
        )
    return {
        "id": row.id,
        "version": row.version,
        "status": row.status,
        "created_at": row.created_at,
        "created_by": _staff_name(session, row.created_by),
        "approved_at": row.approved_at,
        "approved_by": _staff_name(session, row.approved_by),
        "hold": bool(data.get("hold")),
        "hold_reasons": data.get("hold_reasons", []),
        "overview": [
            line("Hold", _words(data.get("hold")), "hold"),
            line("Supervision", _words(data.get("tier")), "tier"),
            line("Intensity basis", _words(data.get("intensity_basis")), "intensity_basis"),
        ],
        "aerobic": [
            line("Frequency", f"{aerobic.get('sessions_per_week')} sessions a week",
                 "aerobic.sessions_per_week"),
            line("Time", f"{aerobic.get('minutes_per_session')} min a session",
                 "aerobic.minutes_per_session"),
            line("Intensity", _words(aerobic.get("level")), "aerobic.level"),
            line("Heart-rate zone", zone, "aerobic.hr_low", "aerobic.hr_high",
                 "aerobic.hrr_low_pct", "aerobic.hrr_high_pct"),
            line("RPE (6-20)", f"{aerobic.get('rpe_low')}{DASH}{aerobic.get('rpe_high')}",
                 "aerobic.rpe_low", "aerobic.rpe_high"),
            line("Type", _words(aerobic.get("modalities")), "aerobic.modalities"),
            line("Avoid", _words(aerobic.get("avoid")), "aerobic.avoid"),
        ],
        "resistance": [
            line("Frequency", f"{resistance.get('sessions_per_week')} sessions a week",
                 "resistance.sessions_per_week"),
            line("Volume", f"{resistance.get('sets')} sets of {resistance.get('reps_low')}{DASH}"
                 f"{resistance.get('reps_high')} reps", "resistance.sets", "resistance.reps_low",
                 "resistance.reps_high"),
            line("Load", f"{resistance.get('pct_1rm')}% 1RM", "resistance.pct_1rm"),
            line("Avoid", _words(resistance.get("avoid")), "resistance.avoid"),
        ],
        "precautions": line("Precautions", _words(data.get("precautions")), "precautions"),
        "rules": data.get("rules", []),
        "warnings": data.get("warnings", []),
        "overrides": data.get("overrides", []),
        "inputs": data.get("inputs"),
        "progression": data.get("progression"),
        "revision": len(data.get("overrides", [])),
    }  # fmt: skip


def override_rows(draft: Prescription, submitted: Form | None) -> list[dict[str, Any]]:
    """One row per overridable field: its current value as the form shows it, or what the coach
    submitted, and the engine's own value."""
    engine = draft.data.get("engine") or {}
    rows = []
    for spec in overrides.FIELDS:
        current = overrides.read(draft.data, spec.path)
        if submitted is not None and spec.path in submitted:
            shown = [v for v in submitted[spec.path] if v]
        elif isinstance(current, list):
            shown = [str(v) for v in current]
        elif isinstance(current, bool):
            shown = ["true" if current else "false"]
        else:
            shown = [] if current is None else [str(current)]
        choices = list(spec.choices)
        if spec.kind in ("level", "tier", "basis") and isinstance(current, str):
            # A hold's level "none" is not a choice: shown, and kept unless the coach changes it.
            choices = choices if current in choices else [current, *choices]
        rows.append({
            "spec": spec, "id": "o-" + spec.path.replace(".", "-"), "values": shown,
            "choices": choices, "engine": _words(engine.get(spec.path, current)),
        })  # fmt: skip
    return rows


def holds_view(
    session: Session,
    patient_id: int,
    now: datetime,
    approved: Prescription | None,
    draft: Prescription | None,
) -> list[dict[str, Any]]:
    """Every hold to show on top of the patient's pages, most binding first."""
    shown = []
    for label, row in (("Approved prescription", approved), ("Draft prescription", draft)):
        if row is not None and row.data.get("hold"):
            texts = [r["text"] for r in row.data.get("rules", [])
                     if r.get("id", "").startswith("hold.")]  # fmt: skip
            shown.append({
                "source": f"{label} (version {row.version})",
                "rules": row.data.get("hold_reasons", []),
                "text": "; ".join(texts) or "no exercise, contact the care team",
                "until": None,
            })  # fmt: skip
    for hold in holds.active_holds(session, patient_id, now):
        shown.append({
            "source": f"Placed by {hold.source}", "rules": [hold.rule_id], "text": hold.reason,
            "until": hold.until,
        })  # fmt: skip
    return shown


def proposal_view(row: ProgressionProposal, current: Prescription | None) -> dict[str, Any]:
    """`current`: the approved prescription now; a proposal made on another one is stale."""
    data = row.proposal
    dose, week = data.get("dose", {}), data.get("week", {})
    now_dose = current.data.get("aerobic", {}) if current else {}
    in_zone = week.get("time_in_zone_fraction")
    return {
        "id": row.id,
        "week_start": row.week_start,
        "change": row.change,
        "status": row.status,
        "reason": row.decision_reason,
        "decided_at": row.decided_at,
        "stale": current is None or row.based_on_id != current.id,
        "dose": [
            ("Sessions a week", now_dose.get("sessions_per_week"), dose.get("sessions_per_week")),
            ("Minutes a session", now_dose.get("minutes_per_session"),
             dose.get("minutes_per_session")),
            ("Level", now_dose.get("level"), dose.get("level")),
            ("% HRR", f"{now_dose.get('hrr_low_pct')}{DASH}{now_dose.get('hrr_high_pct')}",
             f"{dose.get('hrr_low_pct')}{DASH}{dose.get('hrr_high_pct')}"),
            ("RPE", f"{now_dose.get('rpe_low')}{DASH}{now_dose.get('rpe_high')}",
             f"{dose.get('rpe_low')}{DASH}{dose.get('rpe_high')}"),
        ],
        "reasons": data.get("reasons", []),
        "alerts": data.get("alerts", []),
        "week": [
            ("Sessions done", f"{week.get('sessions_done')} of {week.get('sessions_prescribed')}"),
            ("Mean RPE", _words(week.get("mean_rpe"))),
            ("Time in zone", "—" if in_zone is None else f"{round(in_zone * 100)}%"),
            ("Hold this week", _words(week.get("hold_this_week"))),
            ("Weekly fatigue (0-10)", _words([show_number(v) for v in
                                              week.get("fatigue_weekly_means", [])])),
            ("Resting HR by day", _words([show_number(v) for v in
                                          week.get("resting_hr_daily", [])])),
            ("Resting HR baseline", _words(week.get("resting_hr_baseline"))),
            ("Steps", "no step data"),
        ],
    }  # fmt: skip


def workflow_summary(session: Session, patient_id: int, now: datetime) -> dict[str, Any]:
    """What the patient's main page shows of the prescription workflow."""
    approved = prescriptions.current_approved(session, patient_id)
    draft = prescriptions.latest_draft(session, patient_id)
    pending = [
        proposal_view(p, approved)
        for p in progression_store.recent(session, patient_id)
        if p.status == "pending"
    ]
    return {
        "holds": holds_view(session, patient_id, now, approved, draft),
        "approved": rx_view(session, approved) if approved else None,
        "draft_version": draft.version if draft else None,
        "proposals": pending,
    }
