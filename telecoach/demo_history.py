"""The demo's last four weeks, so a newcomer sees what the product does with time, not only a class
on now: sessions at home with their heart-rate traces and cues on the progress report, bands'
daily resting heart rate and steps, and two warnings waiting on the coach's alert list: an early
warning of toxicity and a patient drifting away.

Everything goes through the product's own use cases, at the instant it would have happened:
- sessions at home (`usecases.home_sessions`) for four patients with a strap and one by feel
  (Henry: atrial fibrillation, the RPE basis), each morning run
  by a simulated heart (`coach.simulation`: first-order kinetics, drift, a day's offset, a strap's
  noise) whose patient follows the cues the session gives, a few seconds later, most of the time;
  each next session starts where the last ones say (gentler, as planned, brisker);
- daily values (`usecases.daily.record_in`, source "demo") for the patients with a band or a
  pedometer, infusion days marked. Lucía's last two days show what the toxicity detector is for
  (resting heart rate up, steps down, near her chemotherapy's nadir): her warning is raised, her
  check-in text planned and her coaching texts paused, as live data would do;
- this morning's engagement check (`scheduler.engagement`) for every patient: Grace, faithful to
  her sessions at home for two weeks, then two short tries and none since, is flagged as drifting
  away, with the warm message the coach's page proposes.

Seeded only on the demo's first run, after the patients and prescriptions it needs, which the demo
makes `HISTORY_BEFORE` now. The coaching texts that approval planned for those days are cancelled
and the coming days' planned, as of now. Deterministic: every random draw is seeded by the
patient's demo key.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from coach import daily
from coach.access import Actor
from coach.assessments import local_today
from coach.audit import record_system
from coach.cues import Phase
from coach.home_plan import Sample
from coach.models import ClinicalProfile, Patient
from coach.rules import RuleSet
from coach.simulation.cohort import VirtualPatient, parse_cohort
from coach.simulation.physiology import Heart
from coach.simulation.session import reported_rpe
from scheduler import coaching_plans, engagement
from scheduler.config import SchedulerConfig
from usecases.daily import record_in
from usecases.home_sessions import (
    HomeCueEngines,
    HomeRefusal,
    finish_home_session,
    record_readings,
    record_rpe_answer,
    start_home_session,
)

HISTORY_DAYS = 28  # daily values from four weeks ago to yesterday
HISTORY_BEFORE = timedelta(days=HISTORY_DAYS + 1)  # the demo clinic's patients enrolled then
SESSION_TIME = time(9, 30)  # a session at home, in the patient's morning
BATCH_S = 30  # the home page sends its readings every 5 s; here every 30, to seed in seconds
# Effort levels under the main part's, as the simulated cohort warms up and cools down.
LEVELS_BELOW: dict[Phase, int] = {"warm_up": 2, "main": 0, "cool_down": 3}
START_EFFORT = {"gentler": -1, "same": 0, "brisker": 1}


@dataclass(frozen=True)
class AtHome:
    """Sessions at home on these days back from today; without a strap they go by feel (the
    engine asks "how hard does this feel?" and the patient answers). On the `tries` days the
    patient gives up a few minutes into the main part, unusually tired: a try, not a session."""

    key: str
    days_back: tuple[int, ...]
    with_strap: bool = True
    tries: tuple[int, ...] = ()


@dataclass(frozen=True)
class Band:
    """A band's (or a pedometer's) daily values: usual steps; a rise in resting heart rate and a
    share of steps lost on the last days (oldest first), for the patient the warning is about."""

    key: str
    usual_steps: int
    rhr_rise_bpm: tuple[float, ...] = ()
    steps_kept: tuple[float, ...] = ()


AT_HOME = (
    AtHome("ada_post_treatment", (20, 17, 13, 10, 6, 3, 1)),
    AtHome("tomas_neuropathy_falls", (19, 12, 9, 5, 2)),
    AtHome("meihua_metastatic", (17, 10, 7, 3)),
    AtHome("henry_afib_rpe", (16, 11, 4), with_strap=False),  # atrial fibrillation: by feel
    # Drifting away: faithful for two weeks, then two short tries and nothing. The morning's
    # engagement check flags her (sessions missed, minutes down) with a warm message to send.
    AtHome("grace_lymphedema", (27, 25, 22, 20, 18, 15), tries=(11, 6)),
)
TRY_MAIN_S = 240  # how far into the main part a try gets
BANDS = (
    Band("ada_post_treatment", 8200),
    Band("grace_lymphedema", 5600),
    Band("tomas_neuropathy_falls", 4800),
    Band("meihua_metastatic", 3900),
    Band("lucia_low_platelets", 4300, rhr_rise_bpm=(7.0, 9.0), steps_kept=(0.6, 0.45)),
)
RHR_SD_BPM = 1.2  # night-to-night spread of a resting heart rate
STEPS_SD = 0.1  # day-to-day spread of steps, as a share
INFUSION_BUMP_BPM = (3.0, 1.5)  # an infusion day and the day after (the detector skips them)
INFUSION_EVERY_DAYS = 21  # a three-weekly regimen, back from the profile's last infusion


def seed_history(
    session: Session,
    patients: Sequence[tuple[str, Patient]],
    rules: RuleSet,
    schedule: SchedulerConfig,
    now: datetime,
) -> None:
    """The four weeks before `now` for the demo patients given as (demo key, patient)."""
    by_key = dict(patients)
    for _, patient in patients:  # the texts planned weeks ago give way to the coming days'
        assert patient.id is not None
        coaching_plans.on_prescription_approved(session, patient.id, schedule, now)
    engines = HomeCueEngines()
    for plan in AT_HOME:
        if plan.key in by_key:
            _sessions_at_home(session, by_key[plan.key], plan, rules, engines, now)
    for band in BANDS:
        if band.key in by_key:
            _daily_values(session, by_key[band.key], band, rules, schedule, now)
    for _, patient in patients:  # this morning's check, as the scheduler runs it each day
        assert patient.id is not None
        today = local_today(now, patient.time_zone)
        engagement.run(session, rules, patient.id, today.isoformat(), now)


def _virtual(session: Session, patient: Patient, rules: RuleSet) -> VirtualPatient:
    """The patient's simulated body, from their stored profile (coach.simulation's defaults)."""
    profile = session.exec(
        select(ClinicalProfile).where(ClinicalProfile.patient_id == patient.id)
    ).one()
    return parse_cohort({"patients": [{"profile": profile.data}]}, rules)[0]


def _local(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, ZoneInfo(zone))


def _sessions_at_home(
    session: Session,
    patient: Patient,
    plan: AtHome,
    rules: RuleSet,
    engines: HomeCueEngines,
    now: datetime,
) -> None:
    body = _virtual(session, patient, rules)
    rng = random.Random(f"home {plan.key}")
    today = local_today(now, patient.time_zone)
    actor = Actor("patient", patient_id=patient.id)
    for back in sorted(plan.days_back + plan.tries, reverse=True):
        trying = back in plan.tries
        began = _local(today - timedelta(days=back), SESSION_TIME, patient.time_zone)
        if began >= now:
            continue
        started = start_home_session(session, actor, rules, plan.with_strap, began)
        if isinstance(started, HomeRefusal):
            continue
        assert started.row.id is not None
        offset = rng.gauss(0.0, body.physiology.day_sd_bpm)
        level = body.physiology.start_level + START_EFFORT.get(started.plan.start_effort, 0)
        heart = Heart(body.physiology, offset, 1.0)
        pending: list[tuple[int, int]] = []  # (second, level change) the patient will make
        stopped = False
        felt = heart.true_rpe()  # how hard the main part felt at its end (the RPE asked after)
        batch: list[Sample] = []
        second = 0
        for phase, minutes in started.plan.phases:
            for into_phase in range(minutes * 60):
                if trying and phase == "main" and into_phase == TRY_MAIN_S:
                    stopped = True  # too tired to go on
                    break
                second += 1
                level += sum(change for due, change in pending if due <= second)
                pending = [(due, change) for due, change in pending if due > second]
                heart.advance(max(0, level - LEVELS_BELOW[phase]))
                bpm = heart.reading(rng) if plan.with_strap else None
                batch.append(Sample(second * 1000, bpm, phase))
                if len(batch) < BATCH_S:
                    continue
                at = began + timedelta(seconds=second)
                answer = record_readings(session, actor, started.row.id, batch, rules, engines, at)
                batch = []
                cues = list(answer.cues)
                for cue in answer.cues:
                    if cue.kind == "rpe_prompt":  # answered with how hard it feels now
                        rating = reported_rpe(heart.true_rpe(), rng)
                        told = record_rpe_answer(
                            session, actor, started.row.id, second * 1000, rating, rules, engines
                        )
                        cues += [told.cue] if told.cue is not None else []
                for cue in cues:
                    heard = rng.random() < body.physiology.compliance
                    if cue.kind == "stop":
                        stopped = True
                    elif heard and cue.kind in ("ease_off", "pick_up"):
                        delay = int(body.physiology.reaction_s)
                        pending.append((second + delay, -1 if cue.kind == "ease_off" else 1))
                if stopped:  # the patient stops here and ends the session
                    break
            if phase == "main" or stopped:
                felt = heart.true_rpe()
            if stopped:
                break
        if batch:
            at = began + timedelta(seconds=second)
            record_readings(session, actor, started.row.id, batch, rules, engines, at)
        rpe = reported_rpe(felt, rng)
        symptoms = ["sore_muscles"] if rng.random() < 0.2 else []
        symptoms = ["unusual_tiredness"] if trying else symptoms
        finish_home_session(
            session,
            actor,
            started.row.id,
            "stopped" if stopped else "done",
            rpe,
            symptoms,
            engines,
            began + timedelta(seconds=second),
        )


def _daily_values(
    session: Session,
    patient: Patient,
    band: Band,
    rules: RuleSet,
    schedule: SchedulerConfig,
    now: datetime,
) -> None:
    body = _virtual(session, patient, rules)
    rng = random.Random(f"band {band.key}")
    today = local_today(now, patient.time_zone)
    last_infusion = (
        body.profile.treatment.days_since_last_infusion if body.profile.treatment else None
    )
    ill_days = len(band.rhr_rise_bpm)
    entries: list[tuple[int, daily.DayValues]] = []
    for index, back in enumerate(range(HISTORY_DAYS, 0, -1)):
        ill = ill_days - back  # the warning's days, oldest first, end yesterday
        rise = band.rhr_rise_bpm[ill] if ill >= 0 else 0.0
        kept = band.steps_kept[ill] if ill >= 0 else 1.0
        since = None if last_infusion is None else (last_infusion - back) % INFUSION_EVERY_DAYS
        bump = (
            INFUSION_BUMP_BPM[since]
            if since is not None and since < len(INFUSION_BUMP_BPM)
            else 0.0
        )
        rhr = body.physiology.resting_hr + rise + bump + rng.gauss(0.0, RHR_SD_BPM)
        steps = band.usual_steps * kept * (1 + rng.gauss(0.0, STEPS_SD))
        day = daily.DayValues(
            today - timedelta(days=back),
            resting_hr=round(rhr),
            steps=max(0, int(round(steps, -1))),
            infusion=since == 0,
        )
        entries.append((index, day))

    def audit(session: Session, patient_id: int, detail: str) -> None:
        record_system(session, "demo", "daily.ingest", patient_id, detail)

    record_in(session, patient, entries, "demo", now, rules, schedule, audit)
