"""Step 3 and 4: events -> per-project table -> summary numbers.

Pure functions: DataFrames in, DataFrames and dicts out. Nothing here prints or
opens a file. Dates are handled as integer day numbers; a project's stages are
a (projects x stages) matrix filled with ``numpy.minimum.at``, so the cost is a
few vector operations whatever the number of projects.

Every duration goes through one *clock* (:func:`clock_for`): calendar days or
working days on an official calendar. Grouped results (``trend``,
``stage_transitions``) take a frame of group keys and compute every group in
one pass: group codes from one ``groupby``, counts with ``bincount`` and
statistics from one sort, never a Python loop per group.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ._compat import categorical_from_codes
from .errors import EtownError, ExitCode
from .rows import Column, Counts, Lists, Numbers, Picked, Rows
from .rows import json_floats as _json_floats
from .rows import json_numbers as _json_numbers
from .stages import StageSet

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd

COMPLETE, OPEN, INVALID, WITHDRAWN = "complete", "open", "invalid", "withdrawn"
STATUSES = (COMPLETE, OPEN, INVALID, WITHDRAWN)
FLAGS = ("same_day", "fast_track", "out_of_order", "duplicate_stage")
DEFAULT_FAST_TRACK_DAYS = 3
#: More than half of the rows rejected: no result from the rest.
DEFAULT_MAX_REJECTED = 0.5
#: Percentiles every days statistic reports (``median`` is the 50th).
DEFAULT_PERCENTILES = (25.0, 50.0, 75.0, 90.0)
_NONE = np.iinfo(np.int64).min
_EPOCH = date(1970, 1, 1)
#: Projects measured together by block-wise steps (a few MB of temporaries).
_BLOCK = 1 << 18


UNITS = {"calendar": "calendar_days", "workdays": "workdays"}


class MetricOptionError(EtownError, ValueError):
    """A measuring option that cannot apply (a usage error)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class MetricOptions:
    """How durations are measured and flagged."""

    fast_track_days: int = DEFAULT_FAST_TRACK_DAYS
    #: Reference date for how long open projects have waited (default: today). Given,
    #: :func:`etown_approvals.analysis.analyze` measures the events known then
    #: (:func:`snapshot`); :func:`project_table` measures the events it is given.
    as_of: date | None = None
    #: ``calendar`` days or ``workdays`` on the working calendar of ``calendar``.
    unit: str = "calendar"
    #: Country code of the working calendar (``holidays`` package), for ``workdays``.
    calendar: str = "CN"
    #: A reform target in working days: the summary counts projects that met it.
    target_workdays: int | None = None
    #: Which date counts when a project records a stage more than once.
    stage_date: Literal["earliest", "latest"] = "earliest"
    #: The largest share of the rows that count (used or rejected) that may be
    #: rejected: beyond it, no result (1: any share).
    max_rejected: float = DEFAULT_MAX_REJECTED

    @property
    def unit_name(self) -> str:
        """The unit as documents name it: ``calendar_days`` or ``workdays``."""
        return UNITS[self.unit]

    @property
    def as_of_day(self) -> int:
        """``as_of`` (default today) as a day number."""
        return ((self.as_of or date.today()) - _EPOCH).days


Clock = Callable[[np.ndarray, np.ndarray], np.ndarray]


def clock_for(options: MetricOptions, day_values: np.ndarray) -> Clock:
    """A function (start, end) -> elapsed days in the options' unit, for these day numbers."""
    if options.unit == "calendar":
        return lambda start, end: end - start
    from .calendars import counter_for

    return counter_for(options.calendar, day_values).between


def elapsed(
    clock: Clock, start: np.ndarray, end: np.ndarray, where: np.ndarray | None = None
) -> np.ndarray:
    """Elapsed days where both day numbers are present (and ``where`` holds), ``_NONE``
    elsewhere.

    Measured a block of :data:`_BLOCK` projects at a time: the masks and the
    gathered dates stay small and in cache however many projects there are.
    """
    out = np.full(start.shape, _NONE, dtype=np.int64)
    for low in range(0, start.size, _BLOCK):
        block = slice(low, low + _BLOCK)
        a, b = start[block], end[block]
        both = (a != _NONE) & (b != _NONE)
        if where is not None:
            both &= where[block]
        out[block][both] = clock(a[both], b[both])
    return out


def day_numbers(values: pd.Series | np.ndarray, *, narrow: bool = False) -> np.ndarray:
    """Days since 1970-01-01 of datetime values (int64).

    ``narrow``: int32 when every day number fits (dates in years 1..9999 always
    do), half the memory for the tens of millions of events of a large file;
    int64 otherwise.
    """
    if isinstance(values, pd.Series):
        # Series.to_numpy, not np.asarray: the latter goes through __array__.
        values = values.to_numpy(dtype="datetime64[s]")
    seconds = np.asarray(values, dtype="datetime64[s]").view(np.int64)
    dtype: type[np.signedinteger[Any]] = np.int64
    if narrow and seconds.size:
        limits = np.iinfo(np.int32)
        # int32's minimum is left free: it marks a missing date in stage_matrix.
        if limits.min < seconds.min() // 86_400 and seconds.max() // 86_400 <= limits.max:
            dtype = np.int32
    out = np.empty(seconds.shape, dtype=dtype)
    # floor division: days before 1970 stay whole days; written straight into
    # the narrow array (no int64 temporary).
    np.floor_divide(seconds, 86_400, out=out, casting="unsafe")
    return out


def _index_type(largest: int) -> type[np.signedinteger[Any]]:
    """int32 for numbers up to ``largest`` where it holds them (half the memory), else int64."""
    return np.int32 if largest <= np.iinfo(np.int32).max else np.int64


def stage_matrix(
    events: pd.DataFrame, n_stages: int, *, latest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Earliest (``latest``: last) day number per (project, stage), and whether the stage
    has conflicting dates.

    Missing stages hold ``_NONE``. Projects are the categories of ``events.project``.
    Both matrices are (projects x stages) and stored column by column, so a
    stage's column is one contiguous array.

    Memory decides the time at tens of millions of events: the per-cell minimum
    and maximum are kept in the narrowest integer type that holds the day
    numbers (int32 for real dates) and the cell numbers are made in place from
    the categorical codes; only the returned matrix is int64.
    """
    n_projects = len(events["project"].cat.categories)
    size = n_projects * n_stages
    key_type = _index_type(size)
    # Cell = stage * n_projects + project: each stage's cells are contiguous.
    key = events["stage"].cat.codes.to_numpy().astype(key_type)
    key *= n_projects
    key += events["project"].cat.codes.to_numpy()
    days = day_numbers(events["date"], narrow=True)
    limits = np.iinfo(days.dtype)
    first = np.full(size, limits.max, dtype=days.dtype)
    last = np.full(size, limits.min, dtype=days.dtype)
    np.minimum.at(first, key, days)
    np.maximum.at(last, key, days)
    del key, days
    present = last != limits.min
    conflicting = present & (last != first)
    chosen = last if latest else first
    del first, last
    matrix = np.full(size, _NONE, dtype=np.int64)
    np.copyto(matrix, chosen, where=present)
    shape = (n_stages, n_projects)
    return matrix.reshape(shape).T, conflicting.reshape(shape).T


def table_matrix(projects: pd.DataFrame, stages: StageSet) -> np.ndarray:
    """The (projects x stages) day-number matrix of a project table (``_NONE`` if missing),
    stored column by column as :func:`stage_matrix`'s."""
    matrix = np.empty((len(stages.stages), len(projects)), dtype=np.int64)
    for i, stage in enumerate(stages.stages):
        seconds = projects[stage].to_numpy(dtype="datetime64[s]").view(np.int64)
        row = matrix[i]
        np.floor_divide(seconds, 86_400, out=row)
        # NaT is _NONE's bit pattern; floor division moved it.
        row[seconds == _NONE] = _NONE
    return matrix.T


def table_clock(options: MetricOptions, matrix: np.ndarray, *extra: int) -> Clock:
    """A clock covering every date of ``matrix`` and ``extra`` day numbers."""
    # A clock needs the range of the dates only: each stage's first and last
    # date, rather than a copy of every date.
    bounds = list(extra)
    for i in range(matrix.shape[1]):
        column = matrix[:, i]
        present = column != _NONE
        if present.any():
            bounds.append(int(column.min(where=present, initial=np.iinfo(np.int64).max)))
            bounds.append(int(column.max()))  # _NONE is the smallest int64
    return clock_for(options, np.asarray(bounds, dtype=np.int64))


def out_of_order_matrix(matrix: np.ndarray, skip: tuple[int, int] | None = None) -> np.ndarray:
    """Per project, whether a recorded stage is dated before an earlier stage of the process.

    Every pair of stages is compared except ``skip`` (the metric's start and
    end: an end before the start makes the project invalid instead).
    """
    found = np.zeros(matrix.shape[0], dtype=bool)
    n = matrix.shape[1]
    for j in range(1, n):
        b = matrix[:, j]
        # A recorded b below a means a is recorded too (_NONE is the smallest int64).
        before = np.zeros(matrix.shape[0], dtype=bool)
        for i in range(j):
            if (i, j) != skip:
                before |= b < matrix[:, i]
        found |= before & (b != _NONE)
    return found


def status_codes(
    start: np.ndarray, end: np.ndarray, withdrawn: np.ndarray | None = None
) -> np.ndarray:
    """The status rule: per project, its index in :data:`STATUSES` (int8).

    ``start`` and ``end`` are the metric's day numbers (``_NONE`` where missing);
    ``withdrawn`` marks the projects a ``--withdrawn`` expression matched. In order
    of precedence:

    1. no start, or an end before the start: ``invalid``, whatever ``withdrawn`` says;
    2. an end on or after the start: ``complete`` (a mark does not undo it);
    3. marked: ``withdrawn``;
    4. otherwise ``open``.

    Every command's status comes from here (the project table's ``status``
    column, and :func:`statuses_of` where a mask is given later), so that no
    two outputs can count a project differently.
    """
    has_start = start != _NONE
    ended = end != _NONE
    codes = np.full(start.shape, STATUSES.index(INVALID), dtype=np.int8)
    waiting = has_start & ~ended
    codes[waiting] = STATUSES.index(OPEN)
    if withdrawn is not None:
        codes[waiting & np.asarray(withdrawn, dtype=bool)] = STATUSES.index(WITHDRAWN)
    codes[has_start & ended & (end >= start)] = STATUSES.index(COMPLETE)
    return codes


def statuses_of(
    projects: pd.DataFrame, stages: StageSet, withdrawn: np.ndarray | pd.Series | None = None
) -> np.ndarray:
    """Status codes (indices of :data:`STATUSES`) of a project table's projects.

    Without ``withdrawn``, the table's own ``status`` column. With it (a boolean
    per project, as the notebook API's ``withdrawn=`` arguments take), the
    :func:`status_codes` rule applied to the table's dates and that mask.
    """
    if withdrawn is None:
        status = projects["status"]
        if isinstance(status.dtype, pd.CategoricalDtype) and list(status.cat.categories) == list(
            STATUSES
        ):
            return status.cat.codes.to_numpy()  # the project table's own codes
        return pd.Categorical(status, categories=list(STATUSES)).codes
    mask = np.asarray(withdrawn, dtype=bool)
    if mask.shape != (len(projects),):
        raise ValueError("withdrawn must hold one value per project")
    matrix = table_matrix(projects, stages)
    return status_codes(
        matrix[:, stages.stages.index(stages.start)],
        matrix[:, stages.stages.index(stages.end)],
        mask,
    )


def project_table(
    events: pd.DataFrame,
    stages: StageSet,
    *,
    options: MetricOptions = MetricOptions(),
    withdrawn: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per project: stage dates, ``days``, ``status``, flags and gaps.

    ``withdrawn`` (a boolean per project, in ``events.project`` category order,
    as :attr:`LoadResult.withdrawn`) makes an open project ``withdrawn``, without
    waiting days; ``status`` follows :func:`status_codes`.

    Columns, in order: one datetime column per stage; ``days`` (metric end
    minus start, complete projects only); ``status``; the boolean flags
    ``same_day``, ``fast_track``, ``out_of_order`` (any recorded stage dated
    before an earlier stage of the process, see :func:`out_of_order_pairs`;
    the metric's end before its start is ``invalid`` instead), ``duplicate_stage``;
    ``waiting_days`` (open projects: days from start to ``as_of``; empty when
    the project starts after ``as_of``, never negative); ``gap_<stage>`` for
    every stage but the first (days since the previous recorded stage in
    process order; negative when the stage is dated before it, which also sets
    ``out_of_order``); every duration in the options' unit. The file's attribute
    columns are not joined here (see ``Analysis.attributes``), so they can
    never collide with these.
    """
    names = events["project"].cat.categories
    matrix, conflicting = stage_matrix(
        events, len(stages.stages), latest=options.stage_date == "latest"
    )
    start = matrix[:, stages.stages.index(stages.start)]
    end = matrix[:, stages.stages.index(stages.end)]
    codes = status_codes(start, end, withdrawn)
    complete = codes == STATUSES.index(COMPLETE)
    open_ = codes == STATUSES.index(OPEN)
    as_of = options.as_of_day
    clock = table_clock(options, matrix, as_of)
    days = elapsed(clock, start, end, where=complete)

    # The stage date columns come last (they reuse the matrix), in first place.
    columns: dict[str, Any] = dict.fromkeys(stages.stages)
    fast_track = complete & (days <= options.fast_track_days)
    columns["days"] = _ints(days)
    columns["status"] = pd.Categorical.from_codes(codes, categories=list(STATUSES))
    columns["same_day"] = complete & (end == start)  # the same date, whatever the unit
    columns["fast_track"] = fast_track
    columns["out_of_order"] = out_of_order_matrix(
        matrix, (stages.stages.index(stages.start), stages.stages.index(stages.end))
    )
    columns["duplicate_stage"] = conflicting.any(axis=1)
    # A project that starts after as_of has not waited at all by then: no value,
    # rather than a negative one (see open_after_as_of).
    waiting = open_ & (start <= as_of)
    columns["waiting_days"] = _ints(
        elapsed(clock, start, np.full_like(start, as_of), where=waiting)
    )
    for stage, gap in gap_columns(matrix, stages, clock).items():
        columns[f"gap_{stage}"] = _ints(gap)
    del start, end
    for i, stage in enumerate(stages.stages):
        columns[stage] = _dates(matrix[:, i], in_place=True)
    # copy=False keeps each column's array: no copy into one block per dtype.
    return pd.DataFrame(columns, index=pd.Index(names, name="project"), copy=False)


def gap_columns(matrix: np.ndarray, stages: StageSet, clock: Clock) -> dict[str, np.ndarray]:
    """Per stage but the first: days since the previous recorded stage (``_NONE`` if none)."""
    out: dict[str, np.ndarray] = {}
    previous = np.full(matrix.shape[0], _NONE, dtype=np.int64)
    for i, stage in enumerate(stages.stages):
        at = matrix[:, i]
        if i > 0:
            out[stage] = elapsed(clock, previous, at)
        np.copyto(previous, at, where=at != _NONE)
    return out


@dataclass(frozen=True)
class Snapshot:
    """The events as known on an as-of date (see :func:`snapshot`)."""

    #: The events dated on or before the as-of date, of the projects counted then;
    #: project categories in the same order as before, less those left out.
    events: pd.DataFrame
    #: ``withdrawn`` (as :attr:`LoadResult.withdrawn`) for the projects kept.
    withdrawn: np.ndarray | None = None
    #: Events dated after the as-of date.
    events_after: int = 0
    #: Rows whose every event is dated after the as-of date: read, neither used nor
    #: rejected (as filtered rows are).
    rows_after: int = 0
    #: Projects not counted: their start is dated after the as-of date, or none of
    #: their events is dated on or before it.
    projects_after: int = 0


def snapshot(
    events: pd.DataFrame,
    stages: StageSet,
    as_of: date,
    withdrawn: np.ndarray | None = None,
) -> Snapshot:
    """The events as they stood on ``as_of``: what was known then.

    An event dated after ``as_of`` did not exist yet, so it is left out; a
    project whose start stage is recorded only after ``as_of`` had not started,
    so none of its events count; a project with no event by then did not exist.
    A project without any start date stays (it is invalid then as now). Rows
    whose events are all left out are counted (``rows_after``), as filtered rows
    are. Vector operations over the events (a few ``bincount``s); the events are
    copied only when something is left out.
    """
    days = day_numbers(events["date"])
    known = days <= (as_of - _EPOCH).days
    if known.all():
        return Snapshot(events, withdrawn)
    names = events["project"].cat.categories
    codes = events["project"].cat.codes.to_numpy()
    is_start = events["stage"].cat.codes.to_numpy() == stages.stages.index(stages.start)
    n = len(names)
    started_ever = np.bincount(codes[is_start], minlength=n) > 0
    started = np.bincount(codes[is_start & known], minlength=n) > 0
    counted = (np.bincount(codes[known], minlength=n) > 0) & (started | ~started_ever)
    kept = known & counted[codes]
    # Rows marked by line number (a few MB even for millions of lines; no sort).
    lines = events["row"].to_numpy()
    with_known = np.zeros(int(lines.max()) + 1, dtype=bool)
    with_known[lines[known]] = True
    with_later = np.zeros_like(with_known)
    with_later[lines[~known]] = True
    rows_after = int(np.count_nonzero(with_later & ~with_known))
    renumber = np.cumsum(counted) - 1
    part = events[kept]
    part = part.assign(project=categorical_from_codes(renumber[codes[kept]], names[counted]))
    return Snapshot(
        events=part.reset_index(drop=True),
        withdrawn=None if withdrawn is None else withdrawn[counted],
        events_after=int((~known).sum()),
        rows_after=rows_after,
        projects_after=int(n - counted.sum()),
    )


def open_after_as_of(projects: pd.DataFrame, stages: StageSet, as_of: date) -> pd.Index:
    """Open projects whose start is after ``as_of``: they have no waiting time then."""
    start = projects[stages.start]
    late = (projects["status"] == OPEN) & (start > pd.Timestamp(as_of))
    return projects.index[late.to_numpy(dtype=bool, na_value=False)]


def out_of_order_pairs(projects: pd.DataFrame, stages: StageSet) -> pd.DataFrame:
    """Every pair of recorded stages whose later stage (in process order) is dated earlier.

    One row per (project, pair): ``project``, ``earlier`` and ``later`` (stage
    names in process order), ``earlier_date``, ``later_date``. All pairs are
    listed, the metric's start/end pair included (which also makes the project
    invalid). Rows are ordered by project, then pair.
    """
    matrix = table_matrix(projects, stages)
    parts = []
    n = len(stages.stages)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = matrix[:, i], matrix[:, j]
            rows = np.flatnonzero((a != _NONE) & (b != _NONE) & (b < a))
            if rows.size:
                parts.append((rows, i, j))
    if not parts:
        return pd.DataFrame(
            {
                "project": pd.Series([], dtype=object),
                "earlier": pd.Series([], dtype=object),
                "later": pd.Series([], dtype=object),
                "earlier_date": pd.Series([], dtype="datetime64[s]"),
                "later_date": pd.Series([], dtype="datetime64[s]"),
            }
        )
    rows = np.concatenate([p[0] for p in parts])
    first = np.concatenate([np.full(p[0].size, p[1]) for p in parts])
    second = np.concatenate([np.full(p[0].size, p[2]) for p in parts])
    order = np.lexsort((second, first, rows))
    rows, first, second = rows[order], first[order], second[order]
    names = np.asarray(stages.stages, dtype=object)
    return pd.DataFrame(
        {
            "project": projects.index.to_numpy(dtype=object)[rows],
            "earlier": names[first],
            "later": names[second],
            "earlier_date": _dates(matrix[rows, first]),
            "later_date": _dates(matrix[rows, second]),
        }
    )


def _dates(day_values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """datetime64[s] of int64 day numbers; ``_NONE`` is already NaT's bit pattern.

    ``in_place`` turns ``day_values`` itself into the seconds (no new array).
    """
    missing = day_values == _NONE
    seconds = np.multiply(day_values, 86_400, out=day_values if in_place else None)
    seconds[missing] = _NONE
    return seconds.view("datetime64[s]")


def _ints(values: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable integer array, missing where ``values`` holds ``_NONE`` (which
    becomes 0 in place: ``values`` is consumed)."""
    missing = values == _NONE
    values[missing] = 0
    return pd.arrays.IntegerArray(values, missing)


def flag_names(projects: pd.DataFrame) -> np.ndarray:
    """Per project, the tuple of flags set on it, in :data:`FLAGS` order (an object array).

    Each project's flags form a bit pattern; the 16 possible tuples are made once
    and picked per project with one vectorized lookup.
    """
    patterns = np.zeros(len(projects), dtype=np.uint8)
    for bit, flag in enumerate(FLAGS):
        patterns |= projects[flag].to_numpy(dtype=bool).view(np.uint8) << bit
    tuples = np.empty(1 << len(FLAGS), dtype=object)
    tuples[:] = [
        tuple(f for j, f in enumerate(FLAGS) if code >> j & 1) for code in range(tuples.size)
    ]
    return tuples[patterns]


# ---------------------------------------------------------------- statistics


#: How a percentile is written on the command line: a decimal, at most 10 places.
#: (Up to 13 significant digits, so the float read is the decimal written, and its
#: key, from the float's shortest decimal, is the text given.)
_PERCENTILE_TEXT = re.compile(r"[0-9]+(?:\.[0-9]{1,10})?")
PERCENTILE_RULE = "decimals in (0, 100] such as 95 or 99.5, at most 10 decimal places"


def parse_percentiles(text: str) -> tuple[float, ...]:
    """``"50, 95,99.5"`` as levels: comma-separated decimals in (0, 100] (see
    :data:`PERCENTILE_RULE`); anything else (a sign, an exponent, ``_``, ``nan``, an
    empty item, 0, more than 100) is a :class:`MetricOptionError`."""
    levels = []
    for part in text.split(","):
        item = part.strip()
        if not _PERCENTILE_TEXT.fullmatch(item):
            raise MetricOptionError(f"{item!r} is not a percentile: give {PERCENTILE_RULE}")
        levels.append(_checked_level(float(item)))
    return tuple(levels)


def _checked_level(level: float) -> float:
    if not 0 < level <= 100:  # NaN fails too
        raise MetricOptionError(f"percentiles are in (0, 100], not {level!r}")
    return level


def percentile_key(percentile: float) -> str:
    """``median`` for 50, else ``p`` and the number's shortest exact decimal
    (``p95``, ``p99_9`` for 99.9, ``p99_99999``, ``p0_0000001`` for 1e-7): distinct
    levels have distinct keys."""
    if percentile == 50:
        return "median"
    decimal = np.format_float_positional(float(percentile), trim="-")
    return "p" + decimal.replace(".", "_")


def percentile_list(percentiles: Sequence[float] = ()) -> list[float]:
    """The defaults and any requested percentiles, ascending, each once.

    Requested percentiles are added to the defaults (25, 50, 75, 90), so keys
    that checks and tables read are always there. A level outside (0, 100] is a
    :class:`MetricOptionError`.
    """
    extra = [_checked_level(float(p)) for p in percentiles]
    return sorted(set(DEFAULT_PERCENTILES) | set(extra))


def _statistic_keys(
    percentiles: Sequence[float], base: Sequence[float] = DEFAULT_PERCENTILES
) -> list[str]:
    """``count``, ``min``, lower percentiles, ``median``, ``mean``, upper ones, ``max``.

    ``base`` are the percentiles always reported; ``percentiles`` add to them.
    """
    percentile_list(percentiles)  # checks the range
    levels = sorted({50.0, *map(float, base), *map(float, percentiles)})
    low = [percentile_key(p) for p in levels if p < 50]
    high = [percentile_key(p) for p in levels if p > 50]
    return ["count", "min", *low, "median", "mean", *high, "max"]


def days_statistics(
    days: pd.Series, percentiles: Sequence[float] = ()
) -> dict[str, float | int | None]:
    """count, min, p25, median, mean, p75, p90, max of a nullable integer series.

    ``percentiles`` adds keys (``p95`` ...) to these; linear interpolation
    between the two nearest values, as numpy's default.
    """
    values = days.to_numpy(dtype=np.float64, na_value=np.nan)
    values = values[~np.isnan(values)]
    keys = _statistic_keys(percentiles)
    if values.size == 0:
        return {"count": 0, **dict.fromkeys(keys[1:])}
    levels = percentile_list(percentiles)
    out: dict[str, float | int | None] = {
        "count": int(values.size),
        "min": int(values.min()),
        "mean": _number(values.mean()),
        "max": int(values.max()),
    }
    for level, value in zip(levels, np.percentile(values, levels), strict=True):
        out[percentile_key(level)] = _number(value)
    return {key: out[key] for key in keys}


def grouped_statistics(
    values: np.ndarray, codes: np.ndarray, n_codes: int, percentiles: Sequence[float] = ()
) -> dict[str, np.ndarray]:
    """:func:`days_statistics` of ``values`` for every code 0..n_codes-1 at once.

    ``values`` are whole numbers (days; a float array must hold whole numbers).
    Arrays of floats (NaN where a code has no values), keyed as
    :func:`days_statistics`; percentiles interpolated linearly as
    ``numpy.percentile`` does.

    One sort of a single integer key, code * span + (value - lowest): it
    orders by code, then value, and decodes back to both, so no argsort and no
    gathered copies of the values are needed (ties need no order: equal values
    are interchangeable). Sums are taken before sorting; float64 sums of whole
    days are exact, whatever the order.
    """
    values = _whole_numbers(values)
    codes = np.asarray(codes)
    if codes.dtype.kind not in "iu":
        codes = codes.astype(np.int64)
    count = np.bincount(codes, minlength=n_codes)
    lowest = int(values.min()) if values.size else 0
    span = int(values.max()) - lowest + 1 if values.size else 1
    if n_codes * span > np.iinfo(np.int64).max:
        raise ValueError(f"{n_codes} groups of values {span} apart do not fit one int64 key")
    key_type = _index_type(n_codes * span)
    key: np.ndarray = np.empty(values.size, dtype=key_type)
    np.subtract(values, lowest, out=key, casting="unsafe")  # 0..span-1: fits
    key += np.multiply(codes, span, dtype=key_type)
    key.sort()
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    has = count > 0
    padded = key if key.size else np.zeros(1, key_type)
    base = np.arange(n_codes, dtype=np.int64) * span - lowest

    def at(position: np.ndarray) -> np.ndarray:
        """The values at these positions of each code's sorted run (floats)."""
        return (padded[np.where(has, position, 0)] - base).astype(np.float64)

    # Each code's sum of keys, exact in int64, less its runs' offsets: the sum
    # of its values (the float64 of an exact integer sum).
    key_sums = np.zeros(n_codes, dtype=np.int64)
    key_sums[has] = np.add.reduceat(padded, first[has], dtype=np.int64) if has.any() else 0
    sums = (key_sums - count * base).astype(np.float64)
    out: dict[str, np.ndarray] = {"count": count.astype(np.float64)}
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean"] = np.where(has, sums / np.maximum(count, 1), np.nan)
    out["min"] = np.where(has, at(first), np.nan)
    out["max"] = np.where(has, at(first + count - 1), np.nan)
    for level in percentile_list(percentiles):
        position = (count - 1) * level / 100.0
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(count - 1, 0))
        fraction = position - below
        low = at(first + below)
        high = at(first + above)
        out[percentile_key(level)] = np.where(has, low + (high - low) * fraction, np.nan)
    return out


def _whole_numbers(values: np.ndarray) -> np.ndarray:
    """``values`` as int64; a ValueError if any is not a whole number."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.astype(np.int64, copy=False)
    whole = values.astype(np.int64)
    if not np.array_equal(whole, values):
        raise ValueError("statistics are of whole numbers of days")
    return whole


def _number(value: float) -> float | int:
    """Round to 2 decimals; whole numbers as int so JSON shows ``3`` not ``3.0``
    (one value of :func:`_json_numbers`)."""
    return _json_numbers(np.asarray([value], dtype=np.float64))[0]


def _share(count: int, total: int) -> float | None:
    """``count / total`` rounded to 4 decimals, None without a total (one value of
    :func:`_json_floats`)."""
    return None if total == 0 else _json_floats(np.asarray([count / total]))[0]


def summarize(
    projects: pd.DataFrame,
    *,
    options: MetricOptions = MetricOptions(),
    percentiles: Sequence[float] = (),
) -> dict[str, Any]:
    """Headline numbers of a project table: counts, days statistics, same-day, fast-track."""
    status = projects["status"]
    complete = int((status == COMPLETE).sum())
    same_day = projects.index[projects["same_day"].to_numpy(dtype=bool)]
    fast_track = projects.index[projects["fast_track"].to_numpy(dtype=bool)]
    return {
        "projects": {
            "total": len(projects),
            "complete": complete,
            "open": int((status == OPEN).sum()),
            "invalid": int((status == INVALID).sum()),
            "withdrawn": int((status == WITHDRAWN).sum()),
        },
        "days": days_statistics(projects["days"], percentiles),
        "same_day": {
            "count": int(same_day.size),
            "share": _share(int(same_day.size), complete),
            "projects": same_day.astype(str).tolist(),
        },
        "fast_track": {
            "max_days": options.fast_track_days,
            "count": int(fast_track.size),
            "share": _share(int(fast_track.size), complete),
            "projects": fast_track.astype(str).tolist(),
        },
    }


def summarize_groups(
    projects: pd.DataFrame,
    grouped: Grouping,
    *,
    options: MetricOptions = MetricOptions(),
    percentiles: Sequence[float] = (),
) -> Rows:
    """:func:`summarize` of every group of ``grouped`` at once (one sort, bincounts),
    in group order: the same keys and numbers as summarizing each group alone."""
    n = grouped.size
    codes = grouped.codes
    status = projects["status"]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=n)

    is_complete = (status == COMPLETE).to_numpy(dtype=bool)
    totals = np.bincount(codes, minlength=n)
    complete = count(is_complete)
    counts = {
        "open": count((status == OPEN).to_numpy(dtype=bool)),
        "invalid": count((status == INVALID).to_numpy(dtype=bool)),
        "withdrawn": count((status == WITHDRAWN).to_numpy(dtype=bool)),
    }
    days = projects["days"].to_numpy(dtype=np.int64, na_value=0)  # read where complete
    stats = grouped_statistics(days[is_complete], codes[is_complete], n, percentiles)
    names = projects.index.astype(str).to_numpy(dtype=object)

    def names_by_group(mask: np.ndarray) -> Lists:
        rows = np.flatnonzero(mask)
        order = np.argsort(codes[rows], kind="stable")  # file order within each group
        sizes = np.bincount(codes[rows], minlength=n)
        return Lists(names[rows[order]], np.concatenate(([0], np.cumsum(sizes))))

    same_names = names_by_group(projects["same_day"].to_numpy(dtype=bool))
    fast_names = names_by_group(projects["fast_track"].to_numpy(dtype=bool))
    same_sizes, fast_sizes = np.diff(same_names.bounds), np.diff(fast_names.bounds)
    with np.errstate(invalid="ignore", divide="ignore"):
        same_share, fast_share = same_sizes / complete, fast_sizes / complete
    return Rows(
        {
            ("projects", "total"): Counts(totals),
            ("projects", "complete"): Counts(complete),
            **{("projects", key): Counts(values) for key, values in counts.items()},
            **{
                ("days", key): column
                for key, column in _statistics_columns(stats, _statistic_keys(percentiles)).items()
            },
            ("same_day", "count"): Counts(same_sizes),
            ("same_day", "share"): Numbers(same_share, 4, floats=True),
            ("same_day", "projects"): same_names,
            ("fast_track", "max_days"): Picked(np.zeros(n, np.int8), [options.fast_track_days]),
            ("fast_track", "count"): Counts(fast_sizes),
            ("fast_track", "share"): Numbers(fast_share, 4, floats=True),
            ("fast_track", "projects"): fast_names,
        }
    )


# ---------------------------------------------------------------- groups


@dataclass(frozen=True)
class Grouping:
    """Projects numbered by group: ``codes[i]`` is project i's group, ``labels[g]`` its key.

    Groups are every combination of the key columns' values that occurs, in
    order of first appearance; combinations with a missing value come last.
    A label maps each column to its value (text) or None.
    """

    codes: np.ndarray
    labels: list[dict[str, str | None]]

    @property
    def size(self) -> int:
        """How many groups there are."""
        return len(self.labels)


def grouping(keys: pd.DataFrame | None, n_projects: int | None = None) -> Grouping:
    """Group codes of the rows of ``keys`` (one group of all when ``keys`` is None).

    ``keys`` holds one column per group-by column, aligned with the project
    table (e.g. ``projects[["zone", "sector"]]``).
    """
    if keys is None or not len(keys.columns):
        size = n_projects if n_projects is not None else 0 if keys is None else len(keys)
        return Grouping(np.zeros(size, dtype=np.int64), [{}])
    if len(keys) == 0:
        return Grouping(np.zeros(0, dtype=np.int64), [])
    columns = list(keys.columns)
    # pandas' text type only: is_string_dtype also says yes to any object column,
    # whose values (numbers, NaN, mixed) the general path turns into text itself.
    if len(columns) == 1 and isinstance(keys[columns[0]].dtype, pd.StringDtype):
        return _text_grouping(columns[0], keys[columns[0]])
    frame = keys.reset_index(drop=True)
    codes = frame.groupby(columns, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    n = int(codes.max()) + 1
    first_row = np.full(n, len(frame), dtype=np.int64)
    np.minimum.at(first_row, codes, np.arange(len(frame)))
    firsts = frame.iloc[first_row]
    absent = firsts.isna()
    missing = absent.any(axis=1).to_numpy()
    order = np.argsort(missing, kind="stable")  # complete keys first, appearance order kept
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    texts = [
        [
            None if gone else str(value)
            for value, gone in zip(
                firsts[c].to_numpy(dtype=object)[order].tolist(),
                absent[c].to_numpy()[order].tolist(),
                strict=True,
            )
        ]
        for c in columns
    ]
    labels = [dict(zip(columns, row, strict=True)) for row in zip(*texts, strict=True)]
    return Grouping(rank[codes], labels)


def _text_grouping(column: str, values: pd.Series) -> Grouping:
    """:func:`grouping` by one text column (the usual ``--group-by``): pyarrow's
    dictionary encoding numbers the values in order of first appearance, as
    :func:`grouping` does, and a missing value is the last group."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.array)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    found = encoded.dictionary.to_pylist()
    codes = encoded.indices.fill_null(len(found)).to_numpy().astype(np.int64)
    if encoded.indices.null_count:
        found.append(None)
    return Grouping(codes, [{column: value} for value in found])


# ---------------------------------------------------------------- stages

PAIRS = ("consecutive", "all")
#: Percentiles every transition reports (``median`` and ``p90``).
TRANSITION_PERCENTILES = (50.0, 90.0)


def stage_pairs(stages: StageSet, pairs: str = "consecutive") -> list[tuple[str, str]]:
    """Consecutive stages in process order, or every ordered pair (``all``)."""
    names = stages.stages
    if pairs == "consecutive":
        return list(pairwise(names))
    if pairs == "all":
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    raise MetricOptionError(f"pairs must be one of {', '.join(PAIRS)}, not {pairs!r}")


def stage_transitions(
    projects: pd.DataFrame,
    stages: StageSet,
    options: MetricOptions = MetricOptions(),
    *,
    pairs: str = "consecutive",
    group_keys: pd.DataFrame | None = None,
    percentiles: Sequence[float] = (),
) -> Rows:
    """Days between pairs of stages, over the projects that have both dates in order.

    Measured over the same projects as the summary: invalid projects (no start,
    or end before start) are left out. A pair whose later stage is dated before
    the earlier one is out of order: left out of the statistics and counted in
    ``out_of_order``. Days are in the options' unit.

    ``share`` is the transition's mean days over the mean days of complete
    projects (start to end of the metric, unrounded means): where the time
    goes. It is null for transitions outside the metric's start..end and when
    no project is complete.

    With ``group_keys`` (a frame of key columns aligned with ``projects``),
    every row starts with ``group`` (see :class:`Grouping`), groups in order,
    pairs in process order within each group; all groups are measured at once.
    """
    keys = _statistic_keys(percentiles, TRANSITION_PERCENTILES)
    pair_list = stage_pairs(stages, pairs)
    grouped = grouping(group_keys, len(projects))
    n_groups, n_pairs = grouped.size, len(pair_list)
    valid = (projects["status"] != INVALID).to_numpy(dtype=bool)
    matrix = table_matrix(projects, stages)
    clock = table_clock(options, matrix)
    position = {stage: i for i, stage in enumerate(stages.stages)}
    values, cells = [], []
    out_of_order = np.zeros(n_groups * n_pairs, dtype=np.int64)
    cell_type = _index_type(n_groups * n_pairs)
    for p, (first, second) in enumerate(pair_list):
        a, b = matrix[:, position[first]], matrix[:, position[second]]
        both = valid & (a != _NONE) & (b != _NONE)
        backwards = both & (b < a)
        ordered = both & ~backwards
        out_of_order += np.bincount(
            grouped.codes[backwards] * n_pairs + p, minlength=n_groups * n_pairs
        )
        values.append(clock(a[ordered], b[ordered]))
        cell = grouped.codes[ordered].astype(cell_type)
        cell *= n_pairs
        cell += p
        cells.append(cell)
    all_values = np.concatenate(values) if values else np.zeros(0, np.int64)
    values.clear()
    all_cells = np.concatenate(cells) if cells else np.zeros(0, np.int64)
    cells.clear()
    stats = grouped_statistics(all_values, all_cells, n_groups * n_pairs, percentiles)
    del all_values, all_cells
    complete = (projects["status"] == COMPLETE).to_numpy(dtype=bool)
    total_days = projects["days"].to_numpy(dtype=np.float64, na_value=np.nan)
    total_count = np.bincount(grouped.codes[complete], minlength=n_groups)
    total_sum = np.bincount(
        grouped.codes[complete], weights=total_days[complete], minlength=n_groups
    )
    inside = set(stages.stages[position[stages.start] : position[stages.end] + 1])
    group_of_cell = np.repeat(np.arange(n_groups), n_pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        total_mean = np.where(total_count > 0, total_sum / np.maximum(total_count, 1), np.nan)
        share = stats["mean"] / total_mean[group_of_cell]
    within = np.tile([a in inside and b in inside for a, b in pair_list], n_groups)
    share[~within | ~np.isfinite(share)] = np.nan
    columns: dict[str, Column] = {}
    if group_keys is not None:
        columns["group"] = Picked(group_of_cell, grouped.labels)
    pair_of_cell = np.tile(np.arange(n_pairs), n_groups)
    columns["from"] = Picked(pair_of_cell, [a for a, _ in pair_list])
    columns["to"] = Picked(pair_of_cell, [b for _, b in pair_list])
    columns |= _statistics_columns(stats, keys)
    columns["share"] = Numbers(share, 4)
    columns["out_of_order"] = Counts(out_of_order)
    return Rows(columns)


def slowest_transition(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The transition with the highest median (then mean) among all measured ones."""
    measured = [r for r in rows if r["median"] is not None]
    return max(measured, key=lambda r: (r["median"], r["mean"]), default=None)


# ---------------------------------------------------------------- periods

PERIODS = {"year": "Y", "quarter": "Q", "month": "M"}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def period_frequency(by: str, fiscal_year_start: int = 1) -> str:
    """The pandas period frequency of ``by``; fiscal years end the month before they start."""
    if by not in PERIODS:
        raise MetricOptionError(f"periods are one of {', '.join(PERIODS)}, not {by!r}")
    if not 1 <= fiscal_year_start <= 12:
        raise MetricOptionError(f"the fiscal year starts in month 1-12, not {fiscal_year_start}")
    if fiscal_year_start == 1:
        return PERIODS[by]
    if by == "month":
        raise MetricOptionError("a fiscal year start applies to years and quarters, not months")
    return f"{PERIODS[by]}-{_MONTHS[fiscal_year_start - 2]}"


def period_labels(ordinals: np.ndarray, frequency: str) -> list[str]:
    """``2023``, ``2023Q1``, ``2023-01``; fiscal ones ``FY2024``, ``FY2024Q1``.

    A fiscal year is labelled by the calendar year in which it ends (pandas'
    convention too): with an April start, 2023-04-01..2024-03-31 is ``FY2024``
    and its first quarter (April-June 2023) ``FY2024Q1``.
    """
    text = pd.PeriodIndex.from_ordinals(ordinals, freq=frequency).astype(str).tolist()
    return [f"FY{t}" for t in text] if "-" in frequency else text


def trend(
    projects: pd.DataFrame,
    stages: StageSet,
    *,
    by: str = "year",
    period_of: str | None = None,
    fiscal_year_start: int = 1,
    group_keys: pd.DataFrame | None = None,
    percentiles: Sequence[float] = (),
    options: MetricOptions | None = None,
    survival: bool = False,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> Rows:
    """One row per period of a stage's date, every period in each group's range included.

    Periods are of ``period_of``'s date (default: the metric's start stage);
    projects without that date are in no period. Rows: ``period``,
    ``projects``, ``complete``, ``open``, ``invalid``, ``withdrawn`` (these four add
    up to ``projects``), ``median_days``, ``p<N>_days`` for each of ``percentiles``
    (50 is ``median_days``), ``same_day_share``, ``fast_track_share``; with
    ``survival``, ``km_median_days`` (Kaplan-Meier median counting open
    projects, see :mod:`etown_approvals.survival`; ``options`` then sets
    ``as_of`` and the unit, and ``withdrawn`` marks withdrawn projects).
    With ``group_keys``, rows start with ``group`` and every group is measured
    at once.
    """
    stage = period_of or stages.start
    if stage not in stages.stages:
        raise MetricOptionError(
            f"no stage {stage!r} to take periods of (stages: {', '.join(stages.stages)})"
        )
    frequency = period_frequency(by, fiscal_year_start)
    grouped = grouping(group_keys, len(projects))
    dated = projects[stage].notna().to_numpy(dtype=bool)
    if not dated.any():
        return Rows({})
    ordinals = np.zeros(len(projects), dtype=np.int64)
    ordinals[dated] = projects.loc[dated, stage].dt.to_period(frequency).array.asi8
    codes = grouped.codes
    # Each group's own first..last period; cells laid out group after group.
    low = np.full(grouped.size, np.iinfo(np.int64).max)
    high = np.full(grouped.size, np.iinfo(np.int64).min)
    np.minimum.at(low, codes[dated], ordinals[dated])
    np.maximum.at(high, codes[dated], ordinals[dated])
    present = high >= low
    length = np.where(present, high - low + 1, 0)
    offset = np.concatenate(([0], np.cumsum(length)[:-1]))
    n_cells = int(length.sum())
    cell = np.full(len(projects), -1, dtype=np.int64)
    cell[dated] = offset[codes[dated]] + ordinals[dated] - low[codes[dated]]
    cell_group = np.repeat(np.arange(grouped.size), length)
    cell_ordinal = np.arange(n_cells) - offset[cell_group] + low[cell_group]

    # The one status rule (``withdrawn`` given: applied to it, as survival_times does).
    status = statuses_of(projects, stages, withdrawn)
    is_complete = (status == STATUSES.index(COMPLETE)) & dated
    is_open = (status == STATUSES.index(OPEN)) & dated
    is_invalid = (status == STATUSES.index(INVALID)) & dated
    is_withdrawn = (status == STATUSES.index(WITHDRAWN)) & dated

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=n_cells)

    total, complete, open_, invalid, withdrawn_count = (
        count(dated),
        count(is_complete),
        count(is_open),
        count(is_invalid),
        count(is_withdrawn),
    )
    same_day = count(projects["same_day"].to_numpy(dtype=bool) & dated)
    fast_track = count(projects["fast_track"].to_numpy(dtype=bool) & dated)
    days = projects["days"].to_numpy(dtype=np.int64, na_value=0)  # read where complete
    stats = grouped_statistics(days[is_complete], cell[is_complete], n_cells, percentiles)
    extra = [p for p in percentile_list(percentiles) if p in {float(q) for q in percentiles}]
    km = None
    if survival:
        times, observed, usable = survival_times(
            projects, stages, options or MetricOptions(), withdrawn=withdrawn
        )
        usable &= dated
        km = km_medians(times[usable], observed[usable], cell[usable], n_cells)
    columns: dict[str, Column] = {}
    if group_keys is not None:
        columns["group"] = Picked(cell_group, grouped.labels)
    # Few distinct periods over many groups: each labelled once.
    distinct, period_code = np.unique(cell_ordinal, return_inverse=True)
    columns["period"] = Picked(period_code, period_labels(distinct, frequency))
    columns["projects"] = Counts(total)
    columns["complete"] = Counts(complete)
    columns["open"] = Counts(open_)
    columns["invalid"] = Counts(invalid)
    columns["withdrawn"] = Counts(withdrawn_count)
    columns["median_days"] = Numbers(stats["median"])
    for level in extra:
        if level != 50:
            columns[f"{percentile_key(level)}_days"] = Numbers(stats[percentile_key(level)])
    if km is not None:
        columns["km_median_days"] = Numbers(km)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["same_day_share"] = Numbers(same_day / complete, 4)
        columns["fast_track_share"] = Numbers(fast_track / complete, 4)
    return Rows(columns)


def _statistics_columns(stats: dict[str, np.ndarray], keys: Sequence[str]) -> dict[str, Column]:
    """:func:`grouped_statistics` as columns of rows (None where a cell is empty)."""
    return {key: Counts(stats[key]) if key == "count" else Numbers(stats[key]) for key in keys}


# ---------------------------------------------------------------- selection


def in_window(
    projects: pd.DataFrame, stages: StageSet, since: date | None, until: date | None
) -> pd.DataFrame:
    """Projects whose start date falls in ``since..until`` (inclusive); no window keeps all."""
    if since is None and until is None:
        return projects
    start = projects[stages.start]
    keep = start.notna()
    if since is not None:
        keep &= start >= pd.Timestamp(since)
    if until is not None:
        keep &= start <= pd.Timestamp(until)
    return projects[keep.to_numpy(dtype=bool)]


def groups(projects: pd.DataFrame, values: pd.Series) -> list[tuple[str | None, pd.DataFrame]]:
    """Projects split by ``values`` (one per project, e.g. an attribute column), in order of
    first appearance; projects without a value last."""
    out: list[tuple[str | None, pd.DataFrame]] = [
        (str(value), part) for value, part in projects.groupby(values, sort=False, observed=True)
    ]
    missing = projects[values.isna().to_numpy(dtype=bool)]
    if len(missing):
        out.append((None, missing))
    return out


SORT_KEYS = ("days", "start", "end", "waiting", "project")


def sort_projects(
    projects: pd.DataFrame, stages: StageSet, key: str, *, descending: bool = False
) -> pd.DataFrame:
    """Projects ordered by ``key``: ``days`` (complete projects), ``waiting`` (open
    projects' waiting days), ``start``/``end`` (the metric's stage dates) or ``project``.
    Projects without a value come last in either direction; ties keep file order."""
    return projects.iloc[sort_order(projects, stages, key, descending=descending)]


def sort_order(
    projects: pd.DataFrame, stages: StageSet, key: str, *, descending: bool = False
) -> np.ndarray:
    """The positions of ``projects`` in :func:`sort_projects`' order."""
    if key == "project":
        values = pd.Series(projects.index.astype(str).to_numpy(dtype=object))
    else:
        values = projects[_sort_column(stages, key)].reset_index(drop=True)
    ordered = values.sort_values(ascending=not descending, kind="stable", na_position="last")
    return ordered.index.to_numpy()


def _sort_column(stages: StageSet, key: str) -> str:
    columns = {
        "days": "days",
        "waiting": "waiting_days",
        "start": stages.start,
        "end": stages.end,
    }
    if key not in columns:
        raise MetricOptionError(f"sort keys are {', '.join(SORT_KEYS)}, not {key!r}")
    return columns[key]


def target(
    projects: pd.DataFrame,
    stages: StageSet,
    workdays: int,
    options: MetricOptions = MetricOptions(),
) -> dict[str, Any]:
    """How many complete projects met a target of ``workdays`` working days (always workdays)."""
    complete = projects[(projects["status"] == COMPLETE).to_numpy(dtype=bool)]
    start, end = day_numbers(complete[stages.start]), day_numbers(complete[stages.end])
    if options.unit == "workdays":
        taken = complete["days"].to_numpy(dtype=np.int64)
    else:
        workday_options = MetricOptions(unit="workdays", calendar=options.calendar)
        taken = clock_for(workday_options, np.concatenate([start, end]))(start, end)
    over = taken > workdays
    return {
        "workdays": workdays,
        "calendar": options.calendar,
        "met": int((~over).sum()),
        "over": int(over.sum()),
        "share_met": _share(int((~over).sum()), len(complete)),
        "projects_over": [str(name) for name in complete.index[over]],
    }


# -- survival times: what the Kaplan-Meier estimates of survival and trend start from --

#: Survival probabilities closer than this to one half count as exactly one half.
HALF_TOLERANCE = 1e-9


def withdrawn_mask(
    projects: pd.DataFrame,
    stages: StageSet,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> np.ndarray:
    """Which projects are withdrawn: by the one status rule
    (:func:`etown_approvals.metrics.statuses_of`), with ``withdrawn`` as the marks
    if given, else the table's ``status``."""
    return statuses_of(projects, stages, withdrawn) == STATUSES.index(WITHDRAWN)


def survival_times(
    projects: pd.DataFrame,
    stages: StageSet,
    options: MetricOptions = MetricOptions(),
    *,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per project: time (days in the options' unit), whether it is an event, whether usable.

    Statuses come from the one rule (:func:`etown_approvals.metrics.statuses_of`;
    ``withdrawn`` marks projects as the loader's ``--withdrawn`` does). Complete
    projects are events at ``days``. Open projects are censored at
    ``waiting_days`` (unusable when they start after ``as_of``). Withdrawn
    projects are censored at their last recorded stage (days from start, at
    least 0). Invalid projects are unusable.
    """
    codes = statuses_of(projects, stages, withdrawn)
    complete = codes == STATUSES.index(COMPLETE)
    gone = codes == STATUSES.index(WITHDRAWN)
    open_ = codes == STATUSES.index(OPEN)
    times = np.zeros(len(projects), dtype=np.float64)
    times[complete] = projects["days"].to_numpy(dtype=np.float64, na_value=np.nan)[complete]
    waiting = projects["waiting_days"].to_numpy(dtype=np.float64, na_value=np.nan)
    times[open_] = waiting[open_]
    usable = complete | (open_ & ~np.isnan(waiting))
    if gone.any():
        matrix = table_matrix(projects, stages)
        start = matrix[:, stages.stages.index(stages.start)]
        last = matrix.max(axis=1)  # _NONE is the smallest int64, so missing stages never win
        clock = table_clock(options, matrix)
        rows = np.flatnonzero(gone)  # a withdrawn project has a start: the rule says so
        times[rows] = np.maximum(clock(start[rows], last[rows]), 0)
        usable |= gone
    return times, complete, usable


def km_medians(
    times: np.ndarray, observed: np.ndarray, codes: np.ndarray, n_codes: int
) -> np.ndarray:
    """Kaplan-Meier median of every group 0..n_codes-1 at once (NaN: not reached or empty).

    One sort by (group, time); per distinct (group, time): at risk ``n`` (the
    group's observations at or after it) and events ``d``; S is the running
    product of (1 - d/n) within the group. Same median rule as
    :func:`etown_approvals.survival.crossing`.
    """
    times = np.asarray(times, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    codes = np.asarray(codes, dtype=np.int64)
    out = np.full(n_codes, np.nan)
    if times.size == 0:
        return out
    order = np.lexsort((times, codes))
    times, observed, codes = times[order], observed[order], codes[order]
    size = np.bincount(codes, minlength=n_codes)
    group_end = np.cumsum(size)
    new = np.ones(times.size, dtype=bool)
    new[1:] = (codes[1:] != codes[:-1]) | (times[1:] != times[:-1])
    starts = np.flatnonzero(new)
    cell_code, cell_time = codes[starts], times[starts]
    at_risk = group_end[cell_code] - starts
    events = np.add.reduceat(observed.astype(np.int64), starts)
    factor = 1.0 - events / at_risk
    curve = pd.Series(factor).groupby(cell_code).cumprod().to_numpy()
    reached = curve <= 0.5 + HALF_TOLERANCE
    groups_reached, first = np.unique(cell_code[reached], return_index=True)
    first_cell = np.flatnonzero(reached)[first]
    result = cell_time[first_cell]
    exact = curve[first_cell] >= 0.5 - HALF_TOLERANCE
    below = curve < 0.5 - HALF_TOLERANCE
    groups_below, first_below = np.unique(cell_code[below], return_index=True)
    below_time = np.full(n_codes, np.nan)
    below_time[groups_below] = cell_time[np.flatnonzero(below)[first_below]]
    later = below_time[groups_reached]
    midpoint = exact & ~np.isnan(later)
    result = np.where(midpoint, (result + later) / 2, result)
    out[groups_reached] = result
    return out
