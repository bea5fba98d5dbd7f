"""Cues in a live class: the phase from the class's timing, the wiring of the cue engine beside the
alert evaluation (alerts and holds end in stop, a mute silences, RPE prompts on the class's grid),
and two processes evaluating one class put each cue on the stream once."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from coach import hr_store
from coach.cues import Cue, CueKind, CuePolicy
from coach.database import Database
from coach.epoch_ms import from_ms, to_ms
from coach.hr_store import Opening, SampleRow
from coach.hr_summary import Point
from coach.hr_zones import PatientZone
from coach.models import ClassOccurrence, utcnow
from coach.rules import load_rules
from rtc.heart_rate import events
from rtc.heart_rate.bus import LiveBus, MemoryBus
from rtc.heart_rate.class_cues import TICK_MS, ClassCues, class_phase, cue_key, usual_rises
from rtc.heart_rate.events import stream_name
from rtc.heart_rate.service import HeartRateService
from rtc.heart_rate.validation import Reading
from tests.clocks import ManualClock
from tests.factories import enroll, weekly_class
from tests.heart_rate.helpers import give_profile, until
from tests.heart_rate.test_service_alerts import buses, class_db  # noqa: F401

RULES = load_rules()
POLICY = CuePolicy.from_rules(RULES)
MIN = 60_000
START, END = 1_000 * MIN, 1_045 * MIN  # a 45-minute class
ZONE = PatientZone("prescription", 100, 120, 65, 170)


@pytest.mark.parametrize(
    ("t_ms", "phase"),
    [
        (START - MIN, "warm_up"),  # early: warming up
        (START, "warm_up"),
        (START + 5 * MIN - 1, "warm_up"),
        (START + 5 * MIN, "main"),
        (END - 5 * MIN - 1, "main"),
        (END - 5 * MIN, "cool_down"),
        (END + MIN, "cool_down"),  # late: cooling down
    ],
)
def test_the_phase_comes_from_the_class_timing(t_ms: int, phase: str) -> None:
    assert class_phase(t_ms, START, END) == phase


def test_a_short_class_keeps_most_of_it_for_the_main_phase() -> None:
    start, end = 0, 12 * MIN  # a quarter each at most: 3 minutes, not 5
    assert [class_phase(t, start, end) for t in (3 * MIN - 1, 3 * MIN, 9 * MIN - 1, 9 * MIN)] == [
        "warm_up",
        "main",
        "main",
        "cool_down",
    ]


def cues(**zones: PatientZone) -> ClassCues:
    return ClassCues({int(k[1:]): z for k, z in zones.items()}, START, END, POLICY)


def test_well_above_the_zone_asks_to_ease_off_and_names_the_rule() -> None:
    engines = cues(p1=ZONE)
    t = START + 10 * MIN
    cue = engines.reading(1, t, 130, [])
    assert cue is not None and cue.kind is CueKind.EASE_OFF and cue.at_ms == t
    assert cue.rule_id.startswith("cue.") and cue.source
    assert engines.reading(1, t + 1000, 131, []) is None  # not again at once


@pytest.mark.parametrize("alert", ["over_ceiling", "sudden_drop"])
def test_an_alert_at_a_reading_ends_in_stop(alert: str) -> None:
    engines = cues(p1=ZONE)
    cue = engines.reading(1, START + 10 * MIN, 110, [alert])
    assert cue is not None and cue.kind is CueKind.STOP and cue.reason == alert


def test_no_signal_is_not_a_reason_to_stop() -> None:
    engines = cues(p1=ZONE)
    cue = engines.reading(1, START + 10 * MIN, 110, ["no_signal"])
    assert cue is None or cue.kind is not CueKind.STOP


def test_a_patient_on_hold_is_told_to_stop() -> None:
    engines = cues(p1=PatientZone("hold"))
    cue = engines.reading(1, START + MIN, 90, [])
    assert cue is not None and cue.kind is CueKind.STOP


def test_a_muted_patient_hears_nothing_until_unmuted() -> None:
    engines = cues(p1=ZONE, p2=ZONE)
    engines.seen({"type": "cue_mute", "patient_id": 1, "muted": True})
    t = START + 10 * MIN
    assert engines.reading(1, t, 140, []) is None
    assert engines.reading(2, t, 140, []) is not None  # only the one muted
    assert engines.state(1) == {"cue": None, "cues_muted": True}
    engines.seen({"type": "cue_mute", "patient_id": 1, "muted": False})
    stop = engines.reading(1, t + 1000, 140, ["over_ceiling"])
    assert stop is not None and stop.kind is CueKind.STOP


def test_the_last_cue_on_the_stream_is_what_a_page_gets_back() -> None:
    engines = cues(p1=ZONE)
    shown = {"kind": "coach", "at_ms": 5, "text": "slow down, Ana"}
    engines.seen({"type": "cue", "patient_id": 1, "cue": shown})
    engines.seen({"type": "cue", "patient_id": "1", "cue": {}})  # not a patient id: ignored
    assert engines.state(1) == {"cue": shown, "cues_muted": False}


def test_rpe_basis_patients_get_prompts_on_the_class_grid_and_no_heart_rate_cue() -> None:
    engines = cues(p1=PatientZone("rpe"), p2=ZONE)
    assert engines.reading(1, START + 10 * MIN, 150, []) is None or (engines.state(1) is not None)
    prompts = []
    for now in range(START + 6 * MIN, START + 20 * MIN, 1000):
        prompts += engines.tick(now + 321)  # off the grid: the grid's time is used
    assert prompts, "an RPE prompt in the main phase"
    assert {pid for pid, _ in prompts} == {1}
    assert all(
        c.kind is CueKind.RPE_PROMPT and (c.at_ms - START) % TICK_MS == 0 for _, c in prompts
    )
    assert engines.tick(END + TICK_MS) == []  # not after the class


def test_an_rpe_answer_read_from_the_stream_gives_the_engines_cue() -> None:
    """Rule cue.rpe_answer in class, for a patient whose prescription's band is 12-13: above
    it an ease-off at once, below it a second question first; nothing for a heart-rate zone's
    patient, an unknown patient, a rating that is not one, or a muted patient."""
    engines = cues(p1=PatientZone("rpe", rpe_band=(12, 13)), p2=replace(ZONE, rpe_band=(12, 13)))
    t = START + 10 * MIN
    engines.tick(t)  # the class's main phase
    eased = engines.rpe_answer(1, t + 1000, 16)
    assert eased is not None and (eased.kind, eased.rule_id) == (CueKind.EASE_OFF, "cue.rpe_answer")
    assert engines.rpe_answer(1, t + 2000, 16) is None  # the same request waits
    assert engines.rpe_answer(1, t + 100_000, 9) is None  # under the band: asked again first
    assert engines.rpe_answer(2, t + 1000, 19) is None  # guided by heart rate, not by a rating
    assert engines.rpe_answer(3, t + 1000, 19) is None
    assert engines.rpe_answer(1, t + 200_000, 25) is None
    engines.seen({"type": "cue_mute", "patient_id": 1, "muted": True})
    assert engines.rpe_answer(1, t + 300_000, 19) is None


def test_a_new_zone_starts_the_engine_afresh() -> None:
    engines = cues(p1=ZONE)
    t = START + 10 * MIN
    assert engines.reading(1, t, 130, []) is not None
    engines.set_zone(1, ZONE)  # the same zone: the engine keeps its state (no second cue)
    assert engines.reading(1, t + 1000, 131, []) is None
    engines.set_zone(1, PatientZone("hold"))
    stop = engines.reading(1, t + 2000, 110, [])
    assert stop is not None and stop.kind is CueKind.STOP


def opening(start_ms: int, warm_bpm: int, main_bpm: int, patient_id: int = 1) -> Opening:
    """An earlier 45-minute class's opening: a reading a second, `warm_bpm` through the 5-minute
    warm-up, then a rate climbing toward `main_bpm` as a heart does (first order, time constant
    58 s) until the warm-up check's learning window is over."""
    main = start_ms + 5 * MIN

    def bpm(t: int) -> int:
        if t < main:
            return warm_bpm
        return round(main_bpm - (main_bpm - warm_bpm) * math.exp(-(t - main) / 58_000))

    points = [
        Point(from_ms(t), bpm(t))
        for t in range(start_ms, main + POLICY.learn_until_ms + 1000, 1000)
    ]
    return Opening(from_ms(start_ms), from_ms(start_ms + 45 * MIN), {patient_id: points})


def warm_up_then_main(engines: ClassCues, warm_bpm: int) -> Cue | None:
    """A minute of warm-up readings at `warm_bpm` before the main phase, and its first reading
    (the same rate: the heart has yet to answer the main pace). The first cue of the main phase."""
    for t in range(START + 4 * MIN, START + 5 * MIN, 1000):
        assert engines.reading(1, t, warm_bpm, []) is None
    return engines.reading(1, START + 5 * MIN, warm_bpm, [])


WEEK = 7 * 24 * 60 * MIN


def test_the_usual_rise_in_a_class_is_learned_from_its_earlier_occurrences() -> None:
    """Rule cue.warm_up_check in class: two earlier classes rose from 90 in the warm-up toward 110
    in the main phase; the rise is read from their openings (corrected for the part of the climb
    a heart shows by then), and with it a warm-up at 100 foretells about 120 in a zone of 100-120,
    a step (half the rise, ~10 bpm) over its middle: a step gentler at the main phase's first
    reading. Without it, or with only one earlier class, nothing is said then."""
    earlier = [opening(START - 2 * WEEK, 90, 110), opening(START - WEEK, 90, 110)]
    rises = usual_rises(earlier, {1: ZONE, 2: ZONE}, POLICY)
    assert list(rises) == [1]  # the patient who was not there has none
    assert 18 < rises[1] < 22  # the 20 bpm step, of which ~78% showed in the window
    cue = warm_up_then_main(ClassCues({1: ZONE}, START, END, POLICY, rises), 100)
    assert cue is not None and (cue.kind, cue.reason) == (CueKind.EASE_OFF, "warm_up_high")
    assert cue.rule_id == "cue.warm_up_check" and cue.at_ms == START + 5 * MIN
    assert warm_up_then_main(cues(p1=ZONE), 100) is None
    assert usual_rises(earlier[1:], {1: ZONE}, POLICY) == {}


def test_a_class_whose_opening_had_an_effort_cue_teaches_no_rise() -> None:
    """A main phase that began far over the zone brought an ease-off in the learning window:
    the patient changed pace, so what the rate did says nothing of their usual rise. RPE-basis
    patients have no heart-rate rise to learn."""
    earlier = [opening(START - 2 * WEEK, 90, 110), opening(START - WEEK, 120, 150)]
    assert usual_rises(earlier, {1: ZONE}, POLICY) == {}
    rpe = [opening(START - 2 * WEEK, 90, 110), opening(START - WEEK, 90, 110)]
    assert usual_rises(rpe, {1: PatientZone("rpe")}, POLICY) == {}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.anyio
async def test_a_class_begins_a_step_gentler_for_a_patient_whose_warm_up_runs_high(
    database_url: str,
) -> None:
    """Through the service (SQLite and PostgreSQL): Ana's two earlier weeks of the class are
    stored readings (90 in the warm-up, climbing toward 110 after); today her warm-up runs at
    105, which foretells about 125 in her zone of 109-126, more than half a step over its middle,
    so the monitor's engine asks her to ease off as the main phase begins, and the cue goes on
    the class's stream."""
    from tests.factories import build_world

    db = Database(database_url)
    world = db.run_sync(build_world)
    clock = ManualClock(utcnow())
    start = clock.now() - timedelta(minutes=6)

    def make(session: Session) -> int:
        give_profile(session, world.patient_a)
        series_id, _ = weekly_class(
            session, world.coach_a, "Weekly class", start=start - timedelta(weeks=2)
        )
        enroll(session, series_id, world.patient_a)
        found = session.exec(
            select(ClassOccurrence)
            .where(ClassOccurrence.series_id == series_id)
            .order_by(col(ClassOccurrence.starts_at))
        ).all()
        for row in found[:2]:
            assert row.id is not None
            hr_store.insert_samples(
                session,
                [
                    SampleRow(world.patient_a, row.id, point.t, point.bpm, None, "ble")
                    for point in opening(to_ms(row.starts_at), 90, 110).points[1]
                ],
            )
        today = found[2]
        assert today.id is not None and abs(today.starts_at - start) < timedelta(seconds=1)
        return today.id

    occurrence = db.run_sync(make)
    service = HeartRateService(db, MemoryBus(), RULES, clock, flush_interval=0.05)
    await service.start()
    try:
        monitor = await service.attach(occurrence)
        watcher = await service.bus.subscribe(stream_name(occurrence))
        main = to_ms(start) + 5 * MIN
        for t in range(main - MIN, main + 1000, 1000):
            await service.ingest_live(world.patient_a, occurrence, Reading(t, 105), "ble")
        await until(lambda: monitor.tiles[world.patient_a].last_t == main)
        await asyncio.sleep(0.8)  # the monitor has taken them in and said what it decided
        entries = [json.loads(e.data) for e in watcher.drain()]
        said = [e["cue"] for e in entries if e["type"] == "cue"]
        assert [(c["kind"], c["reason"], c["at_ms"]) for c in said] == [
            ("ease_off", "warm_up_high", main)
        ]
    finally:
        await service.stop()
        db.dispose()


def test_a_patients_own_subscription_gets_their_cues() -> None:
    assert cue_key(7) == "7/cue"


@pytest.mark.anyio
async def test_two_processes_put_each_cue_on_the_stream_once(
    class_db,  # noqa: F811
    buses: Callable[[], LiveBus],  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    db, world, occurrence = class_db
    clock = ManualClock(utcnow())
    one = HeartRateService(db, buses(), RULES, clock, flush_interval=0.05)
    two = HeartRateService(db, buses(), RULES, clock, flush_interval=0.05)
    await one.start()
    await two.start()
    try:
        monitors = [await one.attach(occurrence), await two.attach(occurrence)]
        watcher = await two.bus.subscribe(stream_name(occurrence))
        own = await one.bus.subscribe(stream_name(occurrence), key=str(world.patient_a))
        t0 = to_ms(clock.now() - timedelta(seconds=10))
        for i in range(5):  # well above Ana's zone (109-126)
            await one.ingest_live(world.patient_a, occurrence, Reading(t0 + i * 1000, 140), "ble")
        await until(lambda: all(m.tiles[world.patient_a].last_t == t0 + 4000 for m in monitors))
        await asyncio.sleep(0.8)  # both monitors have taken them in and said what they decided
        entries = [json.loads(e.data) for e in watcher.drain()]
        cue_entries = [e for e in entries if e["type"] == "cue"]
        assert [e["cue"]["kind"] for e in cue_entries] == ["ease_off"]
        assert cue_entries[0]["patient_id"] == world.patient_a
        mine = [json.loads(e.data)["type"] for e in own.drain()]
        assert mine.count("cue") == 1 and mine.count("reading") == 5
        assert monitors[0].snapshot()["tiles"][str(world.patient_a)]["cue"]["kind"] == "ease_off"

        await two.mute_cues(occurrence, world.patient_a, True)
        await until(lambda: all(world.patient_a in m.cues.muted for m in monitors))
        await one.ingest_live(
            world.patient_a, occurrence, Reading(t0 + 5000, 140), "ble"
        )  # fmt: skip
        t_sudden = t0 + 6000
        for i in range(40):  # over the ceiling past the alert time: a stop, unheard
            await one.ingest_live(
                world.patient_a, occurrence, Reading(t_sudden + i * 1000, 140), "ble"
            )
        await until(lambda: monitors[1].tiles[world.patient_a].last_t == t_sudden + 39_000)
        await asyncio.sleep(0.8)
        later = [json.loads(e.data) for e in watcher.drain()]
        assert [e["type"] for e in later if e["type"].startswith("cue")] == ["cue_mute"]
        assert (await one.cue_state(occurrence, world.patient_a)) == {
            "cue": None,
            "cues_muted": True,
        }
    finally:
        await one.stop()
        await two.stop()
        db.dispose()


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ('{"type":"rpe","patient_id":1,"value":19,"t":5}', (1, 19, 5)),
        ('{"type":"rpe","patient_id":1,"value":true,"t":5}', None),
        ('{"type":"rpe","patient_id":"1","value":19,"t":5}', None),
        ('{"type":"rpe","patient_id":1,"value":19}', None),
        ('{"type":"rpe","patient_id":1,"value":19.5,"t":5}', None),
        ('{"type":"rpe", broken', None),
        ('{"type":"rpe_x","patient_id":1,"value":19,"t":5}', None),
        ('{"type":"cue","patient_id":1,"cue":{}}', None),
        ('{"type":"rpe"}', None),
    ],
)
def test_an_rpe_entry_is_read_only_when_whole(data: str, parsed: object) -> None:
    assert events.parse_rpe_entry(data) == parsed
