"""STUB (branch classcues) until branch `cues` lands the cue engine: the names of
/tmp/cue_interface.md with the simplest behaviour. Replaced by the real module at merge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from coach.hr_zones import PatientZone
from coach.rules import RuleSet

Phase = Literal["warm_up", "main", "cool_down"]


class CueKind(StrEnum):
    EASE_OFF = "ease_off"
    HOLD = "hold"
    PICK_UP = "pick_up"
    STOP = "stop"
    RPE_PROMPT = "rpe_prompt"


@dataclass(frozen=True)
class Cue:
    kind: CueKind
    at_ms: int
    reason: str
    rule_id: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "at_ms": self.at_ms,
            "reason": self.reason,
            "rule": self.rule_id,
            "source": self.source,
        }


@dataclass(frozen=True)
class CuePolicy:
    min_interval_s: int = 30
    rpe_every_s: int = 300

    @classmethod
    def from_rules(cls, rules: RuleSet) -> CuePolicy:
        return cls()


class CueEngine:
    def __init__(self, zone: PatientZone, policy: CuePolicy) -> None:
        self.zone = zone
        self.policy = policy
        self._current: Cue | None = None

    @property
    def current(self) -> Cue | None:
        return self._current

    def step(
        self, t_ms: int, bpm: int | None, phase: Phase, *, alert: str | None = None
    ) -> Cue | None:
        last = self._current
        if alert is not None or self.zone.basis == "hold":
            if last is not None and last.kind is CueKind.STOP:
                return None
            return self._give(CueKind.STOP, t_ms, alert or "hold")
        if last is not None and t_ms - last.at_ms < self.policy.min_interval_s * 1000:
            return None
        if self.zone.basis == "rpe":
            if last is None or t_ms - last.at_ms >= self.policy.rpe_every_s * 1000:
                return self._give(CueKind.RPE_PROMPT, t_ms, "rpe_check")
            return None
        if bpm is None or self.zone.low is None or self.zone.high is None:
            return None
        if bpm > self.zone.high:
            kind, reason = CueKind.EASE_OFF, "above_zone"
        elif bpm < self.zone.low and phase == "main":
            kind, reason = CueKind.PICK_UP, "below_zone"
        else:
            kind, reason = CueKind.HOLD, "in_zone"
        if last is not None and last.kind is kind:
            return None
        return self._give(kind, t_ms, reason)

    def _give(self, kind: CueKind, t_ms: int, reason: str) -> Cue:
        self._current = Cue(kind, t_ms, reason, f"cue.{reason}", "stub")
        return self._current


BORG_WORDS: Mapping[int, str] = {
    6: "borg.6",
    7: "borg.7",
    9: "borg.9",
    11: "borg.11",
    13: "borg.13",
    15: "borg.15",
    17: "borg.17",
    19: "borg.19",
    20: "borg.20",
}
