"""Working days on China's official calendar (and others'), pinned on real calendar facts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from etown_approvals.calendars import counter_for, unofficial_years

PINNED = """project,event,date
national day,land,2023-09-28
national day,construction permit,2023-10-09
spring festival,land,2024-02-08
spring festival,construction permit,2024-02-19
same day,land,2024-05-06
same day,construction permit,2024-05-06
"""


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


@pytest.mark.parametrize(
    ("start", "end", "calendar_days", "workdays"),
    [
        (
            "2023-09-28",
            "2023-10-09",
            11,
            3,
        ),  # Mid-Autumn + National Day; Sat 10-07 and Sun 10-08 worked
        ("2024-02-08", "2024-02-19", 11, 3),  # Spring Festival; Sun 02-18 worked
        ("2024-05-06", "2024-05-06", 0, 0),
        ("2023-01-06", "2023-01-09", 3, 1),  # an ordinary weekend
    ],
)
def test_counter_on_china_calendar(start, end, calendar_days, workdays):
    days = np.array([_day(start), _day(end)])
    counter = counter_for("CN", days)
    assert int(counter.between(days[:1], days[1:])[0]) == workdays
    assert days[1] - days[0] == calendar_days


def test_cli_pinned_facts(run, write):
    path = write(PINNED)
    calendar = json.loads(run("projects", path, "--json").stdout)["projects"]
    workdays = json.loads(run("projects", path, "--json", "--days", "workdays").stdout)["projects"]
    assert [(r["project"], r["days"]) for r in calendar] == [
        ("national day", 11),
        ("spring festival", 11),
        ("same day", 0),
    ]
    assert [(r["project"], r["days"]) for r in workdays] == [
        ("national day", 3),
        ("spring festival", 3),
        ("same day", 0),
    ]


def test_unit_in_json(run, write):
    path = write(PINNED)
    doc = json.loads(run("summary", path, "--json", "--days", "workdays").stdout)
    assert doc["metric"] == {
        "from": "land_acquisition",
        "to": "construction_permit",
        "unit": "workdays",
        "calendar": "CN",
        "unofficial_years": [],
    }
    assert doc["days"]["max"] == 3
    assert json.loads(run("summary", path, "--json").stdout)["metric"]["unit"] == "calendar_days"


def test_us_calendar(run, write):
    # 2024-07-03 (Wed) -> 2024-07-08 (Mon): Independence Day and the weekend are off.
    path = write("project,event,date\nA,land,2024-07-03\nA,construction permit,2024-07-08\n")
    doc = json.loads(
        run("summary", path, "--json", "--days", "workdays", "--calendar", "US").stdout
    )
    assert doc["days"]["median"] == 2
    assert doc["metric"]["calendar"] == "US"


def test_year_without_official_calendar_is_warned_about(run, write):
    path = write(PINNED + "later,land,2027-03-01\nlater,construction permit,2027-03-05\n")
    result = run("summary", path, "--json", "--days", "workdays")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["metric"]["unofficial_years"] == [2027]
    assert "no official CN working calendar for 2027" in result.stderr
    assert unofficial_years("CN", {2023, 2027, 2028}) == [2027, 2028]
    assert unofficial_years("US", {2027}) == []
    assert "working calendar" not in run("summary", path, "--json").stderr


def test_stages_and_waiting_in_workdays(run, write):
    path = write(
        "project,event,date\nA,land,2023-09-28\nA,planning permit,2023-10-07\nA,construction permit,2023-10-09\n"
        "B,land,2024-02-08\n"
    )
    stages = json.loads(
        run(
            "stages", path, "--json", "--days", "workdays", "--from-stage", "land_acquisition"
        ).stdout
    )
    by_pair = {(r["from"], r["to"]): r for r in stages["transitions"]}
    assert (
        by_pair[("planning_permit", "construction_permit")]["median"] == 2
    )  # Sun 10-08 worked, Mon 10-09
    projects = json.loads(
        run("projects", path, "--json", "--days", "workdays", "--as-of", "2024-02-19").stdout
    )["projects"]
    assert projects[1]["waiting_days"] == 3


def test_target_workdays_in_summary(run, write):
    path = write(PINNED)
    doc = json.loads(run("summary", path, "--json", "--target-workdays", "2").stdout)
    assert doc["target"] == {
        "workdays": 2,
        "calendar": "CN",
        "met": 1,
        "over": 2,
        "share_met": 0.3333,
        "projects_over": ["national day", "spring festival"],
        "unofficial_years": [],
    }
    assert "target" not in json.loads(run("summary", path, "--json").stdout)
    table = run("summary", path, "--target-workdays", "120").stdout
    assert "Within 120 workdays  3 of 3 complete (100.0%), 0 over" in table


def test_check_max_workdays(run, write):
    path = write(PINNED)
    passing = run("check", path, "--max-workdays", "3", "--json")
    assert passing.exit_code == 0
    item = json.loads(passing.stdout)["checks"][0]
    assert item == {
        "check": "max_workdays",
        "measure": "target.over",
        "bound": "max",
        "limit": 0,
        "value": 0,
        "passed": True,
        "target_workdays": 3,
    }
    failing = run("check", path, "--max-workdays", "2", expect=1)
    assert failing.exit_code == 1
    assert (
        "etown: check failed: max_workdays: 2 complete projects over 2 working days"
        in failing.stderr
    )


def test_unknown_calendar_is_a_usage_error(run, write):
    result = run("summary", write(PINNED), "--days", "workdays", "--calendar", "XX", expect=2)
    assert result.exit_code == 2
    assert "'XX' is not a country code" in result.stderr


def test_same_day_means_the_same_date_in_any_unit(run, write):
    # Saturday 2024-03-02 -> Sunday 2024-03-03: no working day between, yet not the same day.
    path = write("project,event,date\nA,land,2024-03-02\nA,construction permit,2024-03-03\n")
    doc = json.loads(run("summary", path, "--json", "--days", "workdays").stdout)
    assert doc["days"]["max"] == 0
    assert doc["same_day"]["count"] == 0
    assert doc["fast_track"]["count"] == 1


def test_subnational_calendar_counts_its_own_holidays(run, write):
    # Cesar Chavez Day, Friday 2023-03-31, is a holiday in California only.
    path = write("project,event,date\nA,land,2023-03-30\nA,construction permit,2023-04-03\n")
    national = json.loads(
        run("summary", path, "--json", "--days", "workdays", "--calendar", "US").stdout
    )
    state = json.loads(
        run("summary", path, "--json", "--days", "workdays", "--calendar", "US-CA").stdout
    )
    assert national["days"]["max"] == 2  # Friday and Monday
    assert state["days"]["max"] == 1  # Monday only
    assert state["metric"]["calendar"] == "US-CA"


@pytest.mark.parametrize("calendar", ["US-XX", "ZZ", "CA-"])
def test_unknown_calendar_or_subdivision(run, write, calendar):
    path = write("project,event,date\nA,land,2023-03-30\nA,construction permit,2023-04-03\n")
    result = run(
        "summary",
        path,
        "--days",
        "workdays",
        "--calendar",
        calendar,
        expect=2 if calendar != "CA-" else 0,
    )
    if calendar != "CA-":
        assert result.stderr.startswith("etown: error: ")


def test_configured_source_says_which_calendar_counts(run, write):
    config = write(
        '[stages]\nfiled = ["Filed"]\nissued = ["Issued"]\n[columns]\nproject = "id"\n',
        name="c.toml",
    )
    path = write("id,Filed,Issued\nP1,2023-03-30,2023-04-03\n")
    result = run("summary", path, "--config", config, "--days", "workdays")
    assert "etown: note: working days on the CN calendar, the default" in result.stderr
    quiet = run("summary", path, "--config", config, "--days", "workdays", "--calendar", "US")
    assert "calendar, the default" not in quiet.stderr
