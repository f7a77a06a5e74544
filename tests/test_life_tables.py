"""Survival estimates from counts per distinct day, against lifelines, scipy and
plain loops over the projects written here."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import restricted_mean_survival_time
from scipy import stats

from etown_approvals.survival import (
    CENSORED,
    COMPLETED,
    WITHDREW,
    bootstrap_km_medians,
    cumulative_incidence,
    km_medians,
    life_tables,
    logrank,
    restricted_mean,
)


@pytest.fixture(autouse=True)
def _quiet_lifelines():
    # lifelines calls pandas in ways pandas says will change; not etown's concern
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def sample(seed, n=400, groups=2, top=300, shares=(0.6, 0.1, 0.3), last=None):
    """Whole-day times, outcomes (completed, withdrawn, open) and group codes; ``last``:
    the outcome of the longest time."""
    rng = np.random.default_rng(seed)
    times = rng.integers(0, top, n).astype(float)
    outcomes = rng.choice([COMPLETED, WITHDREW, CENSORED], n, p=shares)
    if last is not None:
        times[0] = top
        outcomes[0] = last
    codes = rng.integers(0, groups, n)
    return times, outcomes, codes


def test_counts_per_day_and_outcome():
    times = np.array([3, 1, 3, 3, 1, 7, 2.0])
    outcomes = np.array([COMPLETED, CENSORED, COMPLETED, WITHDREW, COMPLETED, CENSORED, COMPLETED])
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    first, second = life_tables(times, outcomes, codes, 2)
    assert first.time.tolist() == [1, 3]
    assert (first.completed.tolist(), first.withdrawn.tolist(), first.censored.tolist()) == (
        [0, 2],
        [0, 1],
        [1, 0],
    )
    assert first.at_risk.tolist() == [4, 3]
    assert second.time.tolist() == [1, 2, 7]
    assert (first.n, second.n, first.longest, second.longest) == (4, 3, 3, 7)
    assert second.open_at_end() and not first.open_at_end()


def test_dense_sparse_and_fractional_counts_agree():
    times, outcomes, codes = sample(1, n=300, groups=5)
    dense = life_tables(times, outcomes, codes, 5)
    # one more project, in a sixth group, ten million days on: too wide for a count per day
    sparse = life_tables(
        np.append(times, 1e7), np.append(outcomes, CENSORED), np.append(codes, 5), 6
    )
    fractional = life_tables(times + 0.5, outcomes, codes, 5)
    assert sparse[5].time.tolist() == [1e7]
    for a, b, c in zip(dense, sparse[:5], fractional, strict=True):
        assert a.time.tolist() == b.time.tolist() == (c.time - 0.5).tolist()
        for field in ("completed", "withdrawn", "censored"):
            assert getattr(a, field).tolist() == getattr(b, field).tolist()
            assert getattr(a, field).tolist() == getattr(c, field).tolist()
    # an empty group, and no projects at all
    assert life_tables(times, outcomes, codes, 6)[5].n == 0
    assert [t.n for t in life_tables(np.zeros(0), np.zeros(0), np.zeros(0), 2)] == [0, 0]


@pytest.mark.parametrize("seed", range(5))
def test_kaplan_meier_median_matches_lifelines(seed):
    times, outcomes, codes = sample(seed, n=301, groups=1)
    (table,) = life_tables(times, outcomes, codes, 1)
    fitted = KaplanMeierFitter().fit(times, outcomes == COMPLETED)
    assert table.km_median() == fitted.median_survival_time_
    vectorized = km_medians(times, outcomes == COMPLETED, codes, 1)[0]
    assert table.km_median() == vectorized
    time, curve = table.kaplan_meier()
    expected = fitted.survival_function_.iloc[:, 0]
    assert curve == pytest.approx(expected.loc[time].to_numpy())


def greenwood_rmst_variance(times, observed, horizon):
    """Var of the restricted mean: a plain loop over the distinct completion times."""
    event_times = sorted({t for t, o in zip(times, observed, strict=True) if o and t <= horizon})
    curve, steps = 1.0, []
    for t in event_times:
        at_risk = sum(1 for s in times if s >= t)
        done = sum(1 for s, o in zip(times, observed, strict=True) if o and s == t)
        curve *= 1 - done / at_risk
        steps.append((t, curve, at_risk, done))

    def area_from(start):
        total, height, edge = 0.0, None, start
        for t, s, _, _ in steps:
            if t <= start:
                height = s
                continue
            total += (t - edge) * (1.0 if height is None else height)
            height, edge = s, t
        return total + (horizon - edge) * (1.0 if height is None else height)

    return sum(area_from(t) ** 2 * d / (n * (n - d)) for t, _, n, d in steps if n > d)


@pytest.mark.parametrize(
    ("seed", "horizon"), [(0, 150), (1, 299), (2, 40), (3, 500), (4, 500), (5, 500)]
)
def test_restricted_mean_matches_lifelines_and_its_variance_a_loop(seed, horizon):
    last = [COMPLETED, CENSORED][seed % 2]  # the curve ends at 0, or does not
    times, outcomes, codes = sample(seed, n=120, groups=1, last=last)
    (table,) = life_tables(times, outcomes, codes, 1)
    observed = outcomes == COMPLETED
    found = restricted_mean(table, horizon)
    fitted = KaplanMeierFitter().fit(times, observed)
    if horizon > times.max() and fitted.survival_function_.iloc[-1, 0] > 0:
        assert found is None  # beyond the longest follow-up, with projects still waiting
        return
    assert found is not None
    assert found[0] == pytest.approx(restricted_mean_survival_time(fitted, t=horizon))
    assert found[1] == pytest.approx(greenwood_rmst_variance(times.tolist(), observed, horizon))


def test_restricted_mean_beyond_the_end_when_every_project_completed():
    (table,) = life_tables(np.array([2.0, 4, 6]), np.zeros(3, dtype=int), np.zeros(3), 1)
    # S: 1 to day 2, 2/3 to 4, 1/3 to 6, then 0: area 2 + 4/3 + 2/3 = 4. Variance: at
    # day 2 the area after is 2 (3 at risk, 1 done): 4/6; at day 4, 2/3 (2, 1): 2/9.
    assert restricted_mean(table, 100) == (pytest.approx(4.0), pytest.approx(4 / 6 + 2 / 9))


@pytest.mark.parametrize("seed", range(4))
def test_logrank_matches_lifelines_and_scipy(seed):
    times, outcomes, codes = sample(seed, n=250)
    first, second = life_tables(times, outcomes, codes, 2)
    observed = outcomes == COMPLETED
    a, b = codes == 0, codes == 1
    expected = logrank_test(times[a], times[b], observed[a], observed[b]).p_value
    assert logrank(first, second) == pytest.approx(expected, rel=1e-9)
    censored = [
        stats.CensoredData(uncensored=times[m & observed], right=times[m & ~observed])
        for m in (a, b)
    ]
    assert logrank(first, second) == pytest.approx(stats.logrank(*censored).pvalue, rel=1e-9)


def test_logrank_with_a_group_that_has_not_completed_anything():
    # All of b still open after 200-400 days; a completes in 20-120.
    rng = np.random.default_rng(5)
    done = rng.integers(20, 120, 15).astype(float)
    waiting = rng.integers(200, 400, 12).astype(float)
    times = np.concatenate([done, waiting])
    outcomes = np.array([COMPLETED] * 15 + [CENSORED] * 12)
    codes = np.array([0] * 15 + [1] * 12)
    first, second = life_tables(times, outcomes, codes, 2)
    expected = logrank_test(done, waiting, np.ones(15), np.zeros(12)).p_value
    assert logrank(first, second) == pytest.approx(expected, rel=1e-9)
    assert logrank(second, second) is None  # no completion in the pair


def aalen_johansen_loop(times, outcomes):
    """Cumulative incidence of each outcome, one distinct time at a time."""
    survival, completed, withdrawn, rows = 1.0, 0.0, 0.0, []
    for t in sorted(set(times)):
        at_risk = sum(1 for s in times if s >= t)
        done = sum(1 for s, o in zip(times, outcomes, strict=True) if s == t and o == COMPLETED)
        gone = sum(1 for s, o in zip(times, outcomes, strict=True) if s == t and o == WITHDREW)
        completed += survival * done / at_risk
        withdrawn += survival * gone / at_risk
        survival *= 1 - (done + gone) / at_risk
        if done or gone:
            rows.append((t, completed, withdrawn))
    return rows


def test_cumulative_incidence_with_ties_matches_a_loop():
    times, outcomes, codes = sample(8, n=200, groups=1, top=60)
    (table,) = life_tables(times, outcomes, codes, 1)
    time, completed, withdrawn = cumulative_incidence(table)
    expected = aalen_johansen_loop(times.tolist(), outcomes.tolist())
    assert time.tolist() == [t for t, _, _ in expected]
    assert completed == pytest.approx([c for _, c, _ in expected])
    assert withdrawn == pytest.approx([w for _, _, w in expected])


def test_cumulative_incidence_matches_lifelines_aalen_johansen():
    # Distinct times: lifelines jitters tied ones.
    rng = np.random.default_rng(2)
    times = rng.permutation(5000)[:300].astype(float)
    outcomes = rng.choice([COMPLETED, WITHDREW, CENSORED], 300, p=[0.6, 0.15, 0.25])
    (table,) = life_tables(times, outcomes, np.zeros(300), 1)
    time, completed, withdrawn = cumulative_incidence(table)
    events = np.select([outcomes == COMPLETED, outcomes == WITHDREW], [1, 2], 0)
    for kind, found in ((1, completed), (2, withdrawn)):
        fitted = AalenJohansenFitter(calculate_variance=False).fit(
            times, events, event_of_interest=kind
        )
        curve = fitted.cumulative_density_.iloc[:, 0]
        assert found == pytest.approx(curve.loc[time].to_numpy())


def test_without_withdrawals_cumulative_incidence_is_one_minus_kaplan_meier():
    times, outcomes, codes = sample(3, n=400, groups=1, shares=(0.7, 0.0, 0.3))
    (table,) = life_tables(times, outcomes, codes, 1)
    time, completed, withdrawn = cumulative_incidence(table)
    fitted = KaplanMeierFitter().fit(times, outcomes == COMPLETED)
    assert completed == pytest.approx(1 - fitted.survival_function_.iloc[:, 0].loc[time].to_numpy())
    assert not withdrawn.any()


def test_bootstrap_km_medians_match_resampling_the_projects():
    """The multinomial drawn cell by cell: the same distribution as drawing projects."""
    times, outcomes, codes = sample(4, n=150, groups=1, shares=(0.7, 0.05, 0.25))
    (table,) = life_tables(times, outcomes, codes, 1)
    fast = bootstrap_km_medians(table, 4000, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    slow = []
    for _ in range(4000):
        pick = rng.integers(0, times.size, times.size)
        (resampled,) = life_tables(times[pick], outcomes[pick], codes[pick], 1)
        slow.append(np.nan if resampled.km_median() is None else resampled.km_median())
    levels = [2.5, 10, 25, 50, 75, 90, 97.5]
    spread = np.subtract(*np.nanpercentile(slow, [90, 10]))
    assert (
        np.abs(np.nanpercentile(fast, levels) - np.nanpercentile(slow, levels)).max() <= spread / 4
    )
    assert np.isnan(fast).mean() == pytest.approx(np.isnan(slow).mean(), abs=0.02)


def test_bootstrap_km_medians_with_projects_lost_before_the_first_completion():
    """60 projects open or withdrawn after 1 day, then one completion a day from day 2
    to 21: a resample's risk set at the first completion is what is left of its 80
    draws after those 60 cells, so its medians spread as much as drawing projects'."""
    times = np.concatenate([np.full(60, 1.0), np.arange(2.0, 22)])
    outcomes = np.array([CENSORED] * 40 + [WITHDREW] * 20 + [COMPLETED] * 20)
    codes = np.zeros(times.size, dtype=np.int64)
    (table,) = life_tables(times, outcomes, codes, 1)
    fast = bootstrap_km_medians(table, 4000, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    slow = []
    for _ in range(4000):
        pick = rng.integers(0, times.size, times.size)
        (resampled,) = life_tables(times[pick], outcomes[pick], codes[pick], 1)
        slow.append(np.nan if resampled.km_median() is None else resampled.km_median())
    levels = [10, 25, 50, 75, 90]
    assert np.abs(np.nanpercentile(fast, levels) - np.nanpercentile(slow, levels)).max() <= 0.5
    assert np.nanstd(fast) == pytest.approx(np.nanstd(slow), rel=0.1)


def test_bootstrap_km_medians_without_completions_are_not_reached():
    (table,) = life_tables(np.array([5.0, 9]), np.array([CENSORED, WITHDREW]), np.zeros(2), 1)
    assert np.isnan(bootstrap_km_medians(table, 50, np.random.default_rng(0))).all()


def exact_bootstrap_law(times, outcomes):
    """Every resample of the projects with its probability (a multinomial over the
    distinct (time, outcome) cells), and its Kaplan-Meier median: the exact law of
    the bootstrap median, by enumeration (NaN: not reached)."""
    from itertools import combinations_with_replacement
    from math import factorial

    cells = sorted(set(zip(times, outcomes, strict=True)))
    weight = [sum(1 for c in zip(times, outcomes, strict=True) if c == cell) for cell in cells]
    n = len(times)
    law: dict[float, float] = {}
    for pick in combinations_with_replacement(range(len(cells)), n):
        counts = [pick.count(i) for i in range(len(cells))]
        ways = factorial(n)
        for c in counts:
            ways //= factorial(c)
        p = ways * np.prod([(w / n) ** c for w, c in zip(weight, counts, strict=True)])
        drawn = [cells[i] for i in pick]
        (table,) = life_tables(
            np.array([t for t, _ in drawn], dtype=float),
            np.array([o for _, o in drawn]),
            np.zeros(n),
            1,
        )
        median = table.km_median()
        key = np.nan if median is None else median
        law[key] = law.get(key, 0.0) + p
    return law


def frequencies_agree(drawn, law, sigmas=4.5):
    drawn = np.asarray(drawn)
    for value, p in law.items():
        hits = np.isnan(drawn) if np.isnan(value) else drawn == value
        spread = sigmas * np.sqrt(p * (1 - p) / drawn.size) + 1e-9
        assert abs(hits.mean() - p) <= spread, (value, hits.mean(), p)
    known = [v for v in law if not np.isnan(v)]
    assert np.isin(drawn[~np.isnan(drawn)], known).all()  # nothing the law does not have


@pytest.mark.parametrize(
    ("times", "outcomes"),
    [
        # no censoring, an even count: medians at exactly one half are midpoints
        ([3, 3, 5, 8, 8, 12], [COMPLETED] * 6),
        # completions and censorings on the same day, a withdrawal, a curve that may
        # never reach one half
        ([2, 4, 4, 6, 9, 9], [COMPLETED, COMPLETED, CENSORED, WITHDREW, COMPLETED, CENSORED]),
        ([0, 0, 1, 7, 7], [CENSORED, COMPLETED, COMPLETED, COMPLETED, CENSORED]),
        # a loss between completion days: a curve at exactly one half after one day
        # waits for a completion on a later one
        ([1, 2, 3, 4, 5, 6], [COMPLETED, CENSORED, COMPLETED, WITHDREW, COMPLETED, CENSORED]),
    ],
)
@pytest.mark.parametrize("stages", ["few", "many"])
def test_bootstrap_km_medians_have_the_exact_law_of_resampling(
    monkeypatch, times, outcomes, stages
):
    if stages == "many":  # a stage per run: resamples carried from stage to stage
        import etown_approvals.survival as survival

        monkeypatch.setattr(survival, "_MARGIN", -10)
        monkeypatch.setattr(survival, "_STAGE_RUNS", 1)
    law = exact_bootstrap_law(times, outcomes)
    (table,) = life_tables(np.array(times, float), np.array(outcomes), np.zeros(len(times)), 1)
    frequencies_agree(bootstrap_km_medians(table, 40_000, np.random.default_rng(3)), law)


def multinomial_km_medians(table, resamples, rng):
    """Kaplan-Meier medians of resamples drawn as numpy's multinomial over the table's
    (time, outcome) cells, one resample at a time."""
    cells = np.stack([table.completed, table.withdrawn, table.censored], axis=1).ravel()
    times = np.repeat(table.time, 3)
    kinds = np.tile([COMPLETED, WITHDREW, CENSORED], table.time.size)
    found = []
    for counts in rng.multinomial(table.n, cells / cells.sum(), size=resamples):
        (resampled,) = life_tables(
            np.repeat(times, counts), np.repeat(kinds, counts), np.zeros(counts.sum()), 1
        )
        median = resampled.km_median()
        found.append(np.nan if median is None else median)
    return np.array(found)


@pytest.mark.parametrize("poisson", [False, True])
def test_bootstrap_km_medians_of_a_large_group_either_way_of_drawing(monkeypatch, poisson):
    """A large group over a few days: the counts drawn as independent Poisson counts
    made exact (then the projects left over drawn one by one), or as draws of single
    projects; both have the law of numpy's multinomial."""
    import etown_approvals.survival as survival

    monkeypatch.setattr(survival, "_POISSON_FROM", 0 if poisson else 10**18)
    times, outcomes, codes = sample(6, n=3000, groups=1, top=40, shares=(0.55, 0.1, 0.35))
    (table,) = life_tables(times, outcomes, codes, 1)
    drawn = bootstrap_km_medians(table, 6000, np.random.default_rng(1))
    reference = multinomial_km_medians(table, 6000, np.random.default_rng(2))
    law = {v: (reference == v).mean() for v in np.unique(reference[~np.isnan(reference)])}
    for value, p in law.items():
        spread = 4.5 * np.sqrt(p * (1 - p) * 2 / drawn.size) + 1e-9
        assert abs((drawn == value).mean() - p) <= spread, (value, (drawn == value).mean(), p)
    assert np.isnan(drawn).mean() == pytest.approx(np.isnan(reference).mean(), abs=0.01)
