"""Tables show every count the JSON has, and their lines add up.

One small file has a row of every kind (used, rejected, filtered by ``--where``, an
ignored event, a row dated after ``--as-of``, a blank line) and a project of every
status; the expected lines are counted by hand from it. The summary table, markdown
and the report say the same.
"""

from __future__ import annotations

import json
import re

import pytest

from .conftest import ROOT

EVERY_KIND = (
    "project,event,date,zone,outcome\n"
    "A,land,2020-01-01,North,\n"  # A: complete, 31 days
    "A,construction permit,2020-02-01,North,\n"
    "B,land,2020-01-05,North,\n"  # B: open (its permit comes after --as-of)
    "C,land,2020-01-07,South,Withdrawn\n"  # C: withdrawn
    "D,project approval,2020-01-09,South,\n"  # D: invalid (no land date)
    "E,land,2020-01-10,Demo,\n"  # filtered by --where
    "A,inspection,2020-01-15,North,\n"  # ignored event
    "B,land,not a date,North,\n"  # rejected
    "\n"  # blank
    "B,construction permit,2021-05-01,North,\n"  # after --as-of
)
OPTIONS = (
    "--where",
    "zone!=Demo",
    "--ignore-event",
    "inspection",
    "--withdrawn",
    "outcome=Withdrawn",
    "--as-of",
    "2020-12-31",
)
ROWS = (
    "9 read, 5 used, 1 rejected, 1 filtered out, 1 ignored, 1 after the as-of date; "
    "1 blank (not read)"
)
PROJECTS = "4 total, 1 complete, 1 open, 1 invalid, 1 withdrawn"


def test_the_json_counts(run, write):
    doc = json.loads(run("summary", write(EVERY_KIND), *OPTIONS, "--json").stdout)
    assert doc["rows"] == {
        "read": 9,
        "used": 5,
        "rejected": 1,
        "filtered": 1,
        "ignored": 1,
        "after_as_of": 1,
        "blank": 1,
        "notes": 0,
    }
    assert doc["projects"] == {"total": 4, "complete": 1, "open": 1, "invalid": 1, "withdrawn": 1}


def test_the_table_shows_every_count(run, write):
    text = run("summary", write(EVERY_KIND), *OPTIONS, "-q").stdout
    # The Rows line may wrap on a narrow terminal: its words, in order.
    assert f"Rows {ROWS} Projects {PROJECTS} Same day" in " ".join(text.split())


def test_markdown_shows_every_count(run, write):
    text = run("summary", write(EVERY_KIND), *OPTIONS, "--format", "markdown", "-q").stdout
    assert f"| Rows | {ROWS} |" in text
    assert f"| Projects | {PROJECTS} |" in text


def test_the_report_shows_every_count(run, write, tmp_path):
    pytest.importorskip("jinja2")
    page = tmp_path / "report.html"
    run("report", write(EVERY_KIND), *OPTIONS, "-o", page, "-q")
    html = page.read_text(encoding="utf-8")
    for key, value in (
        ("rows.filtered", 1),
        ("rows.ignored", 1),
        ("rows.after_as_of", 1),
        ("rows.blank", 1),
        ("projects.withdrawn", 1),
    ):
        assert f'data-key="{key}" data-value="{value}"' in html, key
    shown = re.sub(r"<[^>]+>", "", html)
    assert ROWS in shown and PROJECTS in shown


def test_grouped_tables_show_invalid_and_withdrawn_where_any(run, write):
    path = write(EVERY_KIND)
    text = run("summary", path, *OPTIONS, "--group-by", "zone", "-q").stdout
    by_label = {
        line.split()[0]: line.split()[1:] for line in text.splitlines() if line[:1].isalpha()
    }
    # North: A complete, B open; South: C withdrawn, D invalid.
    assert by_label["invalid"] == ["0", "1"]
    assert by_label["withdrawn"] == ["0", "1"]
    markdown = run("summary", path, *OPTIONS, "--group-by", "zone", "--format", "markdown")
    assert "| invalid | 0 | 1 |" in markdown.stdout
    assert "| withdrawn | 0 | 1 |" in markdown.stdout


def test_a_file_without_those_counts_keeps_its_short_lines(run, write):
    text = run(
        "summary", write("project,event,date\nA,land,2020-01-01\n"), "--as-of", "2021-01-01"
    ).stdout
    assert "1 read, 1 used, 0 rejected\n" in text
    assert "1 total, 0 complete, 1 open, 0 invalid\n" in text


CALGARY = ROOT / "tests" / "data" / "calgary_building_permits_sample.csv"


def test_withdrawn_permits_in_the_table_of_a_real_export(run):
    """Calgary's cancelled and refused permits (the example config marks them): the
    table names them, and its line adds up to the total, as the JSON's does."""
    config = ROOT / "examples" / "calgary_building_permits.toml"
    args = ("summary", CALGARY, "--config", config, "--as-of", "2026-08-01")
    doc = json.loads(run(*args, "--json").stdout)["projects"]
    assert doc["withdrawn"] == 28
    text = run(*args, "-q").stdout
    numbers = re.search(
        r"Projects\s+([\d,]+) total, ([\d,]+) complete, ([\d,]+) open, ([\d,]+) invalid, "
        r"([\d,]+) withdrawn",
        text,
    )
    assert numbers is not None
    total, *parts = (int(n.replace(",", "")) for n in numbers.groups())
    assert parts == [doc["complete"], doc["open"], doc["invalid"], doc["withdrawn"]]
    assert total == sum(parts) == doc["total"]
