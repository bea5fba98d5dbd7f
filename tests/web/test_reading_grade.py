"""`telecoach reading-grade`: the patient-facing English reads at grade 6 or lower (issue 22), per
section and overall, and the command says so when a text is harder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TELECOACH = str(Path(sys.executable).with_name("telecoach"))
ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "web" / "locales" / "en.toml"
SMS = ROOT / "messaging" / "templates" / "en.toml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TELECOACH, "reading-grade", *args], capture_output=True, text=True, timeout=60
    )


def grades(stdout: str) -> dict[str, tuple[float, float]]:
    """section -> (grade over every text, grade over full sentences only)."""
    rows = {}
    for line in stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and fields[1].isdigit():
            rows[fields[0]] = (float(fields[3]), float(fields[4]))
    return rows


def test_every_patient_facing_section_and_the_whole_read_at_grade_6_or_lower() -> None:
    done = run()
    rows = grades(done.stdout)
    over = {section: grade for section, grade in rows.items() if max(grade) > 6.0}
    assert over == {}, done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    # The sections a patient reads are all measured, SMS texts included; staff pages are not.
    for section in ("pages:room", "pages:home_session", "pages:hr", "sms:reply", "sms:coaching"):
        assert section in rows
    assert "overall" in rows
    assert not any(section.startswith("pages:staff") for section in rows)


def test_a_hard_sentence_fails_the_check_and_is_named(tmp_path: Path) -> None:
    hard = (
        "Physiological deterioration necessitates immediate discontinuation of strenuous activity."
    )
    sms = tmp_path / "en.toml"
    sms.write_text(SMS.read_text() + f'\n[extra]\nnotice = "{hard}"\n')
    done = run("--sms", str(sms), "--hardest", "1")
    assert done.returncode == 1
    assert grades(done.stdout)["sms:extra"][1] > 6.0
    assert hard in done.stdout.splitlines()[-1]


def test_a_placeholder_without_a_typical_value_is_refused(tmp_path: Path) -> None:
    pages = tmp_path / "en.toml"
    pages.write_text(PAGES.read_text().replace('title = "Your heart rate"', 'title = "{pulse}"'))
    done = run("--pages", str(pages))
    assert done.returncode != 0
    assert "{pulse}" in done.stderr
