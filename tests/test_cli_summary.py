from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest

from .conftest import ROOT, SAMPLE, assert_golden

SUMMARY_KEYS = {
    "schema_version",
    "source",
    "metric",
    "rows",
    "projects",
    "days",
    "same_day",
    "fast_track",
}


def test_summary_table_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("summary", "data/projects.csv")
    assert result.exit_code == 0
    assert_golden("summary_sample.txt", result.stdout)
    assert result.stderr == (
        "etown: warning: data/projects.csv: 3 of 112 rows rejected (1 invalid-date, "
        "1 unknown-event, 1 missing-value); see them with: etown validate data/projects.csv\n"
    )


@pytest.mark.parametrize("args", [["--format", "json"], ["--json"], ["-f", "json"]])
def test_summary_json(run, args):
    result = run("summary", SAMPLE, *args)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert set(doc) == SUMMARY_KEYS
    assert doc["metric"] == {
        "from": "land_acquisition",
        "to": "construction_permit",
        "unit": "calendar_days",
    }
    assert doc["rows"] == {
        "read": 112,
        "used": 109,
        "rejected": 3,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 0,
        "blank": 0,
        "notes": 0,
    }
    assert doc["projects"] == {"total": 29, "complete": 23, "open": 4, "invalid": 2, "withdrawn": 0}
    assert set(doc["days"]) == {"count", "min", "p25", "median", "mean", "p75", "p90", "max"}
    assert doc["same_day"]["projects"] == [
        "BOE 6th-generation semiconductor display line",
        "Hualong Satellite Components",
    ]
    assert {"Beijing Yesemi", "Fortune Precision"} <= set(doc["fast_track"]["projects"])
    assert doc["fast_track"]["max_days"] == 3
    assert "rows rejected" in result.stderr


def test_summary_json_is_strict_when_nothing_is_complete(run, write):
    path = write("project,event,date\nA,land,2023-01-01\n")
    result = run("summary", path, "--json")
    doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert doc["days"] == {
        "count": 0,
        "min": None,
        "p25": None,
        "median": None,
        "mean": None,
        "p75": None,
        "p90": None,
        "max": None,
    }
    assert doc["same_day"] == {"count": 0, "share": None, "projects": []}
    assert result.stderr == ""


def test_fast_track_days_option(run):
    result = run("summary", SAMPLE, "--json", "--fast-track-days", "0")
    doc = json.loads(result.stdout)
    assert doc["fast_track"]["max_days"] == 0
    assert doc["fast_track"]["count"] == doc["same_day"]["count"]


def test_stdin(run):
    result = run("summary", "-", "--json", input=SAMPLE.read_bytes())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "<stdin>"


def test_strict_fails_on_rejected_rows(run):
    result = run("summary", SAMPLE, "--strict", expect=1)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("etown: error: ")
    assert "3 of 112 rows rejected" in result.stderr and "(--strict)" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_strict_passes_clean_data(run, write):
    path = write("project,event,date\nA,land,2023-01-01\nA,construction permit,2023-01-02\n")
    result = run("summary", path, "--strict", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["days"]["median"] == 1


def test_ambiguous_dates_exit_4_naming_row(run, write):
    path = write("project,event,date\nA,land,2023-01-01\nA,construction permit,01/02/2023\n")
    result = run("summary", path, expect=4)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        f"etown: error: {path}, row 3, column 'date': ambiguous date '01/02/2023': day/month order "
        "cannot be told from the data; choose with --dayfirst or --monthfirst\n"
    )
    assert run("summary", path, "--dayfirst", "--json").exit_code == 0


def test_closed_pipe_is_quiet(tmp_path):
    """`etown summary ... | head -1` ends without a traceback."""
    big = tmp_path / "big.csv"
    lines = ["project,event,date"] + [
        f"P{i},land,2023-01-01\nP{i},construction permit,2023-01-01" for i in range(3000)
    ]
    big.write_text("\n".join(lines) + "\n")
    shell = f"{sys.executable} -m etown_approvals summary {big} --json | head -1"
    completed = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True)
    assert completed.stdout == "{\n"
    assert completed.stderr == ""


def test_as_of_is_a_snapshot_and_says_what_it_left_out(run, write):
    """With --as-of, events dated after it did not exist yet; projects that start after
    it are not counted (a note says how many); none of the rest waits a negative time."""
    path = write(
        "project,event,date\n"
        "Early,land,2023-01-01\n"  # open, waited since January
        "Late1,land,2023-07-01\n"  # starts after --as-of: not counted
        "Late2,land,2023-08-01\nLate2,project approval,2023-08-02\n"
        "Done,land,2023-07-01\nDone,construction permit,2023-07-05\n"
    )
    result = run("projects", path, "--json", "--as-of", "2023-06-01")
    waiting = {p["project"]: p["waiting_days"] for p in json.loads(result.stdout)["projects"]}
    assert waiting == {"Early": (date(2023, 6, 1) - date(2023, 1, 1)).days}
    assert result.stderr == (
        "etown: note: 5 events dated after --as-of 2023-06-01 left out as not known yet "
        "(5 rows wholly: rows.after_as_of); 3 projects not started by then (not counted)\n"
    )
    one = run("summary", path, "--json", "--as-of", "2023-07-04")
    assert one.stderr == (
        "etown: note: 3 events dated after --as-of 2023-07-04 left out as not known yet "
        "(3 rows wholly: rows.after_as_of); 1 project not started by then (not counted)\n"
    )
    doc = json.loads(one.stdout)
    # Done's permit (07-05) was not issued yet: open, as Early and Late1 are.
    assert doc["projects"] == {"total": 3, "complete": 0, "open": 3, "invalid": 0, "withdrawn": 0}
    assert (doc["rows"]["used"], doc["rows"]["after_as_of"]) == (3, 3)
    assert run("summary", path, "--as-of", "2023-08-02").stderr == ""
    assert run("summary", path, "--as-of", "2023-06-01", "--quiet").stderr == ""
    # Without --as-of, waiting time runs to today: a land date in the future has none.
    soon = date.today() + timedelta(days=100)  # within the plausible year after today
    future = write(f"project,event,date\nA,land,{soon.isoformat()}\n", name="future.csv")
    assert run("summary", future).stderr.startswith(
        "etown: note: 1 open project starts after today (2"
    )
