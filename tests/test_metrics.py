from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from etown_approvals.metrics import (
    MetricOptions,
    days_statistics,
    flag_names,
    project_table,
    summarize,
)
from etown_approvals.stages import ETOWN


def events(*rows: tuple[str, str, str]) -> pd.DataFrame:
    projects = list(dict.fromkeys(r[0] for r in rows))
    return pd.DataFrame(
        {
            "project": pd.Categorical([r[0] for r in rows], categories=projects),
            "stage": pd.Categorical(
                [r[1] for r in rows], categories=list(ETOWN.stages), ordered=True
            ),
            "date": pd.to_datetime([r[2] for r in rows]).astype("datetime64[s]"),
            "row": range(2, len(rows) + 2),
        }
    )


def table(*rows, **options) -> pd.DataFrame:
    return project_table(
        events(*rows), ETOWN, options=MetricOptions(as_of=date(2024, 1, 1), **options)
    )


def test_status_days_and_flags():
    projects = table(
        ("same", "land_acquisition", "2023-06-16"),
        ("same", "construction_permit", "2023-06-16"),
        ("fast", "land_acquisition", "2023-03-20"),
        ("fast", "construction_permit", "2023-03-23"),
        ("slow", "land_acquisition", "2023-01-01"),
        ("slow", "construction_permit", "2023-03-01"),
        ("open", "land_acquisition", "2023-12-01"),
        ("noland", "construction_permit", "2023-01-01"),
        ("backwards", "land_acquisition", "2023-05-01"),
        ("backwards", "construction_permit", "2023-04-01"),
    )
    assert projects["status"].tolist() == [
        "complete",
        "complete",
        "complete",
        "open",
        "invalid",
        "invalid",
    ]
    assert projects["days"].tolist() == [0, 3, 59, pd.NA, pd.NA, pd.NA]
    assert [list(names) for names in flag_names(projects)] == [
        ["same_day", "fast_track"],
        ["fast_track"],
        [],
        [],
        [],
        [],
    ]
    assert projects.loc["open", "waiting_days"] == 31


def test_fast_track_threshold_is_an_option():
    rows = (("p", "land_acquisition", "2023-01-01"), ("p", "construction_permit", "2023-01-05"))
    assert not table(*rows)["fast_track"].iloc[0]
    assert table(*rows, fast_track_days=4)["fast_track"].iloc[0]


def test_earliest_duplicate_counts_and_conflicts_are_flagged():
    projects = table(
        ("p", "land_acquisition", "2023-01-03"),
        ("p", "land_acquisition", "2023-01-01"),
        ("p", "construction_permit", "2023-01-05"),
        ("q", "land_acquisition", "2023-01-01"),
        ("q", "land_acquisition", "2023-01-01"),
    )
    assert projects.loc["p", "days"] == 4
    assert projects["duplicate_stage"].tolist() == [True, False]


def test_out_of_order_intermediate_stage():
    projects = table(
        ("early", "project_approval", "2022-12-01"),
        ("early", "land_acquisition", "2023-01-01"),
        ("early", "construction_permit", "2023-02-01"),
        ("late", "land_acquisition", "2023-01-01"),
        ("late", "planning_permit", "2023-03-01"),
        ("late", "construction_permit", "2023-02-01"),
        ("fine", "land_acquisition", "2023-01-01"),
        ("fine", "planning_permit", "2023-01-01"),
        ("fine", "construction_permit", "2023-01-01"),
    )
    assert projects["out_of_order"].tolist() == [True, True, False]
    assert projects["status"].tolist() == ["complete"] * 3


def test_gaps_are_days_since_previous_recorded_stage():
    projects = table(
        ("p", "land_acquisition", "2023-01-01"),
        ("p", "planning_permit", "2023-01-11"),
        ("p", "construction_permit", "2023-01-12"),
    )
    row = projects.iloc[0]
    assert pd.isna(row["gap_project_approval"])
    assert (row["gap_planning_permit"], row["gap_construction_permit"]) == (10, 1)


def test_days_statistics():
    stats = days_statistics(pd.Series([0, 1, 2, 3, 10, None], dtype="Int64"))
    assert stats == {
        "count": 5,
        "min": 0,
        "p25": 1,
        "median": 2,
        "mean": 3.2,
        "p75": 3,
        "p90": 7.2,
        "max": 10,
    }


def test_days_statistics_empty_are_null():
    stats = days_statistics(pd.Series([None], dtype="Int64"))
    assert stats["count"] == 0
    assert all(stats[k] is None for k in ("min", "median", "mean", "max"))


def test_summary_counts_and_shares():
    projects = table(
        ("a", "land_acquisition", "2023-01-01"),
        ("a", "construction_permit", "2023-01-01"),
        ("b", "land_acquisition", "2023-01-01"),
        ("b", "construction_permit", "2023-01-31"),
        ("c", "land_acquisition", "2023-01-01"),
    )
    result = summarize(projects)
    assert result["projects"] == {
        "total": 3,
        "complete": 2,
        "open": 1,
        "invalid": 0,
        "withdrawn": 0,
    }
    assert result["same_day"] == {"count": 1, "share": 0.5, "projects": ["a"]}
    assert result["fast_track"] == {"max_days": 3, "count": 1, "share": 0.5, "projects": ["a"]}


def test_summary_shares_are_null_without_complete_projects():
    projects = table(("a", "land_acquisition", "2023-01-01"))
    result = summarize(projects)
    assert result["projects"]["complete"] == 0
    assert result["same_day"]["share"] is None
    assert result["days"]["median"] is None


def test_categorical_fast_path_equals_public_constructor():
    import numpy as np
    import pandas as pd

    from etown_approvals._compat import categorical_from_codes

    names = pd.Index(["b", "a", "c"])
    codes = np.array([0, 2, 1, 0, -1])
    fast = categorical_from_codes(codes, names)
    public = categorical_from_codes(codes, names, fastpath=False)
    assert list(fast.categories) == list(public.categories) == ["b", "a", "c"]
    assert fast.codes.tolist() == public.codes.tolist() == codes.tolist()
    assert fast.equals(public)


# ---------------------------------------------------------------- the clock (issue 11.1)

from datetime import timedelta  # noqa: E402

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from etown_approvals.metrics import (  # noqa: E402
    MetricOptionError,
    open_after_as_of,
    out_of_order_pairs,
    slowest_transition,
    sort_projects,
    stage_transitions,
    trend,
)

NATIONAL_DAY = (
    ("A", "land_acquisition", "2023-09-28"),
    ("A", "planning_permit", "2023-10-07"),  # Saturday, an official working day
    ("A", "construction_permit", "2023-10-09"),
)


def test_gaps_and_transitions_use_the_working_day_clock():
    # Working days after 09-28: 10-07 (worked Saturday) = 1; then 10-08, 10-09 = 2.
    calendar, workdays = table(*NATIONAL_DAY), table(*NATIONAL_DAY, unit="workdays")
    assert (
        calendar.loc["A", "gap_planning_permit"],
        calendar.loc["A", "gap_construction_permit"],
    ) == (9, 2)
    assert (
        workdays.loc["A", "gap_planning_permit"],
        workdays.loc["A", "gap_construction_permit"],
    ) == (1, 2)
    assert workdays.loc["A", "days"] == 3
    options = MetricOptions(unit="workdays", as_of=date(2024, 1, 1))
    rows = {
        (r["from"], r["to"]): r for r in stage_transitions(workdays, ETOWN, options, pairs="all")
    }
    assert rows[("land_acquisition", "planning_permit")]["median"] == 1
    assert rows[("planning_permit", "construction_permit")]["median"] == 2
    assert rows[("land_acquisition", "construction_permit")]["median"] == 3
    assert rows[("planning_permit", "construction_permit")]["share"] == round(2 / 3, 4)


def test_waiting_days_in_workdays_and_never_negative():
    rows = (
        ("waits", "land_acquisition", "2023-09-28"),
        ("future", "land_acquisition", "2024-06-01"),
    )
    projects = project_table(
        events(*rows), ETOWN, options=MetricOptions(as_of=date(2023, 10, 9), unit="workdays")
    )
    assert projects.loc["waits", "waiting_days"] == 3
    assert pd.isna(projects.loc["future", "waiting_days"])  # starts after as_of: no value
    assert list(open_after_as_of(projects, ETOWN, date(2023, 10, 9))) == ["future"]
    assert list(open_after_as_of(projects, ETOWN, date(2024, 6, 1))) == []


_DAY0 = date(2018, 1, 1)


@st.composite
def ordered_projects(draw):
    """Projects with every stage recorded, in process order (same-day steps allowed)."""
    n = draw(st.integers(1, 8))
    rows = []
    for i in range(n):
        day = draw(st.integers(0, 2500))
        for stage in ETOWN.stages:
            rows.append((f"p{i}", stage, (_DAY0 + timedelta(days=day)).isoformat()))
            day += draw(st.integers(0, 120))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ordered_projects(), unit=st.sampled_from(["calendar", "workdays"]))
def test_gaps_sum_to_days_in_either_unit(rows, unit):
    options = MetricOptions(as_of=date(2026, 1, 1), unit=unit)
    projects = project_table(events(*rows), ETOWN, options=options)
    gaps = sum(projects[f"gap_{stage}"] for stage in ETOWN.stages[1:])
    assert gaps.tolist() == projects["days"].tolist()
    assert (projects["status"] == "complete").all()
    transitions = stage_transitions(projects, ETOWN, options)
    # Every project has every stage, so the transition means add up to the mean days.
    assert sum(r["count"] for r in transitions) == 3 * len(projects)
    mean_days = projects["days"].astype(float).mean()
    if mean_days:
        assert sum(r["share"] for r in transitions) == pytest.approx(1, abs=5e-4)
        assert all(r["share"] <= 1 for r in transitions)
    if unit == "calendar":
        for r, stage in zip(transitions, ETOWN.stages[1:], strict=True):
            assert r["median"] == days_statistics(projects[f"gap_{stage}"])["median"]


# ------------------------------------------------- same projects as the summary (11.2)


def test_transitions_leave_out_invalid_projects_and_count_out_of_order_pairs():
    projects = table(
        ("ok", "land_acquisition", "2023-01-01"),
        ("ok", "project_approval", "2023-01-11"),
        ("ok", "construction_permit", "2023-02-01"),
        ("backwards", "land_acquisition", "2023-01-05"),
        ("backwards", "project_approval", "2023-01-01"),  # approval before land
        ("backwards", "construction_permit", "2023-01-20"),
        ("invalid", "land_acquisition", "2023-05-01"),
        ("invalid", "project_approval", "2023-05-03"),
        ("invalid", "construction_permit", "2023-04-01"),  # end before start
    )
    assert projects.loc["invalid", "status"] == "invalid"
    rows = stage_transitions(projects, ETOWN, MetricOptions())
    first = rows[0]
    assert (first["from"], first["to"]) == ("land_acquisition", "project_approval")
    assert (first["count"], first["min"], first["max"], first["out_of_order"]) == (1, 10, 10, 1)
    assert all(r["min"] is None or r["min"] >= 0 for r in rows)
    # Mean days of complete projects: (31 + 15) / 2 = 23; share 10 / 23, unrounded.
    assert first["share"] == round(10 / 23, 4)
    # "invalid" also has its permit before its approval: out of order as well.
    assert projects["out_of_order"].tolist() == [False, True, True]


def test_share_uses_the_unrounded_mean():
    # Mean days 10/3 = 3.333...; a transition of mean 10/3 must have share exactly 1.
    projects = table(
        *[
            row
            for name, days in (("a", 3), ("b", 3), ("c", 4))
            for row in (
                (name, "land_acquisition", "2023-01-01"),
                (name, "construction_permit", f"2023-01-{1 + days:02d}"),
            )
        ]
    )
    rows = stage_transitions(projects, ETOWN, MetricOptions(), pairs="all")
    whole = next(r for r in rows if (r["from"], r["to"]) == (ETOWN.start, ETOWN.end))
    assert whole["mean"] == 3.33
    assert whole["share"] == 1.0


def test_out_of_order_pairs_cover_every_stage_pair():
    projects = table(
        ("p", "land_acquisition", "2023-01-10"),
        ("p", "project_approval", "2023-01-05"),  # before land
        ("p", "planning_permit", "2023-01-03"),  # before land and approval
        ("p", "construction_permit", "2023-01-20"),
        ("q", "project_approval", "2023-03-01"),
        ("q", "planning_permit", "2023-02-01"),  # no land date: still a pair out of order
        ("r", "land_acquisition", "2023-01-01"),
        ("r", "construction_permit", "2023-01-02"),
    )
    found = out_of_order_pairs(projects, ETOWN)
    # Independent: every ordered pair of recorded stages, compared in plain Python.
    expected = []
    for name, row in projects.iterrows():
        for i, a in enumerate(ETOWN.stages):
            for b in ETOWN.stages[i + 1 :]:
                if pd.notna(row[a]) and pd.notna(row[b]) and row[b] < row[a]:
                    expected.append((name, a, b, row[a], row[b]))
    assert list(found.itertuples(index=False, name=None)) == expected
    assert len(expected) == 4
    assert projects["out_of_order"].tolist() == [True, True, False]


def test_out_of_order_pairs_empty():
    found = out_of_order_pairs(table(("r", "land_acquisition", "2023-01-01")), ETOWN)
    assert list(found.columns) == ["project", "earlier", "later", "earlier_date", "later_date"]
    assert found.empty


def test_all_pairs_and_the_slowest_among_them():
    projects = table(
        ("p", "land_acquisition", "2023-01-01"),
        ("p", "planning_permit", "2023-03-01"),  # approval rarely recorded
        ("p", "construction_permit", "2023-03-02"),
    )
    consecutive = stage_transitions(projects, ETOWN, MetricOptions())
    assert [(r["from"], r["to"], r["count"]) for r in consecutive] == [
        ("land_acquisition", "project_approval", 0),
        ("project_approval", "planning_permit", 0),
        ("planning_permit", "construction_permit", 1),
    ]
    every = stage_transitions(projects, ETOWN, MetricOptions(), pairs="all")
    assert len(every) == 6
    pair = {(r["from"], r["to"]): r["median"] for r in every}
    assert pair[("land_acquisition", "planning_permit")] == 59
    slowest = slowest_transition(every)
    assert (slowest["from"], slowest["to"]) == ("land_acquisition", "construction_permit")
    with pytest.raises(MetricOptionError):
        stage_transitions(projects, ETOWN, MetricOptions(), pairs="some")


def test_slowest_is_chosen_among_all_transitions_not_only_the_metric():
    rows = [
        {"from": "a", "to": "b", "median": 5, "mean": 5, "share": 0.5},
        {"from": "b", "to": "c", "median": 9, "mean": 9, "share": None},  # outside the metric
        {"from": "c", "to": "d", "median": None, "mean": None, "share": None},
    ]
    assert slowest_transition(rows)["to"] == "c"
    assert slowest_transition([rows[2]]) is None


# ---------------------------------------------------------------- percentiles


def test_percentiles_any_list():
    values = [0, 1, 2, 3, 10, 40, 41]
    stats = days_statistics(pd.Series(values, dtype="Int64"), [95, 99.5, 50, 5])
    assert list(stats) == [
        "count",
        "min",
        "p5",
        "p25",
        "median",
        "mean",
        "p75",
        "p90",
        "p95",
        "p99_5",
        "max",
    ]
    for key, level in (("p5", 5), ("p95", 95), ("p99_5", 99.5), ("median", 50)):
        assert stats[key] == round(float(np.percentile(values, level)), 2)
    assert list(days_statistics(pd.Series(values, dtype="Int64"))) == [
        "count",
        "min",
        "p25",
        "median",
        "mean",
        "p75",
        "p90",
        "max",
    ]
    with pytest.raises(MetricOptionError):
        days_statistics(pd.Series(values, dtype="Int64"), [101])


def test_grouped_statistics_match_per_group_statistics():
    from etown_approvals.metrics import grouped_statistics

    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, 400).astype(float)
    codes = rng.integers(0, 30, 400)
    stats = grouped_statistics(values, codes, 32, [95])
    for code in range(32):
        part = values[codes == code]
        if part.size == 0:
            assert stats["count"][code] == 0 and np.isnan(stats["median"][code])
            continue
        assert stats["count"][code] == part.size
        assert stats["mean"][code] == pytest.approx(part.mean())
        for key, level in (("p25", 25), ("median", 50), ("p90", 90), ("p95", 95)):
            assert stats[key][code] == pytest.approx(np.percentile(part, level))
        assert (stats["min"][code], stats["max"][code]) == (part.min(), part.max())


# ---------------------------------------------------------------- trend


def _sample_projects(**options):
    from etown_approvals import load

    from .conftest import SAMPLE

    loaded = load(SAMPLE)
    table_ = project_table(
        loaded.events,
        loaded.stages,
        options=MetricOptions(as_of=date(2025, 1, 1), **options),
    )
    return table_.join(loaded.attributes), loaded.stages


def test_trend_rows_add_up_and_match_plain_pandas():
    projects, stages = _sample_projects()
    rows = trend(projects, stages, group_keys=projects[["zone"]])
    dated = projects[projects[stages.start].notna()]
    year = dated[stages.start].dt.year.astype(str)
    for row in rows:
        assert row["projects"] == row["complete"] + row["open"] + row["invalid"] + row["withdrawn"]
        part = dated[(dated["zone"] == row["group"]["zone"]) & (year == row["period"])]
        assert row["projects"] == len(part)
        complete = part[part["status"] == "complete"]["days"].astype(float)
        expected = None if complete.empty else complete.median()
        assert row["median_days"] == (None if expected is None else round(expected, 2))
    # every (zone, year) with projects appears once
    seen = {(r["group"]["zone"], r["period"]) for r in rows if r["projects"]}
    assert seen == set(zip(dated["zone"], year, strict=True))


def test_trend_by_another_stage_and_percentiles():
    projects, stages = _sample_projects()
    rows = trend(projects, stages, period_of="construction_permit", percentiles=[95])
    permitted = projects[projects["construction_permit"].notna()]
    years = permitted["construction_permit"].dt.year
    assert [r["period"] for r in rows] == [str(y) for y in range(years.min(), years.max() + 1)]
    assert sum(r["projects"] for r in rows) == len(permitted)
    for row in rows:
        days = permitted[(years == int(row["period"])) & (permitted["status"] == "complete")][
            "days"
        ]
        if len(days):
            assert row["p95_days"] == round(float(np.percentile(days.astype(float), 95)), 2)
    with pytest.raises(MetricOptionError):
        trend(projects, stages, period_of="nonsense")


@pytest.mark.parametrize(
    ("start_month", "by", "day", "label"),
    [
        (4, "year", "2023-03-31", "FY2023"),  # UK: April to March
        (4, "year", "2023-04-01", "FY2024"),
        (10, "year", "2023-09-30", "FY2023"),  # US federal: October to September
        (10, "year", "2023-10-01", "FY2024"),
        (10, "quarter", "2023-10-15", "FY2024Q1"),
        (10, "quarter", "2024-09-30", "FY2024Q4"),
        (4, "quarter", "2024-01-10", "FY2024Q4"),
        (1, "year", "2024-01-10", "2024"),
        (1, "quarter", "2024-05-10", "2024Q2"),
    ],
)
def test_fiscal_years_are_labelled_by_the_year_they_end(start_month, by, day, label):
    projects = table(("p", "land_acquisition", day))
    rows = trend(projects, ETOWN, by=by, fiscal_year_start=start_month)
    assert [r["period"] for r in rows] == [label]


def test_fiscal_year_start_needs_years_or_quarters():
    projects = table(("p", "land_acquisition", "2023-01-01"))
    with pytest.raises(MetricOptionError):
        trend(projects, ETOWN, by="month", fiscal_year_start=4)
    with pytest.raises(MetricOptionError):
        trend(projects, ETOWN, fiscal_year_start=13)


def test_trend_groups_by_every_combination_of_several_columns():
    projects, stages = _sample_projects()
    rows = trend(projects, stages, group_keys=projects[["zone", "sector"]])
    combos = {tuple(r["group"].values()) for r in rows}
    dated = projects[projects[stages.start].notna()]
    assert combos == set(zip(dated["zone"], dated["sector"], strict=True))
    assert sum(r["projects"] for r in rows) == len(dated)


def test_grouping_puts_missing_values_last():
    from etown_approvals.metrics import grouping

    keys = pd.DataFrame({"zone": ["b", None, "a", "b"], "sector": ["x", "y", "x", "x"]})
    grouped = grouping(keys)
    assert grouped.labels == [
        {"zone": "b", "sector": "x"},
        {"zone": "a", "sector": "x"},
        {"zone": None, "sector": "y"},
    ]
    assert grouped.codes.tolist() == [0, 2, 1, 0]


@pytest.mark.parametrize(
    "values",
    [
        ["b", None, "a", "b", None, "c"],
        ["only"] * 3,
        [None, None],
        ["项目", "", " ", "a", ""],
    ],
)
def test_grouping_by_one_text_column_is_in_order_of_appearance(values):
    from etown_approvals.metrics import grouping

    keys = pd.DataFrame({"zone": pd.Series(values, dtype="str")})
    grouped = grouping(keys)
    # Independently: pandas numbers groups in order of appearance; missing goes last.
    present = [v for v in dict.fromkeys(values) if v is not None]
    order = present + ([None] if None in values else [])
    assert grouped.labels == [{"zone": v} for v in order]
    assert grouped.codes.tolist() == [order.index(v) for v in values]


# ---------------------------------------------------------------- sorting


def test_sort_by_waiting_days():
    projects = table(
        ("done", "land_acquisition", "2023-01-01"),
        ("done", "construction_permit", "2023-01-02"),
        ("short", "land_acquisition", "2023-12-01"),
        ("long", "land_acquisition", "2023-06-01"),
    )
    assert list(sort_projects(projects, ETOWN, "waiting").index) == ["short", "long", "done"]
    assert list(sort_projects(projects, ETOWN, "waiting", descending=True).index) == [
        "long",
        "short",
        "done",
    ]
    assert sort_projects(projects, ETOWN, "days").index[0] == "done"
    with pytest.raises(MetricOptionError):
        sort_projects(projects, ETOWN, "colour")


def test_grouped_summary_equals_each_group_alone():
    """Every group at once gives what summarizing each group alone gives."""
    import numpy as np
    import pandas as pd

    from etown_approvals.metrics import grouping, summarize, summarize_groups

    rng = np.random.default_rng(7)
    rows = []
    for i in range(400):
        start = pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)))
        rows.append((f"p{i}", "land_acquisition", start.date().isoformat()))
        if rng.random() < 0.8:
            end = start + pd.Timedelta(days=int(rng.integers(-3, 90)))
            rows.append((f"p{i}", "construction_permit", end.date().isoformat()))
    projects = table(*rows)
    zones = pd.Series(rng.choice(["a", "b", "c", None], size=len(projects)), index=projects.index)
    grouped = grouping(zones.to_frame("zone"), len(projects))
    together = summarize_groups(projects, grouped, percentiles=(95,))
    for label, numbers in zip(grouped.labels, together, strict=True):
        value = label["zone"]
        part = projects[(zones.isna() if value is None else zones == value).to_numpy()]
        alone = summarize(part, percentiles=(95,))
        assert numbers == alone, label
        # The same JSON too (3 and 3.0 are equal in Python, not in a document).
        assert json.dumps(numbers) == json.dumps(alone), label
