"""Reading date strings, each distinct string once.

Dates arrive in many spellings (``2023-09-15``, ``2023/9/15``, ``2023年9月15日``,
``20230915``, ``15/09/2023``, ``Sep 15, 2023``, ``10/01/2018 07:49:14 AM``). The
numeric forms are recognised for all distinct values at once with pyarrow's
regular expressions and checked with integer arithmetic; only spellings with
month names go to python-dateutil, once per distinct string. Exports with
millions of distinct timestamps (``06/15/2014 10:50:15 AM``) have only
thousands of distinct date parts and time parts: from ``SPLIT_THRESHOLD``
values on, those parts are read once each instead (same readings, tested).

Rules (documented in the README):

* Formats the user gives (strptime directives, or ``epoch_s``/``epoch_ms``)
  are tried first, in order; then the built-in forms.
* Only the date part counts; a time of day is allowed and ignored, with no
  time-zone shifting (offsets ``Z``, ``UTC``, ``+08``, ``+0800``, ``+08:00``).
* A year must have four digits and is read as written in every spelling
  (``0023-09-15`` and ``15 Sep 0023`` are both the year 23); two-digit years
  are read only through a user format with ``%y`` (Python's pivot: 69-99 are
  1969-1999, 00-68 are 2000-2068). A date that does not exist (``2023-02-30``)
  or is incomplete (``Sep 2023``) is invalid, never coerced.
* ``dd/mm/yyyy`` versus ``mm/dd/yyyy`` is decided once for all values together:
  a value such as ``15/03/2023`` proves day-first, ``03/15/2023`` month-first.
  If nothing settles it and some value reads differently either way, the
  caller must choose (``dayfirst``), or :class:`AmbiguousDates` is reported.
  Callers say which values count as evidence (those of rows that are used).
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import UsageError
from .rawtable import trim

OK, MISSING, INVALID = 0, 1, 2
#: Invalid because the year has two digits (readable only through a ``%y`` format).
TWO_DIGIT_YEAR = 3
#: A placeholder that means "no date" (``NA``, ``TBD``, ``0000-00-00``): missing.
PLACEHOLDER = 4
#: The values that mean "no date" unless the user says otherwise (``[dates] missing``,
#: ``--missing-value``): compared as written, after trimming white space.
DEFAULT_MISSING = (
    "NA", "N/A", "n/a", "na", "#N/A", "#NA", "<NA>", "N.A.", "n.a.",
    "NULL", "null", "Null", "None", "none", "NaN", "nan", "NaT",
    "-", "--", "---", "?", "TBD", "tbd", "TBA", "tba",
    "0000-00-00", "0000-00-00 00:00:00", "00/00/0000", "00.00.0000", "00000000",
)  # fmt: skip
#: A date read, but outside the plausible range (``[dates] earliest`` to a year after
#: today, or after a later as-of date): a warning, and no date for every measure.
IMPLAUSIBLE = 5
#: Dates before this are implausible (sentinels such as ``1753-01-01``, ``1900-01-00``
#: typed as ``0023``) unless ``[dates] earliest`` says otherwise.
EARLIEST = date(1900, 1, 1)
#: Day number used for dates that are missing or invalid (never read as a date).
NO_DATE = np.iinfo(np.int32).min
#: Special format names: Unix time in seconds or milliseconds (UTC date).
EPOCH_FORMATS = {"epoch_s": 86_400, "epoch_ms": 86_400_000}

_TIME = (
    r"(?:(?:T|\s+)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
    r"(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?)?"
)
_YMD = rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}$"
_CJK = rf"^(?P<y>\d{{4}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*[日号]?{_TIME}$"
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_NUMERIC = rf"^(?P<a>\d{{1,2}})[-/.](?P<b>\d{{1,2}})[-/.](?P<y>\d{{4}}){_TIME}$"
_TWO_DIGIT_YEARS = (
    rf"^\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2}}{_TIME}$",  # 12/6/10
    rf"^\d{{1,2}}[-/. ]?[A-Za-z]{{3,9}}\.?[-/. ,]+\d{{2}}{_TIME}$",  # 15-Dec-21
    rf"^[A-Za-z]{{3,9}}\.?[-/. ]+\d{{1,2}}(?:st|nd|rd|th)?,?[-/. ]+\d{{2}}{_TIME}$",  # Dec 15, 21
)
_YEAR4 = re.compile(r"(?<!\d)\d{4}(?!\d)")
_LETTERS = re.compile(r"[A-Za-z]{3,}")
_WORDS = re.compile(r"[A-Za-z]+")
#: A year-first date at the start of a value: the one order digits alone read in.
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_EPOCH_NUMBER = r"^-?\d{1,17}(?:\.\d+)?$"
#: Day numbers of 0001-01-01 and 9999-12-31: the years a date can have.
_FIRST_DAY, _LAST_DAY = -719_162, 2_932_896


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
    #: ``OK``, ``MISSING``, ``INVALID`` or ``TWO_DIGIT_YEAR`` per value.
    status: np.ndarray
    #: The day/month order used for ``01/02/2023``-style values (None: not needed).
    dayfirst: bool | None
    #: Set when day/month order is needed but could not be decided.
    ambiguous: AmbiguousDates | None = None


def latest_plausible(as_of: date | None = None) -> date:
    """The last plausible date: a year after today, or after ``as_of`` if that is
    later; 29 February gives 28 February.

    An as-of date in the past is a snapshot (what was known then): the later
    events of the file are not implausible, only not known yet.
    """
    day = max(as_of, date.today()) if as_of is not None else date.today()
    if day.year == date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """``formats`` if each is a strptime format or ``epoch_s``/``epoch_ms``.

    Anything else raises :class:`UsageError`.
    """
    if isinstance(formats, str):
        formats = (formats,)
    for fmt in formats:
        if fmt in EPOCH_FORMATS:
            continue
        if not isinstance(fmt, str) or "%" not in fmt:
            raise UsageError(
                f"date format {fmt!r}: give strptime directives such as '%d/%m/%Y' "
                "or 'epoch_s' / 'epoch_ms'"
            )
        try:
            datetime.strptime("", fmt)
        except ValueError as error:
            if "bad directive" in str(error) or "stray %" in str(error):
                raise UsageError(f"date format {fmt!r}: {error}") from None
    return tuple(formats)


@dataclass
class DateScan:
    """Every reading of some distinct strings, before day/month order is chosen."""

    days: np.ndarray
    status: np.ndarray
    #: ``01/02/2023``-style values, and their day numbers and validity either way.
    numeric: np.ndarray
    days_dayfirst: np.ndarray
    valid_dayfirst: np.ndarray
    days_monthfirst: np.ndarray
    valid_monthfirst: np.ndarray

    @classmethod
    def joined(cls, parts: Sequence[DateScan]) -> DateScan:
        """The rows of ``parts``, one after the other."""
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in SCAN_FIELDS))

    @property
    def invalid_either_way(self) -> np.ndarray:
        """Per value: invalid whatever the day/month order."""
        numeric_invalid = self.numeric & ~self.valid_dayfirst & ~self.valid_monthfirst
        other_invalid = ~self.numeric & np.isin(self.status, (INVALID, TWO_DIGIT_YEAR))
        return numeric_invalid | other_invalid

    def resolve(self, dayfirst: bool | None, decides: np.ndarray | None = None) -> ParsedDates:
        """Day numbers under ``dayfirst`` or, if None, the order the ``decides`` values prove."""
        days, status = self.days.copy(), self.status.copy()
        evidence = self.numeric if decides is None else self.numeric & decides
        proves_dayfirst = evidence & self.valid_dayfirst & ~self.valid_monthfirst
        proves_monthfirst = evidence & self.valid_monthfirst & ~self.valid_dayfirst
        reads_both_ways = (
            evidence
            & self.valid_dayfirst
            & self.valid_monthfirst
            & (self.days_dayfirst != self.days_monthfirst)
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
            # Without evidence every deciding value reads the same either way; pick day-first.
            if dayfirst is not False:
                use, chosen = self.numeric & self.valid_dayfirst, self.days_dayfirst
            else:
                use, chosen = self.numeric & self.valid_monthfirst, self.days_monthfirst
            days[use] = chosen[use]
            status[use] = OK
        return ParsedDates(days=days, status=status, dayfirst=dayfirst, ambiguous=ambiguous)


def parse_dates(
    values: pa.Array,
    dayfirst: bool | None = None,
    *,
    date_formats: Sequence[str] = (),
    decides: np.ndarray | None = None,
    missing: Sequence[str] = (),
) -> ParsedDates:
    """Parse an array of (preferably distinct) strings into day numbers.

    ``date_formats`` (strptime directives, ``epoch_s``, ``epoch_ms``) are tried
    in order before the built-in forms. ``dayfirst`` None means: decide from
    the values (only those marked in ``decides``, if given), reporting ambiguity.
    ``missing``: placeholders that mean "no date" (status ``PLACEHOLDER``).
    """
    return scan_dates(values, date_formats, missing=missing).resolve(dayfirst, decides)


#: From this many values on, :func:`scan_dates` reads fixed-width date parts once each.
SPLIT_THRESHOLD = 20_000
#: Date parts that a value can be split after (10 characters, ASCII): ``2023-09-15`` and
#: ``15/09/2023`` with any of ``-/.`` as separators. Any value beginning with one of
#: these and ending in a time suffix matches ``_YMD`` or ``_NUMERIC`` with exactly
#: these digits as its fields: a shorter field would leave a digit where ``_TIME``
#: must start with ``T``, a space or the end.
_FIXED_HEAD = r"^(?:\d{4}[-/.]\d{2}[-/.]\d{2}|\d{2}[-/.]\d{2}[-/.]\d{4})$"
_HEAD_WIDTH = 10
_TIME_ONLY = rf"^{_TIME}$"


def scan_dates(
    values: pa.Array | pa.ChunkedArray,
    date_formats: Sequence[str] = (),
    *,
    trimmed: bool = False,
    missing: Sequence[str] = (),
) -> DateScan:
    """Read every value in every way it can be read; day/month order comes later.

    Without ``date_formats``, a large array need not hold distinct values: its
    date parts, times of day and other spellings are each read once.
    ``trimmed``: the caller has trimmed white space off the values already.
    ``missing``: placeholders that mean "no date" (status ``PLACEHOLDER``).
    """
    return scan_rows(values, date_formats, trimmed=trimmed, missing=missing).expand()


@dataclass
class MappedScan:
    """The readings of many values kept small: value ``i`` reads as row ``row[i]`` of
    ``scan`` (a few thousand date parts can stand for millions of timestamps)."""

    scan: DateScan
    row: np.ndarray

    def expand(self) -> DateScan:
        """One row per value."""
        return DateScan(*(getattr(self.scan, name)[self.row] for name in SCAN_FIELDS))


def scan_rows(
    values: pa.Array | pa.ChunkedArray,
    date_formats: Sequence[str] = (),
    *,
    trimmed: bool = False,
    missing: Sequence[str] = (),
) -> MappedScan:
    """:func:`scan_dates`, with each distinct reading kept once (see :class:`MappedScan`)."""
    text = values.cast(pa.string())
    if not trimmed:
        text = trim(text)
    formats = check_formats(date_formats)
    placeholders = pa.array(sorted(set(missing) - {""}), pa.string())
    if len(text) >= SPLIT_THRESHOLD:
        return _scan_split(text, formats, placeholders)
    encoded = _encoded(text, null_encoding="encode")  # each distinct value read once
    return MappedScan(
        _scan_each(encoded.dictionary, formats, placeholders),
        encoded.indices.to_numpy(zero_copy_only=False),
    )


def _scan_each(
    text: pa.Array,
    date_formats: Sequence[str],
    placeholders: pa.Array,
    *,
    formats_done: bool = False,
) -> DateScan:
    """Every reading of trimmed strings, one regular expression pass per spelling.

    With ``formats_done`` the user's formats were already tried (and failed) on
    every value; they still decide whether two-digit years are readable.
    """
    n = len(text)
    days = np.full(n, NO_DATE, dtype=np.int64)
    status = np.full(n, INVALID, dtype=np.int8)
    missing = _to_bool(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
    status[missing] = MISSING
    pending = ~missing
    if len(placeholders):
        placeholder = _to_bool(pc.is_in(text, value_set=placeholders))
        status[placeholder] = PLACEHOLDER
        pending &= ~placeholder

    if not formats_done:
        for fmt in date_formats:
            pending = _apply_format(text, fmt, pending, days, status)

    for pattern in (_YMD, _CJK, _COMPACT):
        pending = _apply_ymd(text, pattern, pending, days, status)

    numeric = np.zeros(n, dtype=bool)
    days_df = np.full(n, NO_DATE, dtype=np.int64)
    days_mf = np.full(n, NO_DATE, dtype=np.int64)
    valid_df = np.zeros(n, dtype=bool)
    valid_mf = np.zeros(n, dtype=bool)
    if pending.any():
        struct, numeric = _extract(text, _NUMERIC, pending)
        if numeric.any():
            first, second, year = (_ints(struct, name, numeric) for name in "aby")
            scratch = np.full(n, INVALID, dtype=np.int8)
            _store(numeric, year, second, first, days_df, scratch)
            valid_df = scratch == OK
            scratch[:] = INVALID
            _store(numeric, year, first, second, days_mf, scratch)
            valid_mf = scratch == OK
        pending &= ~numeric

    for index in np.flatnonzero(pending):
        parsed = _parse_with_month_name(text[int(index)].as_py())
        if parsed is not None:
            days[index] = (parsed - date(1970, 1, 1)).days
            status[index] = OK
            pending[index] = False

    if pending.any() and not any("%y" in fmt for fmt in date_formats):
        for pattern in _TWO_DIGIT_YEARS:
            _, two_digits = _extract(text, pattern, pending)
            status[two_digits] = TWO_DIGIT_YEAR
            pending &= ~two_digits
    return DateScan(days, status, numeric, days_df, valid_df, days_mf, valid_mf)


#: The per-value arrays of a :class:`DateScan`, in order.
SCAN_FIELDS = tuple(f.name for f in dataclasses.fields(DateScan))


def _scan_split(
    text: pa.Array | pa.ChunkedArray, date_formats: Sequence[str], placeholders: pa.Array
) -> MappedScan:
    """The same readings as :func:`_scan_each`, for many distinct timestamps.

    Millions of distinct ``06/15/2014 10:50:15 AM`` share a few thousand date
    parts and time parts. A value that (after the user's formats failed on it)
    is a fixed-width date part (``_FIXED_HEAD``) followed by a valid time
    suffix (``_TIME``) reads exactly as its date part alone, so the distinct
    date parts and the distinct suffixes are read once each; every other value
    goes through :func:`_scan_each`, each distinct one once. The readings are
    rows of one small table (date parts, a missing and an unread row, values a
    user's format read, the other values), and each value points at its row.
    """
    n = len(text)
    missing = _to_bool(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
    pending = ~missing
    if date_formats:
        # Placeholders are never read by a format: _scan_each reads them (below).
        placeholder = np.zeros(n, dtype=bool)
        if len(placeholders):
            placeholder = _to_bool(pc.is_in(text, value_set=placeholders))
        pending &= ~placeholder
        format_days = np.full(n, NO_DATE, dtype=np.int64)
        format_status = np.full(n, INVALID, dtype=np.int8)
        for fmt in date_formats:
            pending = _apply_format(text, fmt, pending, format_days, format_status)
        pending |= placeholder

    # Byte slices are exact here: the date parts kept are ASCII, so their suffix
    # starts on a character boundary and is valid UTF-8.
    raw = text.cast(pa.binary())
    heads = _encoded(pc.binary_slice(raw, 0, _HEAD_WIDTH))
    # Null values point one past the dictionary, at a date part that is not fixed.
    head_index = pc.fill_null(heads.indices, len(heads.dictionary)).to_numpy(zero_copy_only=False)
    fixed = _to_bool(pc.match_substring_regex(heads.dictionary, _FIXED_HEAD))
    if len(placeholders):  # ``0000-00-00 00:00:00`` is a placeholder as a whole value
        fixed &= ~_to_bool(pc.is_in(heads.dictionary, value_set=placeholders.cast(pa.binary())))
    fixed = np.append(fixed, False)
    candidates = np.flatnonzero(pending & fixed[head_index])
    # The rest of every value (slicing all is cheaper than gathering the candidates
    # first); only the candidates' rests are looked at.
    tails = _encoded(pc.binary_slice(raw, _HEAD_WIDTH, np.iinfo(np.int32).max))
    # As bytes: a rest cut inside a character (never a candidate's) is not text. The
    # pattern is ASCII, so it matches the same bytes either way.
    tail_ok = np.append(_to_bool(pc.match_substring_regex(tails.dictionary, _TIME_ONLY)), False)
    tail_index = pc.fill_null(tails.indices, len(tails.dictionary)).to_numpy(zero_copy_only=False)
    split = candidates[tail_ok[tail_index[candidates]]]

    # Rows: each fixed date part's readings, then a missing and a not yet read value.
    fixed_heads = np.flatnonzero(fixed)
    parts = [
        _scan_each(
            heads.dictionary.take(pa.array(fixed_heads)).cast(pa.string()), (), placeholders[:0]
        ),
        constant_rows(2, NO_DATE, np.array([MISSING, INVALID], dtype=np.int8)),
    ]
    missing_row, unread_row = fixed_heads.size, fixed_heads.size + 1
    row = np.where(missing, missing_row, unread_row)
    position = np.zeros(len(fixed), dtype=np.int64)
    position[fixed_heads] = np.arange(fixed_heads.size)
    row[split] = position[head_index[split]]
    rows = fixed_heads.size + 2
    if date_formats:
        read = np.flatnonzero(~missing & ~pending)
        parts.append(constant_rows(read.size, format_days[read], format_status[read]))
        row[read] = rows + np.arange(read.size)
        rows += read.size
    pending[split] = False
    rest = np.flatnonzero(pending)
    if rest.size:
        # Each distinct value once (the values given need not be distinct).
        encoded = _encoded(text.take(pa.array(rest)))
        parts.append(_scan_each(encoded.dictionary, date_formats, placeholders, formats_done=True))
        row[rest] = rows + encoded.indices.to_numpy(zero_copy_only=False)
    return MappedScan(DateScan.joined(parts), row)


def _encoded(values: pa.Array | pa.ChunkedArray, **options: Any) -> pa.DictionaryArray:
    """``values`` dictionary-encoded as one array (the pieces of a chunked array share
    one dictionary, so only the indices are joined)."""
    encoded = pc.dictionary_encode(values, **options)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded


def constant_rows(size: int, days: Any, status: Any) -> DateScan:
    """Rows of a :class:`DateScan` read without a day/month question (a missing value:
    ``constant_rows(1, NO_DATE, MISSING)``)."""
    return DateScan(
        days=np.broadcast_to(np.asarray(days, dtype=np.int64), (size,)).copy(),
        status=np.broadcast_to(np.asarray(status, dtype=np.int8), (size,)).copy(),
        numeric=np.zeros(size, dtype=bool),
        days_dayfirst=np.full(size, NO_DATE, dtype=np.int64),
        valid_dayfirst=np.zeros(size, dtype=bool),
        days_monthfirst=np.full(size, NO_DATE, dtype=np.int64),
        valid_monthfirst=np.zeros(size, dtype=bool),
    )


def _apply_format(
    text: pa.Array, fmt: str, pending: np.ndarray, days: np.ndarray, status: np.ndarray
) -> np.ndarray:
    """Read the pending values that match a user's format; returns what is still pending."""
    if not pending.any():
        return pending
    where = np.flatnonzero(pending)
    subset = text.take(pa.array(where))
    if fmt in EPOCH_FORMATS:
        is_number = _to_bool(pc.match_substring_regex(subset, _EPOCH_NUMBER))
        numbers = pc.cast(pc.if_else(pa.array(is_number), subset, "0"), pa.float64())
        found = np.floor(numbers.to_numpy(zero_copy_only=False) / EPOCH_FORMATS[fmt])
        ok = is_number & (found >= _FIRST_DAY) & (found <= _LAST_DAY)
        found = np.where(ok, found, 0).astype(np.int64)
    elif "%z" in fmt or "%Z" in fmt or "%f" in fmt:
        # pyarrow converts offsets to UTC, which can change the date: the date as written
        # counts. It has no %f (fractions of a second) at all.
        found, ok = _strptime_python(subset.to_pylist(), fmt)
    else:
        stamps = pc.strptime(subset, format=fmt, unit="s", error_is_null=True)
        ok = ~np.asarray(stamps.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        # pyarrow is more lenient than Python's strptime (``23`` for %Y, ``December``
        # for %b): a value counts only if Python's own pattern for the format matches.
        shape = _python_pattern(fmt)
        if shape is not None and ok.any():
            ok &= _to_bool(pc.match_substring_regex(subset, shape))
        seconds = pc.fill_null(stamps.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        found = np.floor_divide(seconds, 86_400).astype(np.int64)
        # pyarrow rolls a day past the month's end over (31 Feb -> 3 Mar); Python's
        # strptime refuses it, so results on days 1-3 are checked there.
        day_of_month = pc.fill_null(pc.day(stamps), 0).to_numpy(zero_copy_only=False)
        recheck = np.flatnonzero(ok & (day_of_month <= 3))
        if recheck.size:
            again, valid = _strptime_python(subset.take(pa.array(recheck)).to_pylist(), fmt)
            found[recheck] = again
            ok[recheck] = valid
    days[where[ok]] = found[ok]
    status[where[ok]] = OK
    still = pending.copy()
    still[where[ok]] = False
    return still


def _python_pattern(fmt: str) -> str | None:
    """The regular expression Python's strptime matches a whole value against for
    ``fmt`` (ignoring case, as it does), or None if it cannot be had or used here.

    The pattern comes from the standard library's own strptime module, so its
    month names are those of the current locale, as ``datetime.strptime``'s are.
    """
    try:
        from _strptime import _TimeRE_cache  # type: ignore[attr-defined]

        pattern = f"(?i)^(?:{_TimeRE_cache.pattern(fmt)})$"
        pc.match_substring_regex(pa.array([""]), pattern)  # RE2 takes it
    except Exception:  # any failure: pyarrow's reading stands alone
        return None
    return pattern


def _strptime_python(values: list[str | None], fmt: str) -> tuple[np.ndarray, np.ndarray]:
    found = np.zeros(len(values), dtype=np.int64)
    ok = np.zeros(len(values), dtype=bool)
    epoch = date(1970, 1, 1)
    for i, value in enumerate(values):
        try:
            found[i] = (datetime.strptime(value or "", fmt).date() - epoch).days
            ok[i] = True
        except ValueError:
            continue
    return found, ok


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

    Requires a four-digit year, read as written (dateutil would turn ``0023``
    into 2023), and a complete date: the value is parsed with two different
    defaults, and a value that borrows any part from the default reads
    differently the second time.
    """
    years = _YEAR4.findall(value)
    if not years or not _LETTERS.search(value):
        return None
    year_first = None
    if not _names_a_month(value):
        # Letters that name no month (a zone, ``EST``): the date is in digits. Day and
        # month in digits read in the file's order, which a value alone cannot know
        # (dateutil would take month first), and other digits are no year; only a
        # year-first date reads one way.
        match = _YEAR_FIRST.match(value)
        if match is None:
            return None
        try:
            year_first = date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    import warnings

    from dateutil import parser

    try:
        with warnings.catch_warnings():
            # A zone name it does not know (``PMZ``): the date as written counts.
            warnings.simplefilter("ignore", parser.UnknownTimezoneWarning)
            readings = {parser.parse(value, default=default).date() for default in _DEFAULTS}
    except (ValueError, OverflowError):
        return None
    if len(readings) != 1:
        return None
    reading = readings.pop()
    if year_first is not None:
        return reading if reading == year_first else None
    if f"{reading.year:04d}" in years:
        return reading
    if len(years) > 1:
        return None
    written = int(years[0])
    try:
        return reading.replace(year=written) if written >= 1 else None
    except ValueError:  # 29 February of a year that has none
        return None


def _names_a_month(value: str) -> bool:
    """Whether a word of ``value`` is an English month name or abbreviation."""
    return any(
        word in _MONTHS or word in _ABBREVIATIONS or word == "sept"
        for word in (found.lower() for found in _WORDS.findall(value))
    )


# -- hints: the date format that reads the values the built-in forms could not -----------

#: Distinct failing values a hint is chosen on; it is then checked on all of them.
HINT_SAMPLE = 5_000
#: A hint is offered only if it reads at least this share of the distinct failing values.
HINT_SHARE = 0.99
#: Shapes of value (``03/15/19``, ``15-Dec-21``) whose formats are tried, commonest first.
_HINT_SHAPES = 8
#: Month names as Python's strptime reads them (``%B``, ``%b``: the locale's, as there).
_MONTHS = {name.lower() for name in calendar.month_name if name}
_ABBREVIATIONS = {name.lower() for name in calendar.month_abbr if name}
_HINT_TIME = re.compile(
    r"(?P<sep>T|\s+)(?P<hour>\d{1,2}):\d{2}(?P<seconds>:\d{2}(?P<fraction>[.,]\d+)?)?"
    r"(?P<ampm>\s*[AaPp][Mm])?$"
)
_HINT_TOKEN = re.compile(r"\d+|[^\W\d_]+|[^\w]+")


@dataclass(frozen=True)
class FormatHint:
    """Date formats (``--date-format``) that read the values the built-in forms could not.

    Chosen from the values: day/month order (a value such as ``03/15/19`` proves
    month-first), month names (``%b`` or ``%B``) and two-digit years (``%y``).
    """

    #: The formats to give, in order.
    formats: tuple[str, ...]
    #: When the values read either way and nothing said which: the other reading
    #: (``formats`` is then day first; these month first, or year first for compact
    #: ``210315``).
    month_first: tuple[str, ...] | None = None

    def reads(self, values: pa.Array) -> np.ndarray:
        """Per value: read by the hint (by ``formats``; ``month_first`` reads the same)."""
        ok = np.zeros(len(values), dtype=bool)
        for fmt in self.formats:
            ok |= _read_with(values, fmt)[0]
        return ok

    @property
    def text(self) -> str:
        """The options to give, as a user would type them."""
        given = _options(self.formats)
        if self.month_first is None:
            return given
        return (
            f"{given} ({order_word(self.formats[0])}) or {_options(self.month_first)} "
            f"({order_word(self.month_first[0])}): the values read either way"
        )


def order_word(fmt: str) -> str:
    """Which field a format writes first: ``day first`` (``%d/%m/%y``), ``month first``
    (``%m/%d/%y``) or ``year first`` (``%y%m%d``)."""
    at = {word: fmt.find(code) for word, code in (("day", "%d"), ("month", "%m"))}
    at["year"] = min((i for i in (fmt.find("%y"), fmt.find("%Y")) if i >= 0), default=-1)
    first = min((i, word) for word, i in at.items() if i >= 0)[1]
    return f"{first} first"


def _options(formats: Sequence[str]) -> str:
    """``--date-format`` options as typed in a shell (always quoted: ``%`` and spaces)."""
    import shlex

    return " ".join(
        f"--date-format '{fmt}'" if "'" not in fmt else f"--date-format {shlex.quote(fmt)}"
        for fmt in formats
    )


def suggest_formats(values: pa.Array, dayfirst: bool | None = None) -> FormatHint | None:
    """The date formats that read at least :data:`HINT_SHARE` of ``values`` (distinct
    strings the built-in forms could not read), or None.

    Candidates are made from the shape of the values (``03/15/19``: day and month in
    either order, then a two-digit year; ``15-Dec-21``: day, abbreviated month name,
    two-digit year), each read as ``--date-format`` would read it. Of the orders that
    read a value, one is taken only when the values prove it (``15`` cannot be a
    month) or it reads every value the others read, the same; when the values read
    either way, ``dayfirst`` (the user's ``--dayfirst``/``--monthfirst``) decides, or
    the hint names both. Values that mix orders get no hint.
    """
    values = values.cast(pa.string()).drop_null()
    n = len(values)
    if n == 0:
        return None
    step = max(1, n // HINT_SAMPLE)
    sample = values if step == 1 else values.take(pa.array(np.arange(0, n, step)))
    groups: dict[str, list[str]] = {}
    shapes: dict[str, int] = {}  # how many values have each shape
    for value in sample.to_pylist():
        found = _candidates(value.strip())
        for group, fmt in found:
            if fmt not in groups.setdefault(group, []):
                groups[group].append(fmt)
        for group in {group for group, _ in found}:
            shapes[group] = shapes.get(group, 0) + 1
    choices: list[tuple[np.ndarray, tuple[str, ...]]] = []
    # The commonest shapes only: three formats at most are offered, and odd shapes
    # (free text) must not cost a reading of the sample each.
    for group in sorted(groups, key=lambda g: -shapes[g])[:_HINT_SHAPES]:
        choice = _choose_order(sample, groups[group], dayfirst)
        if choice is not None:
            choices.append(choice)
    # The fewest formats (at most three) that read enough of the sample, largest first.
    chosen: list[tuple[str, ...]] = []
    covered = np.zeros(len(sample), dtype=bool)
    while choices and covered.mean() < HINT_SHARE and len(chosen) < 3:
        best = max(range(len(choices)), key=lambda i: int((choices[i][0] & ~covered).sum()))
        ok, formats = choices.pop(best)
        if not (ok & ~covered).any():
            break
        covered |= ok
        chosen.append(formats)
    if not chosen or covered.mean() < HINT_SHARE:
        return None
    if any(len(formats) == 2 for formats in chosen):  # read either way
        if len(chosen) > 1:
            return None  # one shape says so; more would be a guess on each
        hint = FormatHint((chosen[0][0],), month_first=(chosen[0][1],))
    else:
        hint = FormatHint(tuple(formats[0] for formats in chosen))
    if step > 1 and hint.reads(values).mean() < HINT_SHARE:  # chosen on a sample
        return None
    return hint


def _choose_order(
    sample: pa.Array, formats: list[str], dayfirst: bool | None
) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Of formats that differ in day/month order only: the one the values call for,
    as (what it reads, (format,)); (what they read, (day-first, month-first)) when
    the values read either way; None when they mix orders."""
    readings = [_read_with(sample, fmt) for fmt in formats]
    ok = [reading[0] for reading in readings]
    # An order whose readings are plausible dates (the defaults' range) only where
    # another's are too, and fewer, is disproved as well: an order that makes 211231
    # the year 2031 is no reading the hint may offer.
    first_day = (EARLIEST - date(1970, 1, 1)).days
    last_day = (latest_plausible() - date(1970, 1, 1)).days
    plausible = [read & (days >= first_day) & (days <= last_day) for read, days in readings]

    def fewer(masks: list[np.ndarray], i: int) -> bool:
        """Another order reads every value this one reads, and more."""
        return any(
            not (masks[i] & ~masks[j]).any() and (masks[j] & ~masks[i]).any()
            for j in range(len(masks))
        )

    def disproved(i: int) -> bool:
        return fewer(ok, i) or fewer(plausible, i)

    kept = [i for i in range(len(formats)) if ok[i].any() and not disproved(i)]
    if not kept:
        return None
    if len(kept) == 1:
        return ok[kept[0]], (formats[kept[0]],)
    first = kept[0]
    if any(not np.array_equal(ok[i], ok[first]) for i in kept):
        return None  # each order reads values the other cannot: the values mix orders
    days = [readings[i][1] for i in kept]
    if all(np.array_equal(d[ok[first]], days[0][ok[first]]) for d in days):
        return ok[first], (formats[first],)  # every order reads them alike
    if len(kept) != 2:
        return None
    day_first = sorted(kept, key=lambda i: formats[i].find("%d") > formats[i].find("%m"))
    pair = (formats[day_first[0]], formats[day_first[1]])
    if dayfirst is not None:
        return ok[first], (pair[0] if dayfirst else pair[1],)
    return ok[first], pair


def _read_with(values: pa.Array, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """(read, day number) per value under ``fmt``, as ``--date-format`` reads them."""
    n = len(values)
    days = np.full(n, NO_DATE, dtype=np.int64)
    status = np.full(n, INVALID, dtype=np.int8)
    _apply_format(values, fmt, np.ones(n, dtype=bool), days, status)
    return status == OK, days


def _candidates(value: str) -> list[tuple[str, str]]:
    """(group, format) pairs that may read ``value``; formats of one group differ in
    day/month order only."""
    time_part = ""
    found = _HINT_TIME.search(value)
    if found:
        sep = "T" if found["sep"] == "T" else " "
        hour = "%I" if found["ampm"] else "%H"
        seconds = ""
        if found["seconds"]:
            seconds = ":%S"
            if found["fraction"]:
                seconds += found["fraction"][0] + "%f"
        ampm = ""
        if found["ampm"]:
            ampm = (" " if found["ampm"][0].isspace() else "") + "%p"
        time_part = f"{sep}{hour}:%M{seconds}{ampm}"
        value = value[: found.start()]
    tokens = _HINT_TOKEN.findall(value)
    fields, separators = tokens[0::2], tokens[1::2]
    if not fields or not all(f[0].isalnum() for f in fields):
        return []
    if any(s[0].isalnum() for s in separators):  # 15th Dec: letters after a number
        return []
    if len(fields) == 1 and fields[0].isdigit() and len(fields[0]) in (6, 8):
        year = "%Y" if len(fields[0]) == 8 else "%y"
        compact = [f"%d%m{year}", f"%m%d{year}"]
        if year == "%y":
            compact.append("%y%m%d")
        return [(f"compact{year}{time_part}", fmt + time_part) for fmt in compact]
    if len(fields) != 3 or len(separators) != 2:
        return []
    # Literal text (a space matches any run of white space, as in Python's strptime).
    literal = [s.replace("%", "%%") for s in separators]

    def joined(directives: Sequence[str]) -> str:
        a, b, c = directives
        return f"{a}{literal[0]}{b}{literal[1]}{c}{time_part}"

    names = [i for i, f in enumerate(fields) if not f.isdigit()]
    widths = [len(f) for f in fields]
    if len(names) == 1:
        name = fields[names[0]].lower()
        month = "%b" if name in _ABBREVIATIONS else "%B" if name in _MONTHS else None
        if month is None:
            return []
        digits = [i for i in range(3) if i != names[0]]
        directives = [""] * 3
        directives[names[0]] = month
        four = [i for i in digits if widths[i] == 4]
        if four:
            year_at = four[0]
        elif all(widths[i] <= 2 for i in digits):
            year_at = digits[-1]  # 15-Dec-21, Dec 15, 21: the year comes last
        else:
            return []
        directives[year_at] = "%Y" if widths[year_at] == 4 else "%y"
        directives[next(i for i in digits if i != year_at)] = "%d"
        fmt = joined(directives)
        return [(fmt, fmt)]
    if names or any(w > 4 or w == 3 for w in widths):
        return []
    if widths[0] == 4:
        orders = [("%Y", "%m", "%d"), ("%Y", "%d", "%m")]
    elif widths[2] == 4:
        orders = [("%d", "%m", "%Y"), ("%m", "%d", "%Y")]
    elif max(widths) <= 2:
        orders = [("%d", "%m", "%y"), ("%m", "%d", "%y")]
        if int(fields[0]) > 31:  # only a year: 19/03/15 written year first
            orders = [("%y", "%m", "%d"), ("%y", "%d", "%m")]
    else:
        return []
    group = joined(["%?" if d in ("%d", "%m") else d for d in orders[0]])
    return [(group, joined(order)) for order in orders]
