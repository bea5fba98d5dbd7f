"""Cues in a live class: one `coach.cues.CueEngine` per patient, fed beside the alert evaluation
(rtc/heart_rate/monitor.py) with the same readings, the alerts they raise and the patient's hold.

The session phase comes from the class's timing: the first `WARM_UP_S` are the warm-up and the
last `COOL_DOWN_S` the cool-down (5 minutes each: the shortest warm-up and cool-down the ACSM's
Guidelines for Exercise Testing and Prescription recommend, 5-10 minutes; a prescription holds
no warm-up time of its own). In a short class neither takes more than a quarter of it. Readings
before the start are warm-up, after the end cool-down.

Like an alert, a cue is named by (patient, the reading time it was decided at): every process
evaluating the same stream decides the same cue at the same reading, and the bus keeps the first
(`cue_key`, ordered by that time). Patients on the RPE basis get prompts without a reading: their
engines are stepped on a grid of `TICK_MS` of the class's time, the same in every process.

The warm-up check (cue.warm_up_check) needs the patient's usual rise from the warm-up to the main
pace. A class's warm-up and pace are the coach's and repeat from one week to the next, unlike a
home session's, so a class learns it from the patient's own earlier occurrences of the same class
(`usual_rises`): their stored opening minutes replayed through the same engine, each giving the
rise it observed. Today's zone stands in for the zone of the day (it decides only whether an
ease-off or pick-up in the learning window spoilt the reading). Until two such classes, no check.

The coach's mute is state on the stream (docs/heart-rate.md, `cue_mute`): every monitor reads it
there and a muted patient's engine still steps (so that unmuting finds it up to date), but its
cues go nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coach.cues import Cue, CueEngine, CuePolicy, Phase
from coach.epoch_ms import to_ms
from coach.hr_store import Opening
from coach.hr_zones import PatientZone

WARM_UP_S = 5 * 60
COOL_DOWN_S = 5 * 60
# RPE-basis engines without readings are asked for a prompt this often, on this grid.
TICK_MS = 10_000
# Alerts that end in `stop`; no_signal is the sensor's business, not the patient's effort.
STOPPING_ALERTS = frozenset({"over_ceiling", "sudden_drop"})


def class_phase(
    t_ms: int,
    start_ms: int,
    end_ms: int,
    warm_up_s: int = WARM_UP_S,
    cool_down_s: int = COOL_DOWN_S,
) -> Phase:
    quarter_ms = max(0, end_ms - start_ms) // 4
    warm_ms = min(warm_up_s * 1000, quarter_ms)
    cool_ms = min(cool_down_s * 1000, quarter_ms)
    if t_ms < start_ms + warm_ms:
        return "warm_up"
    if t_ms >= end_ms - cool_ms:
        return "cool_down"
    return "main"


def opening_ms(policy: CuePolicy) -> int:
    """How much of an earlier class the warm-up check reads: the longest warm-up, then the main
    phase's learning window (cue.warm_up_check learn_until_s), and a second to spare."""
    return WARM_UP_S * 1000 + policy.learn_until_ms + 1000


def usual_rises(
    openings: Sequence[Opening], zones: Mapping[int, PatientZone], policy: CuePolicy
) -> dict[int, float]:
    """Each patient's usual rise from the warm-up to the main pace in this class, from the
    openings of its earlier occurrences (oldest first): what the engine observed in each, replayed,
    through `CuePolicy.usual_rise_bpm`. Patients without enough of them are left out."""
    observed: dict[int, list[float]] = {}
    for opening in openings:
        start_ms, end_ms = to_ms(opening.starts_at), to_ms(opening.ends_at)
        for patient_id, points in opening.points.items():
            zone = zones.get(patient_id)
            if zone is None:
                continue
            engine = CueEngine(zone, policy)
            for point in points:
                t_ms = to_ms(point.t)
                engine.step(t_ms, point.bpm, class_phase(t_ms, start_ms, end_ms))
            rise = engine.observed_rise_bpm
            if rise is not None:
                observed.setdefault(patient_id, []).append(rise)
    found = {patient_id: policy.usual_rise_bpm(rises) for patient_id, rises in observed.items()}
    return {patient_id: rise for patient_id, rise in found.items() if rise is not None}


def cue_key(patient_id: int) -> str:
    """The bus key of a patient's cues: a sub-key of their readings' key (a patient's own
    subscription receives both), ordered apart from them."""
    return f"{patient_id}/cue"


class ClassCues:
    """The cue engines of one class occurrence, and what the stream says the patients were last
    shown (for a snapshot, and for a patient's page that comes back)."""

    def __init__(
        self,
        zones: Mapping[int, PatientZone],
        start_ms: int,
        end_ms: int,
        policy: CuePolicy,
        rises: Mapping[int, float] | None = None,
    ) -> None:
        """`rises`: each patient's usual rise in this class (`usual_rises`), for the warm-up
        check."""
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.policy = policy
        self._zones = dict(zones)
        self._rises = dict(rises or {})
        self._engines = {pid: self._engine(pid, zone) for pid, zone in zones.items()}
        self._ticked_ms: int | None = None
        self.muted: set[int] = set()
        self.shown: dict[int, dict[str, Any]] = {}  # patient -> the last cue on the stream

    def set_zone(self, patient_id: int, zone: PatientZone) -> None:
        """A new zone (a prescription approved mid-class) starts the patient's engine afresh."""
        if self._zones.get(patient_id) != zone:
            self._zones[patient_id] = zone
            self._engines[patient_id] = self._engine(patient_id, zone)

    def _engine(self, patient_id: int, zone: PatientZone) -> CueEngine:
        return CueEngine(zone, self.policy, usual_rise_bpm=self._rises.get(patient_id))

    def phase(self, t_ms: int) -> Phase:
        return class_phase(t_ms, self.start_ms, self.end_ms)

    def reading(self, patient_id: int, t_ms: int, bpm: int, alerts: list[str]) -> Cue | None:
        """The cue due at this reading (None: none new, or the coach muted them); `alerts` are
        the kinds the alert evaluation raised at the same reading."""
        engine = self._engines.get(patient_id)
        if engine is None:
            return None
        zone = self._zones[patient_id]
        stopping = [kind for kind in alerts if kind in STOPPING_ALERTS]
        alert = "hold" if zone.basis == "hold" else (stopping[0] if stopping else None)
        cue = engine.step(t_ms, bpm, self.phase(t_ms), alert=alert)
        return None if patient_id in self.muted else cue

    def rpe_answer(self, patient_id: int, t_ms: int, value: int) -> Cue | None:
        """A patient's answer to "how hard does this feel?" read from the stream (rule
        cue.rpe_answer: above the band an ease-off, below it asked again first); every process
        reads the same entry, so decides the same cue at the same time."""
        engine = self._engines.get(patient_id)
        if engine is None or not 6 <= value <= 20:
            return None
        cue = engine.rpe_answer(t_ms, value)
        return None if patient_id in self.muted else cue

    def tick(self, now_ms: int) -> list[tuple[int, Cue]]:
        """Prompts for RPE-basis patients, on the class's grid of TICK_MS while it runs."""
        grid = self.start_ms + (now_ms - self.start_ms) // TICK_MS * TICK_MS
        if not self.start_ms <= grid <= self.end_ms or grid == self._ticked_ms:
            return []
        self._ticked_ms = grid
        due = []
        for patient_id, engine in self._engines.items():
            if self._zones[patient_id].basis != "rpe":
                continue
            cue = engine.step(grid, None, self.phase(grid))
            if cue is not None and patient_id not in self.muted:
                due.append((patient_id, cue))
        return due

    def seen(self, entry: Mapping[str, Any]) -> None:
        """A cue or mute entry read from the class's stream (any process may have written it)."""
        patient_id = entry.get("patient_id")
        if not isinstance(patient_id, int):
            return
        if entry.get("type") == "cue" and isinstance(entry.get("cue"), dict):
            self.shown[patient_id] = entry["cue"]
        elif entry.get("type") == "cue_mute":
            if entry.get("muted") is True:
                self.muted.add(patient_id)
                self.shown.pop(patient_id, None)
            else:
                self.muted.discard(patient_id)

    def state(self, patient_id: int) -> dict[str, Any]:
        return {"cue": self.shown.get(patient_id), "cues_muted": patient_id in self.muted}


def shown_to_patient(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """The cue a patient sees from a `state`: the last one shown, unless the coach muted the
    engine's cues for them (their own words still show). web/static/js/hr-cue.js does the same."""
    cue = state.get("cue")
    if not isinstance(cue, dict):
        return None
    return cue if not state.get("cues_muted") or cue.get("kind") == "coach" else None
