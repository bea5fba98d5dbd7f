"""The thresholds every detector reads, taken from the rules file (`[warning.*]`, `hold.fever`)."""

from __future__ import annotations

from dataclasses import dataclass

from coach.rules import (
    DisengagementWarning,
    DropoutReference,
    ReferenceRestingHr,
    ReferenceSteps,
    RuleSet,
    ToxicityWarning,
)


@dataclass(frozen=True)
class WarningPolicy:
    reference_rhr: ReferenceRestingHr
    reference_steps: ReferenceSteps
    toxicity: ToxicityWarning
    disengagement: DisengagementWarning
    dropout_reference: DropoutReference
    fever_c: float  # hold.fever's threshold: a reading at or over it is a warning of its own
    fever_rule_id: str

    @classmethod
    def from_rules(cls, rules: RuleSet) -> WarningPolicy:
        return cls(
            reference_rhr=rules.warning_reference_rhr,
            reference_steps=rules.warning_reference_steps,
            toxicity=rules.warning_toxicity,
            disengagement=rules.warning_disengagement,
            dropout_reference=rules.warning_dropout_reference,
            fever_c=rules.hold_fever.threshold_c,
            fever_rule_id=rules.hold_fever.id,
        )
