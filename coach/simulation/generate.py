"""The default cohort: varied virtual patients in the cohort file's format, seeded; pure.

Profiles span cancer types, treatment phases, beta-blockers and atrial fibrillation (the RPE basis),
deconditioning, chemotherapy cycles and the adjustments that make a day light. None is on a hold
(a held patient does not exercise, so would only dilute the figures). Physiology is drawn from
`Ranges` (docs/adaptive.md gives the sources); another `Ranges` gives a cohort with other
physiology, which is how the benchmark checks the engine on patients the defaults did not shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from coach.rules import RuleSet
from coach.simulation.cohort import parse_cohort

Span = tuple[float, float]

CANCERS = (
    ("breast", "female"), ("prostate", "male"), ("colorectal", None), ("lung", None),
    ("lymphoma", None), ("ovarian", "female"), ("head_and_neck", None), ("pancreatic", None),
    ("myeloma", None), ("endometrial", "female"),
)  # fmt: skip
PHASES = ("prehabilitation", "active", "active", "post_treatment", "post_treatment", "metastatic")
CHEMO_AGENTS = ("platinum", "taxane", "antimetabolite", "alkylating_agent", "anthracycline")


@dataclass(frozen=True)
class Ranges:
    """Where each physiology parameter is drawn from (uniform within a span)."""

    gain_fit: Span = (5.0, 7.5)  # bpm per level
    gain_deconditioned: Span = (7.5, 10.5)
    tau_s: Span = (40.0, 80.0)
    tau_s_deconditioned: Span = (55.0, 95.0)
    drift_bpm_per_min: Span = (0.05, 0.3)
    day_sd_bpm: Span = (2.0, 5.0)
    noise_sd_bpm: Span = (1.0, 3.0)
    dropout_rate: Span = (0.0, 0.05)
    compliance: Span = (0.6, 0.95)
    compliance_low: Span = (0.3, 0.6)
    low_compliance_share: float = 0.25
    reaction_s: Span = (5.0, 20.0)
    start_error_sd_levels: float = 1.0  # how far a patient's own choice of level misses mid-zone
    cycle_bpm: Span = (3.0, 10.0)
    max_hr_sd_bpm: float = 10.0  # true maximum around the age-predicted one (Tanaka's spread)
    beta_blocker_share: float = 0.15
    atrial_fibrillation_share: float = 0.04
    deconditioned_share: float = 0.3


def default_cohort(
    patients: int, seed: int, rules: RuleSet, ranges: Ranges | None = None
) -> dict[str, Any]:
    """`patients` virtual patients as a cohort file's data (`{"patients": [...]}`)."""
    ranges = ranges or Ranges()
    rng = random.Random(f"cohort:{seed}")
    return {"patients": [_patient(rng, ranges, rules) for _ in range(patients)]}


def _uniform(rng: random.Random, span: Span, digits: int = 2) -> float:
    return round(rng.uniform(*span), digits)


def _patient(rng: random.Random, r: Ranges, rules: RuleSet) -> dict[str, Any]:
    cancer, sex = rng.choice(CANCERS)
    sex = sex or rng.choice(("female", "male"))
    age = rng.randint(35, 82)
    phase = rng.choice(PHASES)
    deconditioned = rng.random() < r.deconditioned_share
    beta = rng.random() < r.beta_blocker_share
    afib = rng.random() < r.atrial_fibrillation_share
    resting = rng.randint(58, 78) + (rng.randint(4, 14) if deconditioned else 0)
    if beta:
        resting -= rng.randint(6, 12)  # resting rate on a beta-blocker is lower
    chemo = phase in ("active", "metastatic") and rng.random() < 0.7
    cycle_days = rng.choice((14, 21, 21, 28)) if chemo else 0
    agents = sorted(rng.sample(CHEMO_AGENTS, rng.choice((1, 1, 2)))) if chemo else []
    tanaka = 208 - 0.7 * age
    true_max = round(tanaka + rng.gauss(0.0, r.max_hr_sd_bpm))
    measured = rng.random() < 0.3  # a minority had an exercise test
    walk = rng.randint(250, 399) if deconditioned else rng.randint(400, 620)
    fatigue = (
        rng.choice((1, 2, 3, 3, 4, 4, 5, 6, 7)) if phase != "post_treatment" else rng.randint(0, 4)
    )
    profile: dict[str, Any] = {
        "age": age,
        "sex": sex,
        "cancer": {
            "type": cancer,
            "stage": "IV" if phase == "metastatic" else rng.choice(("I", "II", "III")),
            "metastases": ["lung"] if phase == "metastatic" else [],
        },
        "treatment": {
            "phase": phase,
            "modalities": ["chemotherapy"] if chemo else ["surgery"],
            "agents": agents,
            "days_since_last_infusion": rng.randrange(3, cycle_days) if chemo else None,
        },
        "comorbidities": ["atrial_fibrillation"] if afib else [],
        "medications": ["beta_blocker"] if beta else [],
        "labs": {
            "platelets_10e9_l": 45 if rng.random() < 0.05 else rng.randint(120, 320),
            "hemoglobin_g_dl": round(rng.uniform(9.8, 15.0), 1),
            "anc_10e9_l": round(rng.uniform(1.5, 5.0), 1),
        },
        "vitals": {
            "resting_hr": resting,
            "measured_max_hr": true_max if measured else None,
            "temperature_c": 36.6,
        },
        "assessments": {"six_minute_walk_m": walk, "facit_fatigue": rng.randint(24, 50)},
        "today": {"fatigue_0_10": fatigue, "pain_0_10": rng.randint(0, 3), "red_flags": []},
    }
    compliance_span = r.compliance_low if rng.random() < r.low_compliance_share else r.compliance
    physiology: dict[str, Any] = {
        "resting_hr": resting + round(rng.gauss(0.0, 2.0)),
        "max_hr": true_max,
        "gain_bpm_per_level": _uniform(rng, r.gain_deconditioned if deconditioned else r.gain_fit),
        "tau_s": _uniform(rng, r.tau_s_deconditioned if deconditioned else r.tau_s, 1),
        "drift_bpm_per_min": _uniform(rng, r.drift_bpm_per_min),
        "day_sd_bpm": _uniform(rng, r.day_sd_bpm),
        "noise_sd_bpm": _uniform(rng, r.noise_sd_bpm),
        "dropout_rate": _uniform(rng, r.dropout_rate, 3),
        "compliance": _uniform(rng, compliance_span),
        "reaction_s": _uniform(rng, r.reaction_s, 1),
        "cycle_days": cycle_days,
        "cycle_bpm": _uniform(rng, r.cycle_bpm) if chemo else 0.0,
        "beta_blocker": beta,
    }
    # The patient's own choice of level: mid-zone (what the engine's zone implies for this
    # physiology) missed by a level or two either way.
    mid = parse_cohort({"patients": [{"profile": profile, "physiology": physiology}]}, rules)
    miss = round(rng.gauss(0.0, r.start_error_sd_levels))
    physiology["start_level"] = min(10, max(1, mid[0].physiology.start_level + miss))
    return {"profile": profile, "physiology": physiology}
