"""The working-day calendar: weekends, Vietnamese public holidays, swapped days and overrides.

Moments are turned into "working seconds" counted from the first working day the
calendar knows, so adding working time or measuring it between two moments is a
subtraction or an addition plus two bisects: no loop over days, and the
`holidays` package is consulted once per process, not once per dossier.
"""
from __future__ import annotations

import bisect
import importlib.metadata
import json
import os
import threading
import time as _time
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import get_locale, gettext

from .errors import ValidationError


class OutOfCalendar(ValidationError, ValueError):
    """A moment the calendar does not cover: bad input (422), and still a ValueError."""


FIRST_YEAR = 2010
LAST_YEAR = 2045
CACHE_SECONDS = 30


def parse_hours(spec: str) -> tuple[tuple[time, time], ...]:
    """Parse "07:00-11:30,13:30-17:00" into ordered (start, end) pairs."""
    periods = []
    for part in spec.split(","):
        start, end = (time.fromisoformat(x.strip()) for x in part.split("-"))
        if end <= start:
            raise ValueError(f"khung giờ làm việc không hợp lệ: {part}")
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
        if start < end:
            raise ValueError("các khung giờ làm việc chồng lên nhau")
    return tuple(periods)


def _kept_file(first_year: int, last_year: int) -> Path | None:
    """Where the computed holidays are kept for the next processes: the instance folder, per package version."""
    if not has_app_context():
        return None
    try:
        version = importlib.metadata.version("holidays")
    except importlib.metadata.PackageNotFoundError:
        return None
    return Path(current_app.instance_path) / "cache" / f"holidays-vn-{version}-{first_year}-{last_year}.json"


@lru_cache(maxsize=4)
def national_days(first_year: int, last_year: int) -> tuple[frozenset[date], frozenset[date], dict]:
    """Holidays and make-up working Saturdays known to the `holidays` package (VN).

    Importing the package and computing 36 lunar years costs ~0.18 s, so the answer is kept in the
    instance folder under the package's version: a cron-driven CLI or a new worker reads it back in ~1 ms;
    a new version of the package (a changed holiday) computes it again.
    """
    path = _kept_file(first_year, last_year)
    if path is not None and path.exists():
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            names = {date.fromisoformat(d): name for d, name in kept["holidays"].items()}
            workdays = frozenset(date.fromisoformat(d) for d in kept["weekend_workdays"])
            return frozenset(names), workdays, names
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: compute it again below
    import holidays as holidays_lib

    vn = holidays_lib.country_holidays("VN", years=range(first_year, last_year + 1), language="vi")
    names = dict(vn.items())
    workdays = frozenset(getattr(vn, "weekend_workdays", set()) or set())
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"holidays": {d.isoformat(): n for d, n in sorted(names.items())},
                                       "weekend_workdays": sorted(d.isoformat() for d in workdays)},
                                      ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # a read-only instance folder: every process computes it
    return frozenset(names), workdays, names


@lru_cache(maxsize=4)
def english_holiday_names(first_year: int, last_year: int) -> dict:
    """The same holidays named in English, for staff who chose English."""
    import holidays as holidays_lib

    return dict(holidays_lib.country_holidays("VN", years=range(first_year, last_year + 1), language="en_US").items())


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    reason: str


class WorkCalendar:
    """Working days and hours in one time zone, with overrides applied."""

    def __init__(
        self,
        tz: ZoneInfo | str = "Asia/Ho_Chi_Minh",
        hours: str | tuple = "07:00-11:30,13:30-17:00",
        overrides: dict[date, str] | None = None,
        override_reasons: dict[date, str] | None = None,
        cutoff: str | time = "15:00",
        first_year: int = FIRST_YEAR,
        last_year: int = LAST_YEAR,
    ):
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.periods = parse_hours(hours) if isinstance(hours, str) else tuple(hours)
        self.cutoff = time.fromisoformat(cutoff) if isinstance(cutoff, str) else cutoff
        self.overrides = dict(overrides or {})
        self.override_reasons = dict(override_reasons or {})
        self.first_year, self.last_year = first_year, last_year
        self._spans = [(_seconds(a), _seconds(b)) for a, b in self.periods]
        self.day_seconds = sum(b - a for a, b in self._spans)
        self.holidays, self.weekend_workdays, self.holiday_names = national_days(first_year, last_year)
        first = date(first_year, 1, 1).toordinal()
        last = date(last_year, 12, 31).toordinal()
        self._days = [o for o in range(first, last + 1) if self._working(date.fromordinal(o))]
        self._index = {o: i for i, o in enumerate(self._days)}

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The working periods of a day as (start, end) seconds after midnight."""
        return list(self._spans)

    # -- days ---------------------------------------------------------------
    def _working(self, d: date) -> bool:
        kind = self.overrides.get(d)
        if kind == "off":
            return False
        if kind == "work":
            return True
        if d in self.holidays:
            return False
        if d.weekday() >= 5:
            return d in self.weekend_workdays
        return True

    def is_working_day(self, d: date) -> bool:
        """Whether staff work on that date."""
        self._check_range(d)
        return d.toordinal() in self._index

    def describe(self, d: date) -> DayInfo:
        """Whether a day is worked, and why (holiday name, override reason, weekend)."""
        working = self.is_working_day(d)
        kind = self.overrides.get(d)
        if kind:
            default = gettext("Ngày làm bù") if kind == "work" else gettext("Ngày nghỉ")
            reason = self.override_reasons.get(d) or default
        elif d in self.holidays:
            reason = self.holiday_name(d) or gettext("Ngày lễ")
        elif d in self.weekend_workdays:
            reason = gettext("Ngày làm bù")
        elif d.weekday() >= 5:
            reason = gettext("Cuối tuần")
        else:
            reason = ""
        return DayInfo(d, working, reason)

    def holiday_name(self, d: date) -> str | None:
        """The holiday's name in the reader's language (the `holidays` package knows both)."""
        if str(get_locale() or "vi") == "en":
            return english_holiday_names(self.first_year, self.last_year).get(d)
        return self.holiday_names.get(d)

    def next_working_day(self, d: date, include: bool = True) -> date:
        """The first working day on or after (or strictly after) `d`."""
        self._check_range(d)
        o = d.toordinal()
        i = bisect.bisect_left(self._days, o if include else o + 1)
        return date.fromordinal(self._days[i])

    def add_days(self, d: date, n: int) -> date:
        """The n-th working day after d (d itself if it works and n == 0)."""
        i = bisect.bisect_left(self._days, d.toordinal())
        return date.fromordinal(self._days[i + n])

    def working_days_in(self, start: date, end: date) -> int:
        """Working days in [start, end]."""
        return bisect.bisect_right(self._days, end.toordinal()) - bisect.bisect_left(
            self._days, start.toordinal()
        )

    def _check_range(self, d: date) -> None:
        if not (self.first_year <= d.year <= self.last_year):
            raise OutOfCalendar(
                gettext("Ngày %(day)s nằm ngoài lịch làm việc (%(first)s–%(last)s).", day=f"{d:%d/%m/%Y}",
                        first=self.first_year, last=self.last_year)
            )

    # -- working seconds ----------------------------------------------------
    def to_ws(self, moment: datetime) -> int:
        """Working seconds elapsed between the calendar's origin and `moment`."""
        loc = self._local(moment)
        d = loc.date()
        self._check_range(d)
        o = d.toordinal()
        i = self._index.get(o)
        if i is None:
            return bisect.bisect_left(self._days, o) * self.day_seconds
        t = loc.hour * 3600 + loc.minute * 60 + loc.second
        within = 0
        for a, b in self._spans:
            if t <= a:
                break
            within += min(t, b) - a
        return i * self.day_seconds + within

    def from_ws(self, ws: int, prefer_end: bool = True) -> datetime:
        """The moment (UTC) at which `ws` working seconds have elapsed.

        A whole number of days lands on the end of a working day (17:00) when
        `prefer_end`, else on the start of the next one (07:00).
        """
        i, rem = divmod(int(ws), self.day_seconds)
        if rem == 0 and prefer_end and i > 0:
            i, rem = i - 1, self.day_seconds
        d = date.fromordinal(self._days[i])
        t = None
        for a, b in self._spans:
            length = b - a
            if rem < length or (rem == length and prefer_end):
                t = a + rem
                break
            rem -= length
        if t is None:  # exactly at the end of the last span
            t = self._spans[-1][1]
        naive = datetime.combine(d, time()) + timedelta(seconds=t)
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    # -- moments ------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment.astimezone(self.tz)

    def is_working_moment(self, moment: datetime) -> bool:
        loc = self._local(moment)
        if not self.is_working_day(loc.date()):
            return False
        t = loc.hour * 3600 + loc.minute * 60 + loc.second
        return any(a <= t < b for a, b in self._spans)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself during working hours, else the start of the next working period."""
        if self.is_working_moment(moment):
            return moment.astimezone(UTC)
        return self.from_ws(self.to_ws(moment), prefer_end=False)

    def add_seconds(self, moment: datetime, seconds: int) -> datetime:
        return self.from_ws(self.to_ws(moment) + int(seconds))

    def add_working_days(self, moment: datetime, n: float) -> datetime:
        """Add n working days (n x a working day's hours) to a moment."""
        return self.add_seconds(moment, round(n * self.day_seconds))

    def add_working_hours(self, moment: datetime, n: float) -> datetime:
        return self.add_seconds(moment, round(n * 3600))

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Working time from start to end (negative when end is earlier)."""
        return self.to_ws(end) - self.to_ws(start)

    def working_days_between(self, start: datetime, end: datetime) -> float:
        return self.working_seconds_between(start, end) / self.day_seconds

    def end_of_working_day(self, d: date) -> datetime:
        naive = datetime.combine(d, self.periods[-1][1])
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def start_of_working_day(self, d: date) -> datetime:
        naive = datetime.combine(d, self.periods[0][0])
        return naive.replace(tzinfo=self.tz).astimezone(UTC)


_lock = threading.Lock()
_cached: dict = {"calendar": None, "loaded": 0.0, "key": None}


def invalidate() -> None:
    """Forget the cached calendar (after an override changes)."""
    with _lock:
        _cached["calendar"] = None


def get_calendar() -> WorkCalendar:
    """The application's calendar, overrides from the database included (cached briefly)."""
    from flask import current_app

    from .extensions import db
    from .models import CalendarOverride

    cfg = current_app.config
    key = (cfg["ONESTOP_TIMEZONE"], cfg["ONESTOP_WORKING_HOURS"], cfg["ONESTOP_CUTOFF"],
           cfg["SQLALCHEMY_DATABASE_URI"])
    with _lock:
        cal = _cached["calendar"]
        if cal is not None and _cached["key"] == key and _time.monotonic() - _cached["loaded"] < CACHE_SECONDS:
            return cal
    rows = db.session.execute(
        db.select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.reason)
    ).all()
    cal = WorkCalendar(
        tz=cfg["ONESTOP_TIMEZONE"],
        hours=cfg["ONESTOP_WORKING_HOURS"],
        cutoff=cfg["ONESTOP_CUTOFF"],
        overrides={r.day: r.kind for r in rows},
        override_reasons={r.day: r.reason for r in rows if r.reason},
    )
    with _lock:
        _cached.update(calendar=cal, loaded=_time.monotonic(), key=key)
    return cal


def set_override(day: date, kind: str | None, reason: str | None = None):
    """Make a day off (`off`), a working day (`work`), or remove its override (None). Flushes."""
    from .extensions import db
    from .models import CalendarOverride

    if kind not in (None, "off", "work"):
        raise ValueError("kind must be 'off', 'work' or None")
    row = db.session.execute(db.select(CalendarOverride).filter_by(day=day)).scalar_one_or_none()
    before = {"kind": row.kind, "reason": row.reason} if row else None
    if kind is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        row = CalendarOverride(day=day, kind=kind, reason=reason)
        db.session.add(row)
    else:
        row.kind, row.reason = kind, reason
    db.session.flush()
    invalidate()
    return before
