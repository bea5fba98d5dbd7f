"""A session at home, no class needed (issue 20): start it inside the approved prescription,
feed it readings and get cues back, finish it with the patient's RPE and symptoms.

Each function does its change, its consequences and its audit in the caller's transaction and
returns a plain outcome (the model: messaging/inbound.py). The cue engine (`coach.cues`) is
stateful: one per running session, kept in this process by `HomeCueEngines`. With several `serve`
processes the proxy keeps a patient's session requests on one of them (deploy/caddy/Caddyfile,
a cookie); should they reach another one (a restart, a process down), that process starts a fresh
engine for it: the session's tally is stored with each batch, so nothing but the engine's short
memory (its hysteresis and last cue) is lost.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session

from coach import adherence, alerts, holds, home_sessions, session_history
from coach.access import Actor, NotVisible
from coach.alerts import AlertNotice
from coach.assessments import local_today
from coach.audit import record, record_system
from coach.cues import Cue, CueEngine, CuePolicy
from coach.home_plan import HomePlan, Sample, approved_minutes, home_plan
from coach.home_sessions import RUNNING, HomeSession
from coach.hr_store import zone_for
from coach.hr_zones import PatientZone, classify
from coach.models import Patient
from coach.prescriptions import current_approved
from coach.profile import RED_FLAGS
from coach.progression_store import propose_from_plan
from coach.rules import RuleSet

RED_FLAG_RULE = "hold.red_flag"  # the rule an SMS red flag holds by (messaging/inbound.py)
# Symptoms the end-of-session check asks about. The red flags (the profile's, and a fall) stop
# exercise for the day and alert the coach, as the same words by SMS do; the others are noted.
RED_FLAG_SYMPTOMS = (*RED_FLAGS, "fall")
OTHER_SYMPTOMS = ("unusual_tiredness", "sore_muscles", "nausea")
SYMPTOMS = (*RED_FLAG_SYMPTOMS, *OTHER_SYMPTOMS)
ENGINES_KEPT = 1_000  # running sessions one process keeps an engine for (oldest dropped first)


class HomeSessionFinished(Exception):
    """Readings or an ending for a session that has ended already (a replay, a second tab)."""


@dataclass
class HomeCueEngines:
    """The cue engine of each session running in this process."""

    kept: int = ENGINES_KEPT
    _engines: OrderedDict[int, CueEngine] = field(default_factory=OrderedDict)

    def engine_for(
        self,
        home_session_id: int,
        zone: PatientZone,
        policy: CuePolicy,
        usual_rise_bpm: float | None = None,
    ) -> CueEngine:
        engine = self._engines.get(home_session_id)
        if engine is None:
            engine = CueEngine(zone, policy, usual_rise_bpm=usual_rise_bpm)
            self._engines[home_session_id] = engine
            while len(self._engines) > self.kept:
                self._engines.popitem(last=False)
        self._engines.move_to_end(home_session_id)
        return engine

    def drop(self, home_session_id: int) -> None:
        self._engines.pop(home_session_id, None)

    def __contains__(self, home_session_id: object) -> bool:
        return home_session_id in self._engines


@dataclass(frozen=True)
class HomeStart:
    row: HomeSession
    plan: HomePlan
    zone: PatientZone


@dataclass(frozen=True)
class HomeRefusal:
    """The patient cannot start a session today: `reason` is "on_hold", "no_prescription" or
    "no_aerobic"; `hold_ids` the rules holding them."""

    reason: str
    hold_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomeReadings:
    row: HomeSession
    cues: list[Cue]  # the cues this batch gave, oldest first
    current: Cue | None  # the cue in force
    band: str | None  # where the last reading fell: below, in, above, none; None: no reading


@dataclass(frozen=True)
class HomeAnswer:
    row: HomeSession
    cue: Cue | None  # what the answer gave: an ease-off, a pick-up, or nothing
    current: Cue | None


@dataclass(frozen=True)
class HomeEnd:
    row: HomeSession
    red_flags: tuple[str, ...]
    alerts: list[AlertNotice] = field(default_factory=list)


def start_home_session(
    session: Session, actor: Actor, rules: RuleSet, with_strap: bool, now: datetime
) -> HomeStart | HomeRefusal:
    """Today's session from the approved prescription and how the last ones went, or why not
    (a hold, no approved prescription, no aerobic part): a refusal is audited too."""
    patient = _patient(session, actor)
    assert patient.id is not None
    held = holds.hold_reasons(session, patient.id, now)
    prescription = current_approved(session, patient.id)
    approved = approved_minutes(prescription.data) if prescription is not None else None
    refusal = (
        HomeRefusal("on_hold", held)
        if held
        else HomeRefusal("no_prescription")
        if prescription is None
        else HomeRefusal("no_aerobic")
        if approved is None
        else None
    )
    if refusal is not None:
        record(session, actor, "home_session.start", patient.id, "refused", refusal.reason, at=now)
        return refusal
    assert prescription is not None and approved is not None
    today = local_today(now, patient.time_zone)
    next_session = session_history.next_session(
        session, patient.id, prescription.data, approved, today, rules
    )
    plan = home_plan(approved, next_session)
    policy = CuePolicy.from_rules(rules)
    rises = home_sessions.recent_rises(session, patient.id, policy.sessions_kept)
    usual_rise = policy.usual_rise_bpm(rises)
    row = home_sessions.start(session, patient.id, today, plan, with_strap, now, usual_rise)
    detail = f"home_session {row.id}: {plan.main_minutes} min, {plan.start_effort} start"
    record(session, actor, "home_session.start", patient.id, detail=detail, at=now)
    if plan.beyond_approval:
        # Never applied here: more than approved goes to the coach as a progression proposal.
        proposal = propose_from_plan(session, rules, patient, prescription, next_session, now)
        if proposal is not None:
            ref = f"proposal {proposal.id}, week {proposal.week_start}"
            record_system(session, "home", "progression.propose", patient.id, detail=ref)
    return HomeStart(row, plan, zone_for(session, patient.id, rules))


def record_readings(
    session: Session,
    actor: Actor,
    home_session_id: int,
    samples: Sequence[Sample],
    rules: RuleSet,
    engines: HomeCueEngines,
    now: datetime,
) -> HomeReadings:
    """Add a batch of readings (or ticks) and decide cues on each, in time order; a reading at or
    before the last one stored is a resend and changes nothing."""
    row = _running(session, actor, home_session_id)
    assert row.id is not None
    zone = zone_for(session, row.patient_id, rules)
    engine = _engine(row, zone, rules, engines)
    on_hold = bool(holds.active_holds(session, row.patient_id, now))
    tally = home_sessions.tally_of(row)
    trace = home_sessions.trace_of(row)
    given: list[Cue] = []
    band = None
    for sample in sorted(samples, key=lambda s: s.t_ms):
        if tally.last_t_ms is not None and sample.t_ms <= tally.last_t_ms:
            continue
        tally = tally.add(sample, zone)
        trace = trace.add(sample, zone)
        alert = "hold" if on_hold else "over_ceiling" if tally.over_ceiling_alert(zone) else None
        cue = engine.step(sample.t_ms, sample.bpm, sample.phase, alert=alert)
        if cue is not None:
            given.append(cue)
        if sample.bpm is not None:
            band = classify(sample.bpm, zone)
    home_sessions.store_tally(session, row, tally, len(given), engine.observed_rise_bpm, trace)
    return HomeReadings(row, given, engine.current, band)


def record_rpe_answer(
    session: Session,
    actor: Actor,
    home_session_id: int,
    t_ms: int,
    rpe: int,
    rules: RuleSet,
    engines: HomeCueEngines,
) -> HomeAnswer:
    """The patient's answer to "how hard does this feel?" during the session (rule
    cue.rpe_answer): above the prescribed band an ease-off at once; below it, asked again first.
    An answer at or before the latest one is a resend and changes nothing."""
    row = _running(session, actor, home_session_id)
    assert row.id is not None
    engine = _engine(row, zone_for(session, row.patient_id, rules), rules, engines)
    cue = engine.rpe_answer(t_ms, rpe)
    if cue is not None:
        row.cues += 1
        session.add(row)
        session.flush()
    return HomeAnswer(row, cue, engine.current)


def _engine(
    row: HomeSession, zone: PatientZone, rules: RuleSet, engines: HomeCueEngines
) -> CueEngine:
    """This session's engine in this process (a fresh one if another process had it)."""
    assert row.id is not None
    # Without a strap the session goes by feel: the engine on the RPE basis asks "how hard does
    # this feel?" now and then, and gives no heart-rate cue.
    engine_zone = zone if row.with_strap else replace(zone, basis="rpe", low=None, high=None)
    policy = CuePolicy.from_rules(rules)
    return engines.engine_for(row.id, engine_zone, policy, row.usual_rise_bpm)


def finish_home_session(
    session: Session,
    actor: Actor,
    home_session_id: int,
    status: str,
    rpe: int | None,
    symptoms: Sequence[str],
    engines: HomeCueEngines,
    now: datetime,
) -> HomeEnd:
    """Store the session as the day's, with the patient's RPE and symptoms. A red-flag symptom
    raises the same alert and the same hold for the rest of the day as that word by SMS."""
    row = _running(session, actor, home_session_id)
    assert row.id is not None
    patient = _patient(session, actor)
    assert patient.id is not None
    home_sessions.finish(session, row, status, rpe, symptoms, now)
    tired = adherence.scores_between(session, patient.id, "fatigue", row.day, row.day)
    row.fatigue = tired[-1].value if tired else None  # the day's tiredness, as SMS gives it
    engines.drop(row.id)
    if rpe is not None:  # the weekly review reads effort from these scores
        adherence.record_score(session, patient.id, "rpe", rpe, row.day, "home")
    flags = tuple(s for s in symptoms if s in RED_FLAG_SYMPTOMS)
    end = HomeEnd(row, flags)
    if flags:
        words = ", ".join(flag.replace("_", " ") for flag in flags)
        alert = alerts.raise_alert(
            session,
            patient.id,
            "red_flag",
            f"Reported after a home session: {words}",
            flags,
            "home",
            f"home_session:{row.id}",
            now=now,
        )
        until = holds.end_of_local_day(now, patient.time_zone)
        reason = f"reported today after a home session: {words}"
        holds.place_hold(session, patient.id, RED_FLAG_RULE, reason, "home", until, now=now)
        record_system(session, "home", "hold.place", patient.id, detail=RED_FLAG_RULE)
        end.alerts.append(AlertNotice("raised", alerts.alert_json(alert)))
    detail = (
        f"home_session {row.id}: {status}, {row.main_minutes:.1f} min main, rpe {rpe}, "
        f"symptoms {', '.join(symptoms) or 'none'}"
    )
    record(session, actor, "home_session.finish", patient.id, detail=detail[:500], at=now)
    return end


def _patient(session: Session, actor: Actor) -> Patient:
    patient = session.get(Patient, actor.patient_id) if actor.patient_id else None
    if patient is None:
        raise NotVisible("patient", actor.patient_id or 0)
    return patient


def _running(session: Session, actor: Actor, home_session_id: int) -> HomeSession:
    row = home_sessions.get(session, actor.patient_id or 0, home_session_id)
    if row is None:
        raise NotVisible("home_session", home_session_id)
    if row.status != RUNNING:
        raise HomeSessionFinished(f"home session {home_session_id} has ended ({row.status})")
    return row
