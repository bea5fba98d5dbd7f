"""Live effort cues: from one patient's readings, the zone and the session phase, what to tell them.

A heart rate answers a change of effort after about a minute (first-order kinetics, time constant
~58 s: rule cue.kinetics), so the engine never reacts to one reading: it asks to ease off when the
rate is clearly above the zone (by a margin, for a while, or climbing to end above it), to pick up
only when the rate has been well below the zone for a while and is not climbing toward it (and
not in the main phase's first minute, while its step up from the warm-up has yet to show), and
between two cues it waits (cue.spacing), longer before repeating the same request, so the body has
time to answer the first, unless the rate is above the zone and higher than when an ease-off was
said: that one was not followed, and a minute more would only run into the stop. A stop (over
the ceiling past the alert time, a sudden drop, a hold) never waits and ends the session's cues:
what follows is the coach's call, not the engine's.

The warm-up check (cue.warm_up_check) looks ahead instead of waiting: given the patient's usual rise
from the warm-up to the main pace (`usual_rise_bpm`, from earlier sessions' `observed_rise_bpm`),
today's warm-up rate foretells where the main pace will settle (today's offset, a treatment
cycle's bump, shows in the warm-up already), so the main phase can begin a step gentler or brisker
before a minute of climbing shows it.

Pure and deterministic: the caller passes each reading's time; nothing here reads a clock. One
`step()` per reading (or per tick without one) costs O(1) amortised: the slope is a least-squares
fit over a sliding window kept as running integer sums.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal, get_args

from coach.hr_zones import PatientZone
from coach.rules import RuleSet

Phase = Literal["warm_up", "main", "cool_down"]
PHASES: tuple[Phase, ...] = get_args(Phase)
STOP_ALERTS = frozenset({"over_ceiling", "sudden_drop", "hold"})  # live alerts that mean stop
_READABLE_BPM = (20, 260)  # outside: a sensor fault, treated as no reading


class CueKind(StrEnum):
    EASE_OFF = "ease_off"
    HOLD = "hold"
    PICK_UP = "pick_up"
    STOP = "stop"
    RPE_PROMPT = "rpe_prompt"


HEART_RATE_CUES = frozenset({CueKind.EASE_OFF, CueKind.HOLD, CueKind.PICK_UP})
_MAIN_PHASE_ONLY = frozenset({CueKind.PICK_UP, CueKind.HOLD, CueKind.RPE_PROMPT})

# Borg's 6-20 scale names the odd steps; an even step reads as the word below it (the cautious
# reading: 14 is "somewhat hard", not yet "hard"). Values are locale keys.
BORG_WORDS: Mapping[int, str] = MappingProxyType(
    {
        6: "borg.no_exertion",
        7: "borg.extremely_light",
        8: "borg.extremely_light",
        9: "borg.very_light",
        10: "borg.very_light",
        11: "borg.light",
        12: "borg.light",
        13: "borg.somewhat_hard",
        14: "borg.somewhat_hard",
        15: "borg.hard",
        16: "borg.hard",
        17: "borg.very_hard",
        18: "borg.very_hard",
        19: "borg.extremely_hard",
        20: "borg.maximal",
    }
)


@dataclass(frozen=True)
class Cue:
    kind: CueKind
    at_ms: int  # reading time (ms) the cue was decided at
    # above_zone, climbing, below_zone, in_zone, over_ceiling, sudden_drop, hold, rpe_check,
    # rpe_confirm, warm_up_high, warm_up_low, rpe_above, rpe_below
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
    """The cue rules' numbers in milliseconds and bpm, and each rule's source (rules cue.*)."""

    tau_ms: int
    slope_window_ms: int
    min_slope_span_ms: int
    stale_after_ms: int
    smooth_readings: int
    min_interval_ms: int
    same_direction_wait_ms: int
    ease_off_margin_bpm: int
    ease_off_sustain_ms: int
    ease_off_overshoot_bpm: int
    full_overshoot_width_bpm: int
    pick_up_margin_bpm: int
    pick_up_sustain_ms: int
    climbing_bpm_per_min: float
    hold_settle_ms: int
    rpe_first_after_ms: int
    rpe_every_ms: int
    rpe_confirm_after_ms: int
    warm_window_ms: int
    min_warm_readings: int
    learn_from_ms: int
    learn_until_ms: int
    # the share of the climb a first-order rate shows, on average, in the learning window
    learn_shown: float
    steps_below: float
    min_sessions: int
    sessions_kept: int
    min_rise_bpm: float
    sources: tuple[tuple[str, str], ...]  # (rule id, source)

    @classmethod
    def from_rules(cls, rules: RuleSet) -> CuePolicy:
        kinetics, spacing = rules.cue_kinetics, rules.cue_spacing
        ease, pick, rpe = rules.cue_ease_off, rules.cue_pick_up, rules.cue_rpe_prompt
        cue_rules = (
            kinetics,
            spacing,
            ease,
            pick,
            rules.cue_hold,
            rules.cue_stop,
            rpe,
            rules.cue_rpe_answer,
            rules.cue_warm_up_check,
        )
        check = rules.cue_warm_up_check
        return cls(
            tau_ms=round(kinetics.tau_s * 1000),
            slope_window_ms=kinetics.slope_window_s * 1000,
            min_slope_span_ms=kinetics.min_slope_span_s * 1000,
            stale_after_ms=kinetics.stale_after_s * 1000,
            smooth_readings=kinetics.smooth_readings,
            min_interval_ms=spacing.min_interval_s * 1000,
            same_direction_wait_ms=spacing.same_direction_wait_s * 1000,
            ease_off_margin_bpm=ease.margin_bpm,
            ease_off_sustain_ms=ease.sustain_s * 1000,
            ease_off_overshoot_bpm=ease.overshoot_bpm,
            full_overshoot_width_bpm=ease.full_overshoot_width_bpm,
            pick_up_margin_bpm=pick.margin_bpm,
            pick_up_sustain_ms=pick.sustain_s * 1000,
            climbing_bpm_per_min=pick.climbing_bpm_per_min,
            hold_settle_ms=rules.cue_hold.settle_s * 1000,
            rpe_first_after_ms=rpe.first_after_s * 1000,
            rpe_every_ms=rpe.every_s * 1000,
            rpe_confirm_after_ms=rules.cue_rpe_answer.confirm_after_s * 1000,
            warm_window_ms=check.warm_up_window_s * 1000,
            min_warm_readings=check.min_warm_up_readings,
            learn_from_ms=check.learn_from_s * 1000,
            learn_until_ms=check.learn_until_s * 1000,
            learn_shown=_shown_share(check.learn_from_s, check.learn_until_s, kinetics.tau_s),
            steps_below=check.steps_below,
            min_sessions=check.min_sessions,
            sessions_kept=check.sessions_kept,
            min_rise_bpm=check.min_rise_bpm,
            sources=tuple((rule.id, rule.source) for rule in cue_rules),
        )

    def source(self, rule_id: str) -> str:
        return dict(self.sources).get(rule_id, "")

    def usual_rise_bpm(self, observed: Sequence[float]) -> float | None:
        """The patient's usual rise from the warm-up to the main pace, from the rises earlier
        sessions showed (oldest first): the median of the latest `sessions_kept`, once there are
        `min_sessions`; None before (no warm-up check then)."""
        if len(observed) < self.min_sessions:
            return None
        latest = sorted(observed[-self.sessions_kept :])
        middle = len(latest) // 2
        return latest[middle] if len(latest) % 2 else (latest[middle - 1] + latest[middle]) / 2


def _shown_share(from_s: float, until_s: float, tau_s: float) -> float:
    """How much of a step a first-order rate shows on average between `from_s` and `until_s` after
    it: the mean of 1 - exp(-t / tau) over the window."""
    tail = tau_s * (math.exp(-from_s / tau_s) - math.exp(-until_s / tau_s)) / (until_s - from_s)
    return 1.0 - tail


class _Slope:
    """Least-squares slope of bpm over time in a sliding window, from running integer sums."""

    def __init__(self, window_ms: int, min_span_ms: int) -> None:
        self._window_ms = window_ms
        self._min_span_ms = min_span_ms
        self._points: deque[tuple[int, int]] = deque()
        self._origin = 0
        self._n = self._st = self._sb = self._stt = self._stb = 0

    def clear(self) -> None:
        self._points.clear()
        self._n = self._st = self._sb = self._stt = self._stb = 0

    def add(self, t_ms: int, bpm: int) -> None:
        points = self._points
        if not points:
            self._origin = t_ms  # small offsets keep the sums exact and small
        t = t_ms - self._origin
        points.append((t, bpm))
        n, st, sb, stt, stb = (
            self._n + 1,
            self._st + t,
            self._sb + bpm,
            self._stt + t * t,
            self._stb + t * bpm,
        )
        oldest = t - self._window_ms
        while points[0][0] < oldest:  # written out: this runs once per reading of every session
            old_t, old_bpm = points.popleft()
            n, st, sb, stt, stb = (
                n - 1,
                st - old_t,
                sb - old_bpm,
                stt - old_t * old_t,
                stb - old_t * old_bpm,
            )
        self._n, self._st, self._sb, self._stt, self._stb = n, st, sb, stt, stb

    def full(self) -> bool:
        """Readings span (nearly: 90% of) the whole window."""
        return self._points[-1][0] - self._points[0][0] >= self._window_ms * 9 // 10

    def mean_bpm(self) -> float:
        return self._sb / self._n

    def per_second(self) -> float | None:
        """bpm per second, or None while the window is too short to tell."""
        if self._n < 3 or self._points[-1][0] - self._points[0][0] < self._min_span_ms:
            return None
        spread = self._n * self._stt - self._st * self._st
        return 1000 * (self._n * self._stb - self._st * self._sb) / spread


class CueEngine:
    """One per patient per session: feed every reading to `step`, show what it returns."""

    def __init__(
        self,
        zone: PatientZone,
        policy: CuePolicy,
        *,
        rpe_band: tuple[int, int] | None = None,
        usual_rise_bpm: float | None = None,
    ) -> None:
        self._zone = zone
        self._policy = policy
        self._heart_rate_guides = zone.basis in ("prescription", "age_predicted") and zone.has_zone
        # The prescription's Borg band, for `rpe_answer`: given, or the zone's where heart rate
        # does not guide (a heart-rate zone's patient is guided by the readings).
        self._rpe_band = (
            rpe_band if rpe_band is not None or self._heart_rate_guides else zone.rpe_band
        )
        self._confirm_at: int | None = None  # when to ask again after an answer under the band
        # The latest answer's time: an answer at or before it is a resend.
        self._answered_at: int | None = None
        self._unconfirmed = False  # an answer under the band awaits a second one
        self._low, self._high = zone.low or 0, zone.high or 0
        self._far_below = self._low - policy.pick_up_margin_bpm  # below this counts for pick_up
        # A narrow zone (a light one) leaves no room to settle past its top before the ceiling's
        # stop: the projected overshoot that asks to ease off shrinks with the zone's width.
        width = max(0, self._high - self._low)
        self._overshoot = policy.ease_off_overshoot_bpm * min(
            1.0, width / policy.full_overshoot_width_bpm
        )
        self._over_ceiling_ms = zone.seconds_above * 1000
        self._slope = _Slope(policy.slope_window_ms, policy.min_slope_span_ms)
        self._recent: deque[int] = deque(maxlen=policy.smooth_readings)
        self._last_t: int | None = None
        self._last_reading_t: int | None = None
        self._above_since: int | None = None  # readings above the top (the ceiling) since
        self._far_below_since: int | None = None  # readings below low - pick_up margin since
        self._in_zone_since: int | None = None
        self._main_since: int | None = None
        self._last_cue_at: int | None = None  # the last cue that is not a stop
        self._last_at: dict[CueKind, int] = {}
        self._current: Cue | None = None
        self._eased_at_rate: int | None = None  # the judged rate when the last ease-off was given
        self._stopped = False
        self._phase: Phase | None = None  # the phase of the latest step
        # The warm-up check: the usual rise it was given, the warm-up's last readings, and what
        # this session shows of the rise for later ones (cue.warm_up_check).
        self._usual_rise = usual_rise_bpm
        self._warm_up: deque[tuple[int, int]] = deque()
        self._warm_up_bpm: float | None = None  # the warm-up's closing mean, at the main start
        self._early_sum = self._early_n = 0  # main-phase readings in the learning window
        self._warm_up_cue_at: int | None = None  # the warm-up's last ease-off
        self._effort_cue_at: int | None = None  # the main phase's first ease-off or pick-up

    @property
    def current(self) -> Cue | None:
        """The cue in force, to show again after a reconnect: the last one given, except that a
        pick-up, a hold or an RPE prompt ends with the main phase."""
        return self._current

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def observed_rise_bpm(self) -> float | None:
        """The rise from the warm-up to the main pace this session showed, for later sessions'
        warm-up check: the mean rate in the learning window less the warm-up's closing mean,
        scaled up by the share of the climb a first-order rate shows by then. None when the
        patient may have changed pace (an ease-off or pick-up in the warm-up's closing window or
        in the main phase before the learning window ended), or with too few readings."""
        warm, p, since, last = self._warm_up_bpm, self._policy, self._main_since, self._last_t
        if warm is None or since is None or last is None or last - since < p.learn_until_ms:
            return None  # no warm-up to read from, or the window is not over yet
        window_ms = p.learn_until_ms - p.learn_from_ms
        if self._early_n * 2000 < window_ms:  # fewer than a reading every two seconds
            return None
        cue_at, warm_cue_at = self._effort_cue_at, self._warm_up_cue_at
        if cue_at is not None and cue_at - since < p.learn_until_ms:
            return None
        if warm_cue_at is not None and since - warm_cue_at <= p.warm_window_ms:
            return None  # the pace changed inside the warm-up's closing window
        return (self._early_sum / self._early_n - warm) / p.learn_shown

    def step(
        self, t_ms: int, bpm: int | None, phase: Phase, *, alert: str | None = None
    ) -> Cue | None:
        """A new cue if one is due at this reading, else None."""
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
        if self._stopped:
            return None
        if self._last_t is not None and t_ms <= self._last_t:
            # Out of order or repeated: the reading is ignored, a stop is not.
            return self._stop(self._last_t, alert) if alert in STOP_ALERTS else None
        self._last_t = t_ms
        self._phase = phase
        if self._zone.basis == "hold":
            return self._stop(t_ms, "hold")
        if alert in STOP_ALERTS:
            return self._stop(t_ms, alert)
        starts_main = phase == "main" and self._main_since is None
        if starts_main:
            self._main_since = t_ms
            self._warm_up_bpm = self._warm_up_mean(t_ms)
        current = self._current
        if phase != "main" and current is not None and current.kind in _MAIN_PHASE_ONLY:
            self._current = None  # "pick up" or "hold this pace" is over with the main phase
        if not self._heart_rate_guides:
            return self._rpe_prompt(t_ms, phase)
        if type(bpm) is not int or not _READABLE_BPM[0] <= bpm <= _READABLE_BPM[1]:
            bpm = _readable(bpm)  # the common case (a whole, plausible bpm) skips the call
            if bpm is None:
                return None
        rate = self._record(t_ms, bpm)
        self._watch_rise(t_ms, bpm, phase)
        above_since = self._above_since
        if above_since is not None and t_ms - above_since > self._over_ceiling_ms:
            return self._stop(t_ms, "over_ceiling")
        last_cue_at = self._last_cue_at
        if last_cue_at is not None and t_ms - last_cue_at < self._policy.min_interval_ms:
            return None  # nothing may be said yet, whatever is due
        if starts_main:
            check = self._warm_up_check(t_ms, bpm)
            if check is not None:
                return check
        due = self._due(t_ms, rate, bpm, phase)
        if due is None or not (self._spaced(due[0], t_ms) or self._not_answered(due[0], rate)):
            return None
        if due[0] == CueKind.EASE_OFF:
            self._eased_at_rate = rate
        return self._give(*due, t_ms)

    def rpe_answer(self, t_ms: int, rpe: int) -> Cue | None:
        """The patient's answer to an RPE prompt (Borg 6-20) against the band (rule cue.rpe_answer):
        above it, ease off; below it, pick up, in the main phase only; inside it, nothing. Spaced
        as the heart-rate cues. How hard it feels is not a heart rate: a heart-rate zone's patient
        is guided by the readings, so this answers only when the engine was given a band."""
        if isinstance(rpe, bool) or not isinstance(rpe, int) or not 6 <= rpe <= 20:
            raise ValueError(f"rpe must be a whole Borg rating 6-20, got {rpe!r}")
        band = self._rpe_band
        if band is None or self._stopped or self._zone.basis == "hold":
            return None
        if self._last_t is not None and t_ms < self._last_t:
            return None  # an answer older than what the engine has seen
        if self._answered_at is not None and t_ms <= self._answered_at:
            return None  # the same answer again (a resend) must not confirm itself
        self._answered_at = t_ms
        low, high = band
        p = self._policy
        if rpe > high:
            kind, reason = CueKind.EASE_OFF, "rpe_above"
        elif rpe < low and self._phase == "main":
            kind, reason = CueKind.PICK_UP, "rpe_below"
        else:
            self._confirm_at, self._unconfirmed = None, False
            return None
        if kind == CueKind.PICK_UP and p.rpe_confirm_after_ms and not self._unconfirmed:
            # A rating varies by about a point from one answer to the next: ask again before
            # urging a patient on (an answer above the band eases off at once: caution first).
            self._confirm_at, self._unconfirmed = t_ms + p.rpe_confirm_after_ms, True
            return None
        self._confirm_at, self._unconfirmed = None, False
        # Spaced from the last ease-off / pick-up / hold, not from the prompt it answers.
        given = self._last_at
        last = max((given[k] for k in HEART_RATE_CUES if k in given), default=None)
        if last is not None and t_ms - last < p.min_interval_ms:
            return None
        same = given.get(kind)
        if same is not None and t_ms - same < p.same_direction_wait_ms:
            return None
        return self._give(kind, reason, "cue.rpe_answer", t_ms)

    # --- readings ---------------------------------------------------------------------------------

    def _record(self, t_ms: int, bpm: int) -> int:
        """Take a reading; the rate the zone is judged on (the median of the last few)."""
        last = self._last_reading_t
        recent = self._recent
        if last is not None and t_ms - last > self._policy.stale_after_ms:
            # A gap: "for N seconds" and the slope start again from this reading.
            self._above_since = self._far_below_since = self._in_zone_since = None
            self._slope.clear()
            recent.clear()
        self._last_reading_t = t_ms
        self._slope.add(t_ms, bpm)
        recent.append(bpm)
        rate = sorted(recent)[len(recent) // 2] if len(recent) > 1 else bpm
        # Where each run of rates started; None once a rate breaks it.
        above, far_below = rate > self._high, rate < self._far_below
        in_zone = not above and rate >= self._low
        start = self._above_since
        self._above_since = (t_ms if start is None else start) if above else None
        start = self._in_zone_since
        self._in_zone_since = (t_ms if start is None else start) if in_zone else None
        start = self._far_below_since
        self._far_below_since = (t_ms if start is None else start) if far_below else None
        return rate

    def _due(self, t_ms: int, rate: int, bpm: int, phase: Phase) -> tuple[CueKind, str, str] | None:
        """What is due from the judged `rate`; `bpm`, the reading itself, must agree to pick up."""
        low, high, p = self._low, self._high, self._policy
        slope = self._slope.per_second()
        # Where a first-order answer settles: y + y' * tau, taken at the fit's middle (its mean),
        # where the fitted slope is the curve's; the newest reading's slope is flatter than the fit.
        heading_to = None if slope is None else self._slope.mean_bpm() + slope * p.tau_ms / 1000
        if rate - high >= p.ease_off_margin_bpm or (
            self._above_since is not None and t_ms - self._above_since >= p.ease_off_sustain_ms
        ):
            return CueKind.EASE_OFF, "above_zone", "cue.ease_off"
        if phase != "main":
            return None  # warm-up is meant to be below the zone; cool-down comes down
        if (
            rate >= low
            and slope is not None
            and slope > 0
            and heading_to is not None
            and heading_to - high >= self._overshoot
        ):
            return CueKind.EASE_OFF, "climbing", "cue.ease_off"
        # The main phase's step up from the warm-up takes about one time constant to show, and
        # the slope's window must hold only main-phase readings: no pick-up before both.
        main_age = t_ms - self._main_since if self._main_since is not None else 0
        settled = main_age >= max(p.tau_ms, p.slope_window_ms)
        if (
            settled
            and bpm < low
            and rate < low
            and slope is not None
            and heading_to is not None
            and slope * 60 < p.climbing_bpm_per_min
            and heading_to < low
            and (
                # well below for a while, or just below on average over the slope's window
                # (a rate that sits a beat or two under the zone would otherwise stay there)
                (
                    self._far_below_since is not None
                    and t_ms - max(self._far_below_since, t_ms - main_age) >= p.pick_up_sustain_ms
                )
                or (self._slope.full() and self._slope.mean_bpm() < low)
            )
        ):
            return CueKind.PICK_UP, "below_zone", "cue.pick_up"
        current = self._current.kind if self._current else None
        if (
            current in (CueKind.EASE_OFF, CueKind.PICK_UP)
            and self._in_zone_since is not None
            and t_ms - self._in_zone_since >= p.hold_settle_ms
            and heading_to is not None
            and low - p.pick_up_margin_bpm <= heading_to < high + self._overshoot
        ):
            return CueKind.HOLD, "in_zone", "cue.hold"
        return None

    # --- the warm-up check ------------------------------------------------------------------------

    def _watch_rise(self, t_ms: int, bpm: int, phase: Phase) -> None:
        p = self._policy
        if phase == "warm_up":
            warm = self._warm_up
            warm.append((t_ms, bpm))
            while warm[0][0] < t_ms - p.warm_window_ms:
                warm.popleft()
        elif (
            phase == "main"
            and self._main_since is not None
            and p.learn_from_ms <= t_ms - self._main_since < p.learn_until_ms
        ):
            self._early_sum += bpm
            self._early_n += 1

    def _warm_up_mean(self, t_ms: int) -> float | None:
        """The warm-up's closing mean rate, if its last readings are recent and enough."""
        warm, p = self._warm_up, self._policy
        if len(warm) < p.min_warm_readings or t_ms - warm[-1][0] > p.stale_after_ms:
            return None
        return sum(bpm for _, bpm in warm) / len(warm)

    def _warm_up_check(self, t_ms: int, bpm: int) -> Cue | None:
        """Where today's main pace will settle, from today's warm-up and the usual rise: a step
        gentler when that is more than half a step above the zone's middle, a step brisker when
        as far below it and under the zone (the reading too: never a pick-up in or above it)."""
        rise, warm, p = self._usual_rise, self._warm_up_bpm, self._policy
        if rise is None or warm is None or rise < p.min_rise_bpm:
            return None  # (spaced from an earlier cue by step(), as every cue)
        eased = self._warm_up_cue_at
        if eased is not None and t_ms - eased <= p.warm_window_ms:
            # An ease-off in the warm-up's closing minute: its mean mixes the paces before and
            # after it, and says nothing of where today's main pace will settle.
            return None
        settles_at = warm + rise
        steps_off = (settles_at - (self._low + self._high) / 2) / (rise / p.steps_below)
        if steps_off > 0.5:
            return self._give(CueKind.EASE_OFF, "warm_up_high", "cue.warm_up_check", t_ms)
        if steps_off < -0.5 and settles_at < self._low and bpm < self._low:
            return self._give(CueKind.PICK_UP, "warm_up_low", "cue.warm_up_check", t_ms)
        return None

    # --- giving cues ------------------------------------------------------------------------------

    def _spaced(self, kind: CueKind, t_ms: int) -> bool:
        p = self._policy
        if self._last_cue_at is not None and t_ms - self._last_cue_at < p.min_interval_ms:
            return False
        same = self._last_at.get(kind)
        return same is None or kind == CueKind.HOLD or t_ms - same >= p.same_direction_wait_ms

    def _not_answered(self, kind: CueKind, rate: int) -> bool:
        """An ease-off again before the same-direction wait: the rate is above the zone and higher
        than when the last ease-off was given. A first-order rate turns as soon as the effort
        drops (its slope is the distance to where it settles over the time constant), so higher a
        minimum interval later means the ease-off was not followed, or not enough; waiting the
        full minute would only run into the ceiling's stop."""
        eased = self._eased_at_rate
        return kind == CueKind.EASE_OFF and eased is not None and rate > max(eased, self._high)

    def _rpe_prompt(self, t_ms: int, phase: Phase) -> Cue | None:
        p = self._policy
        if phase != "main" or self._main_since is None:
            return None
        confirm_at = self._confirm_at
        if confirm_at is not None and t_ms >= confirm_at and self._spaced(CueKind.RPE_PROMPT, t_ms):
            self._confirm_at = None  # asked; the answer decides (rpe_answer)
            return self._give(CueKind.RPE_PROMPT, "rpe_confirm", "cue.rpe_answer", t_ms)
        if t_ms - self._main_since < p.rpe_first_after_ms:
            return None
        last = self._last_at.get(CueKind.RPE_PROMPT)
        if last is not None and t_ms - last < p.rpe_every_ms:
            return None
        if not self._spaced(CueKind.RPE_PROMPT, t_ms):
            return None
        return self._give(CueKind.RPE_PROMPT, "rpe_check", "cue.rpe_prompt", t_ms)

    def _give(self, kind: CueKind, reason: str, rule_id: str, t_ms: int) -> Cue:
        cue = Cue(kind, t_ms, reason, rule_id, self._policy.source(rule_id))
        self._current = cue
        self._last_at[kind] = t_ms
        if kind in (CueKind.EASE_OFF, CueKind.PICK_UP):
            if self._main_since is None:
                self._warm_up_cue_at = t_ms
            elif self._effort_cue_at is None:
                self._effort_cue_at = t_ms
        if kind != CueKind.STOP:
            self._last_cue_at = t_ms
        return cue

    def _stop(self, t_ms: int, reason: str | None) -> Cue:
        self._stopped = True
        return self._give(CueKind.STOP, reason or "hold", "cue.stop", t_ms)


def _readable(bpm: object) -> int | None:
    """A reading as whole bpm (a simulator may pass floats), or None if there is none to use."""
    if isinstance(bpm, bool) or not isinstance(bpm, int | float) or not math.isfinite(bpm):
        return None
    value = round(bpm)
    return value if _READABLE_BPM[0] <= value <= _READABLE_BPM[1] else None
