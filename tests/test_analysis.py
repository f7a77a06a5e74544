"""projects, stages, trend, timeline, --group-by and date windows."""

from __future__ import annotations

import csv
import json
import statistics

import pytest

from .conftest import ROOT, SAMPLE, assert_golden

AS_OF = "2025-01-01"


def json_of(run, *args):
    result = run(*args, "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    return document["projects"] if args[0] == "projects" else document


def test_projects_json_records(run):
    records = json_of(run, "projects", SAMPLE)
    assert len(records) == 29
    boe = records[0]
    assert boe == {
        "project": "BOE 6th-generation semiconductor display line",
        "land_acquisition": "2023-06-16",
        "project_approval": "2023-06-16",
        "planning_permit": None,
        "construction_permit": "2023-06-16",
        "days": 0,
        "status": "complete",
        "flags": ["same_day", "fast_track"],
        "waiting_days": None,
        "gap_project_approval": 0,
        "gap_planning_permit": None,
        "gap_construction_permit": 0,
        "attributes": {
            "company": "BOE Technology Group",
            "zone": "Core Area",
            "sector": "display",
        },
    }
    waiting = {r["project"]: r["waiting_days"] for r in records if r["status"] == "open"}
    assert waiting["Chenguang New Materials"] == 44  # 2024-11-18 -> 2025-01-01


def test_projects_filters_sort_limit(run):
    records = json_of(
        run, "projects", SAMPLE, "--status", "complete", "--sort", "days", "--desc", "--limit", "3"
    )
    assert [r["days"] for r in records] == [280, 280, 189]
    same = json_of(run, "projects", SAMPLE, "--flag", "same_day")
    assert [r["project"] for r in same] == [
        "BOE 6th-generation semiconductor display line",
        "Hualong Satellite Components",
    ]
    both = json_of(run, "projects", SAMPLE, "--flag", "fast_track", "--flag", "out_of_order")
    assert both == []
    by_name = json_of(run, "projects", SAMPLE, "--sort", "project", "--limit", "2")
    assert [r["project"] for r in by_name] == [
        "Anxin Medical Devices",
        "BOE 6th-generation semiconductor display line",
    ]
    by_land = json_of(run, "projects", SAMPLE, "--sort", "start", "--limit", "1")
    assert by_land[0]["land_acquisition"] == "2019-03-11"


def test_projects_ndjson_and_csv(run):
    ndjson = run(
        "projects", SAMPLE, "--format", "ndjson", "--as-of", AS_OF, "--flag", "same_day"
    ).stdout
    lines = [json.loads(line) for line in ndjson.splitlines()]
    assert [r["flags"] for r in lines] == [["same_day", "fast_track"]] * 2
    text = run("projects", SAMPLE, "--format", "csv", "--as-of", AS_OF, "--flag", "same_day").stdout
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["flags"] == "same_day;fast_track"
    assert rows[0]["planning_permit"] == ""
    assert list(rows[0]) == [
        "project",
        "land_acquisition",
        "project_approval",
        "planning_permit",
        "construction_permit",
        "days",
        "status",
        "flags",
        "waiting_days",
        "gap_project_approval",
        "gap_planning_permit",
        "gap_construction_permit",
        "company",
        "zone",
        "sector",
    ]


def test_projects_table_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("projects", "data/projects.csv", "--as-of", AS_OF, "--limit", "8")
    assert_golden("projects_sample.txt", result.stdout)


def test_stages(run):
    doc = json_of(run, "stages", SAMPLE)
    rows = doc["transitions"]
    assert [(r["from"], r["to"]) for r in rows] == [
        ("land_acquisition", "project_approval"),
        ("project_approval", "planning_permit"),
        ("planning_permit", "construction_permit"),
    ]
    assert set(rows[0]) == {
        "from",
        "to",
        "count",
        "min",
        "median",
        "mean",
        "p90",
        "max",
        "share",
        "out_of_order",
    }
    # Independent computation from the projects output.
    records = json_of(run, "projects", SAMPLE)
    from datetime import date

    # Over the summary's projects (invalid ones left out); pairs dated backwards are
    # counted apart, not measured.
    all_gaps = [
        (date.fromisoformat(r["planning_permit"]) - date.fromisoformat(r["project_approval"])).days
        for r in records
        if r["planning_permit"] and r["project_approval"] and r["status"] != "invalid"
    ]
    gaps = [g for g in all_gaps if g >= 0]
    assert rows[1]["count"] == len(gaps)
    assert rows[1]["out_of_order"] == len(all_gaps) - len(gaps)
    assert rows[1]["median"] == statistics.median(gaps)
    assert max(rows, key=lambda r: r["median"])["to"] == "planning_permit"


def test_stages_table_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert_golden("stages_sample.txt", run("stages", "data/projects.csv").stdout)


def test_trend_by_year_agrees_with_projects(run):
    doc = json_of(run, "trend", SAMPLE, "--by", "year")
    periods = doc["periods"]
    assert [p["period"] for p in periods] == ["2019", "2020", "2021", "2022", "2023", "2024"]
    records = json_of(run, "projects", SAMPLE)
    for period in periods:
        days = [
            r["days"]
            for r in records
            if r["status"] == "complete" and r["land_acquisition"].startswith(period["period"])
        ]
        assert period["complete"] == len(days)
        assert period["median_days"] == statistics.median(days)
    assert sum(p["projects"] for p in periods) + doc["undated_projects"] == 29


def test_trend_fills_empty_periods(run):
    doc = json_of(run, "trend", SAMPLE, "--by", "quarter")
    labels = [p["period"] for p in doc["periods"]]
    assert labels[0] == "2019Q1" and labels[-1] == "2024Q4" and len(labels) == 24
    empty = [p for p in doc["periods"] if p["projects"] == 0]
    assert empty and all(p["median_days"] is None and p["same_day_share"] is None for p in empty)
    months = json_of(run, "trend", SAMPLE, "--by", "month")["periods"]
    assert months[0]["period"] == "2019-03"


def test_trend_table_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert_golden("trend_sample.txt", run("trend", "data/projects.csv").stdout)


def test_numbers_agree_across_commands(run):
    summary = json_of(run, "summary", SAMPLE)
    records = json_of(run, "projects", SAMPLE, "--status", "complete")
    assert summary["days"]["median"] == statistics.median(r["days"] for r in records)
    assert summary["days"]["count"] == len(records)
    assert summary["same_day"]["projects"] == [r["project"] for r in records if r["days"] == 0]


def test_group_by_summary(run):
    doc = json_of(run, "summary", SAMPLE, "--group-by", "zone")
    assert doc["group_by"] == "zone"
    groups = {g["group"]: g for g in doc["groups"]}
    assert set(groups) == {"Core Area", "Taihu", "Yizhuang New Town", "Majuqiao"}
    assert set(groups["Taihu"]) == {"group", "projects", "days", "same_day", "fast_track"}
    assert sum(g["projects"]["total"] for g in doc["groups"]) == doc["projects"]["total"]
    records = json_of(run, "projects", SAMPLE, "--status", "complete")
    taihu = [r["days"] for r in records if r["attributes"]["zone"] == "Taihu"]
    assert groups["Taihu"]["days"]["median"] == statistics.median(taihu)


def test_group_by_summary_table_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert_golden(
        "summary_by_zone.txt", run("summary", "data/projects.csv", "--group-by", "zone").stdout
    )


@pytest.mark.parametrize("command", ["stages", "trend"])
def test_group_by_rows_carry_the_group(run, command):
    doc = json_of(run, command, SAMPLE, "--group-by", "sector")
    rows = doc["transitions" if command == "stages" else "periods"]
    assert {r["group"] for r in rows} >= {"semiconductors", "biomedicine"}


def test_group_by_unknown_column(run):
    result = run("summary", SAMPLE, "--group-by", "region", expect=2)
    assert result.exit_code == 2
    assert (
        "no column 'region' to group by (attribute columns: 'company', 'zone', 'sector')"
        in result.stderr
    )


def test_window(run):
    doc = json_of(run, "summary", SAMPLE, "--since", "2023-01-01", "--until", "2023-12-31")
    assert doc["window"] == {"since": "2023-01-01", "until": "2023-12-31"}
    assert doc["projects"]["total"] == 7
    assert doc["rows"]["read"] == 112  # rows are counted over the whole file
    trend = json_of(run, "trend", SAMPLE, "--since", "2023-01-01", "--until", "2023-12-31")
    assert [p["period"] for p in trend["periods"]] == ["2023"]


def test_empty_result_after_filtering(run):
    doc = json_of(run, "summary", SAMPLE, "--since", "2030-01-01")
    assert doc["projects"] == {"total": 0, "complete": 0, "open": 0, "invalid": 0, "withdrawn": 0}
    assert doc["days"]["median"] is None
    assert json_of(run, "stages", SAMPLE, "--since", "2030-01-01")["transitions"][0]["count"] == 0
    assert json_of(run, "trend", SAMPLE, "--since", "2030-01-01")["periods"] == []
    assert json_of(run, "projects", SAMPLE, "--since", "2030-01-01") == []
    table = run("summary", SAMPLE, "--since", "2030-01-01")
    assert table.exit_code == 0 and "0 total" in table.stdout


def test_one_stage_only_and_all_open(run, write):
    path = write(
        "project,event,date\nA,land,2024-01-01\nB,land,2024-02-01\nC,project approval,2024-03-01\n"
    )
    summary = json_of(run, "summary", path)
    assert summary["projects"] == {
        "total": 3,
        "complete": 0,
        "open": 2,
        "invalid": 1,
        "withdrawn": 0,
    }
    stages = json_of(run, "stages", path)["transitions"]
    assert all(r["count"] == 0 and r["share"] is None for r in stages)
    trend = json_of(run, "trend", path, "--by", "month")["periods"]
    assert [(p["period"], p["open"]) for p in trend] == [("2024-01", 1), ("2024-02", 1)]
    assert run("timeline", path, "--as-of", AS_OF).exit_code == 0


def test_timeline_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("timeline", "data/projects.csv", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert_golden("timeline_sample.txt", result.stdout)


def test_timeline_marks(run):
    result = run(
        "timeline",
        SAMPLE,
        "--as-of",
        AS_OF,
        "--show",
        "BOE 6th-generation semiconductor display line",
        "--show",
        "Chenguang New Materials",
    )
    lines = result.stdout.splitlines()
    # axis labels and ticks, two projects, a legend of three lines, how many of how many
    assert len(lines) == 8
    assert lines[-1] == "2 of 2 projects with a start date, earliest first"
    boe, chenguang = lines[2], lines[3]
    assert "*" in boe and boe.rstrip().endswith("0d")
    assert "." in chenguang and chenguang.rstrip().endswith("44d+")
    assert all(len(line) <= 80 for line in lines[:4])


def test_timeline_unknown_project(run):
    result = run("timeline", SAMPLE, "--show", "Nope", expect=4)
    assert result.exit_code == 4
    assert "no project named 'Nope'" in result.stderr


@pytest.mark.parametrize(
    "command", ["summary", "projects", "stages", "trend", "timeline", "validate", "check"]
)
def test_every_command_has_help_with_an_example(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert "--encoding" in result.stdout and "--dayfirst" in result.stdout
