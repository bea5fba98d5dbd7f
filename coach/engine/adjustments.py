"""Step 2: adjustments (RULES.md §4): which ones apply to this profile, and why, in words.

Each applied adjustment carries its rule as the effect (see coach.rules._screening.Adjustment); bone
metastases add the affected sites to what resistance work avoids. The cautious readings:
- post-infusion applies after any infusion the profile counts days from, not only chemotherapy;
- a taxane counts in any phase but post-treatment (an unknown phase included);
- cardiac also covers atrial fibrillation and pacemakers (in the rules file's trigger lists);
- a bone metastasis without a site still gets every bone-metastasis restriction, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coach.engine._words import days, human, number
from coach.engine.holds import lab_value
from coach.profile import Profile
from coach.rules import RuleRef, RuleSet
from coach.rules._screening import (
    Adjustment,
    BoneMetastases,
    FatigueAdjustment,
    LabAdjustment,
    MatchAdjustment,
    PostInfusion,
)


@dataclass(frozen=True)
class Applied:
    effect: Adjustment
    ref: RuleRef


@dataclass(frozen=True)
class AdjustmentScreen:
    applied: tuple[Applied, ...]
    warnings: tuple[str, ...]


def find_adjustments(profile: Profile, rules: RuleSet) -> AdjustmentScreen:
    applied: list[Applied] = []
    warnings: list[str] = []
    for rule in rules.adjustments:
        hit = _apply(rule, profile, warnings)
        if hit:
            applied.append(hit)
    return AdjustmentScreen(tuple(applied), tuple(warnings))


def _apply(rule: Adjustment, profile: Profile, warnings: list[str]) -> Applied | None:
    if isinstance(rule, PostInfusion):
        return _post_infusion(rule, profile, warnings)
    if isinstance(rule, LabAdjustment):
        value = lab_value(profile, rule.lab)
        # Below the hold threshold is a hold, which stops the pipeline before this step.
        if value is not None and value <= rule.at_or_below:
            return Applied(rule, rule.ref(value=number(value)))
        return None
    if isinstance(rule, BoneMetastases):
        return _bone_metastases(rule, profile, warnings)
    if isinstance(rule, FatigueAdjustment):
        return _fatigue(rule, profile, warnings)
    if isinstance(rule, MatchAdjustment):
        return _match(rule, profile)
    raise TypeError(f"no trigger for adjustment {rule.id}")  # a rule class without a trigger here


def _post_infusion(rule: PostInfusion, profile: Profile, warnings: list[str]) -> Applied | None:
    since = profile.treatment.days_since_last_infusion if profile.treatment else None
    if since is None:
        if "chemotherapy" in profile.treatment_modality_set and profile.phase != "post_treatment":
            warnings.append(f"chemotherapy with no days since last infusion: {rule.id} not applied")
        return None
    if since > rule.max_days:
        return None
    return Applied(rule, rule.ref(days=days(since)))


def _bone_metastases(rule: BoneMetastases, profile: Profile, warnings: list[str]) -> Applied | None:
    bone = [site for site in profile.metastasis_list if site.split(":")[0] == "bone"]
    if not bone:
        return None
    locations = [site.split(":", 1)[1] for site in bone if ":" in site]
    if "bone" in bone:
        warnings.append("bone metastasis without a site: confirm which bones to unload")
    avoid = rule.resistance_avoid + tuple(f"loading:{location}" for location in locations)
    if "spine" in locations:
        avoid += rule.spine_resistance_avoid
    effect = replace(rule, resistance_avoid=avoid)
    if bone == ["bone:spine"]:
        return Applied(effect, rule.ref(template=rule.spine_text))
    return Applied(effect, rule.ref(sites=", ".join(locations) or "site not given"))


def _fatigue(rule: FatigueAdjustment, profile: Profile, warnings: list[str]) -> Applied | None:
    today = profile.today.fatigue_0_10 if profile.today else None
    facit = profile.assessments.facit_fatigue if profile.assessments else None
    if today is None and facit is None:
        warnings.append(f"no fatigue scores: {rule.id} not applied")
    elif today is None:
        warnings.append(f"no fatigue score today: {rule.id} checked on FACIT-F only")
    elif facit is None:
        warnings.append(f"no FACIT-F: {rule.id} checked on today's fatigue only")
    findings = []
    if today is not None and today >= rule.fatigue_at_or_above:
        findings.append(f"fatigue {number(today)}/10 today")
    if facit is not None and facit < rule.facit_below:
        findings.append(f"FACIT-F {number(facit)} (below {number(rule.facit_below)})")
    return Applied(rule, rule.ref(finding=" and ".join(findings))) if findings else None


def _match(rule: MatchAdjustment, profile: Profile) -> Applied | None:
    if profile.phase in rule.skip_phases:
        return None
    matched = [human(c) for c in rule.comorbidities if c in profile.comorbidity_set]
    matched += [human(a) for a in rule.agents if a in profile.agent_set]
    matched += [human(m) for m in rule.treatment_modalities if m in profile.treatment_modality_set]
    if profile.phase in rule.phases:
        matched.append(f"{human(profile.phase or '')} phase")
    return Applied(rule, rule.ref(matched=", ".join(matched))) if matched else None
