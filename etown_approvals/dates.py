"""Reading date strings, each distinct string once.

Dates arrive in many spellings (``2023-09-15``, ``2023/9/15``, ``2023年9月15日``,
``20230915``, ``15/09/2023``, ``Sep 15, 2023``, ``10/01/2018 07:49:14 AM``). The
numeric forms are recognised for all distinct values at once with pyarrow's
regular expressions and checked with integer arithmetic; only spellings with
month names go to python-dateutil, once per distinct string.

Rules (documented in the README):

* Only the date part counts; a time of day is allowed and ignored, with no
  time-zone shifting.
* A year must have four digits; a date that does not exist (``2023-02-30``) or
  is incomplete (``Sep 2023``) is invalid, never coerced.
* ``dd/mm/yyyy`` versus ``mm/dd/yyyy`` is decided once for all values together:
  a value such as ``15/03/2023`` proves day-first, ``03/15/2023`` month-first.
  If nothing settles it and some value reads differently either way, the
  caller must choose (``dayfirst``), or :class:`AmbiguousDates` is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

OK, MISSING, INVALID = 0, 1, 2
#: Day number used for dates that are missing or invalid (never read as a date).
NO_DATE = np.iinfo(np.int32).min

_TIME = (
    r"(?:(?:T|\s+)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
    r"(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?"
)
_YMD = rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}$"
_CJK = rf"^(?P<y>\d{{4}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*[日号]?{_TIME}$"
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_NUMERIC = rf"^(?P<a>\d{{1,2}})[-/.](?P<b>\d{{1,2}})[-/.](?P<y>\d{{4}}){_TIME}$"
_YEAR4 = re.compile(r"(?<!\d)\d{4}(?!\d)")
_LETTERS = re.compile(r"[A-Za-z]{3,}")


@dataclass
class AmbiguousDates:
    """Evidence about day/month order that the data could not settle."""

    #: Index (into the values parsed) of an example that reads differently either way.
    example: int
    #: When the data holds both proofs: an index proving day-first and one proving month-first.
    conflict: tuple[int, int] | None = None


@dataclass
class ParsedDates:
    """The result of parsing an array of distinct date strings."""

    #: Days since 1970-01-01 (``NO_DATE`` where missing or invalid).
    days: np.ndarray
    #: ``OK``, ``MISSING`` or ``INVALID`` per value.
    status: np.ndarray
    #: The day/month order used for ``01/02/2023``-style values (None: not needed).
    dayfirst: bool | None
    #: Set when day/month order is needed but could not be decided.
    ambiguous: AmbiguousDates | None = None


def parse_dates(values: pa.Array, dayfirst: bool | None = None) -> ParsedDates:
    """Parse an array of (preferably distinct) strings into day numbers.

    ``dayfirst`` None means: decide from the values, reporting ambiguity.
    """
    n = len(values)
    days = np.full(n, NO_DATE, dtype=np.int64)
    status = np.full(n, INVALID, dtype=np.int8)
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    missing = _to_bool(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
    status[missing] = MISSING
    pending = ~missing

    for pattern in (_YMD, _CJK, _COMPACT):
        pending = _apply_ymd(text, pattern, pending, days, status)

    chosen, ambiguous, pending = _apply_numeric(text, pending, days, status, dayfirst)

    for index in np.flatnonzero(pending):
        parsed = _parse_with_month_name(text[int(index)].as_py())
        if parsed is not None:
            days[index] = (parsed - date(1970, 1, 1)).days
            status[index] = OK
    return ParsedDates(days=days, status=status, dayfirst=chosen, ambiguous=ambiguous)


def _to_bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _ints(struct: pa.StructArray, name: str, matched: np.ndarray) -> np.ndarray:
    digits = pc.if_else(pa.array(matched), struct.field(name), "0")
    return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)


def _extract(
    text: pa.Array, pattern: str, pending: np.ndarray
) -> tuple[pa.StructArray, np.ndarray]:
    struct = pc.extract_regex(text, pattern)
    matched = pending & ~np.asarray(struct.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return struct, matched


def _apply_ymd(
    text: pa.Array, pattern: str, pending: np.ndarray, days: np.ndarray, status: np.ndarray
) -> np.ndarray:
    if not pending.any():
        return pending
    struct, matched = _extract(text, pattern, pending)
    if matched.any():
        year, month, day = (_ints(struct, name, matched) for name in "ymd")
        _store(matched, year, month, day, days, status)
    return pending & ~matched


def _apply_numeric(
    text: pa.Array,
    pending: np.ndarray,
    days: np.ndarray,
    status: np.ndarray,
    dayfirst: bool | None,
) -> tuple[bool | None, AmbiguousDates | None, np.ndarray]:
    if not pending.any():
        return dayfirst, None, pending
    struct, matched = _extract(text, _NUMERIC, pending)
    if not matched.any():
        return dayfirst, None, pending
    first, second, year = (_ints(struct, name, matched) for name in "aby")
    proves_dayfirst = matched & (first > 12) & (second <= 12)
    proves_monthfirst = matched & (second > 12) & (first <= 12)
    reads_both_ways = (
        matched & (first != second) & (first <= 12) & (second <= 12) & (first > 0) & (second > 0)
    )
    ambiguous = None
    if dayfirst is None:
        if proves_dayfirst.any() and proves_monthfirst.any():
            ambiguous = AmbiguousDates(
                example=int(np.flatnonzero(proves_dayfirst)[0]),
                conflict=(
                    int(np.flatnonzero(proves_dayfirst)[0]),
                    int(np.flatnonzero(proves_monthfirst)[0]),
                ),
            )
        elif proves_dayfirst.any():
            dayfirst = True
        elif proves_monthfirst.any():
            dayfirst = False
        elif reads_both_ways.any():
            ambiguous = AmbiguousDates(example=int(np.flatnonzero(reads_both_ways)[0]))
    if ambiguous is None:
        # Without evidence every value reads the same either way; pick day-first.
        day, month = (first, second) if dayfirst is not False else (second, first)
        _store(matched, year, month, day, days, status)
    return dayfirst, ambiguous, pending & ~matched


def _store(
    mask: np.ndarray,
    year: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
    days: np.ndarray,
    status: np.ndarray,
) -> None:
    """Write the day numbers of real calendar dates under ``mask``; others stay invalid."""
    ok = mask & (month >= 1) & (month <= 12) & (year >= 1)
    months = (year - 1970) * 12 + (month - 1)
    month_start = np.where(ok, months, 0).astype("datetime64[M]").astype("datetime64[D]")
    next_start = np.where(ok, months + 1, 0).astype("datetime64[M]").astype("datetime64[D]")
    length = (next_start - month_start).astype(np.int64)
    ok &= (day >= 1) & (day <= length)
    days[ok] = month_start.astype(np.int64)[ok] + day[ok] - 1
    status[ok] = OK


_DEFAULTS = (datetime(1904, 1, 1), datetime(1905, 2, 2))


def _parse_with_month_name(value: str) -> date | None:
    """Dates with a month name (``15 Sep 2023``, ``Sep 15, 2023``), via python-dateutil.

    Requires a four-digit year and a complete date: the value is parsed with
    two different defaults, and a value that borrows any part from the
    default reads differently the second time.
    """
    if not _YEAR4.search(value) or not _LETTERS.search(value):
        return None
    from dateutil import parser

    try:
        readings = {parser.parse(value, default=default).date() for default in _DEFAULTS}
    except (ValueError, OverflowError):
        return None
    return readings.pop() if len(readings) == 1 else None
