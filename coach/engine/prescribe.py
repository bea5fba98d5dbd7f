"""The pipeline: holds -> adjustments -> supervision tier -> prescription; pure.

Intensity is prescribed by heart-rate reserve (Karvonen) unless zone.rpe_basis applies (a
beta-blocker, atrial fibrillation or a pacemaker by default) or the reserve is too small for a zone;
then it is by RPE and `hr_low`/`hr_high` are null. Every rule that shaped the result is listed in
`rules`, in pipeline order; every assumption made for missing data is listed in `warnings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.engine._words import human, number
from coach.engine.adjustments import find_adjustments
from coach.engine.dose import Limits, aerobic_minutes, combine, resistance_dose, rpe_band
from coach.engine.holds import screen_holds
from coach.engine.modalities import choose_modalities
from coach.engine.prescription import Aerobic, Prescription, Resistance
from coach.engine.tier import decide_tier
from coach.engine.zones import heart_rate_zone, zone_inputs
from coach.profile import Profile
from coach.rules import RuleRef, RuleSet

HOLD_PRECAUTIONS = ("contact_care_team",)  # RULES.md §3: no exercise today, contact the care team


@dataclass(frozen=True)
class _Intensity:
    basis: str
    hr_low: int | None
    hr_high: int | None
    refs: tuple[RuleRef, ...]
    warnings: tuple[str, ...]


def prescribe(profile: Profile, rules: RuleSet, recent_holds: tuple[str, ...] = ()) -> Prescription:
    """Today's prescription for `profile` under `rules`; for the coach to review and approve.

    `recent_holds` are the rule ids of holds placed on the patient before today, within
    `tier.clinically_supervised.hold_within_days` (RULES.md §5: any hold in the last 7 days means
    clinically supervised); the caller who stores holds finds them. They change only the tier.

    Any hold stops the pipeline: zero sessions, the hold rules and the tier only. Otherwise the
    adjustments that apply are combined (see coach.engine.dose), the tier decided, and the zone
    built for the resulting level. Without a resting HR the zone still gets built, on
    `zone.karvonen.assumed_resting_hr` (70 bpm) with a warning, so the live view has a ceiling.
    """
    holds = screen_holds(profile, rules)
    rpe_cause = _rpe_cause(profile, rules)
    if holds.holds:
        tier = decide_tier(profile, rules, holds.holds, (), recent_holds)
        return Prescription(
            hold=True,
            hold_reasons=tuple(ref.id for ref in holds.holds),
            tier=tier.tier,
            intensity_basis="rpe" if rpe_cause else "hr",
            aerobic=Aerobic.none(),
            resistance=Resistance.none(),
            precautions=HOLD_PRECAUTIONS,
            rules=(*holds.holds, tier.ref),
            warnings=holds.warnings + tier.warnings,
        )
    found = find_adjustments(profile, rules)
    limits = combine(applied.effect for applied in found.applied)
    tier = decide_tier(profile, rules, (), found.applied, recent_holds)
    intensity = _intensity(profile, rules, limits, rpe_cause)
    choice = choose_modalities(profile, rules, limits)
    hrr_low, hrr_high, _, _ = rules.zone_moderate.band(limits.level)
    rpe_low, rpe_high = rpe_band(rules, limits)
    aerobic = Aerobic(
        sessions_per_week=rules.base_aerobic.sessions_per_week,
        minutes_per_session=aerobic_minutes(rules, limits),
        level=limits.level,
        hr_low=intensity.hr_low,
        hr_high=intensity.hr_high,
        hrr_low_pct=hrr_low,
        hrr_high_pct=hrr_high,
        rpe_low=rpe_low,
        rpe_high=rpe_high,
        modalities=choice.modalities,
        avoid=limits.aerobic_avoid,
    )
    resistance = resistance_dose(rules, limits)
    base_refs = [rules.base_aerobic.ref()]
    if resistance.sessions_per_week:
        base_refs.append(rules.base_resistance.ref())
    base_refs.append(rules.base_flexibility.ref())
    return Prescription(
        hold=False,
        hold_reasons=(),
        tier=tier.tier,
        intensity_basis=intensity.basis,
        aerobic=aerobic,
        resistance=resistance,
        precautions=limits.precautions,
        rules=(
            *(a.ref for a in found.applied),
            tier.ref,
            *intensity.refs,
            *base_refs,
            *choice.refs,
        ),
        warnings=holds.warnings
        + _unlisted(profile)
        + found.warnings
        + intensity.warnings
        + choice.warnings
        + tier.warnings,
    )


def _unlisted(profile: Profile) -> tuple[str, ...]:
    """A list left out (null) is read as empty, which is a guess: say so. An empty list is not."""
    lists = {
        "comorbidities": profile.comorbidities,
        "medications": profile.medications,
        "metastases": profile.cancer.metastases if profile.cancer else None,
        "treatment modalities": profile.treatment.modalities if profile.treatment else None,
        "treatment agents": profile.treatment.agents if profile.treatment else None,
    }
    missing = [name for name, value in lists.items() if value is None]
    return (f"not listed, assumed none: {', '.join(missing)}",) if missing else ()


def _rpe_cause(profile: Profile, rules: RuleSet) -> str | None:
    rule = rules.zone_rpe_basis
    causes = [m for m in rule.medications if m in profile.medication_set]
    causes += [c for c in rule.comorbidities if c in profile.comorbidity_set]
    return ", ".join(human(c) for c in causes) or None


def _intensity(
    profile: Profile, rules: RuleSet, limits: Limits, rpe_cause: str | None
) -> _Intensity:
    level_ref = rules.zone_moderate.ref(level=limits.level)
    if rpe_cause:
        cause_ref = rules.zone_rpe_basis.ref(cause=rpe_cause)
        return _Intensity("rpe", None, None, (cause_ref, level_ref), ())
    resting = profile.vitals.resting_hr if profile.vitals else None
    measured = profile.vitals.measured_max_hr if profile.vitals else None
    zone = heart_rate_zone(profile.age, resting, measured, limits.level, rules)
    if zone is None:
        inputs = zone_inputs(profile.age, resting, measured, rules)
        warning = (
            f"heart-rate reserve of {number(float(inputs.reserve))} bpm (HRmax"
            f" {math.floor(inputs.hr_max)}, resting {number(float(inputs.resting_hr))}) is under"
            f" {rules.zone_karvonen.min_reserve_bpm}: prescribed by RPE, check the heart rates"
        )
        return _Intensity("rpe", None, None, (level_ref,), (*inputs.warnings, warning))
    basis = "measured" if measured is not None else "age-predicted"
    refs = (
        rules.zone_hrmax.ref(hr_max=zone.hr_max, basis=basis),
        rules.zone_karvonen.ref(
            resting_hr=number(zone.resting_hr),
            hr_max=zone.hr_max,
            low_pct=zone.low_pct,
            high_pct=zone.high_pct,
            hr_low=zone.low,
            hr_high=zone.high,
        ),
        level_ref,
        rules.zone_ceiling.ref(ceiling=zone.high),
    )
    return _Intensity("hr", zone.low, zone.high, refs, zone.warnings)
