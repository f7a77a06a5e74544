"""Rank statistics of samples of whole numbers, held as counts per distinct value.

Durations are whole days (or workdays): a group of a million projects is a few
thousand distinct values with a count each. Everything here works on those
counts (:class:`Tally`), never on the projects one by one:

- :func:`mann_whitney`: the two-sided Mann-Whitney U test. With fewer than
  :data:`EXACT_BELOW` values in each sample the p-value is *exact*: the
  permutation distribution of U over every way of splitting the pooled values
  into two groups of those sizes, ties included (midranks), counted by dynamic
  programming over the distinct values. Otherwise the normal approximation with
  the tie correction and the continuity correction (as scipy's ``asymptotic``).
- :func:`hodges_lehmann`: the median of all pairwise differences and its
  distribution-free interval (order statistics of the differences), found by
  counting differences below a bound, which is exact integer arithmetic on the
  counts.
- :func:`kruskal_wallis`: the Kruskal-Wallis H test with the tie correction.

The tests check each against scipy, and the order statistics against all
pairwise differences written out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

#: Samples smaller than this on both sides get the exact permutation p-value.
EXACT_BELOW = 50
EXACT = "exact"
ASYMPTOTIC = "asymptotic"


@dataclass(frozen=True)
class Tally:
    """A sample of whole numbers as its distinct ``values`` (ascending) and their ``counts``."""

    values: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, sample: np.ndarray | list[int]) -> Tally:
        """The tally of a sample of whole numbers (a float array of whole numbers is fine)."""
        values, counts = np.unique(np.asarray(sample, dtype=np.int64), return_counts=True)
        return cls(values, counts.astype(np.int64))

    @property
    def n(self) -> int:
        """How many values there are."""
        return int(self.counts.sum())

    def order_statistic(self, k: int) -> int:
        """The k-th smallest value (1-based)."""
        return int(self.values[np.searchsorted(np.cumsum(self.counts), k)])

    def median(self) -> float:
        """The median of the values."""
        n = self.n
        if n % 2:
            return float(self.order_statistic((n + 1) // 2))
        return (self.order_statistic(n // 2) + self.order_statistic(n // 2 + 1)) / 2


@dataclass(frozen=True)
class MannWhitney:
    #: U of the first sample: pairs where it is larger, ties counting one half.
    """A Mann-Whitney U test's statistic, p-value and how the p-value was computed."""

    statistic: float
    pvalue: float
    method: str


def mann_whitney(x: Tally, y: Tally) -> MannWhitney:
    """Two-sided Mann-Whitney U test of ``x`` against ``y`` (both non-empty).

    Exact (permutation, ties included) when both samples have fewer than
    :data:`EXACT_BELOW` values; otherwise the normal approximation with tie and
    continuity corrections. The p-value is two-sided: twice the smaller tail,
    at most 1.
    """
    _, cx, cy = _aligned(x, y)
    below_y = np.cumsum(cy) - cy
    statistic = float((cx * below_y).sum() + 0.5 * (cx * cy).sum())
    if x.n < EXACT_BELOW and y.n < EXACT_BELOW:
        # the smaller sample is the one counted (the two-sided p is the same either way)
        if x.n <= y.n:
            return MannWhitney(statistic, float(_exact_p(cx, cy, statistic)), EXACT)
        return MannWhitney(statistic, float(_exact_p(cy, cx, x.n * y.n - statistic)), EXACT)
    return MannWhitney(statistic, _asymptotic_p(x.n, y.n, cx + cy, statistic), ASYMPTOTIC)


def _aligned(*tallies: Tally) -> tuple[np.ndarray, ...]:
    """The pooled distinct values and each tally's counts on them."""
    values = np.unique(np.concatenate([t.values for t in tallies]))
    counts = []
    for tally in tallies:
        aligned = np.zeros(values.size, dtype=np.int64)
        aligned[np.searchsorted(values, tally.values)] = tally.counts
        counts.append(aligned)
    return (values, *counts)


def _asymptotic_p(nx: int, ny: int, pooled: np.ndarray, statistic: float) -> float:
    n = nx + ny
    ties = float((pooled.astype(np.float64) ** 3 - pooled).sum())
    variance = nx * ny / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 1.0  # every value the same: nothing tells the samples apart
    larger = max(statistic, nx * ny - statistic)
    z = (larger - nx * ny / 2 - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2)))  # twice the normal upper tail


def _exact_p(cx: np.ndarray, cy: np.ndarray, statistic: float) -> float:
    """Two-sided permutation p-value of U, by the distribution of the doubled rank sum.

    Without ties that distribution depends on the sizes only (:func:`_u_distribution`,
    computed once per pair of sizes). With ties, doubled midranks are whole numbers,
    so the rank sum of the first sample over every split of the pooled values is
    counted exactly: a table of (values taken, doubled rank sum), one distinct value
    at a time, where taking j of a value's t copies can be done in C(t, j) ways. Only
    the rows that can still end with every value of the first sample taken, and the
    rank sums reached so far, are worked on.
    """
    pooled = cx + cy
    nx, ny = int(cx.sum()), int(cy.sum())
    if not (pooled > 1).any():
        law = _u_distribution(nx, ny)
        u = round(statistic)
        return min(1.0, 2 * min(float(law[: u + 1].sum()), float(law[u:].sum())))
    doubled = 2 * (np.cumsum(pooled) - pooled) + pooled + 1  # twice each value's midrank
    top = int((doubled * np.minimum(pooled, nx)).sum()) + 1
    ways = np.zeros((nx + 1, top))
    ways[0, 0] = 1.0
    low = high = 0  # rows that can be non-zero: values of the first sample taken
    reach = 1  # rank sums reached so far (columns)
    seen = 0
    for copies, rank in zip(pooled.tolist(), doubled.tolist(), strict=True):
        seen += copies
        # rows j that can still end at nx: j >= seen - ny (the rest are the second's)
        new_low, new_high = max(0, seen - ny), min(seen, nx)
        before = ways[low : high + 1, :reach].copy()
        for j in range(1, min(copies, new_high) + 1):
            first, last = max(new_low, low + j), min(new_high, high + j)
            if first > last:
                continue
            shift = j * rank
            ways[first : last + 1, shift : shift + reach] += (
                math.comb(copies, j) * before[first - j - low : last - j - low + 1]
            )
        low, high = new_low, new_high
        reach = min(top, reach + min(copies, nx) * rank)
    counts = ways[nx]
    observed = round(2 * statistic) + nx * (nx + 1)  # the doubled rank sum of x
    total = counts.sum()
    below = counts[: observed + 1].sum() / total
    above = counts[observed:].sum() / total
    return min(1.0, 2 * min(below, above))


@dataclass(frozen=True)
class HodgesLehmann:
    """The median of the differences x - y, and its distribution-free interval.

    ``ci_low``/``ci_high`` are None when no interval at the confidence level is
    possible with samples this small (fewer than ``2 / (1 - level)`` splits).
    """

    estimate: float
    ci_low: int | None
    ci_high: int | None


def hodges_lehmann(x: Tally, y: Tally, confidence_level: float = 0.95) -> HodgesLehmann:
    """Hodges-Lehmann shift of ``x`` over ``y`` with its interval.

    The estimate is the median of the ``nx * ny`` differences. The interval is
    [D(k), D(N + 1 - k)] of the sorted differences D. With fewer than
    :data:`EXACT_BELOW` values in both samples, k is the smallest rank with
    P(U <= k) >= (1 - level) / 2 under the exact null distribution of U without
    ties (as R's ``wilcox.test``; None when k would be 0, so that no interval
    reaches the level); otherwise k = floor(N / 2 - z * sqrt(N (n + 1) / 12))
    (Hollander and Wolfe's large-sample rank).
    """
    pairs = x.n * y.n
    order_statistic: Callable[[Tally, Tally, int], int] = _difference_order_statistic
    if x.values.size * y.values.size <= _DIRECT_DIFFERENCES:
        order_statistic = _DifferenceTally(x, y).order_statistic
    if pairs % 2:
        estimate = float(order_statistic(x, y, (pairs + 1) // 2))
    else:
        estimate = (order_statistic(x, y, pairs // 2) + order_statistic(x, y, pairs // 2 + 1)) / 2
    k = _interval_rank(x.n, y.n, confidence_level)
    if k is None:
        return HodgesLehmann(estimate, None, None)
    return HodgesLehmann(estimate, order_statistic(x, y, k), order_statistic(x, y, pairs + 1 - k))


#: Tallies with at most this many pairs of distinct values get their differences
#: counted at once (:class:`_DifferenceTally`), instead of by bisection.
_DIRECT_DIFFERENCES = 1 << 18


class _DifferenceTally:
    """Every difference of a distinct value of x and one of y, sorted, with how many
    pairs of projects give it (counts multiplied): order statistics by a search."""

    def __init__(self, x: Tally, y: Tally) -> None:
        differences = np.subtract.outer(x.values, y.values).ravel()
        weights = np.multiply.outer(x.counts, y.counts).ravel()
        order = np.argsort(differences, kind="stable")
        self.differences = differences[order]
        self.below = np.cumsum(weights[order])

    def order_statistic(self, _x: Tally, _y: Tally, k: int) -> int:
        return int(self.differences[np.searchsorted(self.below, k)])


def _interval_rank(nx: int, ny: int, confidence_level: float) -> int | None:
    alpha = (1 - confidence_level) / 2
    pairs = nx * ny
    if nx < EXACT_BELOW and ny < EXACT_BELOW:
        below = np.cumsum(_u_distribution(nx, ny))
        k = int(np.searchsorted(below, alpha * (1 - 1e-12), side="left"))
        return k if k >= 1 else None
    z = NormalDist().inv_cdf(1 - alpha)
    k = math.floor(pairs / 2 - z * math.sqrt(pairs * (nx + ny + 1) / 12))
    return max(k, 1)


@functools.lru_cache(maxsize=256)
def _u_distribution(nx: int, ny: int) -> np.ndarray:
    """P(U = u), u = 0..nx*ny, for samples without ties (the classic recursion);
    computed once per pair of sizes (many small groups against one reference share
    it), read-only."""
    # f(i, j, u), the orderings of i x values and j y values with U = u: the largest
    # is an x (above all j y values) or a y, so f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u).
    table = np.zeros((ny + 1, nx * ny + 1))
    table[:, 0] = 1.0  # i = 0: U is 0 whatever j
    for _ in range(1, nx + 1):
        current = np.zeros_like(table)
        current[0, 0] = 1.0  # j = 0: U is 0
        for j in range(1, ny + 1):
            current[j] = current[j - 1]
            current[j, j:] += table[j, : nx * ny + 1 - j]
        table = current
    counts = table[ny]
    law = counts / counts.sum()
    law.flags.writeable = False
    return law


def _difference_order_statistic(x: Tally, y: Tally, k: int) -> int:
    """The k-th smallest of the differences x_i - y_j (1-based), by bisection on
    the count of differences at most d (exact integer counts)."""
    y_total = np.cumsum(y.counts)

    def at_most(d: int) -> int:
        # differences x - y <= d  <=>  y >= x - d
        smaller = np.searchsorted(y.values, x.values - d, side="left")
        below = np.where(smaller > 0, y_total[np.maximum(smaller - 1, 0)], 0)
        return int((x.counts * (y.n - below)).sum())

    low = int(x.values[0] - y.values[-1])
    high = int(x.values[-1] - y.values[0])
    while low < high:
        middle = (low + high) // 2
        if at_most(middle) >= k:
            high = middle
        else:
            low = middle + 1
    return low


def kruskal_wallis(tallies: list[Tally]) -> float | None:
    """p-value of the Kruskal-Wallis H test (tie-corrected); None when every value is
    the same (the test is undefined)."""
    from scipy import special

    _, *counts = _aligned(*tallies)
    matrix = np.array(counts, dtype=np.float64)
    pooled = matrix.sum(axis=0)
    n = pooled.sum()
    midrank = np.cumsum(pooled) - pooled + (pooled + 1) / 2
    sizes = matrix.sum(axis=1)
    rank_sums = matrix @ midrank
    correction = 1 - (pooled**3 - pooled).sum() / (n**3 - n)
    if correction <= 0:
        return None
    h = (12 / (n * (n + 1)) * (rank_sums**2 / sizes).sum() - 3 * (n + 1)) / correction
    return float(special.chdtrc(len(tallies) - 1, h))
