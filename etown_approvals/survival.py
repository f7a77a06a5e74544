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

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .metrics import (
    HALF_TOLERANCE,
    MetricOptions,
)
from .metrics import (
    km_medians as km_medians,
)
from .metrics import (
    survival_times as survival_times,
)
from .metrics import (
    withdrawn_mask as withdrawn_mask,
)
from .ranks import Tally
from .stages import StageSet

METHOD = "kaplan-meier"
CI_METHOD = "log-log (exponential Greenwood); median interval where the band crosses 0.5"
CONFIDENCE_LEVEL = 0.95
_HALF_TOLERANCE = HALF_TOLERANCE


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
        """How many events (completions) the curve has."""
        return int(self.events.sum())

    def at(self, t: float) -> float | None:
        """S(t): the estimated share still waiting after ``t`` days (None without data)."""
        if self.time.size == 0:
            return None
        index = np.searchsorted(self.time, t, side="right") - 1
        return 1.0 if index < 0 else float(self.survival[index])

    def median(self) -> float | None:
        """The median time (None: the curve never reaches one half)."""
        return crossing(self.time, self.survival)

    def median_interval(self) -> tuple[float | None, float | None]:
        """The median's confidence interval (None where the band never crosses one half)."""
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


def incidence_curve(
    projects: pd.DataFrame,
    stages: StageSet,
    options: MetricOptions = MetricOptions(),
    *,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> dict[str, list[Any]]:
    """The Aalen-Johansen curves of all projects for a chart: lists ``times``,
    ``completed`` and ``withdrawn`` (see :func:`cumulative_incidence`)."""
    times, outcome, usable = outcomes(projects, stages, options, withdrawn=withdrawn)
    (table,) = life_tables(times[usable], outcome[usable], np.zeros(int(usable.sum())), 1)
    time, completed, withdrawn_share = cumulative_incidence(table)
    return {
        "times": [_number(t) for t in time.tolist()],
        "completed": np.round(completed, 6).tolist(),
        "withdrawn": np.round(withdrawn_share, 6).tolist(),
    }


# -- many groups as counts per distinct time -------------------------------------------

#: Outcome codes of :func:`life_tables`.
COMPLETED, WITHDREW, CENSORED = 0, 1, 2


def outcomes(
    projects: pd.DataFrame,
    stages: StageSet,
    options: MetricOptions = MetricOptions(),
    *,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per project: time, outcome (:data:`COMPLETED`, :data:`WITHDREW`, else
    :data:`CENSORED`) and whether usable, as :func:`survival_times` has them."""
    times, observed, usable = survival_times(projects, stages, options, withdrawn=withdrawn)
    gone = withdrawn_mask(projects, stages, withdrawn)  # never complete: the one status rule
    outcome = np.where(observed, COMPLETED, np.where(gone, WITHDREW, CENSORED))
    return times, outcome, usable


@dataclass(frozen=True)
class LifeTable:
    """One group's usable projects counted per distinct ``time`` (days in the metric's
    unit, ascending): ``completed`` there (events), ``withdrawn`` there (censored for
    Kaplan-Meier, a competing event for Aalen-Johansen), ``censored`` there (open).

    Durations are whole days, so a million projects are a few thousand rows: every
    estimate below works on these counts, not on the projects.
    """

    time: np.ndarray
    completed: np.ndarray
    withdrawn: np.ndarray
    censored: np.ndarray

    @property
    def n(self) -> int:
        """How many projects the table counts."""
        return int(self.completed.sum() + self.withdrawn.sum() + self.censored.sum())

    @property
    def at_risk(self) -> np.ndarray:
        """Projects whose time is at or after each row's time."""
        total = self.completed + self.withdrawn + self.censored
        return total[::-1].cumsum()[::-1]

    @property
    def longest(self) -> float | None:
        """The longest follow-up (any outcome); None without projects."""
        return float(self.time[-1]) if self.time.size else None

    def complete_days(self) -> Tally:
        """The complete projects' days, as a tally."""
        done = self.completed > 0
        return Tally(self.time[done].astype(np.int64), self.completed[done].astype(np.int64))

    def kaplan_meier(self) -> tuple[np.ndarray, np.ndarray]:
        """S just after each completion time (withdrawals censored): times and survival."""
        event = self.completed > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = 1.0 - self.completed[event] / self.at_risk[event]
        return self.time[event], np.cumprod(factor)

    def km_median(self) -> float | None:
        """The Kaplan-Meier median, by :func:`crossing` (None: not reached)."""
        time, curve = self.kaplan_meier()
        return crossing(time, curve)

    def open_at_end(self) -> bool:
        """Whether projects are still open (censored) at the longest follow-up, so that
        nothing can be said beyond it."""
        return bool(self.time.size) and bool(self.censored[-1] > 0)


def life_tables(
    times: np.ndarray, outcomes: np.ndarray, codes: np.ndarray, n_groups: int
) -> list[LifeTable]:
    """A :class:`LifeTable` per group 0..n_groups-1 of projects with ``times``,
    ``outcomes`` (:data:`COMPLETED`, :data:`WITHDREW`, :data:`CENSORED`) and group
    ``codes``: one count of (group, time, outcome) over all projects."""
    times = np.asarray(times, dtype=np.float64)
    outcomes = np.asarray(outcomes, dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if times.size == 0:
        return [LifeTable(np.zeros(0), empty, empty, empty) for _ in range(n_groups)]
    low, high = float(times.min()), float(times.max())
    whole = bool((times == np.floor(times)).all())
    width = int(high - low) + 1 if whole else 0
    if whole and width * n_groups * 3 <= max(4 * times.size, 1 << 22):
        # Dense: a count per (group, day, outcome), in one bincount.
        key = (codes * width + (times - low).astype(np.int64)) * 3 + outcomes
        cube = np.bincount(key, minlength=n_groups * width * 3).reshape(n_groups, width, 3)
        found = []
        for g in range(n_groups):
            rows = np.flatnonzero(cube[g].any(axis=1))
            counts = cube[g][rows]
            found.append(
                LifeTable(rows + low, counts[:, 0].copy(), counts[:, 1].copy(), counts[:, 2].copy())
            )
        return found
    distinct, index = np.unique(times, return_inverse=True)
    cell = codes * distinct.size + index.ravel()
    cells, inverse = np.unique(cell, return_inverse=True)
    counts = np.zeros((cells.size, 3), dtype=np.int64)
    np.add.at(counts, (inverse.ravel(), outcomes), 1)
    group_of = cells // distinct.size
    bounds = np.searchsorted(group_of, np.arange(n_groups + 1))
    return [
        LifeTable(
            distinct[cells[a:b] % distinct.size],
            counts[a:b, 0].copy(),
            counts[a:b, 1].copy(),
            counts[a:b, 2].copy(),
        )
        for a, b in itertools.pairwise(bounds)
    ]


def restricted_mean(table: LifeTable, horizon: float) -> tuple[float, float] | None:
    """Restricted mean survival time to ``horizon`` (the area under the Kaplan-Meier
    curve from 0 to it) and its variance (Greenwood-type:
    sum of A_j^2 d_j / (n_j (n_j - d_j)) over completion times up to the horizon,
    A_j the area from t_j to the horizon). None when the horizon lies beyond the
    longest follow-up while the curve has not fallen to 0 (unknown there)."""
    if table.time.size == 0:
        return None
    time, curve = table.kaplan_meier()
    if horizon > table.time[-1] and not (curve.size and curve[-1] <= 0):
        return None
    keep = time <= horizon
    edges = np.concatenate(([0.0], time[keep], [horizon]))
    heights = np.concatenate(([1.0], curve[keep]))
    areas = heights * np.diff(edges)
    estimate = float(areas.sum())
    after = areas[::-1].cumsum()[::-1][1:]  # area from each completion time to the horizon
    event = table.completed > 0
    d = table.completed[event][keep].astype(np.float64)
    n = table.at_risk[event][keep].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, after**2 * d / (n * (n - d)), 0.0)
    return estimate, float(terms.sum())


def logrank(first: LifeTable, second: LifeTable) -> float | None:
    """Two-sided p-value of the log-rank test of two groups (withdrawals censored);
    None when the pair has no completion or its variance is 0."""
    time = np.union1d(first.time, second.time)
    at_risk, events = [], []
    for table in (first, second):
        total = table.completed + table.withdrawn + table.censored
        before = np.concatenate(([0], np.cumsum(total)))
        at_risk.append(table.n - before[np.searchsorted(table.time, time, side="left")])
        d = np.zeros(time.size)
        d[np.searchsorted(time, table.time)] = table.completed
        events.append(d)
    n1, n = at_risk[0].astype(np.float64), (at_risk[0] + at_risk[1]).astype(np.float64)
    d1, d = events[0], events[0] + events[1]
    live = (d > 0) & (n > 0)
    if not live.any():
        return None
    n1, n, d1, d = n1[live], n[live], d1[live], d[live]
    share = n1 / n
    expected = d * share
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, d * share * (1 - share) * (n - d) / (n - 1), 0.0).sum()
    if variance <= 0:
        return None
    z = abs(float(d1.sum() - expected.sum())) / math.sqrt(float(variance))
    return math.erfc(z / math.sqrt(2))  # chi-square with 1 degree of freedom: |z| two-sided


def cumulative_incidence(table: LifeTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aalen-Johansen cumulative incidence of completion and of withdrawal (competing
    events; open projects censored): at each time where a project completes or is
    withdrawn, the estimated share completed by then and the share withdrawn by then.
    Without withdrawals the first is 1 - Kaplan-Meier."""
    ended = table.completed + table.withdrawn
    at_risk = table.at_risk.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, ended / at_risk, 0.0)
    after = np.cumprod(1.0 - hazard)
    before = np.concatenate(([1.0], after[:-1]))  # overall S just before each time
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk > 0, before / at_risk, 0.0)
    completed = np.cumsum(step * table.completed)
    withdrawn = np.cumsum(step * table.withdrawn)
    event = ended > 0
    return table.time[event], completed[event], withdrawn[event]


def bootstrap_km_medians(table: LifeTable, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Kaplan-Meier medians of ``resamples`` bootstrap resamples of the group's
    projects (NaN: not reached in that resample).

    A resample draws the group's n projects with replacement: a multinomial count
    of each (time, outcome) cell. It is drawn cell by cell in time order, each a
    binomial of the projects left to draw (the chain rule of the multinomial), for
    all resamples at once; censorings between two completion times only shrink
    the risk set, so they are one cell. The loop stops once every resample's curve
    has fallen below one half: the cells after its median cannot change it.
    """
    medians = np.full(resamples, np.nan)
    event = np.flatnonzero(table.completed)
    if table.n == 0 or event.size == 0:
        return medians
    lost = table.withdrawn + table.censored
    lost_before = np.concatenate(([0], np.cumsum(lost)))
    bounds = np.concatenate(([0], event, [table.time.size]))
    lost_between = (lost_before[bounds[1:]] - lost_before[bounds[:-1]]).tolist()
    at_risk = table.at_risk[event].tolist()
    completed = table.completed[event].tolist()
    times = table.time[event].tolist()
    left = np.full(resamples, table.n, dtype=np.int64)
    if lost_between[0]:
        left -= rng.binomial(left, lost_between[0] / table.n)
    curve = np.ones(resamples)
    first = np.full(resamples, np.nan)  # when the curve first reached one half
    exactly_half = np.zeros(resamples, dtype=bool)
    done = np.zeros(resamples, dtype=bool)
    upper, lower = 0.5 + _HALF_TOLERANCE, 0.5 - _HALF_TOLERANCE
    tracking = False  # until some resample's curve is near one half
    for k, t in enumerate(times):
        d = rng.binomial(left, completed[k] / at_risk[k])
        curve *= 1.0 - d / np.maximum(left, 1)  # no project left: d is 0
        left -= d
        rest = at_risk[k] - completed[k]
        if lost_between[k + 1] and rest:
            left -= rng.binomial(left, lost_between[k + 1] / rest)
        if not tracking:
            if curve.min() > upper:
                continue
            tracking = True
        # a curve that sat at exactly one half: the midpoint to where it drops below
        dropped = exactly_half & ~done & (curve < lower)
        medians[dropped] = (first[dropped] + t) / 2
        done |= dropped
        reached = np.isnan(first) & (curve <= upper)
        first[reached] = t
        exactly_half |= reached & (curve >= lower)
        crossed = reached & (curve < lower)
        medians[crossed] = t
        done |= crossed
        if done.all():
            break
    stayed = exactly_half & ~done  # at one half to the end: its first time
    medians[stayed] = first[stayed]
    return medians


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded
