"""``--percentiles``: decimals in (0, 100], each its own key matching the schema.

Every value is checked against numpy's percentile of the complete projects' days
(listed by ``projects``), not against etown's own output.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from etown_approvals.metrics import (
    MetricOptionError,
    days_statistics,
    parse_percentiles,
    percentile_key,
)

from .conftest import SAMPLE

KEY = re.compile(r"^p[0-9]+(_[0-9]+)?$")  # the schemas' pattern


def complete_days(run) -> list[int]:
    projects = json.loads(run("projects", SAMPLE, "--json").stdout)["projects"]
    return sorted(p["days"] for p in projects if p["status"] == "complete")


def test_a_level_close_to_100_is_its_own_key_not_the_maximum(run):
    doc = json.loads(run("summary", SAMPLE, "--json", "--percentiles", "99.99999").stdout)
    days = complete_days(run)
    assert "p100" not in doc["days"]
    assert doc["days"]["p99_99999"] == round(float(np.percentile(days, 99.99999)), 2)
    assert doc["days"]["max"] == max(days)


def test_two_close_levels_keep_two_keys(run):
    args = ("--json", "--percentiles", "12.3456781,12.3456789")
    doc = json.loads(run("summary", SAMPLE, *args).stdout)
    days = complete_days(run)
    for text in ("12.3456781", "12.3456789"):
        key = "p" + text.replace(".", "_")
        assert doc["days"][key] == round(float(np.percentile(days, float(text))), 2)


def test_100_is_the_maximum(run):
    doc = json.loads(run("summary", SAMPLE, "--json", "--percentiles", "100").stdout)
    assert doc["days"]["p100"] == doc["days"]["max"] == max(complete_days(run))


@pytest.mark.parametrize("command", ["summary", "stages", "trend"])
def test_keys_match_the_schema_in_every_command(run, command):
    result = run(command, SAMPLE, "--json", "--percentiles", "0.5,99.99999,12.3456781")
    text = result.stdout
    keys = set(re.findall(r'"(p[0-9_]+)(?:_days)?"', text))
    assert {"p0_5", "p99_99999", "p12_3456781"} <= keys
    assert all(KEY.match(k) for k in keys)


@pytest.mark.parametrize(
    "value",
    [
        "1e-7",
        "-0",
        "0",
        "-5",
        "+5",
        "1_0",
        "101",
        "100.0000001",
        "nan",
        "inf",
        ".5",
        "5.",
        "\uff15\uff10",  # full-width digits
        "50,,90",
        "1.12345678901",
        "0x10",
        "95%",
    ],
)
def test_anything_else_is_a_usage_error(run, value):
    result = run("summary", SAMPLE, "--percentiles", value, expect=2)
    assert result.stdout == ""
    assert "--percentiles" in result.stderr
    assert "(0, 100]" in result.stderr


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("95", [95.0]),
        (" 50 , 95 ", [50.0, 95.0]),
        ("050,99.50", [50.0, 99.5]),
        ("0.0000000001", [1e-10]),
        ("100", [100.0]),
    ],
)
def test_decimals_are_read(text, levels):
    assert list(parse_percentiles(text)) == levels


@pytest.mark.parametrize(
    ("level", "key"),
    [
        (50, "median"),
        (95, "p95"),
        (99.5, "p99_5"),
        (99.99999, "p99_99999"),
        (12.3456781, "p12_3456781"),
        (1e-7, "p0_0000001"),
        (100, "p100"),
    ],
)
def test_keys_are_the_exact_decimal(level, key):
    assert percentile_key(level) == key


@pytest.mark.parametrize("level", [0, -0.0, -1, 100.5, float("nan"), float("inf")])
def test_the_library_refuses_levels_outside_0_to_100(level):
    with pytest.raises(MetricOptionError):
        days_statistics(pd.Series([1, 2, 3], dtype="Int64"), [level])
