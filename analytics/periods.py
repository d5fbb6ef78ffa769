"""Reporting periods: runs of calendar days in settings.TIME_ZONE, turned into datetime bounds,
and the `period` object every response and page uses to say which days its figures cover."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

MAX_PERIOD_DAYS = 365
# The days a period may name: wide enough for any campaign, narrow enough that the period
# before one (compare=previous) and the instant after one are still dates.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2999, 12, 31)
# The period of the overview's campaign table, the campaign page and the admin campaign list, so
# that a campaign shows the same figures wherever a manager looks (docs/metrics.md).
DEFAULT_PERIOD_DAYS = 30
ALL_TIME = "All time"


def local_zone():
    return ZoneInfo(settings.TIME_ZONE)


def local_today(now=None):
    """Today's date in settings.TIME_ZONE (a day is a calendar day there, whatever the server's)."""
    return (now or timezone.now()).astimezone(local_zone()).date()


def start_of_day(day):
    """The aware instant a local calendar day begins (midnight in settings.TIME_ZONE)."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


@dataclass(frozen=True)
class Period:
    """Calendar days `first` to `last`, both included, in settings.TIME_ZONE."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days, *, now=None):
        """The `days` days ending today (today included)."""
        today = local_today(now)
        return cls(first=today - timedelta(days=days - 1), last=today)

    @property
    def days(self):
        return (self.last - self.first).days + 1

    @property
    def starts_at(self):
        return start_of_day(self.first)

    @property
    def ends_before(self):
        """The first instant after the period (exclusive bound, so 23:59:59.999 still counts)."""
        return start_of_day(self.last + timedelta(days=1))

    def dates(self):
        return [self.first + timedelta(days=offset) for offset in range(self.days)]

    def filter_kwargs(self, field="initiated_at"):
        """Half-open range on a datetime column: index-friendly, no per-row time zone maths."""
        return {f"{field}__gte": self.starts_at, f"{field}__lt": self.ends_before}

    def day_filter_kwargs(self, field="day"):
        """The same days on a local calendar date column (the rollups keyed by day)."""
        return {f"{field}__range": (self.first, self.last)}


def default_period(now=None):
    """The last DEFAULT_PERIOD_DAYS days, today included."""
    return Period.last_days(DEFAULT_PERIOD_DAYS, now=now)


def period_label(period, *, now=None):
    """How a page names `period`: "All time", "Today", "Last 30 days" when it ends today, else
    its dates: "29 Nov 2026", "1–29 Nov 2026", "28 Oct – 3 Nov 2026", "28 Dec 2025 – 3 Jan 2026"."""
    if period is None:
        return ALL_TIME
    if period.last == local_today(now):
        return "Today" if period.days == 1 else f"Last {period.days} days"
    first, last = period.first, period.last
    if first == last:
        return f"{last.day} {last:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def describe_period(period, *, now=None):
    """The `period` object of every response carrying call counts: {from, to, label}, dates
    inclusive in settings.TIME_ZONE, null for an unbounded side (`period` None: all time)."""
    return {
        "from": period.first if period else None,
        "to": period.last if period else None,
        "label": period_label(period, now=now),
    }


def previous_period(period):
    """The period of equal length just before `period` (comparison: `compare=previous`)."""
    return Period(
        first=period.first - timedelta(days=period.days), last=period.first - timedelta(days=1)
    )
