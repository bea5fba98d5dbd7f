"""Step 3: who should run the program (RULES.md §5).

Self-direction needs positive evidence: a known phase among `tier.self_directed.phases`, at least
one functional test (6-minute walk or 30-s sit-to-stand) within norms, no comorbidity, no
adjustment. When that evidence is missing the tier is `supervised` and a warning says what was
missing: the cautious end. "Any hold in the last 7 days": a profile only describes today, so holds
before today come in as `recent_holds` (rule ids), from the caller who keeps the hold history
(`tier.clinically_supervised.hold_within_days` says how far back it looks).
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.engine._words import human, number
from coach.engine.adjustments import Applied
from coach.profile import Profile
from coach.rules import RuleRef, RuleSet


@dataclass(frozen=True)
class TierDecision:
    tier: str
    ref: RuleRef
    warnings: tuple[str, ...]


def decide_tier(
    profile: Profile,
    rules: RuleSet,
    holds: tuple[RuleRef, ...],
    applied: tuple[Applied, ...],
    recent_holds: tuple[str, ...] = (),
) -> TierDecision:
    warnings: list[str] = []
    clinical = _clinical_reasons(profile, rules, holds, applied, warnings)
    if recent_holds and rules.tier_clinically_supervised.after_hold:
        within = rules.tier_clinically_supervised.hold_within_days
        ids = ", ".join(dict.fromkeys(recent_holds))
        clinical.append(f"hold in the last {within} days ({ids})")
    if clinical:
        ref = rules.tier_clinically_supervised.ref(reasons="; ".join(clinical))
        return TierDecision("clinically_supervised", ref, tuple(warnings))
    supervised = [a.ref.id for a in applied if a.effect.tier == "supervised"]
    supervised += _deconditioning(profile, rules, warnings)
    supervised += [
        human(c) for c in rules.tier_supervised.comorbidities if c in profile.comorbidity_set
    ]
    if profile.phase is None:
        warnings.append("no treatment phase: tier at least supervised")
        supervised.append("treatment phase unknown")
    elif profile.phase not in rules.tier_self_directed.phases:
        supervised.append(f"{human(profile.phase)} phase")
    if supervised:
        ref = rules.tier_supervised.ref(reasons="; ".join(supervised))
        return TierDecision("supervised", ref, tuple(warnings))
    ref = rules.tier_self_directed.ref(phase=human(profile.phase or ""))
    return TierDecision("self_directed", ref, tuple(warnings))


def _clinical_reasons(
    profile: Profile,
    rules: RuleSet,
    holds: tuple[RuleRef, ...],
    applied: tuple[Applied, ...],
    warnings: list[str],
) -> list[str]:
    rule = rules.tier_clinically_supervised
    reasons = []
    if holds and rule.after_hold:
        reasons.append(f"hold today ({', '.join(h.id for h in holds)})")
    reasons += [a.ref.id for a in applied if a.effect.tier == "clinically_supervised"]
    since_surgery = profile.treatment.days_since_surgery if profile.treatment else None
    if since_surgery is not None and since_surgery < rule.surgery_within_days:
        reasons.append(f"surgery {since_surgery} days ago (under {rule.surgery_within_days} days)")
    elif since_surgery is None and "surgery" in profile.treatment_modality_set:
        warnings.append("surgery with no days since surgery: recent-surgery check not applied")
    together = rule.comorbidities_together
    if together and all(c in profile.comorbidity_set for c in together):
        reasons.append(" with ".join(human(c) for c in together))
    return reasons


def _deconditioning(profile: Profile, rules: RuleSet, warnings: list[str]) -> list[str]:
    rule = rules.tier_supervised
    walk = profile.assessments.six_minute_walk_m if profile.assessments else None
    stands = profile.assessments.sit_to_stand_30s if profile.assessments else None
    if walk is None and stands is None:
        warnings.append(
            "no 6-minute walk or sit-to-stand: deconditioning not assessed,"
            " tier at least supervised"
        )
        return ["deconditioning not assessed"]
    reasons = []
    if walk is not None and walk < rule.six_minute_walk_below_m:
        reasons.append(
            f"6-minute walk {number(walk)} m (under {number(rule.six_minute_walk_below_m)} m)"
        )
    if stands is not None:
        norm = rule.sit_to_stand_norm(profile.age, profile.sex)
        if stands < norm:
            reasons.append(f"30-s sit-to-stand {stands} (under {norm} for age {profile.age})")
    return reasons
