"""THROWAWAY STUB (sim branch, not committed): the names of /tmp/cue_interface.md."""

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
            "kind": str(self.kind),
            "at_ms": self.at_ms,
            "reason": self.reason,
            "rule": self.rule_id,
            "source": self.source,
        }


@dataclass(frozen=True)
class CuePolicy:
    min_interval_s: int = 60
    margin_bpm: int = 2

    @classmethod
    def from_rules(cls, rules: RuleSet) -> CuePolicy:
        return cls()


BORG_WORDS: Mapping[int, str] = {i: f"borg.{i}" for i in range(6, 21)}


class CueEngine:
    def __init__(self, zone: PatientZone, policy: CuePolicy) -> None:
        self.zone, self.policy = zone, policy
        self._last: Cue | None = None
        self._prev: list[int] = []

    @property
    def current(self) -> Cue | None:
        return self._last

    def _cue(self, kind: CueKind, t_ms: int, reason: str) -> Cue:
        self._last = Cue(kind, t_ms, reason, "cue.stub", "stub")
        return self._last

    def step(
        self, t_ms: int, bpm: int | None, phase: Phase, *, alert: str | None = None
    ) -> Cue | None:
        if alert or self.zone.basis == "hold":
            if self._last and self._last.kind is CueKind.STOP:
                return None
            return self._cue(CueKind.STOP, t_ms, alert or "hold")
        due = self._last is None or t_ms - self._last.at_ms >= self.policy.min_interval_s * 1000
        if self.zone.basis == "rpe":
            return (
                self._cue(CueKind.RPE_PROMPT, t_ms, "rpe_check")
                if due and phase == "main"
                else None
            )
        if bpm is None or phase != "main" or not self.zone.has_zone:
            return None
        self._prev = ([*self._prev, bpm])[-6:]
        climbing = len(self._prev) >= 6 and self._prev[-1] - self._prev[0] >= 3
        assert self.zone.low is not None and self.zone.high is not None
        if not due:
            return None
        if bpm > self.zone.high - self.policy.margin_bpm:
            return self._cue(CueKind.EASE_OFF, t_ms, "above_zone")
        if bpm < self.zone.low and not climbing:
            return self._cue(CueKind.PICK_UP, t_ms, "below_zone")
        return None
