"""What the workflow pages show, built from stored rows: a prescription's lines, a progression
proposal, the holds banner, and the override form's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import holds, overrides, prescriptions, progression_store
from coach.models import Prescription, StaffUser
from coach.workflow_models import ProgressionProposal
from web.i18n import Translator
from web.plain_labels import prescription_word
from web.prescribing.forms import Form, show_number

DASH = "\N{EN DASH}"


def _words(value: Any, t: Translator) -> str:
    """A stored value in the reader's words: a list item by item (`staff.rx.word.*`, then the
    profile's words for activities, else the name in plain words), yes/no, a number."""
    if isinstance(value, list | tuple):
        words = [prescription_word(str(v), t) for v in value]
        return t("staff.common.list_separator").join(words) or t("profile.none")
    if isinstance(value, bool):
        return t("staff.rx.yes_cap") if value else t("staff.rx.no_cap")
    if value is None:
        return "—"
    if isinstance(value, float):
        return show_number(value)
    return prescription_word(str(value), t)


def _staff_name(session: Session, staff_id: int | None) -> str:
    staff = session.get(StaffUser, staff_id) if staff_id else None
    return staff.name if staff else "—"


def rx_view(session: Session, row: Prescription, t: Translator) -> dict[str, Any]:
    """A prescription's lines in the reader's language (`t`); the rules' own texts and sources
    are the rules file's, as the clinic wrote them."""
    data = row.data
    changed = {o["field"]: o for o in data.get("overrides", [])}
    aerobic, resistance = data.get("aerobic", {}), data.get("resistance", {})

    def line(label: str, value: str, *paths: str) -> dict[str, Any]:
        found = [changed[p] for p in paths if p in changed]
        return {"label": t(f"staff.rx.line.{label}"), "value": value, "overrides": found}

    if data.get("intensity_basis") == "rpe":
        zone = t("staff.rx.zone_by_rpe")
    elif aerobic.get("hr_low") is None:
        zone = "—"
    else:
        zone = t(
            "staff.rx.zone_hr",
            low=aerobic["hr_low"],
            high=aerobic["hr_high"],
            low_pct=aerobic.get("hrr_low_pct"),
            high_pct=aerobic.get("hrr_high_pct"),
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
            line("hold", _words(data.get("hold"), t), "hold"),
            line("tier", _words(data.get("tier"), t), "tier"),
            line("basis", _words(data.get("intensity_basis"), t), "intensity_basis"),
        ],
        "aerobic": [
            line("frequency", t("staff.rx.per_week", n=aerobic.get("sessions_per_week")),
                 "aerobic.sessions_per_week"),
            line("time", t("staff.rx.per_session", n=aerobic.get("minutes_per_session")),
                 "aerobic.minutes_per_session"),
            line("intensity", _words(aerobic.get("level"), t), "aerobic.level"),
            line("zone", zone, "aerobic.hr_low", "aerobic.hr_high",
                 "aerobic.hrr_low_pct", "aerobic.hrr_high_pct"),
            line("rpe", f"{aerobic.get('rpe_low')}{DASH}{aerobic.get('rpe_high')}",
                 "aerobic.rpe_low", "aerobic.rpe_high"),
            line("type", _words(aerobic.get("modalities"), t), "aerobic.modalities"),
            line("avoid", _words(aerobic.get("avoid"), t), "aerobic.avoid"),
        ],
        "resistance": [
            line("frequency", t("staff.rx.per_week", n=resistance.get("sessions_per_week")),
                 "resistance.sessions_per_week"),
            line("volume", t("staff.rx.volume", sets=resistance.get("sets"),
                             low=resistance.get("reps_low"), high=resistance.get("reps_high")),
                 "resistance.sets", "resistance.reps_low", "resistance.reps_high"),
            line("load", f"{resistance.get('pct_1rm')}% 1RM", "resistance.pct_1rm"),
            line("avoid", _words(resistance.get("avoid"), t), "resistance.avoid"),
        ],
        "precautions": line("precautions", _words(data.get("precautions"), t), "precautions"),
        "rules": data.get("rules", []),
        "warnings": data.get("warnings", []),
        "overrides": data.get("overrides", []),
        "inputs": data.get("inputs"),
        "progression": data.get("progression"),
        "revision": len(data.get("overrides", [])),
    }  # fmt: skip


def override_rows(
    draft: Prescription, submitted: Form | None, t: Translator
) -> list[dict[str, Any]]:
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
            "choices": choices, "engine": _words(engine.get(spec.path, current), t),
        })  # fmt: skip
    return rows


def holds_view(
    session: Session,
    patient_id: int,
    now: datetime,
    approved: Prescription | None,
    draft: Prescription | None,
    t: Translator,
) -> list[dict[str, Any]]:
    """Every hold to show on top of the patient's pages, most binding first. A prescription's
    hold lines and a stored hold's reason go to the page as stored, in English; the page writes
    them in the reader's words (`rule_text`, `stored_words`)."""
    shown = []
    for label, row in (("approved", approved), ("draft", draft)):
        if row is not None and row.data.get("hold"):
            lines = [r for r in row.data.get("rules", []) if r.get("id", "").startswith("hold.")]
            shown.append({
                "source": t(f"staff.rx.hold_in_{label}", n=row.version),
                "rules": row.data.get("hold_reasons", []),
                "lines": lines,
                "text": "" if lines else t("staff.rx.hold_default"),
                "until": None,
            })  # fmt: skip
    for hold in holds.active_holds(session, patient_id, now):
        placed = t(f"staff.rx.placed_by_{hold.source}")
        if placed == f"staff.rx.placed_by_{hold.source}":
            placed = t("staff.rx.placed_by", who=hold.source)
        shown.append({
            "source": placed, "rules": [hold.rule_id], "lines": [], "text": hold.reason,
            "until": hold.until,
        })  # fmt: skip
    return shown


def proposal_view(
    row: ProgressionProposal, current: Prescription | None, t: Translator
) -> dict[str, Any]:
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
            (t("staff.rx.dose.sessions"), now_dose.get("sessions_per_week"),
             dose.get("sessions_per_week")),
            (t("staff.rx.dose.minutes"), now_dose.get("minutes_per_session"),
             dose.get("minutes_per_session")),
            (t("staff.rx.dose.level"), _words(now_dose.get("level"), t),
             _words(dose.get("level"), t)),
            (t("staff.rx.dose.hrr"),
             f"{now_dose.get('hrr_low_pct')}{DASH}{now_dose.get('hrr_high_pct')}",
             f"{dose.get('hrr_low_pct')}{DASH}{dose.get('hrr_high_pct')}"),
            (t("staff.rx.dose.rpe"), f"{now_dose.get('rpe_low')}{DASH}{now_dose.get('rpe_high')}",
             f"{dose.get('rpe_low')}{DASH}{dose.get('rpe_high')}"),
        ],
        "reasons": data.get("reasons", []),
        "alerts": data.get("alerts", []),
        "week": [
            (t("staff.rx.week.sessions_done"), t("staff.rx.week.sessions_of",
             done=week.get("sessions_done"), prescribed=week.get("sessions_prescribed"))),
            (t("staff.rx.week.mean_rpe"), _words(week.get("mean_rpe"), t)),
            (t("staff.rx.week.in_zone"), "—" if in_zone is None else f"{round(in_zone * 100)}%"),
            (t("staff.rx.week.hold"), _words(week.get("hold_this_week"), t)),
            (t("staff.rx.week.fatigue"), _words([show_number(v) for v in
                                                 week.get("fatigue_weekly_means", [])], t)),
            (t("staff.rx.week.rhr_daily"), _words([show_number(v) for v in
                                                   week.get("resting_hr_daily", [])], t)),
            (t("staff.rx.week.rhr_baseline"), _words(week.get("resting_hr_baseline"), t)),
            (t("staff.rx.week.steps"), t("staff.rx.week.no_steps")),
        ],
    }  # fmt: skip


def workflow_summary(
    session: Session, patient_id: int, now: datetime, t: Translator
) -> dict[str, Any]:
    """What the patient's main page shows of the prescription workflow."""
    approved = prescriptions.current_approved(session, patient_id)
    draft = prescriptions.latest_draft(session, patient_id)
    pending = [
        proposal_view(p, approved, t)
        for p in progression_store.recent(session, patient_id)
        if p.status == "pending"
    ]
    return {
        "holds": holds_view(session, patient_id, now, approved, draft, t),
        "approved": rx_view(session, approved, t) if approved else None,
        "draft_version": draft.version if draft else None,
        "proposals": pending,
    }
