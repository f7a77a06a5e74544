"""Documented rules, tested where they are easiest to get wrong: at their boundaries.

Each test states one rule of the README and checks it on data built so that the rule's
edge decides the answer (a project starting on the first or last day of a window, an
open project starting on the as-of day, a completion on exactly the fast-track bound, a
share whose third and fourth decimals matter, a bootstrap where one group is constant).
The expected numbers are written here, from the rule, never read from etown.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from math import comb
from statistics import median
from typing import Any

import pytest

WITHDRAWN_RULE = "outcome=Withdrawn"


def long_file(projects: dict[str, dict[str, str]], extra: str = "") -> str:
    """A long file: one row per (project, stage, date); ``outcome`` marks withdrawn ones."""
    names = {
        "land": "land acquisition",
        "approval": "project approval",
        "planning": "planning permit",
        "permit": "construction permit",
    }
    lines = ["project,event,date,zone,outcome"]
    for project, stages in projects.items():
        zone = stages.get("zone", "Core")
        outcome = stages.get("outcome", "")
        for key, event in names.items():
            if key in stages:
                lines.append(f"{project},{event},{stages[key]},{zone},{outcome}")
    return "\n".join(lines) + "\n" + extra


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


# ---------------------------------------------------------------- --since / --until

#: Projects starting on, just inside and just outside both ends of 2021-03-10..2021-06-20.
WINDOW = {
    "day before since": {"land": "2021-03-09", "permit": "2021-04-01"},
    "on since": {"land": "2021-03-10", "permit": "2021-04-10"},
    "inside": {"land": "2021-04-15"},
    "on until": {"land": "2021-06-20", "permit": "2021-06-22"},
    "day after until": {"land": "2021-06-21", "permit": "2021-07-01"},
    "no start": {"permit": "2021-05-01"},
}
SINCE, UNTIL = "2021-03-10", "2021-06-20"


@pytest.mark.parametrize(
    ("window", "kept"),
    [
        ((("--since", SINCE), ("--until", UNTIL)), {"on since", "inside", "on until"}),
        ((("--since", SINCE),), {"on since", "inside", "on until", "day after until"}),
        ((("--until", UNTIL),), {"day before since", "on since", "inside", "on until"}),
    ],
    ids=["both", "since", "until"],
)
def test_a_window_keeps_projects_starting_on_either_end(run, write, window, kept):
    """README: ``--since``/``--until`` keep projects whose start date is in the window,
    inclusive; projects without one are left out."""
    path = write(long_file(WINDOW))
    args = [a for pair in window for a in pair]
    listed = as_json(run("projects", path, *args, "--as-of", "2022-01-01", "--json"))["projects"]
    assert {p["project"] for p in listed} == kept
    summary = as_json(run("summary", path, *args, "--as-of", "2022-01-01", "--json"))
    expected_complete = len(kept - {"inside"})
    assert summary["projects"] == {
        "total": len(kept),
        "complete": expected_complete,
        "open": len(kept & {"inside"}),
        "invalid": 0,
        "withdrawn": 0,
    }
    trend = as_json(run("trend", path, *args, "--as-of", "2022-01-01", "--json"))
    assert sum(p["projects"] for p in trend["periods"]) == len(kept)


def test_a_one_day_window_keeps_the_projects_of_that_day(run, write):
    path = write(long_file(WINDOW))
    listed = as_json(
        run("projects", path, "--since", UNTIL, "--until", UNTIL, "--as-of", "2022-01-01", "--json")
    )["projects"]
    assert [p["project"] for p in listed] == ["on until"]


# ---------------------------------------------------------------- waiting_days


def test_an_open_project_starting_on_the_as_of_day_has_waited_zero_days(run, write):
    """README: ``waiting_days`` for open projects is days from land acquisition to
    ``--as-of``: 0 for a project that starts that day (not empty, not negative)."""
    path = write(
        long_file(
            {
                "starts that day": {"land": "2021-05-01"},
                "a day earlier": {"land": "2021-04-30"},
                "withdrawn that day": {"land": "2021-05-01", "outcome": "Withdrawn"},
            }
        )
    )
    listed = as_json(
        run("projects", path, "--as-of", "2021-05-01", "--withdrawn", WITHDRAWN_RULE, "--json")
    )["projects"]
    assert {p["project"]: (p["status"], p["waiting_days"]) for p in listed} == {
        "starts that day": ("open", 0),
        "a day earlier": ("open", 1),
        "withdrawn that day": ("withdrawn", None),  # a withdrawn project waits no more
    }
    ordered = as_json(
        run("projects", path, "--as-of", "2021-05-01", "--sort", "waiting", "--json")
    )["projects"]
    assert [p["waiting_days"] for p in ordered] == [0, 0, 1]


def test_an_open_project_starting_on_the_as_of_day_is_censored_at_zero(run, write):
    """Kaplan-Meier counts it (censored at 0 days), it is not left out."""
    path = write(
        long_file(
            {
                "done": {"land": "2021-04-01", "permit": "2021-04-11"},
                "starts that day": {"land": "2021-05-01"},
            }
        )
    )
    summary = as_json(run("summary", path, "--as-of", "2021-05-01", "--survival", "--json"))
    km = summary["survival"]
    assert (km["events"], km["censored"], km["left_out"]) == (1, 1, 0)


# ---------------------------------------------------------------- trend rows add up


def test_trend_rows_add_up_with_withdrawn_projects(run, write):
    """README: a row's ``complete``, ``open``, ``invalid`` and ``withdrawn`` add up to
    its ``projects`` (``total`` = the four, everywhere)."""
    path = write(
        long_file(
            {
                "done": {"land": "2021-01-05", "permit": "2021-02-01"},
                "waiting": {"land": "2021-01-06"},
                "gone": {"land": "2021-01-07", "outcome": "Withdrawn"},
                "gone too": {
                    "land": "2021-03-07",
                    "approval": "2021-03-09",
                    "outcome": "Withdrawn",
                },
                "backwards": {"land": "2021-03-10", "permit": "2021-03-01"},
                "done withdrawn": {
                    "land": "2021-03-11",
                    "permit": "2021-03-12",
                    "outcome": "Withdrawn",
                },
            }
        )
    )
    trend = as_json(
        run(
            "trend",
            path,
            "--by",
            "month",
            "--withdrawn",
            WITHDRAWN_RULE,
            "--as-of",
            "2022-01-01",
            "--json",
        )
    )
    rows = {
        p["period"]: (p["projects"], p["complete"], p["open"], p["invalid"], p["withdrawn"])
        for p in trend["periods"]
    }
    assert rows == {
        "2021-01": (3, 1, 1, 0, 1),
        "2021-02": (0, 0, 0, 0, 0),
        "2021-03": (3, 1, 0, 1, 1),
    }
    for period in trend["periods"]:
        parts = sum(period[s] for s in ("complete", "open", "invalid", "withdrawn"))
        assert parts == period["projects"], period


def test_grouped_trend_rows_add_up_with_withdrawn_projects(run, write):
    path = write(
        long_file(
            {
                "a": {"land": "2021-01-05", "permit": "2021-02-01", "zone": "North"},
                "b": {"land": "2021-01-06", "zone": "North", "outcome": "Withdrawn"},
                "c": {"land": "2021-01-07", "zone": "South", "outcome": "Withdrawn"},
                "d": {"land": "2021-01-08", "zone": "South"},
            }
        )
    )
    trend = as_json(
        run(
            "trend",
            path,
            "--group-by",
            "zone",
            "--withdrawn",
            WITHDRAWN_RULE,
            "--as-of",
            "2022-01-01",
            "--json",
        )
    )
    assert {
        p["group"]: (p["projects"], p["complete"], p["open"], p["withdrawn"])
        for p in trend["periods"]
    } == {"North": (2, 1, 0, 1), "South": (2, 0, 1, 1)}


# ---------------------------------------------------------------- fast-track survival

#: Days of complete projects around a fast-track bound of 3: two exactly on it.
FAST = {
    "same day": {"land": "2021-01-01", "permit": "2021-01-01"},
    "two days": {"land": "2021-01-01", "permit": "2021-01-03"},
    "three days": {"land": "2021-01-01", "permit": "2021-01-04"},
    "three days too": {"land": "2021-01-02", "permit": "2021-01-05"},
    "four days": {"land": "2021-01-01", "permit": "2021-01-05"},
    "ten days": {"land": "2021-01-01", "permit": "2021-01-11"},
}


@pytest.mark.parametrize(("bound", "fast"), [(3, 4), (2, 2), (4, 5), (0, 1)])
def test_fast_track_survival_is_read_at_exactly_the_bound(run, write, bound, fast):
    """README: a complete project within N days is fast-track (N included); the
    survival block's ``fast_track.survival`` is the share still waiting *after* N days,
    so without open projects it is one minus the fast-track share."""
    path = write(long_file(FAST))
    summary = as_json(
        run(
            "summary",
            path,
            "--survival",
            "--fast-track-days",
            str(bound),
            "--as-of",
            "2022-01-01",
            "--json",
        )
    )
    total = len(FAST)
    assert summary["fast_track"]["count"] == fast
    assert summary["survival"]["fast_track"] == {
        "max_days": bound,
        "survival": round((total - fast) / total, 4),
    }


def test_fast_track_survival_counts_an_open_project_past_the_bound(run, write):
    """An open project censored after N days is still waiting at N: product-limit by
    hand, S(3) = (1 - 1/3) over three projects, one done in 1 day."""
    path = write(
        long_file(
            {
                "quick": {"land": "2021-01-01", "permit": "2021-01-02"},
                "slow": {"land": "2021-01-01", "permit": "2021-01-31"},
                "waiting": {"land": "2021-01-01"},
            }
        )
    )
    summary = as_json(run("summary", path, "--survival", "--as-of", "2021-01-04", "--json"))
    # waiting: censored at 3 days, so at risk at 3 but never an event.
    assert summary["survival"]["fast_track"]["survival"] == round(2 / 3, 4)


# ---------------------------------------------------------------- shares: 4 decimals

#: Three complete projects (0, 10 and 20 days; approval 1, 2 and 4 days after land)
#: and one open: every share has thirds in it.
THIRDS = {
    "p0": {
        "land": "2021-01-04",
        "approval": "2021-01-04",
        "planning": "2021-01-04",
        "permit": "2021-01-04",
    },
    "p10": {
        "land": "2021-01-04",
        "approval": "2021-01-05",
        "planning": "2021-01-08",
        "permit": "2021-01-14",
    },
    "p20": {
        "land": "2021-01-04",
        "approval": "2021-01-08",
        "planning": "2021-01-10",
        "permit": "2021-01-24",
    },
    "open": {"land": "2021-01-04", "approval": "2021-01-09"},
}


def test_summary_and_trend_shares_have_four_decimals(run, write):
    """README/schemas: shares are rounded to 4 decimals (1/3 is 0.3333, not 0.33)."""
    path = write(long_file(THIRDS))
    options = ("--as-of", "2022-01-01", "--json")
    summary = as_json(run("summary", path, *options))
    assert summary["same_day"]["share"] == 0.3333
    assert summary["fast_track"]["share"] == 0.3333
    grouped = as_json(run("summary", path, "--group-by", "zone", *options))
    assert grouped["groups"][0]["same_day"]["share"] == 0.3333
    assert grouped["groups"][0]["fast_track"]["share"] == 0.3333
    trend = as_json(run("trend", path, *options))
    (period,) = trend["periods"]
    assert (period["same_day_share"], period["fast_track_share"]) == (0.3333, 0.3333)


def test_transition_shares_have_four_decimals(run, write):
    """share = the transition's mean days over complete projects' mean days (10):
    land to approval (0 + 1 + 4 + 5) / 4 days (the open project's 5 days count in the
    transition's mean only), approval to planning (0 + 3 + 2) / 3, planning to permit
    (0 + 6 + 14) / 3."""
    path = write(long_file(THIRDS))
    stages = as_json(run("stages", path, "--as-of", "2022-01-01", "--json"))
    shares = {(t["from"], t["to"]): t["share"] for t in stages["transitions"]}
    assert shares == {
        ("land_acquisition", "project_approval"): round(10 / 4 / 10, 4),
        ("project_approval", "planning_permit"): round(5 / 3 / 10, 4),
        ("planning_permit", "construction_permit"): round(20 / 3 / 10, 4),
    }
    assert shares[("planning_permit", "construction_permit")] == 0.6667


def test_survival_share_has_four_decimals(run, write):
    path = write(long_file({k: v for k, v in THIRDS.items() if k != "open"}))
    summary = as_json(run("summary", path, "--survival", "--as-of", "2022-01-01", "--json"))
    assert summary["survival"]["fast_track"]["survival"] == 0.6667


# ---------------------------------------------------------------- compare's bootstrap


def bootstrap_median_quantile(values: list[int], level: float) -> float:
    """The ``level`` quantile of the median of a resample (with replacement) of an odd
    number of distinct values, exactly: the median of n draws is at most the k-th
    smallest value when at least (n + 1) / 2 draws are among the k smallest."""
    values = sorted(values)
    n = len(values)
    need = (n + 1) // 2
    for k, value in enumerate(values, start=1):
        p = k / n
        at_most = sum(comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(need, n + 1))
        if at_most >= level:
            return value
    return values[-1]


def compare_file(reference_days: list[int], other_days: list[int]) -> str:
    """Two zones of complete projects taking these days; the reference zone first."""
    start = date(2021, 1, 1)
    lines = ["project,event,date,zone"]
    for zone, days in (("Reference", reference_days), ("Other", other_days)):
        for i, d in enumerate(days):
            end = start + timedelta(days=d)
            lines.append(f"{zone} {i},land acquisition,{start},{zone}")
            lines.append(f"{zone} {i},construction permit,{end},{zone}")
    return "\n".join(lines) + "\n"


SPREAD = [10, 20, 30, 40, 50, 60, 70]


@pytest.mark.parametrize("varying", ["reference", "other"])
def test_the_bootstrap_resamples_both_groups(run, write, varying):
    """README: each group is resampled with replacement on its own. With one group
    constant, the interval of the difference is the spread of the other group's
    resampled medians: the percentile interval of an exact bootstrap distribution
    (computed here), which collapses to one point if that group is never resampled.
    The reference is the larger group and the first in the file."""
    spread = SPREAD
    if varying == "reference":
        reference, other = spread, [5] * 5
    else:
        reference, other = [5] * 8, spread
    path = write(compare_file(reference, other))
    document = as_json(run("compare", path, "--by", "zone", "--as-of", "2022-01-01", "--json"))
    (comparison,) = document["comparisons"]
    assert "Reference" in json.dumps(comparison["reference"])
    varied = reference if varying == "reference" else other
    low, high = (bootstrap_median_quantile(varied, q) for q in (0.025, 0.975))
    if varying == "reference":
        expected = (other[0] - high, other[0] - low)
    else:
        expected = (low - reference[0], high - reference[0])
    assert comparison["median_difference"] == median(other) - median(reference)
    assert (comparison["ci_low"], comparison["ci_high"]) == expected
    assert comparison["ci_low"] < comparison["median_difference"] < comparison["ci_high"]
    # No project open: a resample's Kaplan-Meier median is its plain median (an odd
    # number of projects never leaves the curve at exactly one half).
    km = comparison["km_median_difference"]
    assert (km["estimate"], km["ci_low"], km["ci_high"]) == (
        comparison["median_difference"],
        *expected,
    )
