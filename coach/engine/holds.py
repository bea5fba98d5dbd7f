"""Step 1: holds (RULES.md §3). Any one means no exercise today and a call to the care team.

A check whose input is missing is not applied, and a warning says so: the engine never guesses a lab
value or a temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.engine._words import humans, number
from coach.profile import LAB_VALUES, Profile
from coach.rules import RuleRef, RuleSet
from coach.rules._screening import LabAdjustment, LabHold

LAB_NAMES = {"platelets_10e9_l": "platelets", "hemoglobin_g_dl": "hemoglobin", "anc_10e9_l": "ANC"}


@dataclass(frozen=True)
class HoldScreen:
    holds: tuple[RuleRef, ...]
    warnings: tuple[str, ...]


def lab_value(profile: Profile, lab: str) -> float | None:
    value: float | None = getattr(profile.labs, lab) if profile.labs else None
    return value


def screen_holds(profile: Profile, rules: RuleSet) -> HoldScreen:
    holds: list[RuleRef] = []
    warnings: list[str] = []
    fever = _fever(profile, rules, warnings)
    if fever:
        holds.append(fever)
    for rule in (rules.hold_platelets, rules.hold_hemoglobin, rules.hold_anc):
        value = lab_value(profile, rule.lab)
        if value is not None and value < rule.below:
            holds.append(rule.ref(value=number(value)))
    warnings.extend(_missing_labs(profile, rules))
    red_flags = profile.today.red_flags if profile.today else None
    if red_flags is None:
        warnings.append("no red-flag check-in today: hold.red_flag not applied")
    else:
        flagged = [flag for flag in red_flags if flag in rules.hold_red_flag.red_flags]
        if flagged:
            holds.append(rules.hold_red_flag.ref(flags=humans(flagged)))
    return HoldScreen(tuple(holds), tuple(warnings))


def _fever(profile: Profile, rules: RuleSet, warnings: list[str]) -> RuleRef | None:
    rule = rules.hold_fever
    temperature = profile.vitals.temperature_c if profile.vitals else None
    red_flags = (profile.today.red_flags or ()) if profile.today else ()
    reported = [flag for flag in red_flags if flag in rule.red_flags]
    findings = []
    if temperature is None:
        warnings.append("no temperature: hold.fever applied to a reported fever only")
    elif temperature >= rule.threshold_c:
        findings.append(f"temperature {number(temperature)} °C")
    if reported:
        findings.append(f"{humans(reported)} reported today")
    return rule.ref(finding=" and ".join(findings)) if findings else None


def _missing_labs(profile: Profile, rules: RuleSet) -> list[str]:
    missing = [lab for lab in LAB_VALUES if lab_value(profile, lab) is None]
    if not missing:
        return []
    if len(missing) == len(LAB_VALUES):
        return [
            "no labs: hold checks on platelets/hemoglobin/ANC and the low-platelet and anemia"
            " adjustments not applied"
        ]
    lab_rules: list[LabHold | LabAdjustment] = [
        rules.hold_platelets, rules.hold_hemoglobin, rules.hold_anc,
        rules.adj_low_platelets, rules.adj_anemia,
    ]  # fmt: skip
    warnings = []
    for lab in missing:
        ids = " and ".join(rule.id for rule in lab_rules if rule.lab == lab)
        warnings.append(f"no {LAB_NAMES[lab]} in labs: {ids} not applied")
    return warnings
