"""Details of the measuring code that mutation testing found no test for.

Each test states a rule of the README or of the function's documentation, on small
data whose answer is worked out here: out-of-order transitions counted for their own
pair and group, a target in the working calendar it names, the order of sorted and
grouped projects, the Kaplan-Meier median where the curve sits at exactly one half,
a single observation, the survival and cumulative-incidence curves of the report.
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from etown_approvals.analysis import analyze
from etown_approvals.compare import (
    NOTE_GROUP_FEW,
    _interval,
    bootstrap_medians,
    compare,
    group_generator,
    split_keys,
)
from etown_approvals.metrics import (
    MetricOptionError,
    MetricOptions,
    groups,
    out_of_order_pairs,
    sort_order,
    sort_projects,
    stage_pairs,
    stage_transitions,
)
from etown_approvals.options import InputOptions
from etown_approvals.ranks import Tally
from etown_approvals.survival import (
    CENSORED,
    COMPLETED,
    cumulative_incidence,
    incidence_curve,
    kaplan_meier,
    km_medians,
    life_tables,
    logrank,
    survival_curve,
)


def as_json(result):
    return json.loads(result.stdout)


# ---------------------------------------------------------------- stage transitions

#: North: approval before land (pair 1) and planning before approval (pair 2);
#: South: permit before planning (pair 3). Nothing is invalid.
BACKWARDS = """project,event,date,zone
N1,land,2021-01-10,North
N1,project approval,2021-01-05,North
N1,planning permit,2021-02-01,North
N1,construction permit,2021-03-01,North
N2,land,2021-01-01,North
N2,project approval,2021-02-01,North
N2,planning permit,2021-01-20,North
S1,land,2021-01-01,South
S1,project approval,2021-01-02,South
S1,planning permit,2021-03-01,South
S1,construction permit,2021-02-01,South
"""


def test_out_of_order_pairs_are_counted_for_their_own_pair_and_group(run, write):
    path = write(BACKWARDS)
    stages = as_json(run("stages", path, "--as-of", "2022-01-01", "--json"))
    counted = {(t["from"], t["to"]): (t["count"], t["out_of_order"]) for t in stages["transitions"]}
    assert counted == {
        ("land_acquisition", "project_approval"): (2, 1),
        ("project_approval", "planning_permit"): (2, 1),
        ("planning_permit", "construction_permit"): (1, 1),
    }
    grouped = as_json(run("stages", path, "--as-of", "2022-01-01", "--group-by", "zone", "--json"))
    by_group = {(t["group"], t["from"]): t["out_of_order"] for t in grouped["transitions"]}
    assert by_group == {
        ("North", "land_acquisition"): 1,
        ("North", "project_approval"): 1,
        ("North", "planning_permit"): 0,
        ("South", "land_acquisition"): 0,
        ("South", "project_approval"): 0,
        ("South", "planning_permit"): 1,
    }


def test_stages_on_the_same_day_are_not_out_of_order(run, write):
    """README: out of order is a stage dated *before* an earlier stage; the same day is
    in order."""
    path = write(
        "project,event,date\nA,land,2021-01-05\nA,project approval,2021-01-05\n"
        "A,planning permit,2021-01-05\nA,construction permit,2021-01-09\n"
    )
    listed = as_json(run("projects", path, "--as-of", "2022-01-01", "--json"))["projects"]
    assert listed[0]["flags"] == []
    validation = as_json(run("validate", path, "--json"))
    assert not [f for f in validation["warnings"] if f["type"] == "out-of-order"]
    analysis = analyze(path, InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    assert out_of_order_pairs(analysis.projects, analysis.stages).empty


def test_grouped_shares_are_written_as_the_overall_ones(run, write):
    """A group's shares are written as the summary's: 1.0 and 0.0, not 1 and 0."""
    path = write(
        "project,event,date,zone\nA,land,2021-01-01,N\nA,construction permit,2021-01-02,N\n"
    )
    options = ("--as-of", "2022-01-01", "--json")
    overall = run("summary", path, *options).stdout
    grouped = run("summary", path, "--group-by", "zone", *options).stdout
    groups_part = grouped[grouped.index('"groups"') :]
    for text in (overall, groups_part):
        same_day, fast_track = re.findall(r'"share": ([0-9.]+)', text)[:2]
        assert (same_day, fast_track) == ("0.0", "1.0")


def test_transitions_default_to_consecutive_pairs(write):
    analysis = analyze(write(BACKWARDS), InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    rows = list(stage_transitions(analysis.projects, analysis.stages))
    assert [(r["from"], r["to"]) for r in rows] == list(pairwise(analysis.stages.stages))


# ---------------------------------------------------------------- target, sorting, groups


def test_a_target_counts_workdays_of_the_calendar_it_names(run, write):
    """2023-07-03 (Mon) to 2023-07-05 (Wed) crosses the US Independence Day (Tue): one
    working day in the US, two in China. A target of 1 working day is met in one only."""
    path = write("project,event,date\nA,land,2023-07-03\nA,construction permit,2023-07-05\n")
    options = ("--target-workdays", "1", "--as-of", "2024-01-01", "--json")
    us = as_json(run("summary", path, "--calendar", "US", *options))["target"]
    cn = as_json(run("summary", path, "--calendar", "CN", *options))["target"]
    assert (us["calendar"], us["met"], us["over"]) == ("US", 1, 0)
    assert (cn["calendar"], cn["met"], cn["over"]) == ("CN", 0, 1)
    # Measured in working days already: the same target, from the projects' days.
    in_workdays = as_json(run("summary", path, "--days", "workdays", "--calendar", "US", *options))
    assert in_workdays["days"]["median"] == 1
    assert in_workdays["target"] == us


SORTABLE = """project,event,date
b,land,2021-01-01
b,construction permit,2021-01-11
a,land,2021-01-02
a,construction permit,2021-01-05
c,land,2021-01-03
c,construction permit,2021-01-06
d,land,2021-01-04
"""


def test_sorting_is_ascending_by_default_and_keeps_ties_in_file_order(write):
    analysis = analyze(write(SORTABLE), InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    projects, stages = analysis.projects, analysis.stages
    # days: b 10, a 3, c 3, d open (no days: last either way)
    assert list(sort_projects(projects, stages, "days").index) == ["a", "c", "b", "d"]
    assert list(sort_projects(projects, stages, "days", descending=True).index) == [
        "b",
        "a",
        "c",
        "d",
    ]
    # end dates: b 01-11, a 01-05, c 01-06, d none
    assert list(sort_projects(projects, stages, "end").index) == ["a", "c", "b", "d"]
    assert list(sort_projects(projects, stages, "project", descending=True).index) == [
        "d",
        "c",
        "b",
        "a",
    ]


def test_the_library_defaults_ascending_and_consecutive(write):
    analysis = analyze(write(SORTABLE), InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    assert sort_order(analysis.projects, analysis.stages, "days").tolist() == [1, 2, 0, 3]
    assert stage_pairs(analysis.stages) == list(pairwise(analysis.stages.stages))


def test_many_ties_keep_file_order(write):
    """Ties in file order whatever their number (a sort that is not stable reorders
    ties once there are more than a handful)."""
    lines = ["project,event,date"]
    for i in range(60):
        days = 5 if i % 3 else 2
        lines += [
            f"p{i:02d},land,2021-01-01",
            f"p{i:02d},construction permit,2021-01-{1 + days:02d}",
        ]
    analysis = analyze(
        write("\n".join(lines) + "\n"), InputOptions(), MetricOptions(as_of=date(2022, 1, 1))
    )
    names = [f"p{i:02d}" for i in range(60)]
    two, five = (
        [n for i, n in enumerate(names) if i % 3 == 0],
        [n for i, n in enumerate(names) if i % 3],
    )
    assert list(sort_projects(analysis.projects, analysis.stages, "days").index) == two + five
    descending = sort_projects(analysis.projects, analysis.stages, "days", descending=True)
    assert list(descending.index) == five + two


def test_an_unknown_pairs_choice_names_the_choices(write):

    analysis = analyze(write(SORTABLE), InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    with pytest.raises(
        MetricOptionError, match="pairs must be one of consecutive, all, not 'some'"
    ):
        stage_pairs(analysis.stages, "some")


def test_an_unknown_sort_key_names_the_keys(write):

    analysis = analyze(write(SORTABLE), InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    with pytest.raises(MetricOptionError, match="sort keys are days, start, end, waiting, project"):
        sort_projects(analysis.projects, analysis.stages, "speed")


def test_groups_in_order_of_first_appearance_missing_last(write):
    analysis = analyze(write(SORTABLE), InputOptions(), MetricOptions(as_of=date(2022, 1, 1)))
    values = pd.Series(["y", None, "x", "y"], index=analysis.projects.index)
    split = [(key, list(part.index)) for key, part in groups(analysis.projects, values)]
    assert split == [("y", ["b", "d"]), ("x", ["c"]), (None, ["a"])]


# ---------------------------------------------------------------- Kaplan-Meier medians


def test_km_median_at_exactly_one_half_is_the_midpoint():
    """README (Method): where the curve stays at one half until it drops, the median is
    the midpoint, so without censoring it is the plain median of an even count."""
    times = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0])
    observed = np.ones(times.size, dtype=bool)
    codes = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert km_medians(times, observed, codes, 2).tolist() == [2.5, 25.0]
    # Odd counts: the middle value; a group of one: its time; an empty group: NaN.
    medians = km_medians(
        np.array([1.0, 2.0, 9.0, 7.0]), np.ones(4, dtype=bool), np.array([0, 0, 0, 1]), 3
    )
    assert medians[:2].tolist() == [2.0, 7.0]
    assert np.isnan(medians[2])
    assert km_medians(np.array([7.0]), np.array([True]), np.array([0]), 1).tolist() == [7.0]


def test_km_median_not_reached_with_one_event_in_four_censored_late():
    times = np.array([1.0, 5.0, 5.0, 5.0])
    observed = np.array([True, False, False, False])
    assert np.isnan(km_medians(times, observed, np.zeros(4, dtype=np.int64), 1)[0])


# ---------------------------------------------------------------- curves of the report

CURVE = """project,event,date,outcome
A,land,2021-01-01,
A,construction permit,2021-01-04,
B,land,2021-01-01,
B,construction permit,2021-01-07,
C,land,2021-01-01,
D,land,2021-01-01,Withdrawn
D,project approval,2021-01-03,Withdrawn
"""


def test_survival_curve_in_the_options_unit_with_every_list(write):
    """Friday 2021-01-01 to Monday 01-04 is 3 calendar days, 1 working day in China
    (New Year's Day, then a weekend); the curve's lists are rounded to 6 decimals."""
    path = write(CURVE)
    for unit, first in (("calendar", 3), ("workdays", 1)):
        options = MetricOptions(as_of=date(2021, 1, 10), unit=unit)
        analysis = analyze(path, InputOptions(), options)
        curve = survival_curve(analysis.projects, analysis.stages, analysis.options)
        assert set(curve) == {"time", "survival", "ci_low", "ci_high", "at_risk", "events"}
        assert curve["time"][0] == first
        assert curve["at_risk"][0] == 4 and curve["events"][0] == 1
        assert curve["survival"][0] == 0.75
        lengths = {len(v) for v in curve.values()}
        assert len(lengths) == 1
        for key in ("ci_low", "ci_high"):
            assert all(round(v, 6) == v and 0 <= v <= 1 for v in curve[key])
            assert curve[key] != [round(v, 2) for v in curve[key]]
    # Thirds: three projects, one completing after 1 day (S = 2/3, written 0.666667).
    thirds = write(
        "project,event,date\nA,land,2021-01-01\nA,construction permit,2021-01-02\n"
        "B,land,2021-01-01\nC,land,2021-01-01\n",
        name="thirds.csv",
    )
    analysis = analyze(thirds, InputOptions(), MetricOptions(as_of=date(2021, 1, 10)))
    curve = survival_curve(analysis.projects, analysis.stages, analysis.options)
    assert curve["survival"] == [0.666667, 0.666667]


def test_incidence_curve_counts_withdrawals_and_reaches_every_completion(write):
    """Aalen-Johansen by hand: at day 2 D is withdrawn (1 of 4), at day 3 A completes
    (S before = 3/4, 3 at risk: 1/4), at day 6 B completes (2 at risk, S before 1/2:
    another 1/4); C is censored at 9 days."""
    path = write(CURVE)
    analysis = analyze(
        path, InputOptions(withdrawn=("outcome=Withdrawn",)), MetricOptions(as_of=date(2021, 1, 10))
    )
    curve = incidence_curve(analysis.projects, analysis.stages, analysis.options)
    assert curve == {"times": [2, 3, 6], "completed": [0, 0.25, 0.5], "withdrawn": [0.25] * 3}
    workdays = analyze(
        path,
        InputOptions(withdrawn=("outcome=Withdrawn",)),
        MetricOptions(as_of=date(2021, 1, 10), unit="workdays"),
    )
    # Fri 01-01 is New Year's Day: D withdrawn on Sun 01-03 after 0 working days, A
    # complete on Mon 01-04 after 1, B on Thu 01-07 after 4.
    in_workdays = incidence_curve(workdays.projects, workdays.stages, workdays.options)
    assert in_workdays["times"] == [0, 1, 4]
    marked = analysis.projects.index == "D"
    unmarked = analyze(path, InputOptions(), MetricOptions(as_of=date(2021, 1, 10)))
    again = incidence_curve(unmarked.projects, unmarked.stages, unmarked.options, withdrawn=marked)
    assert again == curve


def test_cumulative_incidence_with_the_last_project_completing_alone():
    """The last completion has one project at risk: everything has completed by then."""
    times = np.array([1.0, 2.0, 3.0])
    (table,) = life_tables(
        times, np.array([COMPLETED, CENSORED, COMPLETED]), np.zeros(3, dtype=np.int64), 1
    )
    time, completed, withdrawn = cumulative_incidence(table)
    assert time.tolist() == [1.0, 3.0]
    assert completed.tolist() == [pytest.approx(1 / 3), pytest.approx(1.0)]
    assert withdrawn.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- Kaplan-Meier's edges


def test_a_curve_of_no_projects_is_empty_and_keeps_its_confidence_level():
    curve = kaplan_meier(np.zeros(0), np.zeros(0, dtype=bool), 0.9)
    for values in (curve.time, curve.survival, curve.at_risk, curve.events):
        assert values.size == 0
    assert curve.ci_low.size == curve.ci_high.size == 0
    assert curve.confidence_level == 0.9
    assert curve.median() is None


def test_a_curve_without_completions_stays_at_one_over_its_risk_set():
    """Three open projects, after 2, 5 and 5 days: nothing completes, S stays 1 with
    its band, and 3 then 2 projects are at risk."""
    curve = kaplan_meier(np.array([2.0, 5, 5]), np.zeros(3, dtype=bool), 0.9)
    assert curve.time.tolist() == [2, 5]
    assert curve.survival.tolist() == [1, 1]
    assert curve.at_risk.tolist() == [3, 2]
    assert curve.events.tolist() == [0, 0]
    assert curve.ci_low.tolist() == curve.ci_high.tolist() == [1, 1]
    assert curve.confidence_level == 0.9


def test_the_band_is_its_limit_where_the_curve_is_one_or_zero():
    """Open after 1 day, complete after 3 and 4: S is 1, 1/2, 0. Log-log has no band
    where S is 1 or 0: the band is S itself there."""
    curve = kaplan_meier(np.array([1.0, 3, 4]), np.array([False, True, True]))
    assert curve.survival.tolist() == [1, 0.5, 0]
    assert (curve.ci_low[0], curve.ci_high[0]) == (1, 1)
    assert (curve.ci_low[2], curve.ci_high[2]) == (0, 0)
    assert 0 < curve.ci_low[1] < 0.5 < curve.ci_high[1] < 1


def test_a_lower_confidence_level_narrows_the_band():
    times = np.arange(1.0, 9)
    observed = np.array([True] * 7 + [False])
    wide = kaplan_meier(times, observed)
    narrow = kaplan_meier(times, observed, 0.8)
    assert (wide.confidence_level, narrow.confidence_level) == (0.95, 0.8)
    inside = (narrow.ci_low >= wide.ci_low) & (narrow.ci_high <= wide.ci_high)
    assert inside.all()
    assert (narrow.ci_low > wide.ci_low).any() and (narrow.ci_high < wide.ci_high).any()


def test_logrank_warns_of_nothing_when_the_last_project_at_risk_completes_alone():
    """At day 6 one project is at risk and completes: its variance term is 0, not 0/0
    (which numpy would warn of on stderr)."""
    times = np.arange(1.0, 7)
    first, second = life_tables(times, np.full(6, COMPLETED), np.array([0, 1] * 3), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = logrank(first, second)
    assert p is not None and 0 < p < 1


# ---------------------------------------------------------------- compare's details

BY_ZONE = """project,event,date
A,land,2021-01-01
A,construction permit,2021-01-11
B,land,2021-01-01
C,land,2021-01-01
C,construction permit,2021-01-21
D,land,2021-01-01
"""


def zone_keys(analysis):
    return pd.DataFrame(
        {"zone": ["North", "North", "South", "South"]}, index=analysis.projects.index
    )


def by_zone(write):
    """A and B in North, C and D in South; on 2021-04-01 B and D have waited 90 days."""
    analysis = analyze(write(BY_ZONE), InputOptions(), MetricOptions(as_of=date(2021, 4, 1)))
    assert analysis.projects.index.tolist() == ["A", "B", "C", "D"]
    return analysis


def test_compare_applies_the_withdrawn_marks_it_is_given(write):
    """B marked withdrawn: counted withdrawn, not open, and a competing event for the
    share completed by 180 days (North is then known to the end: 1 of 2)."""
    analysis = by_zone(write)
    marked = analysis.projects.index == "B"
    result = compare(
        analysis.projects,
        analysis.stages,
        zone_keys(analysis),
        analysis.options,
        withdrawn=marked,
        survival=True,
    )
    north, south = result["groups"]
    assert (north["complete"], north["open"], north["withdrawn"]) == (1, 0, 1)
    assert (south["complete"], south["open"], south["withdrawn"]) == (1, 1, 0)
    assert north["completed_by"] == {"90": 0.5, "180": 0.5, "365": 0.5}


def test_the_share_completed_by_n_days_is_given_when_followed_exactly_n_days(write):
    """D has waited exactly 90 days: South is followed that long (C completed, 1 of 2),
    not longer."""
    analysis = by_zone(write)
    result = compare(
        analysis.projects, analysis.stages, zone_keys(analysis), analysis.options, survival=True
    )
    south = result["groups"][1]
    assert south["group"] == {"zone": "South"}
    assert south["completed_by"] == {"90": 0.5, "180": None, "365": None}


def test_a_seed_of_zero_is_a_seed_and_a_horizon_must_be_positive(write):
    analysis = by_zone(write)
    keys = zone_keys(analysis)
    args = (analysis.projects, analysis.stages, keys, analysis.options)
    assert compare(*args, seed=0)["bootstrap"]["seed"] == 0
    with pytest.raises(MetricOptionError, match="the bootstrap seed must be a whole number, 0"):
        compare(*args, seed=-1)
    with pytest.raises(
        MetricOptionError, match=r"^the horizon must be a number of days, more than 0$"
    ):
        compare(*args, horizon=0)


def test_a_groups_generator_is_seeded_by_the_seed_and_its_labels_values():
    """A label's values in order, not its columns' names: renaming a column changes
    nothing; another seed or other values draw other numbers."""
    one = group_generator(7, {"zone": "North", "type": "Housing"}).random(3).tolist()
    assert group_generator(7, {"area": "North", "kind": "Housing"}).random(3).tolist() == one
    assert group_generator(8, {"zone": "North", "type": "Housing"}).random(3).tolist() != one
    assert group_generator(7, {"zone": "South", "type": "Housing"}).random(3).tolist() != one


def test_bootstrap_medians_of_no_projects_are_not_reached():
    medians = bootstrap_medians(Tally.of([]), 5, np.random.default_rng(0))
    assert medians.shape == (5,) and np.isnan(medians).all()


def test_split_keys_are_aligned_with_the_projects(write):
    analysis = by_zone(write)
    keys = split_keys(analysis.projects, analysis.stages, date(2021, 1, 1))
    assert keys.index.equals(analysis.projects.index)
    assert set(keys.iloc[:, 0]) == {"on or after 2021-01-01"}


def test_an_interval_end_next_to_an_unreached_median_is_open():
    """Ten resamples of 1 day and one never reached: the 97.5% end falls between the
    last 1 and the unreached one, so that side is open (None), not infinite."""
    assert _interval(np.array([1.0] * 10 + [np.inf]), 0.95) == (1.0, None)
    assert _interval(np.array([-np.inf] + [1.0] * 10), 0.95) == (None, 1.0)


def test_an_unknown_reference_of_two_columns_is_named_as_its_groups_are(write):
    analysis = by_zone(write)
    keys = zone_keys(analysis).assign(type=["Housing"] * 4)
    args = (analysis.projects, analysis.stages, keys, analysis.options)
    with pytest.raises(MetricOptionError) as raised:
        compare(*args, reference=["East", "Housing"])
    assert str(raised.value) == (
        "no group 'East / Housing' to compare with (groups: North / Housing, South / Housing)"
    )


def test_only_a_group_with_few_complete_projects_has_the_note(write):
    """North: three complete projects, no note; South: one, noted; one group alone has
    no one to be compared with, so no note either."""
    lines = ["project,event,date"]
    for name, days in (("A", 10), ("B", 12), ("C", 14), ("D", 20)):
        lines += [f"{name},land,2021-01-01", f"{name},construction permit,2021-01-{1 + days:02d}"]
    analysis = analyze(
        write("\n".join(lines) + "\n"), InputOptions(), MetricOptions(as_of=date(2021, 4, 1))
    )
    keys = pd.DataFrame({"zone": ["North"] * 3 + ["South"]}, index=analysis.projects.index)
    north, south = compare(analysis.projects, analysis.stages, keys, analysis.options)["groups"]
    assert (north["complete"], north["note"]) == (3, None)
    assert (south["complete"], south["note"]) == (1, NOTE_GROUP_FEW)
    alone = keys.assign(zone="North")
    (only,) = compare(analysis.projects, analysis.stages, alone, analysis.options)["groups"]
    assert only["note"] is None
