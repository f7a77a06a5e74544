"""Working days on official calendars, from the maintained ``holidays`` package.

China moves weekends around its public holidays (调休): Saturday 2023-10-07 and
Sunday 2023-10-08 were working days, the week of National Day was not. The
``holidays`` package knows both the holidays and these adjusted working
weekends (``weekend_workdays``), for China and for the other countries whose
permit data users bring (``US``, ...).

Counting convention: the working days *after* the start date, up to and
including the end date, so a same-day case is 0 in both units. It is computed
for any number of projects with one cumulative index over the date range and
two lookups per project.

China publishes each year's schedule only late in the year before; for years
without an official schedule the package knows the holidays but not the
adjusted weekends. Such years are reported (:func:`unofficial_years`), never
silently counted as plain weekdays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from .errors import CalendarError

_EPOCH = date(1970, 1, 1)
#: Countries whose working calendar is announced year by year (adjusted weekends).
ANNOUNCED_YEARLY = {"CN"}


def split_code(calendar: str) -> tuple[str, str | None]:
    """``"US-CA"`` -> ``("US", "CA")``: an ISO 3166 country code and, after a hyphen,
    a subdivision (state, province) whose own holidays count too."""
    country, _, subdivision = calendar.strip().upper().partition("-")
    return country, subdivision or None


def require(calendar: str) -> None:
    """Raise :class:`CalendarError` unless ``calendar`` (``CN``, ``US-CA``, ``AU-NSW``)
    names a working calendar the holidays package has."""
    import holidays

    country, subdivision = split_code(calendar)
    known = holidays.list_supported_countries()
    if country not in known:
        raise CalendarError(
            f"{calendar!r} is not a country code the holidays package knows (e.g. CN, US)"
        )
    if subdivision is not None and subdivision not in known[country]:
        listed = ", ".join(known[country][:12]) + (", ..." if len(known[country]) > 12 else "")
        raise CalendarError(
            f"{calendar!r}: {country} has no subdivision {subdivision!r} in the holidays "
            f"package (subdivisions: {listed or 'none'})"
        )


def supported(calendar: str) -> bool:
    """Whether ``calendar`` (a country code, with a subdivision) has a working calendar."""
    try:
        require(calendar)
    except CalendarError:
        return False
    return True


def _calendar(calendar: str, years: range):  # type: ignore[no-untyped-def]
    import holidays

    country, subdivision = split_code(calendar)
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError:
        raise CalendarError(
            f"no working calendar for {calendar!r}; use an ISO country code such as CN or "
            "US, with a subdivision if wanted (US-CA, CA-AB, AU-NSW)"
        ) from None


@dataclass(frozen=True)
class WorkdayCounter:
    """Cumulative working-day counts over a range of day numbers."""

    first: int  # day number (days since 1970-01-01) of index 0
    cumulative: np.ndarray  # working days in first..first+i, inclusive

    def between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days after ``start`` up to and including ``end`` (day numbers)."""
        return self.cumulative[end - self.first] - self.cumulative[start - self.first]


@lru_cache(maxsize=16)
def _counter(country: str, first_year: int, last_year: int) -> WorkdayCounter:
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    calendar = _calendar(country, range(first_year, last_year + 1))
    first = (start - _EPOCH).days
    n = (end - start).days + 1
    weekday = (np.arange(first, first + n) + 3) % 7  # 1970-01-01 was a Thursday (3)
    working = np.isin(weekday, _workweek(calendar))
    holiday_days = np.array(
        [(d - _EPOCH).days for d in calendar if start <= d <= end], dtype=np.int64
    )
    working[holiday_days - first] = False
    extra = [
        (d - _EPOCH).days for d in getattr(calendar, "weekend_workdays", ()) if start <= d <= end
    ]
    working[np.array(extra, dtype=np.int64) - first] = True
    return WorkdayCounter(first=first, cumulative=np.cumsum(working, dtype=np.int64))


def _workweek(calendar) -> list[int]:  # type: ignore[no-untyped-def]
    weekend = getattr(calendar, "weekend", {5, 6})
    return [d for d in range(7) if d not in weekend]


def counter_for(country: str, day_numbers: np.ndarray) -> WorkdayCounter:
    """A counter covering every day number in ``day_numbers`` (whole years)."""
    if day_numbers.size == 0:
        year = date.today().year
        return _counter(country.upper(), year, year)
    low = _EPOCH + timedelta(days=int(day_numbers.min()))
    high = _EPOCH + timedelta(days=int(day_numbers.max()))
    return _counter(country.upper(), low.year, high.year)


def unofficial_years(country: str, years: set[int]) -> list[int]:
    """Years among ``years`` for which the calendar has no official schedule."""
    country = country.upper()
    if split_code(country)[0] not in ANNOUNCED_YEARLY or not years:
        return []
    calendar = _calendar(country, range(min(years), max(years) + 1))
    announced = {d.year for d in getattr(calendar, "weekend_workdays", ())}
    return sorted(y for y in years if y not in announced)
