"""`telecoach simulate-cohort` through its command: deterministic for a seed, bad files refused in
one line naming the field, a small cohort from a file run end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from telecoach.cli import main

TELECOACH = Path(sys.executable).parent / "telecoach"
ARM_KEYS = {"sessions_in_zone_pct", "time_in_zone_pct", "over_ceiling_min_per_session"}


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["simulate-cohort", *args])


def _last(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    data: dict[str, Any] = json.loads(line)
    return data


def _profile(**extra: Any) -> dict[str, Any]:
    return {
        "age": 58,
        "sex": "female",
        "medications": [],
        "comorbidities": [],
        "vitals": {"resting_hr": 70, "temperature_c": 36.6},
        "labs": {"platelets_10e9_l": 200, "hemoglobin_g_dl": 13, "anc_10e9_l": 3},
        "today": {"fatigue_0_10": 2, "red_flags": []},
        **extra,
    }


def _cohort_file(tmp_path: Path, patients: list[dict[str, Any]] | Any) -> str:
    path = tmp_path / "cohort.json"
    body = patients if not isinstance(patients, list) else {"patients": patients}
    path.write_text(json.dumps(body))
    return str(path)


def test_the_same_seed_gives_the_same_last_line_and_another_seed_another() -> None:
    first = _run("--patients", "3", "--weeks", "1", "--seed", "7")
    second = _run("--patients", "3", "--weeks", "1", "--seed", "7")
    other = _run("--patients", "3", "--weeks", "1", "--seed", "8")
    assert _last(first) == _last(second)
    assert first.output == second.output
    assert _last(other) != _last(first)


def test_the_last_line_has_both_arms_and_unsafe_cues() -> None:
    summary = _last(_run("--patients", "4", "--weeks", "1", "--seed", "3"))
    assert set(summary) == {"patients", "sessions", "static", "adaptive", "unsafe_cues"}
    assert summary["patients"] == 4 and summary["sessions"] == 4 * 3
    assert set(summary["static"]) == ARM_KEYS and set(summary["adaptive"]) == ARM_KEYS
    assert summary["unsafe_cues"] == 0


def test_a_small_cohort_file_runs_with_physiology_left_to_defaults(tmp_path: Path) -> None:
    beta = _profile(medications=["beta_blocker"])
    cohort = _cohort_file(
        tmp_path,
        [
            {"profile": _profile()},  # no physiology at all: every field by default
            {"profile": beta, "physiology": {"tau_s": 75, "compliance": 0.5}},
        ],
    )
    result = _run("--cohort", cohort, "--weeks", "2", "--seed", "1")
    summary = _last(result)
    assert summary["patients"] == 2 and summary["sessions"] == 2 * 2 * 3
    lines = result.output.splitlines()
    assert any(line.startswith("RPE basis") for line in lines)  # the beta-blocker patient
    assert any(line.startswith("low compliance") for line in lines)
    cues = {line.split()[1]: float(line.split()[-2]) for line in lines if line.startswith("all ")}
    assert cues["static"] == 0 and cues["adaptive"] > 0  # the engine speaks in one arm only


def test_a_patient_on_a_hold_does_not_exercise_and_is_counted_apart(tmp_path: Path) -> None:
    fever = _profile(vitals={"resting_hr": 70, "temperature_c": 38.6})
    cohort = _cohort_file(tmp_path, [{"profile": _profile()}, {"profile": fever}])
    result = _run("--cohort", cohort, "--weeks", "1")
    assert _last(result)["patients"] == 1
    assert "1 on a hold today, not exercised" in result.output


def test_patients_takes_the_first_of_a_file(tmp_path: Path) -> None:
    cohort = _cohort_file(tmp_path, [{"profile": _profile()}] * 3)
    assert _last(_run("--cohort", cohort, "--patients", "2", "--weeks", "1"))["patients"] == 2


@pytest.mark.parametrize(
    ("patients", "expected"),
    [
        ([{"profile": _profile(), "physiology": {"tau_s": "slow"}}],
         'patients[0].physiology.tau_s: must be a number (s), got string "slow"'),
        ([{"profile": _profile(), "physiology": {"beta_blocker": 1}}],
         "patients[0].physiology.beta_blocker: must be true or false, got 1"),
        ([{"profile": _profile(), "physiology": {"start_level": 2.5}}],
         "patients[0].physiology.start_level: must be an integer (level 0-10), got 2.5"),
        ([{"profile": _profile(), "physiology": {"compliance": 1.5}}],
         "patients[0].physiology.compliance: must be from 0 to 1 (share of cues), got 1.5"),
        ([{"profile": _profile(), "physiology": {"tau": 60}}],
         "patients[0].physiology.tau: unknown field (allowed here: resting_hr, max_hr,"),
        ([{"profile": _profile(), "physiology": {"resting_hr": 90, "max_hr": 100}}],
         "patients[0].physiology.max_hr: must be at least resting_hr + 20 bpm"),
        ([{"profile": _profile()}, {"physiology": {}}], "patients[1].profile: is required"),
        ([{"profile": _profile(age="old")}],
         'patients[0].profile.age: must be an integer, got string "old"'),
        ([{"profile": _profile(), "notes": "x"}],
         "patients[0].notes: unknown field (allowed here: profile, physiology)"),
        ([{"profile": _profile(), "physiology": []}],
         "patients[0].physiology: must be an object, got a list"),
        ([], "patients: must be a non-empty list, got a list"),
        ({"patients": [], "seed": 1}, "seed: unknown field (allowed here: patients)"),
        ({"people": []}, "people: unknown field (allowed here: patients)"),
    ],
)  # fmt: skip
def test_a_bad_cohort_file_is_refused_in_one_line_naming_the_field(
    tmp_path: Path, patients: Any, expected: str
) -> None:
    cohort = _cohort_file(tmp_path, patients)
    result = _run("--cohort", cohort)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1, result.output
    assert expected in result.output
    assert result.output.startswith(f"{cohort}: ")


def test_a_file_that_is_not_json_or_absent_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cohort.json"
    path.write_text("{patients: [")
    result = _run("--cohort", str(path))
    assert result.exit_code == 2 and "cohort: not valid JSON" in result.output
    missing = _run("--cohort", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "cannot read" in missing.output


@pytest.mark.parametrize(
    "args", [("--weeks", "0"), ("--weeks", "53"), ("--patients", "0"), ("--seed", "x")]
)
def test_out_of_range_options_are_refused(args: tuple[str, str]) -> None:
    assert _run(*args).exit_code == 2


def test_the_installed_command_prints_the_json_last(tmp_path: Path) -> None:
    cohort = _cohort_file(tmp_path, [{"profile": _profile()}])
    done = subprocess.run(
        [str(TELECOACH), "simulate-cohort", "--cohort", cohort, "--weeks", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["sessions"] == 3


def test_an_rpe_basis_patient_above_the_band_is_brought_into_it_by_the_answers(
    tmp_path: Path,
) -> None:
    # On a beta-blocker (RPE basis), starting far above the band: the static arm stays above it;
    # in the adaptive arm each answer above the band brings an ease-off (cue.rpe_answer), followed.
    beta = _profile(medications=["beta_blocker"])
    physiology = {"start_level": 9, "compliance": 0.95, "reaction_s": 5}
    cohort = _cohort_file(tmp_path, [{"profile": beta, "physiology": physiology}])
    result = _run("--cohort", cohort, "--weeks", "2", "--seed", "1")
    assert _last(result)["unsafe_cues"] == 0
    rows = {
        line.split()[2]: line.split()
        for line in result.output.splitlines()
        if line.startswith("RPE basis")
    }
    static_time, adaptive_time = float(rows["static"][-4]), float(rows["adaptive"][-4])
    assert static_time < 50 < 80 < adaptive_time  # the felt effort inside the band, % of the time
