"""Reporting periods: runs of calendar days in settings.TIME_ZONE, turned into datetime bounds."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

MAX_PERIOD_DAYS = 365


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
