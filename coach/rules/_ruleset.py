"""The whole set of rules, one typed attribute per rule id (`hold_fever` is rule `hold.fever`)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from coach.errors import RulesError
from coach.rules._cues import (
    CueEaseOff,
    CueHold,
    CueKinetics,
    CuePickUp,
    CueRpeAnswer,
    CueRpePrompt,
    CueSpacing,
    CueStop,
    CueWarmUpCheck,
)
from coach.rules._dose import (
    BaseAerobic,
    BaseFlexibility,
    BaseResistance,
    ZoneCeiling,
    ZoneHrMax,
    ZoneKarvonen,
    ZoneLevels,
    ZoneRpeBasis,
)
from coach.rules._modality import TaiChi, TaiChiBoneMets, TaiChiSeated
from coach.rules._next import NextBeyondApproval, NextBrisker, NextGentler, NextShorter
from coach.rules._oversight import (
    ProgDown,
    ProgHold,
    ProgReadiness,
    ProgUp,
    TierClinical,
    TierSelfDirected,
    TierSupervised,
)
from coach.rules._schema import Rule
from coach.rules._screening import (
    Adjustment,
    BoneMetastases,
    FatigueAdjustment,
    FeverHold,
    LabAdjustment,
    LabHold,
    MatchAdjustment,
    PostInfusion,
    RedFlagHold,
)
from coach.rules._warning import (
    DisengagementWarning,
    DropoutReference,
    ReferenceRestingHr,
    ReferenceSteps,
    ToxicityWarning,
)


def rule_id(attribute: str) -> str:
    """`adj_post_infusion` -> `adj.post_infusion`: groups never contain an underscore."""
    return attribute.replace("_", ".", 1)


@dataclass(frozen=True)
class RuleSet:
    """Every rule the engine knows, in RULES.md order (also the order they are reported in)."""

    base_aerobic: BaseAerobic
    base_resistance: BaseResistance
    base_flexibility: BaseFlexibility
    zone_hrmax: ZoneHrMax
    zone_karvonen: ZoneKarvonen
    zone_moderate: ZoneLevels
    zone_ceiling: ZoneCeiling
    zone_rpe_basis: ZoneRpeBasis
    hold_fever: FeverHold
    hold_platelets: LabHold
    hold_hemoglobin: LabHold
    hold_anc: LabHold
    hold_red_flag: RedFlagHold
    adj_post_infusion: PostInfusion
    adj_taxane_volume: MatchAdjustment
    adj_low_platelets: LabAdjustment
    adj_anemia: LabAdjustment
    adj_bone_mets: BoneMetastases
    adj_lymphedema: MatchAdjustment
    adj_neuropathy: MatchAdjustment
    adj_immunotherapy: MatchAdjustment
    adj_ostomy: MatchAdjustment
    adj_cardiac: MatchAdjustment
    adj_fatigue: FatigueAdjustment
    adj_advanced: MatchAdjustment
    tier_self_directed: TierSelfDirected
    tier_supervised: TierSupervised
    tier_clinically_supervised: TierClinical
    prog_up: ProgUp
    prog_hold: ProgHold
    prog_down: ProgDown
    prog_readiness: ProgReadiness
    cue_kinetics: CueKinetics
    cue_spacing: CueSpacing
    cue_ease_off: CueEaseOff
    cue_pick_up: CuePickUp
    cue_hold: CueHold
    cue_stop: CueStop
    cue_rpe_prompt: CueRpePrompt
    cue_rpe_answer: CueRpeAnswer
    cue_warm_up_check: CueWarmUpCheck
    next_gentler: NextGentler
    next_shorter: NextShorter
    next_brisker: NextBrisker
    next_beyond_approval: NextBeyondApproval
    warning_reference_rhr: ReferenceRestingHr
    warning_reference_steps: ReferenceSteps
    warning_toxicity: ToxicityWarning
    warning_disengagement: DisengagementWarning
    warning_dropout_reference: DropoutReference
    modality_tai_chi: TaiChi
    modality_tai_chi_seated: TaiChiSeated
    modality_tai_chi_bone_mets: TaiChiBoneMets

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name).id != rule_id(f.name):
                raise RulesError(f"stored as '{f.name}'", rule_id=getattr(self, f.name).id)
        if self.prog_down.adherence_below_pct > self.prog_up.adherence_at_least_pct:
            up = self.prog_up.adherence_at_least_pct
            raise RulesError(
                f"must be <= prog.up adherence_at_least_pct ({up})",
                rule_id="prog.down",
                field="adherence_below_pct",
            )

    def all(self) -> tuple[Rule, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def get(self, rule_id: str) -> Rule:
        for rule in self.all():
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return tuple(rule for rule in self.all() if isinstance(rule, Adjustment))
