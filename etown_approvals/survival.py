"""Kaplan-Meier estimates of the time from the metric's start to its end stage.

A plain median over complete projects leaves out the projects still waiting,
so the slowest cases drop out of every recent period. The Kaplan-Meier
(product-limit) estimator counts them: a complete project is an *event* at its
``days``; an open project is *censored* at its waiting time as of ``as_of`` (it
is known to take at least that long); a withdrawn project is censored at its
last recorded stage; invalid projects, and open projects that start after
``as_of``, are left out.

The curve and its confidence band come from ``scipy.stats.ecdf`` on
``scipy.stats.CensoredData``: scipy is maintained, already needed for the
comparison tests, and far lighter than lifelines (which brings matplotlib,
autograd and formulaic). The band is scipy's ``log-log`` method ("exponential
Greenwood": Greenwood's variance on the log(-log S) scale), which stays inside
[0, 1]; the 95% interval of the median is where that band crosses one half
(Brookmeyer and Crowley's construction, as R's ``survfit`` reports it).

Many groups at once (``trend`` periods x ``--group-by`` values) use
:func:`km_medians`, a vectorized product-limit over all groups in one sort:
``scipy.stats.ecdf`` costs about 0.3 ms a call, which for 20,000 groups x
periods would be minutes. The tests check it against scipy and against a plain
product-limit written in the test.

Imported only when a survival estimate is asked for, so scipy stays out of
every other command.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .metrics import (
    COMPLETE,
    OPEN,
    STATUSES,
    WITHDRAWN,
    MetricOptions,
    statuses_of,
    table_clock,
    table_matrix,
)
from .stages import StageSet

METHOD = "kaplan-meier"
CI_METHOD = "log-log (exponential Greenwood); median interval where the band crosses 0.5"
CONFIDENCE_LEVEL = 0.95
#: Survival probabilities closer than this to one half count as exactly one half.
_HALF_TOLERANCE = 1e-9


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


@dataclass(frozen=True)
class KaplanMeier:
    """A product-limit curve: S(t) just after each distinct time (events and censorings)."""

    time: np.ndarray
    survival: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    confidence_level: float = CONFIDENCE_LEVEL

    @property
    def n_events(self) -> int:
        return int(self.events.sum())

    def at(self, t: float) -> float | None:
        """S(t): the estimated share still waiting after ``t`` days (None without data)."""
        if self.time.size == 0:
            return None
        index = np.searchsorted(self.time, t, side="right") - 1
        return 1.0 if index < 0 else float(self.survival[index])

    def median(self) -> float | None:
        return crossing(self.time, self.survival)

    def median_interval(self) -> tuple[float | None, float | None]:
        return crossing(self.time, self.ci_low), crossing(self.time, self.ci_high)


def crossing(time: np.ndarray, survival: np.ndarray, level: float = 0.5) -> float | None:
    """The first time the step curve falls to ``level`` (None if it never does).

    Where the curve stays exactly at ``level`` from t1 until it drops at t2,
    the midpoint of t1 and t2 (as the plain median of an even count does, so
    without censoring the Kaplan-Meier median equals the plain median); if it
    never drops below, t1.
    """
    reached = np.flatnonzero(survival <= level + _HALF_TOLERANCE)
    if reached.size == 0:
        return None
    first = int(reached[0])
    if survival[first] >= level - _HALF_TOLERANCE:
        below = np.flatnonzero(survival < level - _HALF_TOLERANCE)
        if below.size:
            return (float(time[first]) + float(time[below[0]])) / 2
    return float(time[first])


def kaplan_meier(
    times: np.ndarray, observed: np.ndarray, confidence_level: float = CONFIDENCE_LEVEL
) -> KaplanMeier:
    """The Kaplan-Meier curve of ``times`` (``observed``: event, else right-censored), by scipy."""
    from scipy import stats

    times = np.asarray(times, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    if times.size == 0:
        empty = np.zeros(0)
        return KaplanMeier(empty, empty, empty, empty, empty, empty, confidence_level)
    if not observed.any():
        # scipy needs one event; with none the curve stays at 1 over the censoring times.
        time, at_risk = _at_risk(times)
        ones = np.ones(time.size)
        return KaplanMeier(time, ones, at_risk, np.zeros(time.size), ones, ones, confidence_level)
    sample = stats.CensoredData(uncensored=times[observed], right=times[~observed])
    result = stats.ecdf(sample).sf
    time = np.asarray(result.quantiles, dtype=np.float64)
    survival = np.asarray(result.probabilities, dtype=np.float64)
    with warnings.catch_warnings():
        # log-log is undefined where S is 0 or 1; filled below with the limits.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = result.confidence_interval(confidence_level, method="log-log")
    low = np.asarray(band.low.probabilities, dtype=np.float64)
    high = np.asarray(band.high.probabilities, dtype=np.float64)
    low = np.where(np.isnan(low), np.where(survival >= 1, 1.0, 0.0), low)
    high = np.where(np.isnan(high), np.where(survival <= 0, 0.0, 1.0), high)
    _, at_risk = _at_risk(times)
    events = np.zeros(time.size)
    np.add.at(events, np.searchsorted(time, times[observed]), 1)
    return KaplanMeier(time, survival, at_risk, events, low, high, confidence_level)


def _at_risk(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct times and how many observations are at or after each."""
    time, counts = np.unique(times, return_counts=True)
    return time, counts[::-1].cumsum()[::-1].astype(np.float64)


def survival(
    projects: pd.DataFrame,
    stages: StageSet,
    options: MetricOptions = MetricOptions(),
    *,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> dict[str, Any]:
    """The ``survival`` block of a summary: Kaplan-Meier median and its 95% interval.

    Keys: ``method`` ("kaplan-meier"), ``median`` (None when the curve never
    falls to one half: not reached), ``ci_low``, ``ci_high`` (None when the
    band does not reach one half), ``confidence_level``, ``ci_method``,
    ``events`` (complete projects), ``censored`` (open and withdrawn ones),
    ``withdrawn`` (of the censored), ``left_out`` (invalid projects and open
    ones starting after ``as_of``), and ``fast_track``: ``max_days`` and
    ``survival``, the estimated share still waiting after that many days
    (one minus it is the fast-track share counting open projects).
    """
    times, observed, usable = survival_times(projects, stages, options, withdrawn=withdrawn)
    curve = kaplan_meier(times[usable], observed[usable])
    low, high = curve.median_interval()
    gone = withdrawn_mask(projects, stages, withdrawn) & usable & ~observed
    at_bound = curve.at(options.fast_track_days)
    return {
        "method": METHOD,
        "median": _number(curve.median()),
        "ci_low": _number(low),
        "ci_high": _number(high),
        "confidence_level": CONFIDENCE_LEVEL,
        "ci_method": CI_METHOD,
        "events": int(observed[usable].sum()),
        "censored": int((usable & ~observed).sum()),
        "withdrawn": int(gone.sum()),
        "left_out": int((~usable).sum()),
        "fast_track": {
            "max_days": options.fast_track_days,
            "survival": None if at_bound is None else round(at_bound, 4),
        },
    }


def survival_curve(
    projects: pd.DataFrame,
    stages: StageSet,
    options: MetricOptions = MetricOptions(),
    *,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> dict[str, list[Any]]:
    """The curve for a chart: lists ``time``, ``survival``, ``ci_low``, ``ci_high``,
    ``at_risk``, ``events``, one entry per distinct time (S is 1 before the first)."""
    times, observed, usable = survival_times(projects, stages, options, withdrawn=withdrawn)
    curve = kaplan_meier(times[usable], observed[usable])
    return {
        "time": [_number(t) for t in curve.time],
        "survival": [round(float(s), 6) for s in curve.survival],
        "ci_low": [round(float(s), 6) for s in curve.ci_low],
        "ci_high": [round(float(s), 6) for s in curve.ci_high],
        "at_risk": [int(n) for n in curve.at_risk],
        "events": [int(d) for d in curve.events],
    }


def km_medians(
    times: np.ndarray, observed: np.ndarray, codes: np.ndarray, n_codes: int
) -> np.ndarray:
    """Kaplan-Meier median of every group 0..n_codes-1 at once (NaN: not reached or empty).

    One sort by (group, time); per distinct (group, time): at risk ``n`` (the
    group's observations at or after it) and events ``d``; S is the running
    product of (1 - d/n) within the group. Same median rule as :func:`crossing`.
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
    reached = curve <= 0.5 + _HALF_TOLERANCE
    groups_reached, first = np.unique(cell_code[reached], return_index=True)
    first_cell = np.flatnonzero(reached)[first]
    result = cell_time[first_cell]
    exact = curve[first_cell] >= 0.5 - _HALF_TOLERANCE
    below = curve < 0.5 - _HALF_TOLERANCE
    groups_below, first_below = np.unique(cell_code[below], return_index=True)
    below_time = np.full(n_codes, np.nan)
    below_time[groups_below] = cell_time[np.flatnonzero(below)[first_below]]
    later = below_time[groups_reached]
    midpoint = exact & ~np.isnan(later)
    result = np.where(midpoint, (result + later) / 2, result)
    out[groups_reached] = result
    return out


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded
