"""Which aerobic modalities fit today's restrictions, preferred ones first.

A modality's traits are facts about the activity, not clinical thresholds, so they live here rather
than in the rules file: whether it is weight-bearing, and which `avoid` categories it belongs to.
Outdoor cycling counts as a fall risk (stationary and recumbent bikes do not); rowing is spinal
flexion under load, so a spine lesion rules it out as it rules out flexion in resistance work.
Standing Tai Chi / Qigong challenges balance by design, so where falls must be avoided it counts as
a fall risk; its seated form (on a chair, or standing holding it) is what is offered instead, with
the modality.* rules' lines (RULES.md §7) saying why and how to move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coach.engine._words import human
from coach.engine.dose import Limits
from coach.profile import Profile
from coach.rules import RuleRef, RuleSet


@dataclass(frozen=True)
class Traits:
    weight_bearing: bool
    tags: frozenset[str] = frozenset()  # avoid categories this modality falls under
    seated_form: str | None = None  # the same activity done seated, offered when this one is not


def _t(weight_bearing: bool, *tags: str, seated_form: str | None = None) -> Traits:
    return Traits(weight_bearing, frozenset(tags), seated_form)


TRAITS: dict[str, Traits] = {
    "walking": _t(True),
    "nordic_walking": _t(True),
    "hiking": _t(True, "fall_risk"),
    "running": _t(True, "high_impact"),
    "cycling": _t(False, "fall_risk"),
    "stationary_cycling": _t(False),
    "recumbent_cycling": _t(False),
    "elliptical": _t(True),
    "rowing": _t(False, "spinal_flexion"),
    "swimming": _t(False),
    "aquatic_exercise": _t(False),
    "dancing": _t(True, "fall_risk"),
    "stair_climbing": _t(True, "fall_risk"),
    "arm_ergometer": _t(False),
    "team_sports": _t(True, "high_impact", "contact", "fall_risk"),
    "tai_chi": _t(True, "fall_risk", seated_form="seated_tai_chi"),
    "seated_tai_chi": _t(False),
}
TAI_CHI = frozenset({"tai_chi", "seated_tai_chi"})
_REASON_WORDS = {"falls": "past falls"}  # a comorbidity code that reads badly as it is


@dataclass(frozen=True)
class ModalityChoice:
    modalities: tuple[str, ...]
    warnings: tuple[str, ...]
    refs: tuple[RuleRef, ...]  # the modality.* lines for what was chosen


def fits(modality: str, limits: Limits) -> bool:
    traits = TRAITS[modality]
    if limits.aerobic_only is not None and modality not in limits.aerobic_only:
        return False
    if limits.non_weight_bearing and traits.weight_bearing:
        return False
    return not traits.tags & (set(limits.aerobic_avoid) | set(limits.resistance_avoid))


def _fitting(candidates: Iterable[str], limits: Limits) -> tuple[str, ...]:
    return tuple(m for m in candidates if fits(m, limits))


def choose_modalities(profile: Profile, rules: RuleSet, limits: Limits) -> ModalityChoice:
    """The preferred modalities that fit, else suggestions that do; a seated form stands in for
    its standing one where the standing one does not fit or a balance problem calls for it."""
    base = rules.base_aerobic
    preferred = profile.preferences.modalities if profile.preferences else None
    seated_reasons = _seated_reasons(profile, rules, limits)
    warnings: tuple[str, ...] = ()
    if not preferred:
        chosen = _fitting(_seated(base.default_modalities, seated_reasons), limits) or _fitting(
            _seated(base.fallback_modalities, seated_reasons), limits
        )
        warnings = (f"no modality preferences: suggested {', '.join(chosen) or 'none'}",)
    else:
        chosen = _fitting(_seated(preferred, seated_reasons), limits)
        if not chosen:
            chosen = _fitting(_seated(base.fallback_modalities, seated_reasons), limits)
            warnings = (
                "no preferred modality fits today's restrictions:"
                f" suggested {', '.join(chosen) or 'none'}",
            )
    return ModalityChoice(chosen, warnings, _tai_chi_refs(profile, rules, limits, chosen))


def _seated_reasons(profile: Profile, rules: RuleSet, limits: Limits) -> tuple[str, ...]:
    """Why a standing form would give way to its seated one today; empty: it need not."""
    matched = rules.modality_tai_chi_seated.comorbidities
    reasons = [_REASON_WORDS.get(c, human(c)) for c in matched if c in profile.comorbidity_set]
    # Today's limits, named only when no listed condition already says why (neuropathy brings its
    # own fall-risk and modality limits: one reason is enough).
    if limits.non_weight_bearing:
        reasons.append("no weight-bearing aerobic work today")
    elif reasons:
        pass
    elif "fall_risk" in (*limits.aerobic_avoid, *limits.resistance_avoid):
        reasons.append("no activity with a risk of falling today")
    elif limits.aerobic_only is not None and "tai_chi" not in limits.aerobic_only:
        reasons.append(f"aerobic work limited to {', '.join(sorted(limits.aerobic_only))} today")
    return tuple(reasons)


def _seated(candidates: Iterable[str], reasons: tuple[str, ...]) -> tuple[str, ...]:
    """`candidates` with each standing form replaced by its seated one when there are reasons."""
    swapped = (TRAITS[m].seated_form or m if reasons else m for m in candidates)
    return tuple(dict.fromkeys(swapped))


def _tai_chi_refs(
    profile: Profile, rules: RuleSet, limits: Limits, chosen: tuple[str, ...]
) -> tuple[RuleRef, ...]:
    forms = [m for m in chosen if m in TAI_CHI]
    if not forms:
        return ()
    if forms == ["tai_chi"]:
        form = "standing"
    else:
        form = "seated" if limits.non_weight_bearing else "seated or holding a chair"
    refs = [rules.modality_tai_chi.ref(form=form)]
    if "seated_tai_chi" in forms:
        seated = rules.modality_tai_chi_seated
        reasons = ", ".join(_seated_reasons(profile, rules, limits)) or "the patient's choice"
        template = seated.seated_only_text if limits.non_weight_bearing else None
        refs.append(seated.ref(template=template, reasons=reasons))
    bone = [site for site in profile.metastasis_list if site.split(":")[0] == "bone"]
    if bone:
        sites = ", ".join(site.split(":", 1)[1] for site in bone if ":" in site)
        refs.append(rules.modality_tai_chi_bone_mets.ref(sites=sites or "site not given"))
    return tuple(refs)
