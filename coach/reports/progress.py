"""A patient's progress: sessions done against sessions prescribed, week by week, and the trend
of each functional assessment with its change since baseline.

- A week runs Monday to Sunday in the patient's time zone. Sessions done are the days with a
  session done as coach.sessions_done defines them (an SMS DONE, a session the coach logged, a
  live class joined or streamed; one a day), as the weekly progression review and the program
  report count them.
- Sessions prescribed are `aerobic.sessions_per_week` of the prescription in force at the week's
  end: the latest version approved before then (superseded versions count for the weeks they
  governed). A week before any approval has nothing prescribed (None, not 0).
- Baseline is the first recorded measurement of a kind; change is latest minus baseline (and as a
  percentage of the baseline when that is not zero). For all four kinds shown, higher is better.
- Sessions at home ("Today's session", issue 20) are listed one by one, as each ended: the main
  part's minutes against the plan's, its time in the zone and over the ceiling (with a strap),
  the effort felt, the symptoms ticked, the cues given and how the session was set to start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from coach import assessments
from coach.home_sessions import HomeSession, finished_between, trace_of
from coach.home_trace import Trace
from coach.models import Patient, Prescription
from coach.sessions_done import done_days, home_session_counts
from coach.week_review import monday_of

REPORT_KINDS = ("six_minute_walk_m", "grip_strength_kg", "sit_to_stand_30s", "facit_fatigue")
MAX_WEEKS = 26


@dataclass(frozen=True)
class WeekAdherence:
    week_start: date
    done: int
    prescribed: int | None

    @property
    def percent(self) -> int | None:
        if not self.prescribed:
            return None
        return round(100 * self.done / self.prescribed)


@dataclass(frozen=True)
class Trend:
    kind: assessments.Kind
    points: list[tuple[date, float]]

    @property
    def baseline(self) -> tuple[date, float] | None:
        return self.points[0] if self.points else None

    @property
    def latest(self) -> tuple[date, float] | None:
        return self.points[-1] if self.points else None

    @property
    def change(self) -> float | None:
        if len(self.points) < 2:
            return None
        return round(self.points[-1][1] - self.points[0][1], 2)

    @property
    def change_percent(self) -> float | None:
        change, base = self.change, self.points[0][1] if self.points else 0
        if change is None or base == 0:
            return None
        return round(100 * change / base, 1)


def approved_versions(session: Session, patient_id: int) -> list[Prescription]:
    """Every version that was ever approved (approved or superseded since), oldest first."""
    query = (
        select(Prescription)
        .where(Prescription.patient_id == patient_id)
        .where(col(Prescription.approved_at).is_not(None))
        .order_by(col(Prescription.approved_at), col(Prescription.version))
    )
    return list(session.exec(query))


def sessions_per_week(prescription: Prescription) -> int:
    aerobic = prescription.data.get("aerobic") or {}
    value = aerobic.get("sessions_per_week") if isinstance(aerobic, dict) else None
    return int(value) if isinstance(value, int | float) else 0


def in_force(versions: Sequence[Prescription], week_start: date, time_zone: str) -> int | None:
    """Sessions a week of the version in force at the end of the week starting `week_start`."""
    _, end = assessments.week_bounds(week_start, time_zone)
    current = None
    for version in versions:
        if version.approved_at is not None and version.approved_at < end:
            current = version
    return sessions_per_week(current) if current is not None else None


def week_starts(first_day: date, today: date, limit: int = MAX_WEEKS) -> list[date]:
    """Mondays from the week of `first_day` to this week, at most the last `limit` of them."""
    last = monday_of(today)
    first = max(monday_of(first_day), last - timedelta(weeks=limit - 1))
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def weekly_adherence(
    session: Session, patient: Patient, today: date, limit: int = MAX_WEEKS
) -> list[WeekAdherence]:
    assert patient.id is not None
    versions = approved_versions(session, patient.id)
    created = assessments.local_today(patient.created_at, patient.time_zone)
    weeks = week_starts(min(created, today), today, limit)
    days = done_days(session, [patient], weeks[0], weeks[-1] + timedelta(days=6))[patient.id]
    return [
        WeekAdherence(
            week_start=week,
            done=sum(1 for day in days if monday_of(day) == week),
            prescribed=in_force(versions, week, patient.time_zone),
        )
        for week in weeks
    ]


@dataclass(frozen=True)
class HomeSessionLine:
    day: date
    status: str  # done, stopped
    with_strap: bool
    planned_main_minutes: int
    main_minutes: float
    in_zone_minutes: float | None  # None without a strap: a session by feel has no zone time
    over_ceiling_minutes: float | None
    rpe: int | None
    symptoms: tuple[str, ...]
    cues: int
    start_effort: str  # gentler, same, brisker
    counts: bool  # counted as a session done (its main part long enough: coach.sessions_done)
    trace: Trace  # its heart rate, for the chart (empty without a strap)

    @property
    def in_zone_percent(self) -> int | None:
        if self.in_zone_minutes is None or self.main_minutes <= 0:
            return None
        return round(100 * self.in_zone_minutes / self.main_minutes)

    @classmethod
    def of(cls, row: HomeSession) -> HomeSessionLine:
        return cls(
            row.day,
            row.status,
            row.with_strap,
            row.planned_main_minutes,
            round(row.main_minutes, 1),
            round(row.time_in_zone_s / 60, 1) if row.with_strap else None,
            round(row.over_ceiling_s / 60, 1) if row.with_strap else None,
            row.rpe,
            tuple(row.symptoms),
            row.cues,
            row.start_effort,
            home_session_counts(row),
            trace_of(row),
        )


def home_session_lines(
    session: Session, patient: Patient, today: date, limit: int = MAX_WEEKS
) -> list[HomeSessionLine]:
    """The patient's finished sessions at home in the report's weeks, oldest first."""
    assert patient.id is not None
    first = week_starts(today - timedelta(weeks=limit), today, limit)[0]
    rows = finished_between(session, [patient.id], first, today)
    return [HomeSessionLine.of(row) for row in rows]


def assessment_trends(session: Session, patient: Patient) -> list[Trend]:
    assert patient.id is not None
    history = assessments.history(session, patient.id)
    return [
        Trend(
            assessments.KINDS[kind],
            [(assessments.day_of(row, patient.time_zone), row.value) for row in history[kind]],
        )
        for kind in REPORT_KINDS
    ]


CSV_HEADER = (
    "section",
    "date",
    "measure",
    "value",
    "unit",
    "prescribed",
    "percent",
    "baseline",
    "change_since_baseline",
)


def _blank(value: object) -> object:
    return "" if value is None else value


def _home_cell(value: object) -> object:
    """A session at home's value as its CSV cell: symptoms ";"-joined, true or false, blank."""
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return _blank(value)


# A session at home in the CSV: one row a measure and its unit. `prescribed` on main_minutes is
# the plan's; `percent` on in_zone_minutes is its share of the main part; symptoms are ";"-joined
# keys and `counts` (whether it counted as a session done) is true or false.
HOME_MEASURES = (
    ("status", ""),
    ("start_effort", ""),
    ("main_minutes", "min"),
    ("in_zone_minutes", "min"),
    ("over_ceiling_minutes", "min"),
    ("rpe", "borg_6_20"),
    ("symptoms", ""),
    ("cues", "cues"),
    ("counts", ""),
)


def csv_rows(
    weeks: Sequence[WeekAdherence],
    trends: Sequence[Trend],
    home: Sequence[HomeSessionLine] = (),
) -> list[list[object]]:
    """Adherence weeks (oldest first), every measurement of each kind with its change, then the
    measures of each session at home (section `home_session`), oldest first."""
    rows: list[list[object]] = []
    for week in weeks:
        rows.append([
            "adherence",
            week.week_start.isoformat(),
            "sessions_done",
            week.done,
            "sessions",
            "" if week.prescribed is None else week.prescribed,
            "" if week.percent is None else week.percent,
            "",
            "",
        ])  # fmt: skip
    for trend in trends:
        base = trend.baseline
        for day, value in trend.points:
            rows.append([
                "assessment",
                day.isoformat(),
                trend.kind.kind,
                value,
                trend.kind.unit,
                "",
                "",
                base[1] if base else "",
                round(value - base[1], 2) if base else "",
            ])  # fmt: skip
    for line in home:
        for measure, unit in HOME_MEASURES:
            value = getattr(line, measure)
            rows.append([
                "home_session",
                line.day.isoformat(),
                measure,
                _home_cell(value),
                unit,
                line.planned_main_minutes if measure == "main_minutes" else "",
                _blank(line.in_zone_percent) if measure == "in_zone_minutes" else "",
                "",
                "",
            ])  # fmt: skip
    return rows
