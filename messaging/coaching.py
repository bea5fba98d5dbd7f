"""The day's coaching text from an approved prescription (format: shared/clinical/PRESCRIPTION.md).

Plain words only: the activity, how long, and an effort the patient can feel ("a pace where you can
talk but not sing"). No heart-rate numbers (a basic phone has no sensor), no diagnosis, no rule ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coach.next_session import NextSession
from messaging.templates import catalogue, render


class CoachingError(ValueError):
    """The prescription does not hold what a coaching text needs."""


def _activity(language: str, modality: str, minutes: int) -> str:
    known = catalogue()["en"]
    key = f"activity.{modality}" if f"activity.{modality}" in known else "activity.other"
    return render(language, key, minutes=minutes)


def coaching_text(
    prescription: Mapping[str, Any],
    language: str,
    *,
    clinic_phone: str,
    modality: str | None = None,
    adapted: NextSession | None = None,
) -> str:
    """Today's aerobic session in `language`; a hold or a week without sessions says so instead.

    `modality` picks one of the prescribed modalities (say, the day's); by default the first.
    `adapted`: how today's session should start after the last ones (coach.next_session): "the
    same walk, a little slower", "a little shorter today". Never more minutes than approved.
    """
    if prescription.get("hold"):
        return render(language, "coaching.hold", clinic_phone=clinic_phone)
    aerobic = prescription.get("aerobic")
    if not isinstance(aerobic, Mapping):
        raise CoachingError("prescription has no aerobic part")
    sessions, minutes = aerobic.get("sessions_per_week"), aerobic.get("minutes_per_session")
    if not isinstance(sessions, int) or not isinstance(minutes, int):
        raise CoachingError("aerobic.sessions_per_week and minutes_per_session must be numbers")
    if sessions <= 0 or minutes <= 0:
        return render(language, "coaching.rest")
    modalities = [m for m in aerobic.get("modalities") or [] if isinstance(m, str)]
    chosen = modality if modality in modalities else (modalities[0] if modalities else "walking")
    level = aerobic.get("level")
    effort_key = f"effort.{level}" if f"effort.{level}" in catalogue()["en"] else "effort.light"
    today = minutes if adapted is None else max(1, min(minutes, adapted.main_minutes))
    return render(
        language,
        _coaching_key(adapted, today < minutes),
        activity=_activity(language, chosen, today),
        effort=render(language, effort_key),
    )


def _coaching_key(adapted: NextSession | None, shorter: bool) -> str:
    effort = adapted.start_effort if adapted is not None else "same"
    if effort == "brisker" and adapted is not None and adapted.beyond_approval:
        effort = "same"  # more than approved is the coach's to decide, not a text's
    if effort == "gentler":
        return "coaching.aerobic_shorter_slower" if shorter else "coaching.aerobic_slower"
    if shorter:
        return "coaching.aerobic_shorter"
    return "coaching.aerobic_brisker" if effort == "brisker" else "coaching.aerobic"
