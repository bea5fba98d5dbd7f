"""STUB (branch home): stands in for branch `cues`' cue engine until it is merged; deleted then."""

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
    min_interval_ms: int = 60_000

    @classmethod
    def from_rules(cls, rules: RuleSet) -> CuePolicy:
        return cls()


class CueEngine:
    def __init__(self, zone: PatientZone, policy: CuePolicy) -> None:
        self.zone, self.policy = zone, policy
        self._current: Cue | None = None
        self._last_ms: int | None = None

    def step(
        self, t_ms: int, bpm: int | None, phase: Phase, *, alert: str | None = None
    ) -> Cue | None:
        if alert is not None or self.zone.basis == "hold":
            return self._give(CueKind.STOP, t_ms, alert or "hold")
        if self._last_ms is not None and t_ms - self._last_ms < self.policy.min_interval_ms:
            return None
        if self.zone.basis == "rpe" or not self.zone.has_zone:
            return self._give(CueKind.RPE_PROMPT, t_ms, "rpe_check")
        if bpm is None or phase != "main":
            return None
        assert self.zone.low is not None and self.zone.high is not None
        if bpm > self.zone.high:
            return self._give(CueKind.EASE_OFF, t_ms, "above_zone")
        if bpm < self.zone.low:
            return self._give(CueKind.PICK_UP, t_ms, "below_zone")
        return self._give(CueKind.HOLD, t_ms, "in_zone")

    def _give(self, kind: CueKind, t_ms: int, reason: str) -> Cue | None:
        if self._current is not None and self._current.kind == kind == CueKind.STOP:
            return None
        self._current = Cue(kind, t_ms, reason, "cue.stub", "stub")
        self._last_ms = t_ms
        return self._current

    @property
    def current(self) -> Cue | None:
        return self._current


_WORDS = ("no_exertion", "extremely_light", "extremely_light", "very_light", "very_light", "light",
          "light", "somewhat_hard", "somewhat_hard", "hard", "hard", "very_hard", "very_hard",
          "extremely_hard", "maximal")  # fmt: skip
BORG_WORDS: Mapping[int, str] = {n: f"borg.{w}" for n, w in zip(range(6, 21), _WORDS, strict=True)}
