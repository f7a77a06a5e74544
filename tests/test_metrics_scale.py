"""The per-project matrix and grouped statistics against plain pandas/numpy.

stage_matrix and grouped_statistics keep their intermediates in the narrowest
integer type that holds them (int32 day numbers and keys for real dates); these
tests check them on random data, including repeated stages, dates before 1970
(negative day numbers) and dates too far out for int32, against an independent
groupby written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etown_approvals.metrics import _NONE, day_numbers, grouped_statistics, stage_matrix

STAGES = ("a", "b", "c", "d")


def random_events(seed: int, *, lowest_day: int, highest_day: int) -> pd.DataFrame:
    """Events of 300 projects (some with none), stages repeated, days in the given range."""
    rng = np.random.default_rng(seed)
    n_events, n_projects = 1_000, 300
    names = pd.Index([f"P{i}" for i in range(n_projects)], name="project")
    # Projects 0..249 only: the last 50 categories have no events.
    project_codes = rng.integers(0, 250, n_events)
    days = rng.integers(lowest_day, highest_day, n_events)
    return pd.DataFrame(
        {
            "project": pd.Categorical.from_codes(project_codes, categories=names),
            "stage": pd.Categorical.from_codes(
                rng.integers(0, len(STAGES), n_events),
                dtype=pd.CategoricalDtype(list(STAGES), ordered=True),
            ),
            "date": (days * 86_400).view("datetime64[s]"),
            "row": np.arange(2, n_events + 2, dtype=np.int64),
        }
    )


def expected_matrix(events: pd.DataFrame, how: str) -> pd.DataFrame:
    """Per (project, stage): min or max date as days since 1970 (plain pandas)."""
    frame = pd.DataFrame(
        {
            "project": events["project"].cat.codes,
            "stage": events["stage"].cat.codes,
            # Python integer division floors, as whole days before 1970 must.
            "day": [int(s) // 86_400 for s in events["date"].to_numpy().view(np.int64)],
        }
    )
    wide = frame.groupby(["project", "stage"])["day"].agg(how).unstack("stage")
    return wide.reindex(
        index=range(len(events["project"].cat.categories)), columns=range(len(STAGES))
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("lowest_day", "highest_day"),
    [
        (-40_000, 20_000),  # 1860s to 2020s: negative day numbers
        (-719_162, 2_932_896),  # years 1..9999
        (-4_000_000_000, 4_000_000_000),  # beyond int32 day numbers
    ],
)
def test_stage_matrix_matches_a_groupby(seed, lowest_day, highest_day):
    events = random_events(seed, lowest_day=lowest_day, highest_day=highest_day)
    low, high = expected_matrix(events, "min"), expected_matrix(events, "max")
    earliest, conflicting = stage_matrix(events, len(STAGES))
    latest, conflicting_latest = stage_matrix(events, len(STAGES), latest=True)
    assert earliest.dtype == latest.dtype == np.int64
    assert earliest.shape == (300, len(STAGES))
    missing = low.isna().to_numpy()
    assert missing[250:].all()  # projects without events
    assert np.array_equal(earliest == _NONE, missing)
    assert np.array_equal(latest == _NONE, missing)
    assert np.array_equal(earliest[~missing], low.to_numpy()[~missing].astype(np.int64))
    assert np.array_equal(latest[~missing], high.to_numpy()[~missing].astype(np.int64))
    differs = (low != high).to_numpy() & ~missing
    assert np.array_equal(conflicting, differs)
    assert np.array_equal(conflicting_latest, differs)
    assert differs.any() and (~differs & ~missing).any()  # the data has both kinds


def test_stage_matrix_of_one_event_per_project_and_stage():
    events = random_events(1, lowest_day=-5, highest_day=5)
    events = events.drop_duplicates(["project", "stage"])
    earliest, conflicting = stage_matrix(events, len(STAGES))
    assert not conflicting.any()
    expected = expected_matrix(events, "min")
    present = expected.notna().to_numpy()
    assert np.array_equal(earliest[present], expected.to_numpy()[present].astype(np.int64))


@pytest.mark.parametrize(
    ("days", "narrow_type"),
    [
        ([-719_162, -1, 0, 1, 2_932_896], np.int32),
        ([-3_000_000_000, 5], np.int64),
        ([5, 3_000_000_000], np.int64),
    ],
)
def test_day_numbers(days, narrow_type):
    # Seconds within each day too: a date with a time of day is still that day.
    seconds = np.asarray(days, dtype=np.int64) * 86_400 + 43_210
    values = pd.Series(seconds.view("datetime64[s]"))
    expected = [s // 86_400 for s in seconds.tolist()]
    assert day_numbers(values).dtype == np.int64
    assert day_numbers(values).tolist() == expected
    narrow = day_numbers(values, narrow=True)
    assert narrow.dtype == narrow_type
    assert narrow.tolist() == expected
    assert day_numbers(seconds.view("datetime64[s]")).tolist() == expected


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("low", "high"), [(-50, 50), (0, 3), (-3_000_000, 3_000_000)])
def test_grouped_statistics_match_numpy(seed, low, high):
    rng = np.random.default_rng(seed)
    values = rng.integers(low, high, 2_000)
    codes = rng.integers(0, 70, values.size).astype(np.int32)
    stats = grouped_statistics(values, codes, 75, [10, 99.5])
    for code in range(75):
        part = values[codes == code]
        if part.size == 0:
            assert stats["count"][code] == 0
            assert all(np.isnan(stats[k][code]) for k in stats if k != "count")
            continue
        assert stats["count"][code] == part.size
        assert stats["mean"][code] == part.sum() / part.size
        assert (stats["min"][code], stats["max"][code]) == (part.min(), part.max())
        for key, level in (("p10", 10), ("p25", 25), ("median", 50), ("p99_5", 99.5)):
            assert stats[key][code] == pytest.approx(np.percentile(part, level), abs=1e-9)


def test_grouped_statistics_of_nothing():
    stats = grouped_statistics(np.zeros(0, np.int64), np.zeros(0, np.int64), 2)
    assert stats["count"].tolist() == [0, 0]
    assert np.isnan(stats["median"]).all() and np.isnan(stats["mean"]).all()


def test_grouped_statistics_are_of_whole_numbers():
    assert grouped_statistics(np.array([1.0, 3.0]), np.array([0, 0]), 1)["mean"][0] == 2
    with pytest.raises(ValueError, match="whole numbers"):
        grouped_statistics(np.array([1.5, 3.0]), np.array([0, 0]), 1)


@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True)
        | st.integers(-(10**6), 10**6).map(lambda n: n / 8)  # halves, quarters, eighths
        | st.sampled_from([2.675, 1.005, 0.125, 0.375, -2.5, 1e300, 2.0**53 + 0.5]),
        max_size=40,
    ),
    st.sampled_from([2, 4]),
)
@settings(max_examples=1000)
def test_json_numbers_round_as_python_round_does(values, digits):
    """Rounded in bulk, each number is what ``_number`` (Python's round) gives it."""
    from etown_approvals.metrics import _json_numbers, _number

    expected = [None if v != v or v in (float("inf"), float("-inf")) else v for v in values]
    expected = [
        None if v is None else (lambda r: int(r) if r.is_integer() else r)(round(v, digits))
        for v in expected
    ]
    got = _json_numbers(np.asarray(values, dtype=np.float64), digits)
    assert got == expected
    assert [type(g) for g in got] == [type(e) for e in expected]
    if digits == 2:
        assert got == [
            None if e is None else _number(v) for e, v in zip(expected, values, strict=True)
        ]
