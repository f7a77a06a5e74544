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
        "",  # an empty list is an empty item, not "no percentiles"
        " ",
        ",",
    ],
)
def test_anything_else_is_a_usage_error(run, value):
    result = run("summary", SAMPLE, "--percentiles", value, expect=2)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()  # one line, no usage text around it
    assert line.startswith("etown: error: --percentiles: ")
    assert "(0, 100]" in line


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


# -- what tables and markdown show ---------------------------------------------------


def _column(text: str, label: str, fmt: str) -> list[str]:
    """The cells under ``label`` in the table (of rich's output on a wide terminal, or
    markdown) whose header has it."""
    lines = text.splitlines()
    if fmt == "markdown":
        for i, line in enumerate(lines):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if line.startswith("|") and label in cells:
                at = cells.index(label)
                body = []
                for row in lines[i + 2 :]:
                    if not row.startswith("|"):
                        break
                    body.append([c.strip() for c in row.strip().strip("|").split(" | ")][at])
                return body
    else:
        for i, line in enumerate(lines):
            cells = re.split(r"\s{2,}", line.strip())
            if label in cells and set(lines[i + 1].strip()) <= {"-"}:
                at = cells.index(label)
                body = []
                for row in lines[i + 2 :]:
                    row_cells = re.split(r"\s{2,}", row.strip())
                    if len(row_cells) != len(cells):  # the table's end, or a note under it
                        break
                    body.append(row_cells[at])
                return body
    raise AssertionError(f"no column {label!r} in:\n{text}")


def _value(cell: str) -> float:
    return float(cell.replace(",", ""))


@pytest.fixture
def wide(monkeypatch):
    """Tables as on a terminal wide enough that no table is folded into records."""
    from etown_approvals.cli import app

    settings = {"color": False, "width": 1000, "unicode": False}
    monkeypatch.setattr(app, "terminal_settings", lambda *_: settings)


def _sample_projects(run) -> pd.DataFrame:
    projects = pd.DataFrame(json.loads(run("projects", SAMPLE, "--json").stdout)["projects"])
    for stage in ("land_acquisition", "project_approval", "construction_permit"):
        projects[stage] = pd.to_datetime(projects[stage])
    return projects


@pytest.mark.usefixtures("wide")
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_summary_shows_the_percentiles_asked_for(run, fmt):
    """``--percentiles 10,95`` adds p10 and p95 to the days table, and to each group."""
    args = ("summary", SAMPLE, "--percentiles", "10,95", "--format", fmt, "-q")
    text = run(*args).stdout
    days = complete_days(run)
    for level in (10, 95):
        (cell,) = _column(text, f"p{level}", fmt)
        assert _value(cell) == round(float(np.percentile(days, level)), 2)
    grouped = run(*args, "--group-by", "zone").stdout
    projects = _sample_projects(run)
    projects["zone"] = [attributes["zone"] for attributes in projects["attributes"]]
    complete = projects[projects["status"] == "complete"]
    for level in (10, 95):
        row = next(
            line for line in grouped.splitlines() if re.match(rf"\|? ?p{level} days\b", line)
        )
        shown = [c for c in re.split(r"\s{2,}| \| ", row.strip(" |")) if c][1:]
        expected = {
            zone: round(float(np.percentile(part["days"], level)), 2)
            for zone, part in complete.groupby("zone")
        }
        assert sorted(_value(c) for c in shown if c != "-") == sorted(expected.values())


@pytest.mark.usefixtures("wide")
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_stages_show_the_percentiles_asked_for(run, fmt):
    """p95 of the days from land to project approval, over the projects measured: not
    invalid, both dates recorded, approval not before land."""
    text = run("stages", SAMPLE, "--percentiles", "95", "--format", fmt, "-q").stdout
    projects = _sample_projects(run)
    measured = projects[
        (projects["status"] != "invalid")
        & projects["land_acquisition"].notna()
        & projects["project_approval"].notna()
    ]
    gaps = (measured["project_approval"] - measured["land_acquisition"]).dt.days
    gaps = gaps[gaps >= 0]
    first = _column(text, "p95", fmt)[0]
    assert _value(first) == round(float(np.percentile(gaps, 95)), 2)


@pytest.mark.usefixtures("wide")
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_trend_shows_the_percentiles_asked_for(run, fmt):
    text = run("trend", SAMPLE, "--percentiles", "95", "--format", fmt, "-q").stdout
    projects = _sample_projects(run)
    complete = projects[projects["status"] == "complete"]
    by_year = complete.groupby(complete["land_acquisition"].dt.year)["days"]
    expected = {str(year): round(float(np.percentile(d, 95)), 2) for year, d in by_year}
    periods = _column(text, "period", fmt)
    shown = dict(zip(periods, _column(text, "p95 days", fmt), strict=True))
    assert {p: _value(v) for p, v in shown.items() if v != "-"} == expected
