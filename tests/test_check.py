from __future__ import annotations

import json

import pytest

from .conftest import SAMPLE


def test_passing_thresholds(run):
    result = run(
        "check",
        SAMPLE,
        "--max-median-days",
        "60",
        "--min-same-day-share",
        "0.05",
        "--max-open",
        "4",
        "--json",
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["passed"] is True
    assert [(c["check"], c["value"], c["passed"]) for c in doc["checks"]] == [
        ("max_median_days", 49, True),
        ("min_same_day_share", 0.087, True),
        ("max_open", 4, True),
    ]
    assert "rows rejected" in result.stderr
    assert "check failed" not in result.stderr


def test_failing_threshold_exit_1_named_on_stderr(run):
    result = run(
        "check",
        SAMPLE,
        "--max-median-days",
        "30",
        "--max-rejected-rows",
        "0",
        "--max-p90-days",
        "200",
        expect=1,
    )
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if "check failed" in line]
    assert failed == [
        "etown: check failed: max_median_days: days.median 49 (limit <= 30)",
        "etown: check failed: max_rejected_rows: rows.rejected 3 (limit <= 0)",
    ]
    table = result.stdout
    assert "max_median_days" in table and "FAIL" in table and "pass" in table


def test_unmeasurable_value_fails(run, write):
    path = write("project,event,date\nA,land,2023-01-01\n")
    result = run("check", path, "--max-median-days", "10", "--json", expect=1)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["checks"][0] == {
        "check": "max_median_days",
        "measure": "days.median",
        "bound": "max",
        "limit": 10,
        "value": None,
        "passed": False,
    }
    assert "unmeasurable" in result.stderr


def test_fast_track_share_uses_fast_track_days(run):
    args = ("check", SAMPLE, "--min-fast-track-share", "0.5", "--json")
    assert run(*args, expect=1).exit_code == 1
    assert run(*args, "--fast-track-days", "60").exit_code == 0


def test_no_threshold_is_a_usage_error(run):
    result = run("check", SAMPLE, expect=2)
    assert result.exit_code == 2
    assert "give at least one threshold" in result.stderr


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_share_must_be_between_0_and_1(run, value):
    assert run("check", SAMPLE, "--min-same-day-share", value, expect=2).exit_code == 2
