"""Comparing groups: medians, a seeded bootstrap interval, Mann-Whitney U and log-rank."""

from __future__ import annotations

from datetime import date, timedelta
from math import comb

import numpy as np
import pandas as pd
import pytest

from etown_approvals.compare import compare, split_keys
from etown_approvals.metrics import MetricOptionError, MetricOptions, project_table
from etown_approvals.stages import ETOWN

from .test_metrics import events

AS_OF = date(2025, 1, 1)


def projects_with(days_by_group, *, open_by_group=None, first_start=date(2023, 1, 1)):
    """Complete projects taking the given days, in groups; optional open ones."""
    rows, zones = [], {}
    start = first_start
    for group, days_list in days_by_group.items():
        for i, days in enumerate(days_list):
            name = f"{group}{i}"
            rows.append((name, "land_acquisition", start.isoformat()))
            rows.append((name, "construction_permit", (start + timedelta(days=days)).isoformat()))
            zones[name] = group
            start += timedelta(days=1)
        for i, started in enumerate((open_by_group or {}).get(group, [])):
            name = f"{group}open{i}"
            rows.append((name, "land_acquisition", started.isoformat()))
            zones[name] = group
    table = project_table(events(*rows), ETOWN, options=MetricOptions(as_of=AS_OF))
    keys = pd.DataFrame({"zone": [zones[n] for n in table.index]}, index=table.index)
    return table, keys


def test_groups_that_differ():
    # Every "slow" project took longer than every "fast" one: with 5 and 5 and no
    # ties the exact two-sided Mann-Whitney p-value is 2 / C(10, 5).
    fast, slow = [1, 2, 3, 4, 6], [20, 25, 30, 35, 40]
    table, keys = projects_with({"fast": fast, "slow": slow})
    result = compare(table, ETOWN, keys, MetricOptions(as_of=AS_OF))
    assert [g["group"] for g in result["groups"]] == [{"zone": "fast"}, {"zone": "slow"}]
    assert [(g["complete"], g["median"], g["km_median"]) for g in result["groups"]] == [
        (5, 3, 3),
        (5, 30, 30),
    ]
    (only,) = result["comparisons"]
    assert only["median_difference"] == np.median(slow) - np.median(fast) == 27
    assert only["p_value"] == pytest.approx(2 / comb(10, 5), abs=1e-6)
    assert only["p_value"] < 0.05
    assert 0 < only["ci_low"] <= 27 <= only["ci_high"]
    assert only["logrank_p_value"] < 0.05


def test_groups_that_do_not_differ():
    rng = np.random.default_rng(11)
    same = rng.integers(0, 200, 40).tolist()
    table, keys = projects_with({"north": same[::2], "south": same[1::2]})
    result = compare(table, ETOWN, keys, MetricOptions(as_of=AS_OF))
    (only,) = result["comparisons"]
    assert only["p_value"] > 0.05
    assert only["ci_low"] < 0 < only["ci_high"]
    assert only["logrank_p_value"] > 0.05
    # Independent: the plain medians of each half.
    medians = [g["median"] for g in result["groups"]]
    assert medians == [np.median(same[::2]), np.median(same[1::2])]


def test_bootstrap_is_seeded_and_documented():
    table, keys = projects_with({"a": [1, 5, 9, 14, 30, 31], "b": [3, 8, 12, 40, 41, 90]})
    options = MetricOptions(as_of=AS_OF)
    first = compare(table, ETOWN, keys, options, resamples=500, seed=1)
    again = compare(table, ETOWN, keys, options, resamples=500, seed=1)
    assert first == again
    assert first["bootstrap"] == {
        "method": "percentile",
        "resamples": 500,
        "seed": 1,
        "confidence_level": 0.95,
    }
    with pytest.raises(MetricOptionError):
        compare(table, ETOWN, keys, options, resamples=0)


def test_split_date_before_and_on_or_after():
    table, _ = projects_with({"g": [50, 60, 70, 10, 12, 14]}, first_start=date(2023, 12, 29))
    # Starts 2023-12-29, 12-30, 12-31 | 2024-01-01, 01-02, 01-03.
    keys = split_keys(table, ETOWN, date(2024, 1, 1))
    result = compare(table, ETOWN, keys, MetricOptions(as_of=AS_OF))
    assert [g["group"]["land_acquisition"] for g in result["groups"]] == [
        "before 2024-01-01",
        "on or after 2024-01-01",
    ]
    assert [g["median"] for g in result["groups"]] == [60, 12]
    assert result["comparisons"][0]["median_difference"] == -48


def test_open_projects_count_in_the_km_median_not_in_the_plain_one():
    started = [date(2024, 1, 1)] * 12  # waiting 366 days as of 2025-01-01
    table, keys = projects_with(
        {"a": [5, 6, 7] * 3, "b": [5, 6, 7] * 3}, open_by_group={"b": started}
    )
    result = compare(table, ETOWN, keys, MetricOptions(as_of=AS_OF))
    a, b = result["groups"]
    assert a["median"] == b["median"] == 6
    assert (b["open"], b["projects"]) == (12, 21)
    # b: 21 at risk; the 9 events at 5, 6, 7 leave 12/21 > 1/2, the rest are censored.
    assert a["km_median"] == 6 and b["km_median"] is None
    assert result["comparisons"][0]["p_value"] == 1.0
    assert result["comparisons"][0]["logrank_p_value"] < 0.05


def test_more_than_two_groups_and_missing_keys():
    table, keys = projects_with({"a": [1, 2, 3], "b": [10, 11, 12], "c": [30, 31, 32]})
    keys.iloc[0, 0] = None
    result = compare(table, ETOWN, keys, MetricOptions(as_of=AS_OF))
    assert result["ungrouped"] == 1
    assert [c["group"]["zone"] for c in result["comparisons"]] == ["b", "c"]
    assert all(c["reference"] == {"zone": "a"} for c in result["comparisons"])
    assert result["kruskal_p_value"] < 0.05


def test_a_group_without_complete_projects():
    table, keys = projects_with({"a": [1, 2, 3], "b": []}, open_by_group={"b": [date(2024, 6, 1)]})
    result = compare(table, ETOWN, keys, MetricOptions(as_of=AS_OF))
    (only,) = result["comparisons"]
    assert only["median_difference"] is None and only["p_value"] is None
    assert only["logrank_p_value"] is None


def test_readme_worked_example():
    from etown_approvals import load

    from .conftest import ROOT, SAMPLE

    loaded = load(SAMPLE)
    options = MetricOptions(as_of=AS_OF)
    table = project_table(loaded.events, loaded.stages, options=options)
    result = compare(
        table, loaded.stages, split_keys(table, loaded.stages, date(2022, 1, 1)), options
    )
    before, after = result["groups"]
    assert (before["complete"], before["median"]) == (10, 115.5)
    assert (after["complete"], after["open"], after["median"], after["km_median"]) == (13, 4, 3, 28)
    (only,) = result["comparisons"]
    assert (only["median_difference"], only["ci_low"], only["ci_high"]) == (-112.5, -197.5, -48.5)
    assert round(only["p_value"], 4) == 0.0003 and round(only["logrank_p_value"], 2) == 0.32
    assert "(bootstrap 95% interval -197.5 to -48.5), Mann-Whitney p = 0.0003" in (
        ROOT / "README.md"
    ).read_text(encoding="utf-8")
