"""The warm message proposed to the coach for a patient flagged as drifting away: from templates
([motivation] in messaging/templates), in the patient's language, with their first name, chosen by
the first reason the flag gives. `render` runs the privacy check (no illness or treatment named),
and the coach's send goes through the manual-text use case, which checks again."""

from __future__ import annotations

from collections.abc import Sequence

from messaging.templates import render

# A flag's reason (coach/early_warning, disengagement) -> its template; others get "general".
TEMPLATE_OF = {
    "missed_sessions": "missed_sessions",
    "missed_classes": "missed_sessions",
    "missed_home_sessions": "missed_sessions",
    "unanswered_texts": "unanswered_texts",
    "no_replies": "unanswered_texts",
    "falling_minutes": "falling_minutes",
    "minutes_down": "falling_minutes",
    "steps_down": "falling_minutes",
    "rising_fatigue": "rising_fatigue",
    "fatigue_up": "rising_fatigue",
}


def first_name(name: str) -> str:
    return (name.split() or ["there"])[0][:40]


def proposed_message(language: str, name: str, reasons: Sequence[str]) -> str:
    chosen = next((TEMPLATE_OF[r] for r in reasons if r in TEMPLATE_OF), "general")
    return render(language, f"motivation.{chosen}", first_name=first_name(name))
