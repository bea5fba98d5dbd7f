"""Live alerts from a class's heart-rate readings, with time passed in (never read from a clock).

- over_ceiling: readings above the patient's ceiling (the top of today's zone, zone.ceiling) for
  more than `seconds_above` (30 s): from the first reading above it to a reading still above it,
  with no drop-out longer than `gap_s` in between.
- no_signal: during the class, nothing new from a patient who was sending, for `no_signal_s`
  (20 s) by the receiving clock (device clocks may be off; receipt time is ours).
- sudden_drop: a reading at least `drop_bpm` (30) below the highest of the previous `drop_window_s`
  (15 s), and every reading after it still that far below that peak for `drop_persist_s` (10 s);
  at most one per `drop_cooldown_s`. Rates are taken as the median of the last three readings:
  one reading off by itself is a sensor's artifact (a strap slipping reads half the rate or a
  spike), not a heart, and a spike followed by the true rate looked like a drop that lasted; it
  alerted dozens of times a class. After
  a drop-out (no reading for more than `gap_s`) the window starts afresh: a lost signal is
  `no_signal`'s business, and the first readings after it are not a drop.

An episode is named by (patient, kind, the reading time it began), so every process evaluating the
same stream names it the same way and storage keeps it once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from coach.hr_summary import MAX_GAP_S
from coach.hr_zones import PatientZone
from coach.rules import RuleSet


class AlertKind(StrEnum):
    OVER_CEILING = "over_ceiling"
    NO_SIGNAL = "no_signal"
    SUDDEN_DROP = "sudden_drop"


@dataclass(frozen=True)
class AlertPolicy:
    seconds_above: int = 30
    no_signal_s: int = 20
    drop_bpm: int = 30
    drop_window_s: int = 15
    drop_cooldown_s: int = 60
    drop_persist_s: int = 10
    gap_s: float = MAX_GAP_S

    @classmethod
    def from_rules(cls, rules: RuleSet) -> AlertPolicy:
        return cls(seconds_above=rules.zone_ceiling.seconds_above)


@dataclass(frozen=True)
class RaisedAlert:
    patient_id: int
    kind: AlertKind
    started_ms: int  # reading time the episode began: the episode's name
    raised_ms: int  # our clock when it was raised
    bpm: int | None
    detail: str  # in English, for logs and rows read without a catalogue
    args: Mapping[str, int] = field(default_factory=dict)  # its numbers, for each reader's words


@dataclass
class _Patient:
    last_t: int | None = None
    last_bpm: int | None = None
    last_rx: int = 0
    above_since: int | None = None
    above_raised: bool = False
    # Readings of the drop window that may still be its peak: bpm strictly falling from the left,
    # so the peak is the first (a max over the whole window for every reading cost too much).
    # Times and rates in two deques of ints: no tuple a reading for the garbage collector.
    recent_t: deque[int] = field(default_factory=deque)
    recent_bpm: deque[int] = field(default_factory=deque)
    last_drop: int | None = None
    # A drop seen and not yet lasted: (its first reading's time, the peak it fell from).
    drop_from: tuple[int, int] | None = None
    last_three: deque[int] = field(default_factory=lambda: deque(maxlen=3))
    silent_for: int | None = None  # the last_t a no_signal alert was raised for


class AlertEvaluator:
    def __init__(
        self,
        zones: Mapping[int, PatientZone],
        class_start_ms: int,
        class_end_ms: int,
        policy: AlertPolicy | None = None,
    ) -> None:
        self.zones = dict(zones)
        self.class_start_ms = class_start_ms
        self.class_end_ms = class_end_ms
        self.policy = policy or AlertPolicy()
        self._patients: dict[int, _Patient] = {}

    def reading(
        self, patient_id: int, t_ms: int, bpm: int, rx_ms: int, *, replay: bool = False
    ) -> list[RaisedAlert]:
        """Take one reading (received at `rx_ms`); `replay` updates state but raises nothing."""
        state = self._patients.setdefault(patient_id, _Patient())
        if state.last_t is not None and t_ms <= state.last_t:
            return []  # out of order or repeated: the live stream is in time order per patient
        raised: list[RaisedAlert] = []
        over = self._over_ceiling(patient_id, state, t_ms, bpm, rx_ms)
        drop = self._sudden_drop(patient_id, state, t_ms, bpm, rx_ms)
        state.last_t, state.last_bpm, state.last_rx = t_ms, bpm, rx_ms
        for alert in (over, drop):
            if alert is not None and not replay:
                raised.append(alert)
                if alert.kind is AlertKind.OVER_CEILING:
                    state.above_raised = True
                else:
                    state.last_drop = alert.started_ms
        return raised

    def _over_ceiling(
        self, patient_id: int, state: _Patient, t_ms: int, bpm: int, rx_ms: int
    ) -> RaisedAlert | None:
        zone = self.zones.get(patient_id)
        ceiling = zone.ceiling if zone is not None and zone.has_zone else None
        if ceiling is None or bpm <= ceiling:
            state.above_since, state.above_raised = None, False
            return None
        continuing = (
            state.above_since is not None
            and state.last_t is not None
            and t_ms - state.last_t <= self.policy.gap_s * 1000
        )
        if not continuing:
            state.above_since, state.above_raised = t_ms, False
        assert state.above_since is not None
        lasted = t_ms - state.above_since
        if state.above_raised or lasted <= self.policy.seconds_above * 1000:
            return None
        return RaisedAlert(
            patient_id,
            AlertKind.OVER_CEILING,
            state.above_since,
            rx_ms,
            bpm,
            f"{bpm} bpm, above the ceiling of {ceiling} for {lasted // 1000} s",
            {"bpm": bpm, "ceiling": ceiling, "seconds": lasted // 1000},
        )

    def _sudden_drop(
        self, patient_id: int, state: _Patient, t_ms: int, bpm: int, rx_ms: int
    ) -> RaisedAlert | None:
        times, rates = state.recent_t, state.recent_bpm
        if state.last_t is not None and t_ms - state.last_t > self.policy.gap_s * 1000:
            times.clear()  # after a drop-out, compare with what comes next, not before
            rates.clear()
            state.last_three.clear()
            state.drop_from = None
        state.last_three.append(bpm)
        bpm = sorted(state.last_three)[len(state.last_three) // 2]
        window = self.policy.drop_window_s * 1000
        while times and times[0] < t_ms - window:
            times.popleft()
            rates.popleft()
        peak = rates[0] if rates else None
        while rates and rates[-1] <= bpm:
            times.pop()  # never the peak again: this reading is as high and newer
            rates.pop()
        times.append(t_ms)
        rates.append(bpm)
        if state.drop_from is not None:
            began, from_bpm = state.drop_from
            if from_bpm - bpm < self.policy.drop_bpm:
                state.drop_from = None  # back up: it was a moment, not a drop
                return None
            if t_ms - began < self.policy.drop_persist_s * 1000:
                return None
            state.drop_from = None
            if (
                state.last_drop is not None
                and began - state.last_drop < self.policy.drop_cooldown_s * 1000
            ):
                return None
            return RaisedAlert(
                patient_id,
                AlertKind.SUDDEN_DROP,
                began,
                rx_ms,
                bpm,
                f"fell from {from_bpm} to {bpm} bpm within {self.policy.drop_window_s} s and "
                f"stayed down {(t_ms - began) // 1000} s",
                {
                    "from_bpm": from_bpm,
                    "bpm": bpm,
                    "window": self.policy.drop_window_s,
                    "seconds": (t_ms - began) // 1000,
                },
            )
        if peak is not None and peak - bpm >= self.policy.drop_bpm:
            state.drop_from = (t_ms, peak)
        return None

    def tick(self, now_ms: int) -> list[RaisedAlert]:
        """No-signal checks; call about once a second."""
        if not self.class_start_ms <= now_ms <= self.class_end_ms:
            return []
        raised = []
        for patient_id, state in self._patients.items():
            if state.last_t is None or state.silent_for == state.last_t:
                continue
            silent = now_ms - state.last_rx
            if silent > self.policy.no_signal_s * 1000:
                state.silent_for = state.last_t
                raised.append(
                    RaisedAlert(
                        patient_id,
                        AlertKind.NO_SIGNAL,
                        state.last_t,
                        now_ms,
                        state.last_bpm,
                        f"no reading for {silent // 1000} s",
                        {"seconds": silent // 1000},
                    )
                )
        return raised
