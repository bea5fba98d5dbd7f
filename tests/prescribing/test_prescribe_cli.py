"""`telecoach prescribe PROFILE.json`: JSON on stdout, or exit 2 with one line naming the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.rules import load_rules
from tests.coach.test_engine_worked_example import PROFILE

TELECOACH = str(Path(sys.executable).with_name("telecoach"))
DEFAULT_RULES = (
    Path(__file__).resolve().parents[2] / "coach" / "rules" / "default.toml"
).read_text()


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "RULES_FILE"}
    return subprocess.run(
        [TELECOACH, *args],
        cwd=tmp_path,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_prints_the_prescription(tmp_path: Path) -> None:
    result = run(tmp_path, "prescribe", write(tmp_path, "p.json", PROFILE))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["aerobic"]["hr_low"] == 101 and out["aerobic"]["hr_high"] == 109
    assert {"adj.post_infusion", "adj.bone_mets"} <= {r["id"] for r in out["rules"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]  # nothing written


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({**PROFILE, "age": 3}, "age:"),
        ({**PROFILE, "vitals": {"resting_hr": 400}}, "vitals.resting_hr:"),
        ({**PROFILE, "labs": {"platelets_10e9_l": -1}}, "labs.platelets_10e9_l:"),
        ({**PROFILE, "sex": "robot"}, "sex:"),
        ({"sex": "female"}, "age:"),
        ([1, 2], ""),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_profile_exits_2_with_one_line(tmp_path: Path, content: object, expected: str) -> None:
    result = run(tmp_path, "prescribe", write(tmp_path, "p.json", content))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path, "prescribe", str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "absent.json" in result.stderr


def test_an_institutions_rules_file_changes_the_outcome(tmp_path: Path) -> None:
    assert "threshold_c = 38.0" in DEFAULT_RULES
    strict = write(
        tmp_path, "rules.toml", DEFAULT_RULES.replace("threshold_c = 38.0", "threshold_c = 37.5")
    )
    febrile = {**PROFILE, "vitals": {"resting_hr": 72, "temperature_c": 37.6}}
    profile = write(tmp_path, "p.json", febrile)
    assert json.loads(run(tmp_path, "prescribe", profile).stdout)["hold"] is False
    held = json.loads(run(tmp_path, "prescribe", profile, env={"RULES_FILE": strict}).stdout)
    assert held["hold"] is True and "hold.fever" in held["hold_reasons"]


def test_malformed_rules_file_names_rule_and_field(tmp_path: Path) -> None:
    broken = write(
        tmp_path, "rules.toml", DEFAULT_RULES.replace("threshold_c = 38.0", 'threshold_c = "hot"')
    )
    result = run(tmp_path, "prescribe", write(tmp_path, "p.json", PROFILE), "--rules", broken)
    assert result.returncode == 2
    assert "hold.fever" in result.stderr and "threshold_c" in result.stderr


def test_serve_refuses_to_start_with_malformed_rules(tmp_path: Path) -> None:
    broken = write(
        tmp_path, "rules.toml", DEFAULT_RULES.replace("threshold_c = 38.0", 'threshold_c = "hot"')
    )
    result = run(
        tmp_path,
        "serve",
        "--port",
        "1",
        env={"RULES_FILE": broken, "TELECOACH_VAR_DIR": str(tmp_path / "v")},
    )
    assert result.returncode == 2
    assert "refusing to start" in result.stderr and "hold.fever" in result.stderr


def test_default_rules_load() -> None:
    assert load_rules().get("hold.fever") is not None
