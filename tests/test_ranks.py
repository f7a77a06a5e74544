"""Rank statistics on counts per distinct value, against scipy and all pairwise
differences written out."""

from __future__ import annotations

import itertools
from math import comb
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats

from etown_approvals.ranks import (
    ASYMPTOTIC,
    EXACT,
    Tally,
    hodges_lehmann,
    kruskal_wallis,
    mann_whitney,
)


def permutation_p(x, y):
    """scipy's exact permutation test of U over every split of the pooled values."""
    return stats.permutation_test(
        (x, y),
        lambda a, b, axis: stats.mannwhitneyu(a, b, axis=axis, method="asymptotic").statistic,
        permutation_type="independent",
        n_resamples=np.inf,
        vectorized=True,
    ).pvalue


def test_small_tied_samples_get_the_exact_permutation_p():
    # 0,0,0 against 7,14: of the C(5, 2) = 10 splits, one puts both larger values in
    # one group: one-sided 1/10, two-sided 0.2 (the normal approximation says 0.107).
    found = mann_whitney(Tally.of([7, 14]), Tally.of([0, 0, 0]))
    assert (found.pvalue, found.method) == (pytest.approx(0.2), EXACT)
    assert found.statistic == 6


@pytest.mark.parametrize("seed", range(8))
def test_exact_p_with_ties_matches_scipy_permutation_test(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, rng.integers(2, 9))  # scipy's permutation test wants two or more
    y = rng.integers(0, 5, rng.integers(2, 9))
    found = mann_whitney(Tally.of(x), Tally.of(y))
    assert found.method == EXACT
    assert found.pvalue == pytest.approx(permutation_p(x, y), rel=1e-9)
    assert found.statistic == stats.mannwhitneyu(x, y).statistic


def test_exact_p_without_ties_matches_scipy_exact():
    rng = np.random.default_rng(1)
    pooled = rng.permutation(1000)[:85]
    x, y = pooled[:40], pooled[40:]
    found = mann_whitney(Tally.of(x), Tally.of(y))
    assert found.method == EXACT
    assert found.pvalue == pytest.approx(stats.mannwhitneyu(x, y, method="exact").pvalue)
    assert mann_whitney(Tally.of(y), Tally.of(x)).pvalue == pytest.approx(found.pvalue)


def test_all_values_equal():
    assert mann_whitney(Tally.of([5, 5]), Tally.of([5, 5, 5])).pvalue == 1.0
    many = mann_whitney(Tally.of([5] * 60), Tally.of([5] * 70))
    assert (many.pvalue, many.method) == (1.0, ASYMPTOTIC)


@pytest.mark.parametrize("sizes", [(50, 50), (49, 300), (2000, 1500)])
def test_asymptotic_p_matches_scipy_with_tie_and_continuity_corrections(sizes):
    rng = np.random.default_rng(sum(sizes))
    x = rng.integers(0, 90, sizes[0])
    y = rng.integers(5, 95, sizes[1])
    found = mann_whitney(Tally.of(x), Tally.of(y))
    expected = stats.mannwhitneyu(x, y, method="asymptotic")
    assert found.method == ASYMPTOTIC
    assert found.statistic == expected.statistic
    assert found.pvalue == pytest.approx(expected.pvalue, rel=1e-9)


def test_tally_medians_and_order_statistics():
    sample = [5, 1, 1, 9, 3, 3, 3, 8]
    tally = Tally.of(sample)
    assert tally.n == 8
    assert tally.median() == np.median(sample)
    assert [tally.order_statistic(k) for k in range(1, 9)] == sorted(sample)
    assert Tally.of([4, 2, 7]).median() == 4


def exact_rank(nx, ny, alpha=0.025):
    """R's qwilcox(alpha, nx, ny): the smallest k with P(U <= k) >= alpha, from every
    split of nx + ny distinct values written out (0: no interval at this level)."""
    counts = np.zeros(nx * ny + 1)
    for chosen in itertools.combinations(range(nx + ny), nx):
        u = sum(sum(1 for j in range(nx + ny) if j not in chosen and j < i) for i in chosen)
        counts[u] += 1
    below = np.cumsum(counts) / comb(nx + ny, nx)
    return int(np.searchsorted(below, alpha * (1 - 1e-12), side="left"))


@pytest.mark.parametrize(("nx", "ny"), [(5, 6), (4, 9), (7, 7)])
def test_hodges_lehmann_small_samples(nx, ny):
    rng = np.random.default_rng(nx * 10 + ny)
    x = rng.integers(0, 60, nx)
    y = rng.integers(10, 80, ny)
    differences = np.sort(np.subtract.outer(x, y).ravel())
    found = hodges_lehmann(Tally.of(x), Tally.of(y))
    assert found.estimate == np.median(differences)
    k = exact_rank(nx, ny)
    assert (found.ci_low, found.ci_high) == (differences[k - 1], differences[-k])


def test_hodges_lehmann_large_samples_use_the_normal_rank():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 200, 120)
    y = rng.integers(20, 220, 90)
    differences = np.sort(np.subtract.outer(x, y).ravel())
    found = hodges_lehmann(Tally.of(x), Tally.of(y))
    assert found.estimate == np.median(differences)
    n_pairs = x.size * y.size
    z = NormalDist().inv_cdf(0.975)
    k = int(np.floor(n_pairs / 2 - z * np.sqrt(n_pairs * (x.size + y.size + 1) / 12)))
    assert (found.ci_low, found.ci_high) == (differences[k - 1], differences[n_pairs - k])


def test_hodges_lehmann_interval_needs_enough_splits():
    # 3 and 3: 20 splits, so even the widest interval covers only 90%.
    found = hodges_lehmann(Tally.of([1, 2, 3]), Tally.of([4, 5, 6]))
    assert (found.estimate, found.ci_low, found.ci_high) == (-3, None, None)
    assert hodges_lehmann(Tally.of([1, 2, 3, 4]), Tally.of([4, 5, 6, 7])).ci_low is not None


def test_kruskal_wallis_matches_scipy():
    rng = np.random.default_rng(9)
    samples = [rng.integers(0, 50, n) + shift for n, shift in ((30, 0), (200, 3), (5, 8))]
    expected = stats.kruskal(*samples).pvalue
    assert kruskal_wallis([Tally.of(s) for s in samples]) == pytest.approx(expected, rel=1e-9)
    assert kruskal_wallis([Tally.of([4, 4]), Tally.of([4]), Tally.of([4, 4, 4])]) is None


def rank_sum_law(pooled_values, nx):
    """Every split's doubled rank sum of the first sample, counted exactly in plain
    Python: a dictionary of (first sample's size so far, doubled rank sum) -> ways,
    one distinct value at a time."""
    distinct = sorted(set(pooled_values))
    ways = {(0, 0): 1}
    below = 0
    for value in distinct:
        copies = pooled_values.count(value)
        doubled = 2 * below + copies + 1  # twice the midrank
        found: dict[tuple[int, int], int] = {}
        for (taken, total), count in ways.items():
            for j in range(0, min(copies, nx - taken) + 1):
                key = (taken + j, total + j * doubled)
                found[key] = found.get(key, 0) + count * comb(copies, j)
        ways = found
        below += copies
    return {total: count for (taken, total), count in ways.items() if taken == nx}


@pytest.mark.parametrize(("nx", "ny", "top"), [(23, 31, 40), (49, 49, 30), (12, 45, 8)])
def test_exact_p_of_larger_tied_samples_counts_every_split(nx, ny, top):
    rng = np.random.default_rng(nx)
    x, y = rng.integers(0, top, nx), rng.integers(0, top, ny)
    law = rank_sum_law([*x.tolist(), *y.tolist()], nx)
    pooled = np.concatenate([x, y])
    midranks = stats.rankdata(pooled)
    observed = round(2 * midranks[:nx].sum())
    total = sum(law.values())
    low = sum(c for s, c in law.items() if s <= observed) / total
    high = sum(c for s, c in law.items() if s >= observed) / total
    found = mann_whitney(Tally.of(x), Tally.of(y))
    assert found.method == EXACT
    assert found.pvalue == pytest.approx(min(1.0, 2 * min(low, high)), rel=1e-9)
    swapped = mann_whitney(Tally.of(y), Tally.of(x))
    assert swapped.pvalue == pytest.approx(found.pvalue, rel=1e-9)


def test_exact_p_without_ties_of_many_pairs_of_one_size():
    """Without ties the law of U depends on the sizes only: pairs of the same sizes
    (as many small groups against one reference) agree with scipy's exact test."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        pooled = rng.permutation(500)[:98]
        x, y = pooled[:49], pooled[49:]
        found = mann_whitney(Tally.of(x), Tally.of(y))
        expected = stats.mannwhitneyu(x, y, method="exact").pvalue
        assert (found.method, found.pvalue) == (EXACT, pytest.approx(expected, rel=1e-9))


@pytest.mark.parametrize("direct", [True, False])
def test_hodges_lehmann_by_differences_counted_at_once_or_by_bisection(monkeypatch, direct):
    """Both ways of finding an order statistic of the differences (all pairs of
    distinct values sorted, or bisection on a count) give the written-out ones."""
    import etown_approvals.ranks as ranks

    monkeypatch.setattr(ranks, "_DIRECT_DIFFERENCES", 1 << 30 if direct else 0)
    rng = np.random.default_rng(9)
    x, y = rng.integers(0, 300, 120), rng.integers(20, 260, 90)
    differences = np.sort(np.subtract.outer(x, y).ravel())
    found = hodges_lehmann(Tally.of(x), Tally.of(y))
    assert found.estimate == np.median(differences)
    pairs = differences.size
    z = NormalDist().inv_cdf(0.975)
    k = int(np.floor(pairs / 2 - z * np.sqrt(pairs * (x.size + y.size + 1) / 12)))
    assert (found.ci_low, found.ci_high) == (differences[k - 1], differences[pairs - k])
