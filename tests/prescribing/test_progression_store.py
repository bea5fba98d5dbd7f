"""Weekly progression from stored data (RULES.md §6): what the scheduler calls each week, on both
databases. The patient is the PRESCRIPTION.md worked example: light, 21 min, zone 101-109 bpm."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from coach import drafting, prescriptions, progression_store
from coach.adherence import log_session, record_score
from coach.assessments import Entry
from coach.assessments import record as record_assessment
from coach.database import Database
from coach.holds import place_hold
from coach.models import ClinicalProfile, HeartRateSample, Patient
from coach.rules import load_rules
from coach.workflow_models import ProgressionProposal
from tests.coach.test_engine_worked_example import PROFILE
from tests.conftest import TEST_NOW, World

RULES = load_rules()
ZONE = ZoneInfo("Europe/Madrid")  # the factories' patients live here


def _approve_worked_example(session: Session, patient_id: int) -> int:
    session.add(ClinicalProfile(patient_id=patient_id, data=PROFILE))
    patient = session.get(Patient, patient_id)
    assert patient is not None
    draft = drafting.generate_draft(session, RULES, patient, None, TEST_NOW)
    prescriptions.approve(session, draft, None, TEST_NOW)
    assert draft.id is not None
    return draft.id


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(ZoneInfo("UTC"))


def _good_week(session: Session, patient_id: int, monday: date) -> None:
    """Three sessions at RPE 10 (target <= 11), ten minutes at 105 bpm (in the zone)."""
    for offset in (0, 2, 4):
        log_session(session, patient_id, monday + timedelta(days=offset), "sms", rpe=10)
    start = _at(monday + timedelta(days=2), 10)
    for second in range(0, 600, 5):
        session.add(HeartRateSample(patient_id=patient_id, t=start + timedelta(seconds=second),
                                    bpm=105, source="api"))  # fmt: skip


@pytest.fixture
def week(world: World) -> date:
    return progression_store.last_full_week(TEST_NOW, "Europe/Madrid")


def test_a_good_week_proposes_progress_once(db: Database, world: World, week: date) -> None:
    pid = world.patient_a
    based_on = db.run_sync(_approve_worked_example, pid)
    db.run_sync(_good_week, pid, week)
    first = db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW)
    assert first is not None and first.status == "pending" and first.based_on_id == based_on
    assert first.change == "up"
    assert first.proposal["dose"]["minutes_per_session"] == 23  # 21 + 10%, rounded down
    assert [r["id"] for r in first.proposal["reasons"]] == ["prog.up"]
    summary = first.proposal["week"]
    assert summary["sessions_done"] == 3 and summary["sessions_prescribed"] == 3
    assert summary["mean_rpe"] == 10 and summary["time_in_zone_fraction"] == 1.0
    assert summary["hold_this_week"] is False and summary["steps_daily"] == []
    # Run again, and again: one proposal for the week, unchanged.
    for _ in range(2):
        again = db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW)
        assert again is not None and again.id == first.id
    rows = db.run_sync(lambda s: s.exec(select(ProgressionProposal)).all())
    assert len(rows) == 1


def test_approving_creates_the_next_version(db: Database, world: World, week: date) -> None:
    pid = world.patient_a
    db.run_sync(_approve_worked_example, pid)
    db.run_sync(_good_week, pid, week)
    proposal = db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW)
    assert proposal is not None

    def decide(session: Session) -> int:
        row = session.get(ProgressionProposal, proposal.id)
        created = progression_store.approve_proposal(session, RULES, row, None, TEST_NOW)
        assert created is not None
        return created.version

    assert db.run_sync(decide) == 2
    current = db.run_sync(prescriptions.current_approved, pid)
    aerobic = current.data["aerobic"]
    assert (aerobic["minutes_per_session"], aerobic["hr_low"], aerobic["hr_high"]) == (23, 101, 109)
    assert current.data["rules"][-1]["id"] == "prog.up"
    assert current.data["progression"]["week_start"] == week.isoformat()
    assert db.run_sync(prescriptions.history, pid)[1].status == "superseded"
    decided = db.run_sync(lambda s: s.get(ProgressionProposal, proposal.id))
    assert decided.status == "approved" and decided.result_id == current.id
    with pytest.raises(progression_store.ProposalStateError):
        db.run_sync(decide)  # decided already


def test_an_intensity_step_rebuilds_the_zone(db: Database, world: World, week: date) -> None:
    """At the base duration, prog.up raises %HRR by 5: the heart rates follow."""
    pid = world.patient_a

    def approve_at_base(session: Session) -> None:
        _approve_worked_example(session, pid)
        current = prescriptions.current_approved(session, pid)
        data = {**current.data, "aerobic": {**current.data["aerobic"], "minutes_per_session": 30}}
        prescriptions.create_approved(session, pid, data, current.profile_snapshot, None, TEST_NOW)

    db.run_sync(approve_at_base)
    db.run_sync(_good_week, pid, week)
    proposal = db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW)
    assert proposal.change == "up" and proposal.proposal["dose"]["hrr_low_pct"] == 35

    def decide(session: Session) -> None:
        row = session.get(ProgressionProposal, proposal.id)
        progression_store.approve_proposal(session, RULES, row, None, TEST_NOW)

    db.run_sync(decide)
    current = db.run_sync(prescriptions.current_approved, pid)
    aerobic = current.data["aerobic"]
    # HRmax 208 - 0.7 x 58 = 167.4, rest 72: 35-44% of 95.4 bpm, rounded inward.
    assert (aerobic["hr_low"], aerobic["hr_high"]) == (106, 113)
    ceiling = next(r for r in current.data["rules"] if r["id"] == "zone.ceiling")
    assert "113 bpm" in ceiling["text"]


def test_bad_weeks_step_down_or_hold(db: Database, world: World, week: date) -> None:
    pid = world.patient_a
    db.run_sync(_approve_worked_example, pid)
    # Two weeks back: nothing done at all.
    empty = week - timedelta(weeks=1)
    down = db.run_sync(progression_store.propose_for_week, RULES, pid, empty, TEST_NOW)
    assert down.change == "down" and "adherence 0%" in down.proposal["reasons"][0]["text"]
    # Last week: a good week, but a hold was placed on Wednesday.
    db.run_sync(_good_week, pid, week)
    wednesday = _at(week + timedelta(days=2), 9)
    db.run_sync(lambda s: place_hold(s, pid, "hold.red_flag", "dizzy", "sms",
                                     wednesday + timedelta(hours=15), now=wednesday))  # fmt: skip
    held = db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW)
    assert held.change == "down" and held.proposal["week"]["hold_this_week"] is True
    assert "a hold this week" in held.proposal["reasons"][0]["text"]


def test_rising_fatigue_and_resting_hr_are_read_from_storage(
    db: Database, world: World, week: date
) -> None:
    pid = world.patient_a
    db.run_sync(_approve_worked_example, pid)  # resting HR 72 in the profile: the baseline

    def stored_signals(session: Session) -> None:
        _good_week(session, pid, week)
        for back, score in ((2, 3), (1, 4), (0, 6)):
            day = week - timedelta(weeks=back) + timedelta(days=1)
            record_score(session, pid, "fatigue", score, day, "sms")
        for offset in (3, 4, 5):  # Thursday to Saturday, 10+ over baseline
            entry = Entry("resting_hr", 83, week + timedelta(days=offset), None)
            record_assessment(session, pid, entry, "Europe/Madrid", None)

    db.run_sync(stored_signals)
    proposal = db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW)
    summary = proposal.proposal["week"]
    assert summary["fatigue_weekly_means"] == [3, 4, 6]
    assert summary["resting_hr_baseline"] == 72
    assert summary["resting_hr_daily"] == [72, 72, 72, 83, 83, 83, 72]
    assert proposal.change == "down"  # fatigue rising two weeks running
    assert [a["id"] for a in proposal.proposal["alerts"]] == ["prog.readiness"]


def test_nothing_to_progress_and_bad_weeks(db: Database, world: World, week: date) -> None:
    pid = world.patient_a
    assert db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW) is None
    with pytest.raises(ValueError, match="not a Monday"):
        db.run_sync(progression_store.propose_for_week, RULES, pid, week + timedelta(days=1),
                    TEST_NOW)  # fmt: skip
    this_week = week + timedelta(weeks=1)
    with pytest.raises(ValueError, match="has not ended"):
        db.run_sync(progression_store.propose_for_week, RULES, pid, this_week, TEST_NOW)
    with pytest.raises(LookupError):
        db.run_sync(progression_store.propose_for_week, RULES, 10**6, week, TEST_NOW)

    def approve_a_hold(session: Session) -> None:
        _approve_worked_example(session, pid)
        current = prescriptions.current_approved(session, pid)
        data = {**current.data, "hold": True, "hold_reasons": ["hold.fever"]}
        prescriptions.create_approved(session, pid, data, current.profile_snapshot, None, TEST_NOW)

    db.run_sync(approve_a_hold)
    assert db.run_sync(progression_store.propose_for_week, RULES, pid, week, TEST_NOW) is None
    assert db.run_sync(lambda s: s.exec(select(ProgressionProposal)).all()) == []


def test_only_one_approved_prescription_per_patient(db: Database, world: World) -> None:
    """The database refuses a second approved version, whichever code path tries it."""
    import sqlalchemy as sa

    pid = world.patient_a
    db.run_sync(_approve_worked_example, pid)

    def second_approved(session: Session) -> None:
        current = prescriptions.current_approved(session, pid)
        session.add(type(current)(patient_id=pid, version=9, status="approved", data=current.data,
                                  profile_snapshot=current.profile_snapshot))  # fmt: skip
        session.flush()

    with pytest.raises(sa.exc.IntegrityError):
        db.run_sync(second_approved)
