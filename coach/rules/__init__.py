"""Clinical rules as data (shared/clinical/RULES.md): thresholds, effects, wording and sources.

`load_rules()` reads `default.toml` beside this module; `load_rules(path)` reads an institution's
own complete copy, so a clinic changes a threshold without touching code. Every rule has a stable
`id`, a human `text` (a template the engine fills with the numbers that applied) and a `source`.
"""

from __future__ import annotations

from coach.errors import RulesError
from coach.rules._loader import load_rules, parse_rules
from coach.rules._ruleset import RuleSet
from coach.rules._schema import AVOID, LEVELS, PRECAUTIONS, TIERS, Rule, RuleRef
from coach.rules._warning import (
    DisengagementWarning,
    DropoutReference,
    ReferenceRestingHr,
    ReferenceSteps,
    ToxicityWarning,
)

__all__ = [
    "AVOID",
    "LEVELS",
    "PRECAUTIONS",
    "TIERS",
    "DisengagementWarning",
    "DropoutReference",
    "ReferenceRestingHr",
    "ReferenceSteps",
    "Rule",
    "RuleRef",
    "RuleSet",
    "RulesError",
    "ToxicityWarning",
    "load_rules",
    "parse_rules",
]
