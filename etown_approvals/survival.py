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
    horizon = float(horizon)  # numpy arrays of floats, whatever number was given
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


# -- the bootstrap of the Kaplan-Meier median ------------------------------------------

#: Projects left to draw from which a stage's counts are drawn as Poisson counts made
#: exact (below it, project by project).
_POISSON_FROM = 400
#: ... and only where a resample would otherwise draw this many projects per cell.
_DRAWS_PER_CELL = 3
#: Poisson means up to this get a guide table (of at least 2 ** _GUIDE_BITS bins);
#: larger ones are numpy's draws.
_TABLE_MEAN = 10_000.0
_GUIDE_BITS = 10
#: Cells of resamples worked on at once (memory: a few arrays of this many numbers).
_BLOCK = 1 << 16
#: The first stage ends where the group's own curve is this many standard errors below
#: one half; a stage has at least this many runs of completions.
_MARGIN = 6
_STAGE_RUNS = 16


@dataclass(frozen=True)
class _Runs:
    """A group's projects in time order as alternating runs: projects lost (withdrawn
    or open) before the first completion, then completions, losses, completions ...
    (``counts``: L, C_0, L_0, C_1, L_1, ..., C_m-1, L_m-1; a run of completions is
    every completion day with no loss between them, a run of losses every loss
    between two completion days). Within a run of completions the risk set only
    shrinks by completions, so the Kaplan-Meier curve at its end depends only on its
    total; which day a resample's curve crosses one half within it is an order
    statistic of the run's days (``day``, ``cum``: its completion days and their
    cumulative counts)."""

    counts: np.ndarray
    day: np.ndarray
    cum: np.ndarray
    first: np.ndarray
    last: np.ndarray
    base: np.ndarray

    @classmethod
    def of(cls, table: LifeTable) -> _Runs:
        k = table.time.size
        count = np.stack([table.completed, table.withdrawn + table.censored], axis=1).ravel()
        count = count.astype(np.int64)
        kind = np.tile(np.array([0, 1]), k)  # at each day its completions, then its losses
        keep = count > 0
        kind, count, day = kind[keep], count[keep], np.repeat(np.arange(k), 2)[keep]
        new = np.ones(kind.size, dtype=bool)
        new[1:] = kind[1:] != kind[:-1]
        run = np.cumsum(new) - 1
        counts = np.bincount(run, weights=count).astype(np.int64)
        if kind[0] == 0:  # no loss before the first completion: an empty run of losses
            counts, run = np.concatenate(([0], counts)), run + 1
        if kind[-1] == 0:
            counts = np.append(counts, 0)
        completion = kind == 0
        cum = np.cumsum(count[completion])
        of_run = (run[completion] - 1) // 2
        runs = np.arange((counts.size - 1) // 2)
        first = np.searchsorted(of_run, runs)
        last = np.searchsorted(of_run, runs, side="right") - 1
        base = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0)
        return cls(counts, table.time[day[completion]].astype(np.float64), cum, first, last, base)

    def day_of(self, run: np.ndarray, share: np.ndarray) -> np.ndarray:
        """The day of run ``run``'s completions at quantile ``share`` (of its projects)."""
        total = self.cum[self.last[run]] - self.base[run]
        index = np.searchsorted(self.cum, self.base[run] + share * total, side="left")
        return self.day[np.clip(index, self.first[run], self.last[run])]


class _PoissonCounts:
    """Independent Poisson counts with means ``means`` (one per cell), rows at a time,
    by inversion: 64 random bits a count, compared with the cumulative probabilities
    as 64-bit thresholds. A guide table per distinct mean, over the bits' first few,
    gives the count at once where no threshold falls inside the bin (nearly always),
    else the threshold to walk up from; numpy's sampler for very large means."""

    def __init__(self, means: np.ndarray) -> None:
        self.means = means
        distinct, which = np.unique(means, return_inverse=True)
        large = distinct > _TABLE_MEAN
        self.large = np.flatnonzero(large[which])
        self.small = np.flatnonzero(~large[which])
        mean = distinct[~large]
        # counts from low to top: the tails beyond have a probability below 1e-20
        spread = 10 * np.sqrt(mean) + 14
        low = np.maximum(0, (mean - spread).astype(np.int64))
        size = (mean + spread).astype(np.int64) - low + 1
        start = np.cumsum(size) - size  # each mean's thresholds in one array
        table = np.repeat(np.arange(mean.size), size)
        count = (np.arange(table.size) - start[table] + low[table]).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mean = np.where(mean > 0, np.log(mean), -np.inf)
            pmf = np.exp(count * log_mean[table] - mean[table] - _log_factorial(count))
        pmf[(mean[table] == 0) & (count == 0)] = 1.0
        # P(count <= k) as a 64-bit threshold; the last of each takes everything left
        cdf = np.cumsum(pmf)
        cdf -= np.repeat(cdf[start] - pmf[start], size)
        self.limit = np.minimum(cdf * 2.0**64, 2.0**64 - 2.0**12).astype(np.uint64)
        self.limit[start + size - 1] = np.iinfo(np.uint64).max
        # guide bins over the first bits: enough that few hold a threshold
        bits = np.maximum(_GUIDE_BITS, np.ceil(np.log2(64 * np.sqrt(mean + 1)))).astype(np.int64)
        shift = (64 - bits).astype(np.uint64)
        bins = np.left_shift(1, bits)
        guide_at = np.cumsum(bins) - bins
        holding = guide_at[table] + (self.limit >> shift[table]).astype(np.int64)
        inside = np.bincount(holding, minlength=int(bins.sum()))  # thresholds in each bin
        before = np.cumsum(inside) - inside  # thresholds in earlier bins, all tables
        of_bin = np.repeat(np.arange(mean.size), bins)
        place = before  # the first threshold at or after the bin's start
        # no threshold inside: the count itself; else -1 - where to walk up from
        self.guide = np.where(inside == 0, place - start[of_bin] + low[of_bin], -1 - place).astype(
            np.int64
        )
        columns = (np.cumsum(~large) - 1)[which[self.small]]
        self.shift = shift[columns]
        self.guide_at = guide_at[columns]
        self.low = (low - start)[columns]

    def draw(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        if not self.small.size:
            return rng.poisson(self.means, (rows, self.means.size))
        bits = rng.bit_generator.random_raw((rows, self.small.size))
        key = (bits >> self.shift).view(np.int64)
        key += self.guide_at
        count = self.guide[key]
        flat = count.reshape(-1)
        walk = np.flatnonzero(flat < 0)
        if walk.size:  # a threshold inside the bin: up from it
            place = -1 - flat[walk]
            raw = bits.reshape(-1)[walk]
            higher = np.flatnonzero(raw >= self.limit[place])
            while higher.size:
                place[higher] += 1
                higher = higher[raw[higher] >= self.limit[place[higher]]]
            flat[walk] = place + self.low[walk % self.small.size]
        if self.small.size == self.means.size:
            return count
        found = np.empty((rows, self.means.size), dtype=np.int64)
        found[:, self.small] = count
        found[:, self.large] = rng.poisson(self.means[self.large], (rows, self.large.size))
        return found


def _log_factorial(values: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return np.asarray(gammaln(values + 1.0))


@dataclass
class _Stage:
    """The counts of one stage's cells: the multinomial of the projects a resample
    has left to draw over these cells and all later ones (``after`` projects)."""

    cells: np.ndarray
    after: int
    sampler: _PoissonCounts | None = None
    fewest: int = 0
    cell_of: np.ndarray | None = None  # each of the cells' projects: its cell

    def draw(self, rng: np.random.Generator, left: np.ndarray) -> np.ndarray:
        """Counts of the cells (rows: resamples with ``left`` projects to draw)."""
        inside = int(self.cells.sum())
        total = inside + self.after
        fewest = int(left.min())
        if (
            fewest < max(_POISSON_FROM, 64)
            or float(left.mean()) * inside / total <= _DRAWS_PER_CELL * self.cells.size
        ):
            # each project drawn: how many land in these cells, then which ones
            landed = rng.binomial(left, inside / total) if self.after else left
            found = np.zeros((left.size, self.cells.size), dtype=np.int64)
            chosen = rng.integers(0, inside, int(landed.sum()))
            self._add(found, chosen, np.repeat(np.arange(left.size), landed))
            return found
        if self.sampler is None or fewest < self.fewest:
            # Poisson counts with a mean total a little under the fewest projects left:
            # given their total t, they are a multinomial of t projects; t above what a
            # resample has left (about 1 in 40) is drawn again, and the projects still
            # to draw are drawn one by one, so each row is the multinomial of ``left``.
            self.fewest = fewest
            self.sampler = _PoissonCounts(self.cells * (fewest - 2 * math.sqrt(fewest)) / total)
        rate = (self.fewest - 2 * math.sqrt(self.fewest)) / total
        found = self.sampler.draw(rng, left.size)
        rows = np.arange(left.size)
        while True:
            got = found[rows].sum(axis=1) if rows.size < left.size else found.sum(axis=1)
            if self.after:
                got += rng.poisson(rate * self.after, rows.size)
            fits = got <= left[rows]
            more = left[rows[fits]] - got[fits]
            chosen = rng.integers(0, total, int(more.sum()))
            self._add(found, chosen, np.repeat(rows[fits], more))
            rows = rows[~fits]
            if not rows.size:
                return found
            found[rows] = self.sampler.draw(rng, rows.size)

    def _add(self, found: np.ndarray, chosen: np.ndarray, row_of: np.ndarray) -> None:
        """Add projects drawn one by one: ``chosen`` (a project's place among those
        left, the cells' first) for rows ``row_of``."""
        if self.cell_of is None:
            self.cell_of = np.repeat(np.arange(self.cells.size), self.cells)
        kept = chosen < self.cell_of.size
        if not kept.any():
            return
        cell = self.cell_of[chosen[kept]]
        width = self.cells.size
        found += np.bincount(row_of[kept] * width + cell, minlength=found.size).reshape(found.shape)


def bootstrap_km_medians(table: LifeTable, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Kaplan-Meier medians of ``resamples`` bootstrap resamples of the group's
    projects (NaN: not reached in that resample), median rule as :func:`crossing`.

    A resample draws the group's n projects with replacement: a multinomial count of
    each (time, outcome) cell. The cells are taken as alternating runs of losses and
    completions (:class:`_Runs`): the curve at the end of each run of completions
    depends on the runs' counts only. The runs' counts are drawn for all resamples
    at once, stage by stage in time order (the chain rule of the multinomial: a
    stage's counts are the multinomial of the projects a resample has left), the
    first stage reaching just past where the group's own curve is surely below one
    half, later ones for the few resamples that have not crossed it yet. Within the
    run where a resample's curve crosses one half, the day it does is the k-th of
    the run's completions in that resample: an order statistic of the run's days,
    drawn through its quantile function from Beta(k, d + 1 - k). The law is that of
    drawing projects one by one.
    """
    medians = np.full(resamples, np.nan)
    if table.n == 0 or not table.completed.any():
        return medians
    runs = _Runs.of(table)
    n = int(runs.counts.sum())
    upper = 0.5 + _HALF_TOLERANCE
    active = np.arange(resamples)
    placed = np.zeros(resamples, dtype=np.int64)  # projects drawn into earlier cells
    curve = np.ones(resamples)
    half_at = np.full(resamples, np.nan)  # at exactly one half since then: next drop?
    for r0, r1 in _stage_bounds(runs, n):
        if not active.size:
            break
        start = 0 if r0 == 0 else 2 * r0 + 1
        stage = _Stage(runs.counts[start : 2 * r1 + 1], int(runs.counts[2 * r1 + 1 :].sum()))
        column = np.arange(1 if r0 == 0 else 0, stage.cells.size, 2)  # its completion runs
        per = max(1, _BLOCK // stage.cells.size)
        going = []
        for at in range(0, active.size, per):
            rows = active[at : at + per]
            left = n - placed[rows]
            counts = stage.draw(rng, left)
            drawn = np.cumsum(counts, axis=1)
            done = counts[:, column]
            risk = left[:, None] - drawn[:, column]
            risk += done  # at risk at each run of completions
            factor = done / np.maximum(risk, 1)
            np.subtract(1.0, factor, out=factor)
            steps = np.cumprod(factor, axis=1)  # the curve relative to the stage's start
            waiting = ~np.isnan(half_at[rows])
            finished = np.zeros(rows.size, dtype=bool)
            if waiting.any():  # the next run with a completion ends a stay at one half
                w = np.flatnonzero(waiting)
                some = done[w] > 0
                ends = some.argmax(axis=1)
                found = some.any(axis=1)
                w, ends = w[found], ends[found]
                if w.size:
                    next_day = runs.day_of(r0 + ends, rng.beta(1, done[w, ends]))
                    medians[rows[w]] = (half_at[rows[w]] + next_day) / 2
                    half_at[rows[w]] = np.nan
                    finished[w] = True
            # the curve never rises: it crossed one half here if it is below at the end
            hit = np.flatnonzero((curve[rows] * steps[:, -1] <= upper) & ~waiting)
            if hit.size:
                stay = _crossings(
                    runs,
                    rng,
                    r0,
                    rows[hit],
                    curve[rows[hit], None] * steps[hit],
                    done[hit],
                    risk[hit],
                    curve,
                    medians,
                    half_at,
                )
                finished[hit] = True
                finished[hit[stay]] = False
                waiting[hit[stay]] = True
            keep = np.flatnonzero(~finished)
            placed[rows[keep]] += drawn[keep, -1]
            tracking = keep[~waiting[keep]]
            curve[rows[tracking]] *= steps[tracking, -1]
            going.append(rows[keep])
        active = np.concatenate(going)
    stayed = ~np.isnan(half_at)  # at one half to the end: its first time
    medians[stayed] = half_at[stayed]
    return medians


def _stage_bounds(runs: _Runs, n: int) -> list[tuple[int, int]]:
    """Stages of completion runs: the first to where the group's own curve is
    :data:`_MARGIN` standard errors (Greenwood) below one half, then each twice the
    last."""
    m = (runs.counts.size - 1) // 2
    done = runs.counts[1::2]
    risk = n - np.cumsum(runs.counts)[1::2] + done
    curve = np.cumprod(1.0 - done / risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.cumsum(np.where(risk > done, done / (risk * (risk - done)), 0.0))
    below = np.flatnonzero(curve <= 0.5 - _MARGIN * curve * np.sqrt(variance) - 1e-12)
    end = max(int(below[0]) + 1 if below.size else m, min(m, _STAGE_RUNS))
    bounds, start = [], 0
    while start < m:
        bounds.append((start, end))
        start, end = end, min(m, end + 2 * max(end - start, _STAGE_RUNS))
    return bounds


def _crossings(
    runs: _Runs,
    rng: np.random.Generator,
    r0: int,
    rows: np.ndarray,
    steps: np.ndarray,
    done: np.ndarray,
    risk: np.ndarray,
    curve: np.ndarray,
    medians: np.ndarray,
    half_at: np.ndarray,
) -> np.ndarray:
    """Medians of resamples whose curve crosses one half in this stage (``steps``:
    their curve at the end of each run); returns the rows (positions in ``rows``)
    whose curve sits at exactly one half after its last run of completions here,
    to be ended by a later stage."""
    upper, lower = 0.5 + _HALF_TOLERANCE, 0.5 - _HALF_TOLERANCE
    index = np.arange(rows.size)
    run = (steps <= upper).argmax(axis=1)
    before = np.where(run > 0, steps[index, np.maximum(run - 1, 0)], curve[rows])
    at_risk = risk[index, run].astype(np.float64)
    count = done[index, run]
    # the k-th completion of the run is where the curve first falls to one half
    k = np.clip(np.ceil(at_risk - at_risk * upper / before), 1, count).astype(np.int64)
    k -= (k > 1) & (before * (1.0 - (k - 1) / at_risk) <= upper)
    k += (k < count) & (before * (1.0 - k / at_risk) > upper)
    share = rng.beta(k, count - k + 1)
    day = runs.day_of(r0 + run, share)
    found = day.copy()
    exact = np.flatnonzero(before * (1.0 - k / at_risk) >= lower)
    inner = exact[k[exact] < count[exact]]
    if inner.size:  # at one half until the run's next completion, if on a later day
        after = share[inner] + (1 - share[inner]) * rng.beta(1, count[inner] - k[inner])
        next_day = runs.day_of(r0 + run[inner], after)
        later = next_day > day[inner]
        found[inner[later]] = (day[inner[later]] + next_day[later]) / 2
    last = exact[k[exact] == count[exact]]
    stay = np.zeros(0, dtype=np.int64)
    if last.size:  # at one half until the next run with a completion
        columns = np.arange(done.shape[1])
        some = (done[last] > 0) & (columns[None, :] > run[last, None])
        found_later = some.any(axis=1)
        ends = some.argmax(axis=1)
        now = last[found_later]
        if now.size:
            next_day = runs.day_of(
                r0 + ends[found_later], rng.beta(1, done[now, ends[found_later]])
            )
            found[now] = (day[now] + next_day) / 2
        stay = last[~found_later]
        half_at[rows[stay]] = day[stay]
    settled = np.setdiff1d(index, stay)
    medians[rows[settled]] = found[settled]
    return stay


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded
