from __future__ import annotations

import csv
import json

import pytest

from etown_approvals.loader import load
from etown_approvals.validation import validate

from .conftest import ROOT, SAMPLE, assert_golden

FINDING_KEYS = {"type", "row", "field", "value", "project", "message"}


def test_sample_report_json(run):
    result = run("validate", SAMPLE, "--format", "json", expect=1)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert doc["stats"] == {"rows": 112, "projects": 29, "errors": 5, "warnings": 4}
    assert all(set(f) == FINDING_KEYS for f in doc["errors"] + doc["warnings"])
    assert [(f["type"], f["row"], f["project"]) for f in doc["errors"]] == [
        ("invalid-date", 77, "Weilai Power Battery Line"),
        ("unknown-event", 80, "Shengshi Gene Sequencing Center"),
        ("missing-value", 113, None),
        ("construction-before-land", None, "Qiming Sensor Packaging"),
        ("missing-land-acquisition", None, "Jiahe Cold Chain Warehouse"),
    ]
    assert [(f["type"], f["row"], f["field"]) for f in doc["warnings"]] == [
        ("duplicate-stage", 68, "planning_permit"),
        # Kangtai: approval before land; Qiming: the permit before approval and planning.
        ("out-of-order", None, "project_approval"),
        ("out-of-order", None, "construction_permit"),
        ("out-of-order", None, "construction_permit"),
    ]
    assert result.stderr == f"etown: error: {SAMPLE}: not valid (5 errors, 4 warnings)\n"


def test_sample_report_table_golden(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("validate", "data/projects.csv", expect=1)
    assert result.exit_code == 1
    assert_golden("validate_sample.txt", result.stdout)


def test_summary_rejects_exactly_the_rows_validate_reports():
    loaded = load(SAMPLE)
    checked = validate(SAMPLE)
    error_rows = set(checked.errors["row"].dropna().astype(int))
    assert error_rows == set(loaded.rejected["row"].astype(int))
    assert loaded.rows_rejected == len(error_rows)
    assert error_rows.isdisjoint(set(loaded.events["row"]))


def test_out_of_order_for_every_stage_pair(run, write):
    """Every pair of recorded stages whose later stage is dated before the earlier one is
    reported, between intermediate stages too; the metric's own start/end pair is
    ``construction-before-land`` instead."""
    path = write(
        "project,event,date\n"
        # planning before approval, both between land and the permit
        "P1,land,2023-01-10\nP1,project approval,2023-03-01\n"
        "P1,planning permit,2023-02-01\nP1,construction permit,2023-04-01\n"
        # approval, planning and the permit in reverse order: three pairs
        "P2,land,2023-01-01\nP2,project approval,2023-04-01\n"
        "P2,planning permit,2023-03-01\nP2,construction permit,2023-03-02\n"
        # the permit before land (not out-of-order) and planning before land
        "P3,land,2023-05-01\nP3,planning permit,2023-03-01\nP3,construction permit,2023-04-01\n"
        # no land date: approval and planning still compared
        "P4,project approval,2023-06-01\nP4,planning permit,2023-05-01\n"
        # in order
        "P5,land,2023-01-01\nP5,planning permit,2023-01-01\nP5,construction permit,2023-01-02\n"
    )
    doc = json.loads(run("validate", path, "--json", expect=1).stdout)
    found = [(f["project"], f["field"], f["value"], f["message"]) for f in doc["warnings"]]
    assert sorted(found) == [
        ("P1", "planning_permit", "2023-02-01", "planning_permit 2023-02-01 is before project_approval 2023-03-01"),
        ("P2", "construction_permit", "2023-03-02", "construction_permit 2023-03-02 is before project_approval 2023-04-01"),
        ("P2", "planning_permit", "2023-03-01", "planning_permit 2023-03-01 is before project_approval 2023-04-01"),
        ("P3", "planning_permit", "2023-03-01", "planning_permit 2023-03-01 is before land_acquisition 2023-05-01"),
        ("P4", "planning_permit", "2023-05-01", "planning_permit 2023-05-01 is before project_approval 2023-06-01"),
    ]  # fmt: skip
    assert {f["type"] for f in doc["warnings"]} == {"out-of-order"}
    assert sorted((f["type"], f["project"]) for f in doc["errors"]) == [
        ("construction-before-land", "P3"),
        ("missing-land-acquisition", "P4"),
    ]


def test_clean_file_is_valid(run, write):
    path = write("project,event,date\nA,land,2023-01-01\nA,construction permit,2023-01-02\n")
    result = run("validate", path, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["valid"] is True
    assert result.stderr == ""


def test_warnings_pass_unless_tightened(run, write):
    path = write(
        "project,event,date\nA,land,2023-01-01\nA,land,2023-01-05\nA,construction permit,2023-01-09\n"
    )
    assert run("validate", path).exit_code == 0
    strict = run("validate", path, "--warnings-as-errors", "--json", expect=1)
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["valid"] is False


def test_limit_errors_caps_lists_not_counts(run, write):
    rows = "".join(f"P{i},land,2023-02-30\n" for i in range(10))
    path = write("project,event,date\nA,land,2023-01-01\n" + rows)
    doc = json.loads(run("validate", path, "--json", "--limit-errors", "3", expect=1).stdout)
    assert doc["stats"]["errors"] == 10
    assert len(doc["errors"]) == 3


def test_invalid_rows_file(run, tmp_path):
    out = tmp_path / "rejected.csv"
    result = run("validate", SAMPLE, "--invalid-rows", out, "--json", expect=1)
    assert result.exit_code == 1
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["type"], r["project"], r["date"]) for r in rows] == [
        ("77", "invalid-date", "Weilai Power Battery Line", "2023-02-30"),
        ("80", "unknown-event", "Shengshi Gene Sequencing Center", "2023-04-20"),
        ("113", "missing-value", "", "2024-12-02"),
    ]


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_findings_as_rows(run, fmt):
    result = run("validate", SAMPLE, "--format", fmt, expect=1)
    assert result.exit_code == 1
    if fmt == "csv":
        rows = list(csv.DictReader(result.stdout.splitlines()))
    else:
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 9
    assert {r["severity"] for r in rows} == {"error", "warning"}


def test_unreadable_file_exit_3_with_report(run, write):
    path = write(b"\x00\x01")
    result = run("validate", path, "--json", expect=3)
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["errors"][0]["type"] == "unreadable"
    assert (
        result.stderr
        == f"etown: error: {path}: contains NUL bytes: binary data, not a text table\n"
    )


def test_encoding_finding(run, write):
    path = write(b"project,event,date\nA\xff,land,2023-01-01\n")
    result = run("validate", path, "--json", "--encoding", "utf-8", expect=3)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["errors"][0]["type"] == "encoding"
