"""The day's coaching text from an approved prescription (format: shared/clinical/PRESCRIPTION.md).

Plain words only: the activity, how long, and an effort the patient can feel ("a pace where you can
talk but not sing"). No heart-rate numbers (a basic phone has no sensor), no diagnosis, no rule ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
) -> str:
    """Today's aerobic session in `language`; a hold or a week without sessions says so instead.

    `modality` picks one of the prescribed modalities (say, the day's); by default the first.
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
    return render(
        language,
        "coaching.aerobic",
        activity=_activity(language, chosen, minutes),
        effort=render(language, effort_key),
    )
