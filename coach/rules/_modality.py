"""Rules of one aerobic modality (RULES.md §7): Tai Chi / Qigong, its forms and its own cautions.

Which modalities exist and their traits (weight-bearing, a seated form) are facts about the
activity and live in coach.engine.modalities; what a clinic may want to change lives here: the
words of each line, its source, and which conditions call for the seated or supported form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from coach.profile import COMORBIDITIES
from coach.rules._schema import Rule, param


@dataclass(frozen=True, kw_only=True)
class TaiChi(Rule):
    """The line shown whenever a form of Tai Chi / Qigong is offered."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("form",)


@dataclass(frozen=True, kw_only=True)
class TaiChiSeated(Rule):
    """The seated (or chair-supported) form in place of the standing one: for the listed
    conditions, or when today's limits rule the standing form out (weight-bearing, fall risk, an
    allow-list of modalities). `seated_only_text` when no weight-bearing work is allowed at all."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("reasons",)
    seated_only_text: str = param(template=True)
    comorbidities: tuple[str, ...] = param(choices=COMORBIDITIES)


@dataclass(frozen=True, kw_only=True)
class TaiChiBoneMets(Rule):
    """How to move in Tai Chi / Qigong with bone metastases (with adj.bone_mets, which applies)."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("sites",)
