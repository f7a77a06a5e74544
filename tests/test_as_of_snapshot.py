"""``--as-of D`` is a snapshot: what was known on D.

Events dated after D did not exist yet (rows wholly after it are counted in
``rows.after_as_of``, as filtered rows are counted), projects that start after D are
not counted; every command follows. Expected numbers are worked out here by hand from
the few rows of each file.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from etown_approvals.analysis import analyze
from etown_approvals.metrics import MetricOptions, snapshot
from etown_approvals.options import InputOptions

LONG = """project,event,date,zone
A,land,2020-01-01,North
A,construction permit,2020-06-01,North
B,land,2020-01-15,South
B,construction permit,2020-02-01,South
C,land,2020-04-01,North
C,construction permit,2020-05-01,North
D,project approval,2020-02-01,South
E,project approval,2020-05-01,South
"""
AS_OF = "2020-03-01"


def as_json(run, *args: str) -> object:
    return json.loads(run(*args, "--as-of", AS_OF, "--json").stdout)


def test_summary_counts_what_was_known(run, write):
    path = write(LONG)
    doc = as_json(run, "summary", path, "--survival")
    # A: land only by then (open); B complete in 17 days; C starts after: not counted;
    # D: no land date (invalid); E: nothing by then.
    assert doc["projects"] == {"total": 3, "complete": 1, "open": 1, "invalid": 1, "withdrawn": 0}
    assert doc["days"]["median"] == (date(2020, 2, 1) - date(2020, 1, 15)).days
    # Rows after: A's permit, C's two rows, E's row.
    assert doc["rows"] == {
        "read": 8,
        "used": 4,
        "rejected": 0,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 4,
        "blank": 0,
        "notes": 0,
    }
    km = doc["survival"]
    assert (km["events"], km["censored"], km["left_out"]) == (1, 1, 1)
    # Without --as-of (today) nothing is left out: the default is unchanged.
    whole = json.loads(run("summary", path, "--json").stdout)
    assert whole["projects"]["total"] == 5 and whole["rows"]["after_as_of"] == 0


def test_projects_wait_until_the_as_of_date(run, write):
    projects = {p["project"]: p for p in as_json(run, "projects", write(LONG))["projects"]}
    assert set(projects) == {"A", "B", "D"}
    assert projects["A"]["construction_permit"] is None
    assert projects["A"]["waiting_days"] == (date(2020, 3, 1) - date(2020, 1, 1)).days


def test_trend_compare_and_stages_follow(run, write):
    path = write(LONG)
    trend = as_json(run, "trend", path)
    assert [(p["period"], p["projects"], p["complete"], p["open"]) for p in trend["periods"]] == [
        ("2020", 2, 1, 1)
    ]
    assert trend["undated_projects"] == 1  # D
    compared = as_json(run, "compare", path, "--group-by", "zone")
    counts = {g["group"]: (g["projects"], g["complete"], g["open"]) for g in compared["groups"]}
    assert counts == {"North": (1, 0, 1), "South": (2, 1, 0)}
    stages = as_json(run, "stages", path, "--pairs", "all")
    measured = {(t["from"], t["to"]): t["count"] for t in stages["transitions"]}
    assert measured[("land_acquisition", "construction_permit")] == 1  # B only


def test_the_report_follows(run, write, tmp_path):
    pytest.importorskip("jinja2")
    page = tmp_path / "report.html"
    run("report", write(LONG), "--as-of", AS_OF, "-o", page, "-q")
    embedded = re.search(r'id="etown-summary">(.*?)</script>', page.read_text(encoding="utf-8"))
    assert embedded is not None
    document = json.loads(embedded.group(1))
    assert document["projects"]["total"] == 3
    assert document["rows"]["after_as_of"] == 4


def test_a_wide_row_with_some_later_dates_is_used(run, write):
    """A wide row holds several events: it is used if any is known by then; only a row
    whose every date is later counts as after the as-of date."""
    path = write(
        "project,land_acquisition,construction_permit\n"
        "A,2020-01-01,2020-06-01\n"  # used: land known, permit not yet
        "B,2020-04-01,2020-05-01\n"  # wholly after
        "C,2020-01-10,2020-02-10\n"
    )
    doc = as_json(run, "summary", path)
    assert (doc["rows"]["used"], doc["rows"]["after_as_of"]) == (2, 1)
    assert (doc["projects"]["complete"], doc["projects"]["open"]) == (1, 1)


def test_the_latest_start_known_then(write):
    """With --stage-date latest, the start is the latest start known on the as-of date."""
    path = write(
        "project,event,date\n"
        "A,land,2020-01-01\nA,land,2020-05-01\nA,construction permit,2020-02-01\n"
    )
    options = MetricOptions(as_of=date(2020, 3, 1), stage_date="latest")
    projects = analyze(path, InputOptions(), options).projects
    assert projects.loc["A", "days"] == 31  # 2020-01-01 to 2020-02-01: May was not known


def test_the_library_snapshot_keeps_project_order_and_marks(write):
    path = write(LONG)
    analysis = analyze(path, InputOptions(withdrawn=("zone=South",)))
    loaded = analysis.loaded
    assert loaded.withdrawn is not None
    taken = snapshot(loaded.events, loaded.stages, date(2020, 3, 1), loaded.withdrawn)
    assert list(taken.events["project"].cat.categories) == ["A", "B", "D"]
    assert taken.withdrawn is not None and taken.withdrawn.tolist() == [False, True, True]
    assert (taken.events_after, taken.rows_after, taken.projects_after) == (4, 4, 2)
    assert (taken.events["date"] <= "2020-03-01").all()
    unchanged = snapshot(loaded.events, loaded.stages, date(2021, 1, 1), loaded.withdrawn)
    assert unchanged.events is loaded.events
