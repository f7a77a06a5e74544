"""Kaplan-Meier estimates: hand-computed examples and a second implementation."""

from __future__ import annotations

import math
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from etown_approvals.metrics import MetricOptions, project_table, trend
from etown_approvals.stages import ETOWN
from etown_approvals.survival import (
    crossing,
    kaplan_meier,
    km_medians,
    survival,
    survival_curve,
)

from .test_metrics import events


def product_limit(times, observed):
    """The product-limit estimate written out plainly: S just after each distinct time."""
    curve, s = {}, 1.0
    for t in sorted(set(times)):
        at_risk = sum(1 for x in times if x >= t)
        died = sum(1 for x, o in zip(times, observed, strict=True) if x == t and o)
        s *= 1 - died / at_risk
        curve[t] = s
    return curve


def plain_median(curve):
    """First time S <= 1/2; the midpoint up to the next drop when S is exactly 1/2."""
    times = sorted(curve)
    for i, t in enumerate(times):
        if curve[t] <= 0.5 + 1e-9:
            if abs(curve[t] - 0.5) < 1e-9:
                lower = [u for u in times[i + 1 :] if curve[u] < 0.5 - 1e-9]
                return (t + lower[0]) / 2 if lower else t
            return t
    return None


# 2 event; 3 censored and 3 event (a tie); 5, 5 events; 8 censored; 9 event.
TIMES = [2, 3, 3, 5, 5, 8, 9]
OBSERVED = [True, False, True, True, True, False, True]


def test_hand_computed_curve_with_ties():
    curve = kaplan_meier(np.array(TIMES), np.array(OBSERVED))
    # t=2: 7 at risk, 1 event: 6/7. t=3: 6 at risk (the one censored at 3 still
    # counts), 1 event: 6/7*5/6 = 5/7. t=5: 4 at risk, 2 events: 5/7*2/4 = 5/14.
    # t=8: censored, no change. t=9: 1 at risk, 1 event: 0.
    assert curve.time.tolist() == [2, 3, 5, 8, 9]
    assert curve.survival == pytest.approx([6 / 7, 5 / 7, 5 / 14, 5 / 14, 0])
    assert curve.at_risk.tolist() == [7, 6, 4, 2, 1]
    assert curve.events.tolist() == [1, 1, 2, 0, 1]
    assert curve.median() == 5
    assert curve.at(3) == pytest.approx(5 / 7)
    assert curve.at(1) == 1.0
    expected = product_limit(TIMES, OBSERVED)
    assert curve.survival == pytest.approx([expected[t] for t in curve.time])


def test_median_not_reached():
    curve = kaplan_meier(np.array([1, 4, 6, 10]), np.array([True, False, False, False]))
    assert curve.survival == pytest.approx([0.75, 0.75, 0.75, 0.75])
    assert curve.median() is None


def test_without_censoring_the_median_is_the_plain_median():
    # S(2) is exactly 1/2 until the drop at 3: the midpoint, 2.5, as numpy's median.
    curve = kaplan_meier(np.array([1, 2, 3, 4]), np.ones(4, dtype=bool))
    assert curve.median() == 2.5 == np.median([1, 2, 3, 4])
    odd = kaplan_meier(np.array([0, 0, 7, 9, 30]), np.ones(5, dtype=bool))
    assert odd.median() == 7


def test_no_events_and_no_data():
    curve = kaplan_meier(np.array([3.0, 5.0]), np.array([False, False]))
    assert curve.median() is None and curve.at(10) == 1.0
    empty = kaplan_meier(np.array([]), np.array([], dtype=bool))
    assert empty.median() is None and empty.at(3) is None


def test_median_interval_from_the_log_log_band():
    rng = np.random.default_rng(3)
    times = rng.integers(0, 60, 80).astype(float)
    observed = rng.random(80) < 0.7
    curve = kaplan_meier(times, observed)
    # Second implementation of the band: Greenwood's sum on the log(-log S) scale.
    z = NormalDist().inv_cdf(0.975)
    low, high, total = [], [], 0.0
    plain = product_limit(times.tolist(), observed.tolist())
    for t in curve.time:
        n = int((times >= t).sum())
        d = int(((times == t) & observed).sum())
        total += d / (n * (n - d)) if n > d else math.inf
        s = plain[t]
        if 0 < s < 1 and math.isfinite(total):
            se = math.sqrt(total) / abs(math.log(s))
            centre = math.log(-math.log(s))
            low.append(math.exp(-math.exp(centre + z * se)))
            high.append(math.exp(-math.exp(centre - z * se)))
        else:
            low.append(s if s in (0.0, 1.0) else 0.0)
            high.append(s if s in (0.0, 1.0) else 1.0)
    assert curve.ci_low == pytest.approx(low)
    assert curve.ci_high == pytest.approx(high)
    ci_low, ci_high = curve.median_interval()
    assert ci_low == crossing(curve.time, np.array(low))
    assert ci_high == crossing(curve.time, np.array(high))
    assert ci_low <= curve.median() <= (ci_high if ci_high is not None else math.inf)


@pytest.mark.parametrize("seed", range(5))
def test_vectorized_medians_match_scipy_and_the_plain_estimator(seed):
    rng = np.random.default_rng(seed)
    n = 300
    times = rng.integers(0, 40, n).astype(float)  # many ties
    observed = rng.random(n) < 0.6
    codes = rng.integers(0, 25, n)
    medians = km_medians(times, observed, codes, 27)
    for code in range(27):
        mask = codes == code
        if not mask.any():
            assert np.isnan(medians[code])
            continue
        by_scipy = kaplan_meier(times[mask], observed[mask]).median()
        by_hand = plain_median(product_limit(times[mask].tolist(), observed[mask].tolist()))
        assert by_scipy == by_hand
        assert (np.isnan(medians[code]) and by_hand is None) or medians[code] == by_hand


def _projects(*rows, as_of=date(2024, 1, 1), **options):
    return project_table(
        events(*rows), ETOWN, options=MetricOptions(as_of=as_of, **options)
    ), MetricOptions(as_of=as_of, **options)


def test_survival_counts_open_projects_as_censored():
    projects, options = _projects(
        ("a", "land_acquisition", "2023-01-01"),
        ("a", "construction_permit", "2023-01-03"),  # event at 2
        ("b", "land_acquisition", "2023-01-01"),
        ("b", "construction_permit", "2023-01-11"),  # event at 10
        ("c", "land_acquisition", "2023-12-27"),  # open: censored at 5
        ("d", "land_acquisition", "2023-06-01"),  # open: censored at 214
        ("e", "construction_permit", "2023-01-01"),  # invalid: left out
        ("f", "land_acquisition", "2024-03-01"),  # starts after as_of: left out
    )
    result = survival(projects, ETOWN, options)
    expected = product_limit([2, 10, 5, 214], [True, True, False, False])
    # S: 3/4 after 2; 3/4 * 1/2 = 3/8 after 10 -> median 10.
    assert expected[10] == pytest.approx(3 / 8)
    assert result["median"] == plain_median(expected) == 10
    assert (result["events"], result["censored"], result["left_out"]) == (2, 2, 2)
    assert result["method"] == "kaplan-meier"
    assert result["fast_track"] == {"max_days": 3, "survival": 0.75}
    # The plain median of complete projects (6) is lower: it leaves out the slow open ones.
    assert projects["days"].astype(float).median() == 6


def test_withdrawn_projects_are_censored_at_their_last_stage():
    projects, options = _projects(
        ("a", "land_acquisition", "2023-01-01"),
        ("a", "construction_permit", "2023-01-05"),  # event at 4
        ("w", "land_acquisition", "2023-01-01"),
        ("w", "planning_permit", "2023-01-03"),  # withdrawn: censored at 2, not at as_of
        ("o", "land_acquisition", "2023-01-01"),  # open: censored at 365
    )
    withdrawn = projects.index == "w"
    result = survival(projects, ETOWN, options, withdrawn=withdrawn)
    assert (result["events"], result["censored"], result["withdrawn"]) == (1, 2, 1)
    curve = survival_curve(projects, ETOWN, options, withdrawn=withdrawn)
    assert curve["time"] == [2, 4, 365]
    assert curve["at_risk"] == [3, 2, 1]
    assert curve["survival"] == pytest.approx([1, 0.5, 0.5])
    # A "withdrawn" status (where the loader sets one) means the same.
    relabelled = projects.copy()
    relabelled.loc["w", "status"] = "withdrawn"
    assert survival(relabelled, ETOWN, options) == result


def test_survival_in_workdays():
    projects, options = _projects(
        ("n", "land_acquisition", "2023-09-28"),
        ("n", "construction_permit", "2023-10-09"),  # 3 working days, 11 calendar days
        unit="workdays",
    )
    assert survival(projects, ETOWN, options)["median"] == 3


def test_trend_km_median_per_period_and_group():
    rows = [
        ("a", "land_acquisition", "2022-01-01"),
        ("a", "construction_permit", "2022-01-11"),
        ("b", "land_acquisition", "2023-01-01"),
        ("b", "construction_permit", "2023-01-03"),
        ("c", "land_acquisition", "2023-06-01"),  # open, censored at 214 as of 2024-01-01
        ("d", "land_acquisition", "2023-07-01"),  # open, censored at 184
    ]
    projects, options = _projects(*rows)
    result = trend(projects, ETOWN, options=options, survival=True)
    by_period = {r["period"]: r for r in result}
    assert by_period["2022"]["km_median_days"] == 10
    # 2023: event at 2 then two censored: S stays 2/3, median not reached,
    # while the plain median over the one complete project says 2.
    assert by_period["2023"]["median_days"] == 2
    assert by_period["2023"]["km_median_days"] is None
    keys = pd.DataFrame({"zone": ["x", "y", "y", "x"]}, index=projects.index)
    grouped = trend(projects, ETOWN, options=options, survival=True, group_keys=keys)
    assert {(r["group"]["zone"], r["period"]): r["km_median_days"] for r in grouped} == {
        ("x", "2022"): 10,
        ("x", "2023"): None,
        ("y", "2023"): 2,
    }


def test_readme_worked_example():
    """The Method section's numbers on the bundled sample, as of 2025-01-01."""
    from etown_approvals import load

    from .conftest import ROOT, SAMPLE

    loaded = load(SAMPLE)
    options = MetricOptions(as_of=date(2025, 1, 1))
    projects = project_table(loaded.events, loaded.stages, options=options)
    whole = survival(projects, loaded.stages, options)
    assert (whole["median"], whole["ci_low"], whole["ci_high"]) == (49, 4, 112)
    assert (whole["events"], whole["censored"], whole["left_out"]) == (23, 4, 2)
    last = trend(projects, loaded.stages, options=options, survival=True)[-1]
    assert (last["period"], last["median_days"], last["km_median_days"]) == ("2024", 3, 42)
    # By hand: 0, 3, 42 days complete; 44 and 198 days open.
    assert plain_median(product_limit([0, 3, 42, 44, 198], [1, 1, 1, 0, 0])) == 42
    readme = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    assert "Kaplan-Meier median **42** days" in readme
    assert "of 49 (95% interval 4-112; 23 events, 4 censored, 2 left out)" in readme
