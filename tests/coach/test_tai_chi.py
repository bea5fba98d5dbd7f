"""Tai Chi / Qigong as a modality (issue 22): offered when preferred, its seated or supported form
with bone metastases, neuropathy, past falls or a fall-risk limit, and every line with its rule and
source. Through the engine's `prescribe` and the `telecoach prescribe` command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from coach.engine import Prescription
from coach.rules import RuleSet
from messaging.coaching import coaching_text
from tests.coach.conftest import HEALTHY, with_changes

Rx = Callable[..., Prescription]
TAI_CHI = {"preferences.modalities": ["tai_chi"]}
TELECOACH = str(Path(sys.executable).with_name("telecoach"))


def line(prescription: Prescription, rule_id: str) -> str:
    found = [r for r in prescription.rules if r.id == rule_id]
    assert len(found) == 1, [r.id for r in prescription.rules]
    return found[0].text


def ids(prescription: Prescription) -> list[str]:
    return [r.id for r in prescription.rules]


def test_offered_standing_when_the_patient_prefers_it_and_nothing_restricts(rx: Rx) -> None:
    result = rx(TAI_CHI)
    assert result.aerobic.modalities == ("tai_chi",)
    assert "Tai Chi / Qigong (standing)" in line(result, "modality.tai_chi")
    assert "modality.tai_chi_seated" not in ids(result)
    assert result.warnings == ()


def test_not_offered_or_mentioned_when_not_preferred(rx: Rx) -> None:
    result = rx()
    assert result.aerobic.modalities == ("walking", "cycling")
    assert not any(i.startswith("modality.") for i in ids(result))


def test_offered_beside_other_preferred_activities(rx: Rx) -> None:
    result = rx({"preferences.modalities": ["walking", "tai_chi"]})
    assert result.aerobic.modalities == ("walking", "tai_chi")


def test_bone_metastases_seated_only_with_how_to_move(rx: Rx) -> None:
    result = rx({**TAI_CHI, "cancer.metastases": ["bone:spine", "bone:femur"]})
    assert result.aerobic.modalities == ("seated_tai_chi",)
    assert "Tai Chi / Qigong (seated)" in line(result, "modality.tai_chi")
    seated = line(result, "modality.tai_chi_seated")
    assert seated.startswith("no weight-bearing aerobic work today") and "seated only" in seated
    moves = line(result, "modality.tai_chi_bone_mets")
    assert "(spine, femur)" in moves
    for caution in ("no deep stances", "no twisting of the trunk", "no bending forward under load"):
        assert caution in moves
    assert result.tier == "clinically_supervised"  # adj.bone_mets still applies in full


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"comorbidities": ["peripheral_neuropathy"]}, "peripheral neuropathy"),
        ({"comorbidities": ["falls"]}, "past falls"),
        ({"labs.platelets_10e9_l": 40}, "no activity with a risk of falling today"),
    ],
)
def test_balance_problems_get_the_seated_or_supported_form(
    rx: Rx, changes: dict[str, object], reason: str
) -> None:
    result = rx({**TAI_CHI, **changes})
    assert result.aerobic.modalities == ("seated_tai_chi",)
    seated = line(result, "modality.tai_chi_seated")
    assert seated.startswith(f"{reason}:")
    assert "standing with both hands on its back" in seated and "no moves on one leg" in seated
    assert "modality.tai_chi_bone_mets" not in ids(result)


def test_neuropathy_still_gets_cycling_when_tai_chi_is_not_preferred(rx: Rx) -> None:
    result = rx({"comorbidities": ["peripheral_neuropathy"]})
    assert "seated_tai_chi" not in result.aerobic.modalities
    assert not any(i.startswith("modality.") for i in ids(result))


def test_every_line_names_its_rule_and_a_source(rx: Rx, rules: RuleSet) -> None:
    result = rx({**TAI_CHI, "cancer.metastases": ["bone:spine"], "comorbidities": ["falls"]})
    for ref in result.rules:
        assert ref.id and ref.text.strip() and ref.source.strip(), ref
        assert ref.source == rules.get(ref.id).source
    sources = {r.id: r.source for r in result.rules}
    assert "Wayne et al., J Cancer Surviv 2018" in sources["modality.tai_chi"]
    assert "Campbell et al., JCO Oncol Pract 2022" in sources["modality.tai_chi_bone_mets"]
    assert "Li et al., JAMA Intern Med 2018" in sources["modality.tai_chi_seated"]


def test_a_clinic_can_name_other_conditions_for_the_seated_form(tmp_path: Path) -> None:
    default = (Path(__file__).resolve().parents[2] / "coach/rules/default.toml").read_text()
    old = 'comorbidities = ["peripheral_neuropathy", "falls"]'
    assert default.count(old) == 1
    rules = tmp_path / "rules.toml"
    rules.write_text(default.replace(old, 'comorbidities = ["osteoporosis"]'))
    profile = tmp_path / "p.json"
    changes = {**TAI_CHI, "comorbidities": ["osteoporosis"]}
    profile.write_text(json.dumps(with_changes(HEALTHY, changes)))
    done = subprocess.run(
        [TELECOACH, "prescribe", str(profile), "--rules", str(rules)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["aerobic"]["modalities"] == ["seated_tai_chi"]
    seated = next(r for r in out["rules"] if r["id"] == "modality.tai_chi_seated")
    assert seated["text"].startswith("osteoporosis:") and seated["source"]


@pytest.mark.parametrize(
    ("language", "modality", "words"),
    [
        ("en", "tai_chi", "30 minutes of Tai Chi or Qigong"),
        ("en", "seated_tai_chi", "30 minutes of Tai Chi or Qigong in a chair"),
        ("es", "seated_tai_chi", "30 minutos de Tai Chi o Qigong en una silla"),
    ],
)
def test_the_coaching_text_names_the_form(rx: Rx, language: str, modality: str, words: str) -> None:
    falls = {"comorbidities": ["falls"]} if modality == "seated_tai_chi" else {}
    prescription = rx({**TAI_CHI, **falls}).to_json()
    assert prescription["aerobic"]["modalities"] == [modality]
    text = coaching_text(prescription, language, clinic_phone="+15555550100")
    assert words in text
