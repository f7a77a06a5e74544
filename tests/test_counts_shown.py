"""Tables show every count the JSON has, and their lines add up.

One small file has a row of every kind (used, rejected, filtered by ``--where``, an
ignored event, a row dated after ``--as-of``, a blank line) and a project of every
status; the expected lines are counted by hand from it. The summary table, markdown
and the report say the same.
"""

from __future__ import annotations

import csv
import io
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


# -- every list command: the Rows line, the columns, the percentiles -----------------


def _words(text: str) -> str:
    return " ".join(text.split())


def _rows_counts(line: str) -> dict[str, int]:
    """The counts of a Rows line, by the words after each number."""
    words = {
        "read": "read",
        "used": "used",
        "rejected": "rejected",
        "filtered out": "filtered",
        "ignored": "ignored",
        "after the as-of date": "after_as_of",
        "blank": "blank",
    }
    found = {
        words[word]: int(count.replace(",", ""))
        for count, word in re.findall(r"(\d[\d,]*) (filtered out|after the as-of date|\w+)", line)
        if word in words
    }
    return found


@pytest.mark.parametrize("command", ["summary", "stages", "trend"])
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_every_list_command_shows_the_rows_line_and_it_adds_up(run, write, command, fmt):
    """The hand count of EVERY_KIND's rows, in the table and markdown of each command
    whose JSON has ``rows``; read = used + rejected + filtered + ignored + after."""
    path = write(EVERY_KIND)
    text = _words(run(command, path, *OPTIONS, "--format", fmt, "-q").stdout)
    assert ROWS in text
    line = text[text.index(ROWS) : text.index(ROWS) + len(ROWS)]
    counts = _rows_counts(line)
    parts = ("used", "rejected", "filtered", "ignored", "after_as_of")
    assert counts["read"] == sum(counts[key] for key in parts) == 9
    doc = json.loads(run(command, path, *OPTIONS, "--json").stdout)
    assert {key: doc["rows"][key] for key in counts} == counts


#: For each kind of result that both tables and markdown show: a command line that
#: turns on every optional column (withdrawn projects, Kaplan-Meier, more percentiles,
#: groups), and the same without groups.
EVERY_COLUMN = {
    "summary": [
        ("summary", "--survival", "--percentiles", "10,95", "--group-by", "zone"),
        ("summary", "--survival", "--percentiles", "10,95"),
    ],
    "stages": [
        ("stages", "--percentiles", "10,95", "--group-by", "zone"),
        ("stages", "--percentiles", "10,95"),
    ],
    "trend": [
        ("trend", "--survival", "--percentiles", "10,95", "--group-by", "zone"),
        ("trend", "--survival", "--percentiles", "10,95"),
    ],
    "check": [("check", "--max-median-days", "100", "--max-open", "0")],
    "projects": [("projects",)],
    "compare": [("compare", "--group-by", "zone")],
}

#: EVERY_KIND with a project of each status in two zones, none within 3 days (the
#: summary table's list of fast-track names has no markdown counterpart).
COLUMNS_FILE = (
    "project,event,date,zone,outcome\n"
    "A,land,2020-01-01,North,\n"
    "A,construction permit,2020-02-01,North,\n"
    "B,land,2020-01-05,North,\n"
    "C,land,2020-01-07,South,Withdrawn\n"
    "D,project approval,2020-01-09,South,\n"
    "F,land,2021-03-01,South,\n"
    "F,project approval,2021-04-01,South,\n"
    "F,construction permit,2021-06-01,South,\n"
)


def _cells(line: str) -> list[str]:
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]


def table_labels(text: str) -> list[list[str]]:
    """The labels of each table in rich's output: its header cells and, for a table
    of measures by group (an empty first header, or a grid of label and value), the
    label of each row."""
    blocks = [b.splitlines() for b in re.split(r"\n\s*\n", text) if b.strip()]
    tables = []
    for lines in blocks:
        rules = [i for i, line in enumerate(lines) if line.strip() and set(line.strip()) <= {"-"}]
        if rules:
            rule = rules[0]
            header = lines[rule - 1]
            labels = _cells(header)
            body = [line for line in lines[rule + 1 :] if line.strip()]
            if header.startswith(" "):  # measures down the side, a group a column
                labels = [*sorted(labels), *(_cells(line)[0] for line in body)]
            tables.append(labels)
        elif len(lines) > 1 and all(len(_cells(line)) >= 2 for line in lines):
            tables.append([_cells(line)[0] for line in lines])
    return [[label.replace("->", "→") for label in table] for table in tables]


def markdown_labels(text: str) -> list[list[str]]:
    tables, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
            rows = []
            for row in lines[i:]:
                if not row.startswith("|"):
                    break
                rows.append([cell.strip() for cell in row.strip().strip("|").split(" | ")])
            header, body = rows[0], rows[2:]
            labels = [cell for cell in header if cell]
            if not header[0]:  # measures down the side, a group a column (in any order)
                labels = [*sorted(labels), *(row[0] for row in body)]
            tables.append([re.sub(r"\\(.)", r"\1", label) for label in labels])
    return tables


def test_every_kind_with_both_formats_is_covered():
    from etown_approvals.formats import FORMATS

    # On a terminal, timeline is a drawing and validate a list of findings, not tables:
    # their markdown is checked by their own tests.
    both = FORMATS["table"].kinds & FORMATS["markdown"].kinds
    assert set(EVERY_COLUMN) | {"timeline", "validate"} == both


@pytest.mark.parametrize(
    "args", [args for runs in EVERY_COLUMN.values() for args in runs], ids=" ".join
)
def test_markdown_has_every_column_the_table_has(run, write, monkeypatch, args):
    """Measured on a wide terminal (no table folded into records), the labels of each
    table are the same in both formats, in the same order (groups side by side in
    any order: the table puts the largest first)."""
    from etown_approvals.cli import app

    wide = {"color": False, "width": 1000, "unicode": False}
    monkeypatch.setattr(app, "terminal_settings", lambda *_: wide)
    command, *options = args
    path = write(COLUMNS_FILE)
    common = (path, "--withdrawn", "outcome=Withdrawn", "--as-of", "2021-12-31", "-q")
    expect = 1 if command == "check" else 0
    table = run(command, *common, *options, expect=expect).stdout
    markdown = run(command, *common, *options, "--format", "markdown", expect=expect).stdout
    assert table_labels(table) == markdown_labels(markdown)


# -- trend: each period's statuses add up to its projects, in every format -----------

#: (project, land date, permit date, withdrawn?): two of each status a year or so.
TREND_PROJECTS = [
    ("C1", "2019-02-01", "2019-05-01", False),  # complete
    ("C2", "2019-07-01", "2020-01-15", False),
    ("O1", "2019-03-01", None, False),  # open
    ("W1", "2019-04-01", None, True),  # withdrawn
    ("I1", "2019-05-01", "2019-01-01", False),  # invalid: permit before land
    ("C3", "2020-02-01", "2020-02-20", True),  # complete: a mark does not undo it
    ("W2", "2020-03-01", None, True),
    ("W3", "2020-04-01", None, True),
    ("I2", "2020-06-01", "2020-05-01", True),  # invalid, marked or not
    ("O2", "2021-01-10", None, False),
]


def _trend_file() -> str:
    lines = ["project,event,date,outcome"]
    for name, land, permit, marked in TREND_PROJECTS:
        outcome = "Withdrawn" if marked else ""
        lines.append(f"{name},land,{land},{outcome}")
        if permit:
            lines.append(f"{name},construction permit,{permit},")
    return "\n".join(lines) + "\n"


def _expected_periods() -> dict[str, dict[str, int]]:
    periods: dict[str, dict[str, int]] = {}
    for _name, land, permit, marked in TREND_PROJECTS:
        if permit and permit < land:
            status = "invalid"
        elif permit:
            status = "complete"
        else:
            status = "withdrawn" if marked else "open"
        counts = periods.setdefault(
            land[:4], dict.fromkeys(("projects", "complete", "open", "invalid", "withdrawn"), 0)
        )
        counts["projects"] += 1
        counts[status] += 1
    return periods


def _trend_periods(text: str, fmt: str) -> dict[str, dict[str, int]]:
    keys = ("projects", "complete", "open", "invalid", "withdrawn")
    if fmt == "json":
        rows = json.loads(text)["periods"]
    elif fmt == "ndjson":
        rows = [json.loads(line) for line in text.splitlines()]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        lines = text.splitlines()
        if fmt == "markdown":
            table = [line.strip("|").split(" | ") for line in lines if line.startswith("|")]
            header, body = table[0], table[2:]
        else:
            at = next(i for i, line in enumerate(lines) if line.startswith("period"))
            header = re.split(r"\s{2,}", lines[at])
            body = [re.split(r"\s{2,}", line) for line in lines[at + 2 :] if line[:1].isdigit()]
        header = [cell.strip() for cell in header]
        rows = [dict(zip(header, (cell.strip() for cell in row), strict=True)) for row in body]
    return {str(row["period"]): {key: int(row[key]) for key in keys} for row in rows}


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json", "ndjson"])
def test_trend_statuses_add_up_in_every_format(run, write, monkeypatch, fmt):
    """complete + open + invalid + withdrawn = projects in each period, and each count is
    the hand count above, whatever the format."""
    from etown_approvals.cli import app

    wide = {"color": False, "width": 1000, "unicode": False}
    monkeypatch.setattr(app, "terminal_settings", lambda *_: wide)
    args = ("trend", write(_trend_file()), "--withdrawn", "outcome=Withdrawn")
    text = run(*args, "--as-of", "2021-12-31", "--format", fmt, "-q").stdout
    periods = _trend_periods(text, fmt)
    assert periods == _expected_periods()
    for counts in periods.values():
        parts = ("complete", "open", "invalid", "withdrawn")
        assert counts["projects"] == sum(counts[key] for key in parts)
