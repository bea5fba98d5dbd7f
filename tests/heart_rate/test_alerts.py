"""Alert timing with time passed in: over the ceiling for more than 30 s, no signal for 20 s during
the class, a sudden drop that lasts 10 s (not an artifact, not a drop-out); each raised once per
episode, named the same way by every evaluator."""

from __future__ import annotations

from coach.hr_zones import PatientZone
from rtc.heart_rate.alerts import AlertEvaluator, AlertKind

ZONE = PatientZone("prescription", 100, 120, 70.0, 170, seconds_above=30)
START = 1_800_000_000_000  # class start, ms
END = START + 45 * 60_000
P = 7


def evaluator(zone: PatientZone = ZONE) -> AlertEvaluator:
    return AlertEvaluator({P: zone}, START, END)


def feed(ev: AlertEvaluator, bpms: list[int], t0: int = START, every: int = 1000) -> list:
    raised = []
    for i, bpm in enumerate(bpms):
        t = t0 + i * every
        raised += ev.reading(P, t, bpm, rx_ms=t)
    return raised


def test_over_ceiling_is_raised_after_more_than_30_seconds_once() -> None:
    ev = evaluator()
    assert feed(ev, [110] + [125] * 31) == []  # first above at +1 s, last at +31 s: exactly 30 s
    raised = feed(ev, [125, 126, 127], t0=START + 32_000)
    assert [a.kind for a in raised] == [AlertKind.OVER_CEILING]
    alert = raised[0]
    assert alert.started_ms == START + 1000 and alert.bpm == 125
    assert "ceiling of 120" in alert.detail


def test_back_in_zone_or_a_long_dropout_starts_a_new_episode() -> None:
    ev = evaluator()
    assert feed(ev, [125] * 20 + [115] + [125] * 20) == []
    ev = evaluator()
    feed(ev, [125] * 20)
    assert feed(ev, [125] * 20, t0=START + 19_000 + 16_000) == []  # 16 s gap: not one episode
    ev = evaluator()
    feed(ev, [125] * 20)
    # a 10 s hiccup does not break it: 19 s + 10 s + 10 s > 30 s
    assert len(feed(ev, [125] * 12, t0=START + 29_000)) == 1


def test_a_second_episode_raises_again_with_its_own_start() -> None:
    ev = evaluator()
    first = feed(ev, [125] * 40 + [110] + [125] * 40)
    assert [a.started_ms for a in first] == [START, START + 41_000]


def test_no_alerts_over_a_ceiling_without_a_zone() -> None:
    assert feed(evaluator(PatientZone("rpe")), [180] * 60) == []


def test_no_signal_after_20_seconds_of_our_clock_during_class_only() -> None:
    ev = evaluator()
    ev.reading(P, START + 5000, 110, rx_ms=START + 5000)
    assert ev.tick(START + 25_000) == []  # exactly 20 s
    raised = ev.tick(START + 25_001)
    assert [(a.kind, a.started_ms) for a in raised] == [(AlertKind.NO_SIGNAL, START + 5000)]
    assert ev.tick(START + 60_000) == []  # once per silence
    ev.reading(P, START + 61_000, 110, rx_ms=START + 61_000)  # back, then lost again
    assert len(ev.tick(START + 90_000)) == 1


def test_no_signal_uses_receipt_time_not_the_device_clock() -> None:
    ev = evaluator()
    # the device clock is 40 s behind, but readings keep arriving
    ev.reading(P, START + 10_000 - 40_000, 110, rx_ms=START + 10_000)
    assert ev.tick(START + 20_000) == []


def test_no_signal_outside_the_class_or_for_someone_who_never_sent() -> None:
    ev = AlertEvaluator({P: ZONE, 8: ZONE}, START, END)
    ev.reading(P, START - 60_000, 110, rx_ms=START - 60_000)
    assert ev.tick(START - 1000) == []  # before the class
    assert [a.patient_id for a in ev.tick(START + 1000)] == [P]  # patient 8 never sent
    ev2 = evaluator()
    ev2.reading(P, END - 1000, 110, rx_ms=END - 1000)
    assert ev2.tick(END + 60_000) == []  # after the class


def test_sudden_drop_that_lasts_is_raised_once_a_minute() -> None:
    ev = evaluator()
    assert feed(ev, [130, 131, 129, 125] + [98] * 10) == []  # down, but not for 10 s yet
    raised = feed(ev, [98, 97], t0=START + 14_000)
    assert [(a.kind, a.bpm, a.started_ms) for a in raised] == [
        (AlertKind.SUDDEN_DROP, 98, START + 5000)  # named by the first filtered reading down
    ]
    assert "131 to 98" in raised[0].detail
    assert feed(ev, [130] * 5 + [95] * 12, t0=START + 20_000) == []  # within the cooldown
    assert len(feed(ev, [130] * 5 + [95] * 12, t0=START + 80_000)) == 1
    slow = evaluator()
    assert feed(slow, [130, 120, 110, 100, 95], every=6000) == []  # 35 bpm in 24 s: not sudden


def test_a_drop_that_comes_back_up_is_not_raised() -> None:
    assert feed(evaluator(), [130] * 5 + [95] * 8 + [128] * 20) == []


def test_one_reading_off_is_an_artifact_not_a_drop() -> None:
    """A strap slipping reads half the rate once; a spike then the true rate is no drop either:
    these raised dozens of alerts a class from the demo's own simulator."""
    assert feed(evaluator(), [130] * 5 + [65] + [130] * 20) == []
    assert feed(evaluator(), [100] * 5 + [140] + [100] * 20) == []


def test_after_a_drop_out_the_rate_is_not_compared_with_before_it() -> None:
    ev = evaluator()
    feed(ev, [135] * 10)
    assert feed(ev, [95] * 20, t0=START + 10_000 + 30_000) == []  # 30 s lost, then lower


def test_replay_updates_state_but_raises_nothing() -> None:
    ev = evaluator()
    for i in range(40):
        assert ev.reading(P, START + i * 1000, 125, rx_ms=START, replay=True) == []
    # the episode is still going on: the next live reading raises it, named by its first reading
    raised = ev.reading(P, START + 40_000, 125, rx_ms=START + 40_000)
    assert [(a.kind, a.started_ms) for a in raised] == [(AlertKind.OVER_CEILING, START)]


def test_out_of_order_and_repeated_readings_are_ignored() -> None:
    ev = evaluator()
    feed(ev, [125] * 10)
    assert ev.reading(P, START + 5000, 80, rx_ms=START + 11_000) == []
    assert ev.reading(P, START + 9000, 80, rx_ms=START + 11_000) == []


def test_two_evaluators_name_the_same_episode_the_same_way() -> None:
    """Two processes evaluating one stream (received at different moments) agree on the key."""
    a, b = evaluator(), evaluator()
    raised_a = feed(a, [125] * 35)
    raised_b = []
    for i in range(35):
        raised_b += b.reading(P, START + i * 1000, 125, rx_ms=START + i * 1000 + 250)
    key = [(x.patient_id, x.kind, x.started_ms) for x in raised_a]
    assert key == [(x.patient_id, x.kind, x.started_ms) for x in raised_b] and len(key) == 1
