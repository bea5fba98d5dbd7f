"""Rule parameters for live effort cues (coach/cues.py) and the next session (next_session.py).

A heart rate answers a change of effort like a first-order system (time constant ~58 s), so the cue
rules speak in seconds and in bpm per minute of slope as well as in bpm.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.rules._schema import Rule, RuleFieldError, param


@dataclass(frozen=True, kw_only=True)
class CueKinetics(Rule):
    """How fast a heart rate answers: the slope window and the lag a cue must wait out."""

    tau_s: float = param(lo=5, hi=300)  # first-order time constant of the rate's answer
    gain_bpm_per_mps: float = param(lo=1, hi=100)  # steady-state rise per m/s of speed (shown only)
    slope_window_s: int = param(lo=10, hi=180)  # readings the slope is fitted over
    min_slope_span_s: int = param(lo=5, hi=180)  # a slope needs readings spanning at least this
    stale_after_s: int = param(lo=2, hi=120)  # a longer gap restarts every "for N s" count
    smooth_readings: int = param(lo=1, hi=15)  # the zone is judged on the median of this many

    def check(self) -> None:
        if self.min_slope_span_s > self.slope_window_s:
            raise RuleFieldError(
                "min_slope_span_s", f"must be <= slope_window_s ({self.slope_window_s})"
            )


@dataclass(frozen=True, kw_only=True)
class CueSpacing(Rule):
    min_interval_s: int = param(lo=0, hi=600)  # between any two cues (a stop never waits)
    same_direction_wait_s: int = param(lo=0, hi=900)  # before repeating ease_off or pick_up

    def check(self) -> None:
        if self.same_direction_wait_s < self.min_interval_s:
            raise RuleFieldError(
                "same_direction_wait_s", f"must be >= min_interval_s ({self.min_interval_s})"
            )


@dataclass(frozen=True, kw_only=True)
class CueEaseOff(Rule):
    margin_bpm: int = param(lo=0, hi=40)  # this far above the top: at once
    sustain_s: int = param(lo=0, hi=600)  # above the top at all: after this long
    overshoot_bpm: int = param(lo=0, hi=40)  # in the zone, climbing to end this far above the top
    full_overshoot_width_bpm: int = param(lo=1, hi=100)  # narrower zones: overshoot scaled down


@dataclass(frozen=True, kw_only=True)
class CuePickUp(Rule):
    margin_bpm: int = param(lo=0, hi=40)  # at least this far below the low end...
    sustain_s: int = param(lo=0, hi=900)  # ...for this long
    climbing_bpm_per_min: float = param(lo=0, hi=60)  # a slope at or above this is climbing


@dataclass(frozen=True, kw_only=True)
class CueHold(Rule):
    settle_s: int = param(lo=0, hi=600)  # back inside the zone this long after ease_off/pick_up


@dataclass(frozen=True, kw_only=True)
class CueStop(Rule):
    """Over the ceiling past zone.ceiling's seconds_above, a sudden drop, or a hold: stop."""


@dataclass(frozen=True, kw_only=True)
class CueRpePrompt(Rule):
    first_after_s: int = param(lo=0, hi=1800)  # into the main phase
    every_s: int = param(lo=30, hi=1800)


@dataclass(frozen=True, kw_only=True)
class CueRpeAnswer(Rule):
    """An answer to the RPE prompt outside the band: ease off above it at once; below it (main
    phase), ask again and pick up only when the second answer is below the band too."""

    confirm_after_s: int = param(lo=0, hi=600)  # the second question; 0: pick up on one answer


@dataclass(frozen=True, kw_only=True)
class CueWarmUpCheck(Rule):
    """At the main phase's start, today's warm-up rate plus the patient's usual rise from it
    foretells where the main pace will settle: a step gentler or brisker before the climb."""

    warm_up_window_s: int = param(lo=15, hi=300)  # the warm-up's last seconds, averaged
    min_warm_up_readings: int = param(lo=5, hi=300)  # fewer in that window: no check
    learn_from_s: int = param(lo=0, hi=600)  # the rise is read in this window of the main phase
    learn_until_s: int = param(lo=10, hi=900)
    steps_below: float = param(lo=1, hi=5)  # the warm-up is about this many steps under the pace
    min_sessions: int = param(lo=1, hi=20)  # sessions whose rise was read, before any check
    sessions_kept: int = param(lo=1, hi=50)  # the usual rise: the median of the latest ones
    min_rise_bpm: float = param(lo=0, hi=60)  # a smaller usual rise tells nothing: no check

    def check(self) -> None:
        if self.learn_until_s <= self.learn_from_s:
            raise RuleFieldError("learn_until_s", f"must be > learn_from_s ({self.learn_from_s})")
        if self.sessions_kept < self.min_sessions:
            raise RuleFieldError("sessions_kept", f"must be >= min_sessions ({self.min_sessions})")
