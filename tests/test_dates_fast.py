"""Reading many distinct timestamps by their date parts gives the same readings as
reading each value on its own (``dates.scan_dates`` above and below
``SPLIT_THRESHOLD``), on generated spellings, hand-picked traps and the real
San Francisco export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyarrow import csv

from etown_approvals import dates
from etown_approvals.dates import MISSING, OK, TWO_DIGIT_YEAR, DateScan

from .conftest import SF_SAMPLE

FIELDS = dates.SCAN_FIELDS
SF_DATE_COLUMNS = [
    "Filed Date",
    "Issued Date",
    "First Construction Document Date",
    "Completed Date",
]


@contextmanager
def threshold(value: int) -> Iterator[None]:
    # Set by hand (not monkeypatch) so that hypothesis examples can use it too.
    saved = dates.SPLIT_THRESHOLD
    dates.SPLIT_THRESHOLD = value
    try:
        yield
    finally:
        dates.SPLIT_THRESHOLD = saved


def scan_both(
    values: pa.Array, formats: Sequence[str] = (), missing: Sequence[str] = ()
) -> tuple[DateScan, DateScan]:
    """(value by value, split) readings of the same values."""
    with threshold(10**12):
        each = dates.scan_dates(values, formats, missing=missing)
    with threshold(0):
        split = dates.scan_dates(values, formats, missing=missing)
    return each, split


def assert_same(
    values: pa.Array, formats: Sequence[str] = (), missing: Sequence[str] = ()
) -> DateScan:
    each, split = scan_both(values, formats, missing)
    for field in FIELDS:
        expected, found = getattr(each, field), getattr(split, field)
        assert found.dtype == expected.dtype, field
        differ = np.flatnonzero(found != expected)
        assert differ.size == 0, (
            f"{field} differs for {values[int(differ[0])]!r}: "
            f"{found[differ[0]]} instead of {expected[differ[0]]}"
        )
    decides = np.arange(len(values)) % 2 == 0
    for dayfirst in (None, True, False):
        for evidence in (None, decides):
            found, expected = split.resolve(dayfirst, evidence), each.resolve(dayfirst, evidence)
            assert np.array_equal(found.days, expected.days)
            assert np.array_equal(found.status, expected.status)
            assert (found.dayfirst, found.ambiguous) == (expected.dayfirst, expected.ambiguous)
    return split


# ---- generated spellings ---------------------------------------------------------------

digits2 = st.integers(0, 39).map(lambda i: f"{i:02d}")
digits1 = st.integers(0, 39).map(str)
years = st.sampled_from(["2023", "2024", "1999", "0023", "9999", "0000", "2100"])
separators = st.sampled_from(["-", "/", ".", " ", ""])
day_or_month = st.one_of(digits2, digits1)
ymd = st.builds(
    lambda y, a, m, b, d: f"{y}{a}{m}{b}{d}",
    years,
    separators,
    day_or_month,
    separators,
    day_or_month,
)
numeric = st.builds(
    lambda a, s, b, t, y: f"{a}{s}{b}{t}{y}",
    day_or_month,
    separators,
    day_or_month,
    separators,
    years,
)
two_digit = st.builds(
    lambda a, s, b, y: f"{a}{s}{b}{s}{y}", day_or_month, separators, day_or_month, digits2
)
cjk = st.builds(
    lambda y, m, d, end: f"{y}年{m}月{d}{end}",
    years,
    day_or_month,
    day_or_month,
    st.sampled_from(["日", "号", ""]),
)
compact = st.builds(lambda y, m, d: f"{y}{m}{d}", years, digits2, digits2)
month_names = st.sampled_from(
    [
        "Sep 15, 2023",
        "15 Sep 2023",
        "September 5 2023",
        "Feb 30, 2023",
        "Sep 2023",
        "15-Dec-21",
        "Dec 15, 21",
    ]
)
dates_part = st.one_of(ymd, numeric, two_digit, cjk, compact, month_names)
hours = st.sampled_from(["0", "00", "9", "09", "12", "19", "23", "24", "30"])
minutes = st.sampled_from(["00", "5", "59", "60"])
seconds = st.sampled_from(["", ":00", ":59", ":60", ":15.250", ":15,5", ":1"])
meridiem = st.sampled_from(["", " AM", "PM", " p.m.", " a.M", " XM"])
offsets = st.sampled_from(["", "Z", " UTC", "GMT", "+08:00", "-0500", "+08", " +8", "+08:0"])
leads = st.sampled_from(["", " ", "T", "  ", "\t", "t", "TT", "_"])
times = st.one_of(
    st.just(""),
    st.builds(
        lambda *parts: "".join(parts),
        leads,
        hours,
        st.just(":"),
        minutes,
        seconds,
        meridiem,
        offsets,
    ),
)
# Mostly well-formed: a fixed-width date part and a time, the values the split path reads.
fixed_separators = st.sampled_from(["-", "/", "."])
fixed_dates = st.one_of(
    st.builds(
        lambda y, a, m, b, d: f"{y}{a}{m}{b}{d}",
        years,
        fixed_separators,
        digits2,
        fixed_separators,
        digits2,
    ),
    st.builds(
        lambda a, s, b, t, y: f"{a}{s}{b}{t}{y}",
        digits2,
        fixed_separators,
        digits2,
        fixed_separators,
        years,
    ),
)
good_times = st.one_of(
    st.just(""),
    st.builds(
        lambda lead, h, m, sec, ampm, zone: f"{lead}{h}:{m}{sec}{ampm}{zone}",
        st.sampled_from(["T", " ", "  ", "T "]),
        st.sampled_from([f"{i:02d}" for i in range(25)]),  # 24 is no hour
        st.sampled_from([f"{i:02d}" for i in range(61)]),  # nor 60 a minute
        st.sampled_from(["", ":00", ":59", ":61", ".5", ":07.123456"]),
        st.sampled_from(["", " AM", " PM", "pm", " a.m.", " AMX"]),
        st.sampled_from(["", "Z", " UTC", "+08:00", "-0500", "+8"]),
    ),
)
fixed_stamps = st.builds(lambda d, t: d + t, fixed_dates, good_times)
pads = st.sampled_from(["", " ", "  ", "\u3000", "\n"])
timestamps = st.builds(
    lambda a, d, t, b: f"{a}{d}{t}{b}",
    pads,
    st.one_of(dates_part, fixed_dates),
    st.one_of(times, good_times),
    pads,
)
garbage = st.one_of(
    st.text(max_size=25),
    st.text(alphabet="0123456789-/.: TAPMZ年月日", max_size=25),
    st.sampled_from(
        ["", " ", "soon", "10:50:15", "10:50 AM", "T10:00", "2023-09-15T", "2023-09-1510:00"]
    ),
    st.sampled_from([*dates.DEFAULT_MISSING, "0000-00-00 10:00", "00/00/0000 12:00 AM"]),
)
values_lists = st.lists(
    st.one_of(fixed_stamps, fixed_stamps, timestamps, garbage, st.none()), min_size=1, max_size=80
)
user_formats = st.sampled_from(
    [
        (),
        ("%d.%m.%Y",),
        ("%Y-%m-%d %H:%M",),
        ("%m/%d/%Y %I:%M:%S %p",),
        ("%d/%m/%y",),
        ("%d/%m/%y", "%Y-%m-%d"),
        ("epoch_s",),
        ("%Y-%m-%dT%H:%M%z",),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=values_lists,
    formats=user_formats,
    missing=st.sampled_from([(), dates.DEFAULT_MISSING, ("TBD", "2023-09-15")]),
)
def test_split_reads_generated_values_as_value_by_value(
    values: list[str | None], formats: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    assert_same(pa.array(values, pa.string()), formats, missing)


# ---- hand-picked traps -----------------------------------------------------------------

TRAPS = [
    "2023-9-15 10:00",  # ten characters would cut inside the time
    "2023-09-5 10:00",
    "2023-09-15 10:00",
    "2023-09-15T10:00:00Z",
    "2023-09-15T10:00:00.123+08:00",
    "2023-09-15 10:00 UTC",
    "2023-09-15  10:00",
    "2023-09-15T 10:00",
    "2023-09-15 24:00",
    "2023-09-15 10:60",
    "2023-09-15 10",
    "2023-09-15 ",
    " 2023-09-15 ",
    "2023-09-15x",
    "2023-09-150",
    "2023-02-30 10:00",
    "02/30/2023 10:00 AM",
    "13/02/2023 10:00",
    "02/13/2023 10:00",
    "01/02/2023 10:00",
    "01.02.2023",
    "01-02-2023T09:00",
    "1/2/2023 10:00",
    "12/06/10 10:00",
    "12/06/10",
    "2023/09/15 10:00 PM",
    "2023.09.15",
    "20230915",
    "20230915 10:00",
    "2023年9月15日 10:00",
    "2023年09月15日",
    "2023年 9 月 15 号",
    "\uff10\uff19/\uff11\uff15/\uff12\uff10\uff12\uff13",  # full-width digits
    "10:50:15",
    "10:50:15 AM",
    "Sep 15, 2023 10:00 AM",
    "15 Sep 2023",
    "Dec 15, 21",
    "2023-09-15 Sep",
    "0000-01-01",
    "0001-01-01 00:00",
    "9999-12-31 23:59:59",
    "",
    "   ",
    None,
]


@pytest.mark.parametrize("missing", [(), dates.DEFAULT_MISSING])
@pytest.mark.parametrize("formats", [(), ("%m/%d/%Y %H:%M",), ("%d/%m/%y",), ("epoch_ms",)])
def test_split_reads_traps_as_value_by_value(
    formats: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    scan = assert_same(pa.array([*TRAPS, *PLACEHOLDER_TRAPS], pa.string()), formats, missing)
    placeholder = scan.status[len(TRAPS) :] == dates.PLACEHOLDER
    assert placeholder.tolist() == [v.strip() in missing for v in PLACEHOLDER_TRAPS]


PLACEHOLDER_TRAPS = ["NA", " TBD ", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00 10:00",
                     "00/00/0000", "na", "N/A", "-", "nA"]  # fmt: skip


def test_split_keeps_only_nulls_and_blanks_missing() -> None:
    scan = assert_same(pa.array([None, "", " ", None], pa.string()))
    assert (scan.status == MISSING).all()
    assert_same(pa.array([], pa.string()))


def test_split_reads_a_chunked_array() -> None:
    chunks = pa.chunked_array([["2023-09-15 10:00", "x"], ["15/09/2023 10:00", None]])
    each, split = scan_both(chunks)
    for field in FIELDS:
        assert np.array_equal(getattr(split, field), getattr(each, field))


def test_many_timestamps_at_the_default_threshold_against_the_calendar() -> None:
    """More values than the threshold, read as Python's calendar reads them."""
    days = [date(2014, 1, 1).toordinal() + 37 * i for i in range(300)]
    values = [
        datetime.fromordinal(day).replace(hour=h % 24, minute=h % 60, second=(h * 7) % 60)
        for day in days
        for h in range(80)
    ]
    text = [f"{v:%m/%d/%Y %I:%M:%S %p}" for v in values]
    assert len(text) > dates.SPLIT_THRESHOLD
    each, split = scan_both(pa.array(text))
    for field in FIELDS:
        assert np.array_equal(getattr(split, field), getattr(each, field))
    parsed = split.resolve(None)
    assert parsed.dayfirst is False  # 13/.. never reads as a month: month-first proven
    epoch = date(1970, 1, 1).toordinal()
    assert parsed.days.tolist() == [v.toordinal() - epoch for v in values]


# ---- the real export -------------------------------------------------------------------


def sf_distinct_dates() -> pa.Array:
    table = csv.read_csv(
        SF_SAMPLE,
        parse_options=csv.ParseOptions(newlines_in_values=True),
        convert_options=csv.ConvertOptions(
            include_columns=SF_DATE_COLUMNS,
            column_types=dict.fromkeys(SF_DATE_COLUMNS, pa.string()),
        ),
    )
    columns = [
        pc.utf8_trim_whitespace(table.column(name).combine_chunks()) for name in SF_DATE_COLUMNS
    ]
    return pc.unique(pa.concat_arrays(columns))


@pytest.mark.shared_data
def test_split_reads_the_sf_export_as_value_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    values = sf_distinct_dates()
    scan = assert_same(values)
    read_each: list[int] = []
    scan_each = dates._scan_each

    def counting(text: pa.Array, *args: object, **kwargs: object) -> DateScan:
        read_each.append(len(text))
        return scan_each(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dates, "_scan_each", counting)
    with threshold(0):
        dates.scan_dates(values)
    # The split path really split: far fewer strings were read one spelling at a time.
    assert 0 < sum(read_each) < len(values) / 2
    # And the readings are the calendar's, computed here with the standard library.
    parsed = scan.resolve(None)
    epoch = date(1970, 1, 1)
    strings = values.to_pylist()
    for index, value in enumerate(strings):
        if value:
            expected = (datetime.strptime(value, "%m/%d/%Y %I:%M:%S %p").date() - epoch).days
            assert parsed.status[index] == OK
            assert parsed.days[index] == expected, value
        else:
            assert parsed.status[index] == MISSING


def test_two_digit_years_keep_their_status_on_the_split_path() -> None:
    scan = assert_same(pa.array(["12/06/10 10:00", "12/06/2010 10:00", "2010-06-12 10:00"]))
    assert scan.status[0] == TWO_DIGIT_YEAR
