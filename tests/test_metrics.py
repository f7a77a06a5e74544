from __future__ import annotations

from datetime import date

import pandas as pd

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
    assert result["projects"] == {"total": 3, "complete": 2, "open": 1, "invalid": 0}
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
