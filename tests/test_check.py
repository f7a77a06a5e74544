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


# -- limits must be finite numbers in range (issue 11) ------------------------------

from etown_approvals.checks import (  # noqa: E402
    BY_NAME,
    THRESHOLDS,
    CheckResult,
    ThresholdError,
    evaluate,
    validate_limits,
)
from etown_approvals.errors import ExitCode  # noqa: E402

SUMMARY = {"days": {"median": 49, "p90": 175}, "projects": {"open": 4}, "target": {"over": 3}}


@pytest.mark.parametrize("name", [t.name for t in THRESHOLDS])
@pytest.mark.parametrize("limit", [float("nan"), float("inf"), float("-inf"), float("1e400")])
def test_non_finite_limit_is_a_usage_error(name, limit):
    with pytest.raises(
        ThresholdError, match=f"--{name.replace('_', '-')} must be a finite number"
    ) as caught:
        evaluate(SUMMARY, {name: limit})
    assert caught.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_open": 2.5}, "--max-open must be a whole number, not 2.5"),
        ({"max_workdays": 120.5}, "--max-workdays must be a whole number, not 120.5"),
        ({"min_same_day_share": 1.5}, "--min-same-day-share is a share: between 0 and 1, not 1.5"),
        ({"max_median_days": -1}, "--max-median-days must be 0 or more, not -1"),
        ({"max_median_days": True}, "--max-median-days must be a number, not True"),
        ({"max_median_days": "60"}, "--max-median-days must be a number, not '60'"),
        ({"max_mean_days": 3}, "unknown threshold 'max_mean_days' (thresholds: max_median_days, "),
    ],
)
def test_limits_outside_their_range(limits, message):
    with pytest.raises(ThresholdError, match=message.replace("(", r"\(")):
        validate_limits(limits)


def test_validate_limits_keeps_given_limits_as_floats():
    assert validate_limits({"max_open": 3, "max_p90_days": None, "min_same_day_share": 0}) == {
        "max_open": 3.0,
        "min_same_day_share": 0.0,
    }


def test_check_result_refuses_a_nan_limit():
    with pytest.raises(ThresholdError):
        CheckResult(BY_NAME["max_median_days"], float("nan"), 49)


def test_description_never_shows_nan():
    results = evaluate(SUMMARY, {"max_median_days": 60.0, "max_workdays": 100})
    assert [r.describe() for r in results] == [
        "days.median 49 (limit <= 60)",
        "3 complete projects over 100 working days",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-median-days", "nan"], "--max-median-days must be a finite number, not nan"),
        (["--max-median-days", "1e400"], "--max-median-days must be a finite number, not inf"),
        (["--max-p90-days", "inf"], "--max-p90-days must be a finite number, not inf"),
    ],
)
def test_non_finite_limit_on_the_command_line(run, args, message):
    result = run("check", SAMPLE, *args, expect=2)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == f"etown: error: {message}"


@pytest.mark.parametrize("option", ["--max-workdays", "--max-median-days"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_non_finite_limit_is_refused_before_reading(run, option, value):
    result = run("check", SAMPLE, option, value, expect=2)
    assert (result.exit_code, result.stdout) == (2, "")
    shown = "nan" if value == "nan" else "inf"
    assert result.stderr == f"etown: error: {option} must be a finite number, not {shown}\n"
