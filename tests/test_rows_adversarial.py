"""Grouped trend, stages and summary kept as columns, attacked with hostile input.

Project and group names with quotes, backslashes, control characters, line and
paragraph separators, non-BMP characters and number-like text; missing group
values; several group-by columns; empty results; one project; groups with no
complete project; shares of exactly 0, 1 and 1/3; dates two centuries apart.
Every JSON text must be the standard library's text for the same document, the
document plain JSON data, the other formats the same rows, and the numbers those
computed here from the file's rows with plain Python.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from etown_approvals import analyze, metrics, results
from etown_approvals.cli import cli
from etown_approvals.metrics import MetricOptions
from etown_approvals.options import Selection
from etown_approvals.rows import Rows

EVENTS = ("land acquisition", "project approval", "planning permit", "construction permit")

#: Texts that survive the CSV reader as they are (no leading or trailing blanks,
#: which the loader strips): JSON's special characters, separators JavaScript
#: treats as line breaks, non-BMP characters, combining marks, number-like and
#: null-like words, spreadsheet formula starters, a long name.
HOSTILE = (
    'a"b',
    "back\\slash",
    "tab\tin",
    "line\nbreak",
    "cr\rin",
    "a\u2028b\u2029c",
    "😀",
    "\U0001d518\U0001d52b\U0001d526",  # Fraktur "Uni", outside the BMP
    "项目",
    "e\u0301",
    "123",
    "1.50",
    "-0",
    "NaN",
    "null",
    "=1+2",
    "-x",
    "@a",
    "/",
    "</script>",
    "\\u0000",
    "x" * 300,
    "\x01ctl\x1fx",
    "\x7fdel",
    "(none)",
    "A / B",
    "\ufeffbom",
)


def standard(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


def assert_plain(value: Any) -> None:
    """Only dicts with text keys, lists, texts, ints, finite floats, booleans and None."""
    if isinstance(value, dict):
        assert type(value) is dict
        for key, item in value.items():
            assert type(key) is str
            assert_plain(item)
    elif isinstance(value, list):
        assert type(value) is list, type(value)
        for item in value:
            assert_plain(item)
    elif isinstance(value, float):
        assert math.isfinite(value)
    else:
        assert value is None or type(value) in (str, int, bool), type(value)


@dataclass
class Project:
    name: str
    zone: str | None
    sector: str | None
    dates: list[date | None] = field(default_factory=list)

    @property
    def days(self) -> int | None:
        start, end = self.dates[0], self.dates[-1]
        return None if start is None or end is None else (end - start).days


def events_csv(projects: list[Project]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["project", "event", "date", "zone", "sector"])
    for project in projects:
        for event, day in zip(EVENTS, project.dates, strict=True):
            if day is not None:
                writer.writerow(
                    [project.name, event, day.isoformat(), project.zone or "", project.sector or ""]
                )
    return out.getvalue()


def hostile_projects(texts: tuple[str, ...] = HOSTILE) -> list[Project]:
    """Every hostile text as a zone and in project names; a missing zone early on
    (it must still be the last group); five kinds of project in turn: same-day,
    quick, incomplete, slow, open."""
    zones: list[str | None] = [texts[0], None, *texts[1:]]
    sectors: list[str | None] = ["=sum", None, "项目 / x"]
    gaps = {0: (0, 0, 0), 1: (1, 2, 3), 2: (5, 5, None), 3: (100, 200, 300), 4: (None,)}
    out = []
    for i in range(3 * len(zones)):
        start = date(2019, 1, 1) + timedelta(days=53 * i)
        dates: list[date | None] = [start]
        for gap in gaps[i % 5]:
            dates.append(None if gap is None or dates[-1] is None else dates[-1] + timedelta(gap))
        dates += [None] * (4 - len(dates))
        name = f"{texts[i % len(texts)]}#{i}"
        out.append(Project(name, zones[i % len(zones)], sectors[i % 3], dates))
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Project]]:
    projects = hostile_projects()
    path = tmp_path_factory.mktemp("hostile") / "events.csv"
    path.write_text(events_csv(projects), encoding="utf-8")
    return path, projects


#: After every generated date (the latest is 2099-12-31): --as-of is a snapshot, and
#: these tests measure every project.
AS_OF = MetricOptions(as_of=date(2100, 1, 1))

GROUPINGS: list[Any] = [None, "zone", ["zone", "sector"], ["sector", "zone"]]

VARIANTS: list[tuple[str, Callable[[Any, Any], results.Result]]] = [
    ("summary", lambda a, g: results.summary(a, group_by=g)),
    ("summary-p", lambda a, g: results.summary(a, group_by=g, percentiles=[10, 95, 99.5])),
    ("summary-km", lambda a, g: results.summary(a, group_by=g, survival=True)),
    ("stages", lambda a, g: results.stages(a, group_by=g)),
    ("stages-all", lambda a, g: results.stages(a, group_by=g, pairs="all", percentiles=[95])),
    ("trend-year", lambda a, g: results.trend(a, group_by=g)),
    ("trend-fy", lambda a, g: results.trend(a, group_by=g, by="quarter", fiscal_year_start=4)),
    ("trend-month", lambda a, g: results.trend(a, group_by=g, by="month", survival=True)),
    ("trend-p", lambda a, g: results.trend(a, group_by=g, by="year", percentiles=[5, 50, 95])),
    ("trend-period-of", lambda a, g: results.trend(a, group_by=g, period_of="planning_permit")),
]


def list_key(result: results.Result) -> str:
    return {"summary": "groups", "stages": "transitions", "trend": "periods"}[result.kind.value]


# ---------------------------------------------------------------- JSON text


@pytest.mark.parametrize("group_by", GROUPINGS, ids=str)
@pytest.mark.parametrize("name,make", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_json_written_from_columns_is_the_standard_librarys(hostile, name, make, group_by):
    path, _ = hostile
    analysis = analyze(path, options=AS_OF)
    result = make(analysis, group_by)
    written = result.to_json()  # first: the rows are still columns
    document = result.document
    assert_plain(document)
    assert written == standard(document)
    assert result.to_json() == written  # again, now from the dicts
    if group_by is not None or name.startswith(("stages", "trend")):
        assert document[list_key(result)]  # something was written


@pytest.mark.parametrize("group_by", GROUPINGS, ids=str)
def test_json_after_the_records_were_read(hostile, group_by):
    """NDJSON and CSV read the records (the same rows): the JSON stays the same."""
    path, _ = hostile
    analysis = analyze(path, options=AS_OF)
    for make in (results.trend, results.stages):
        untouched = make(analysis, group_by=group_by).to_json()
        result = make(analysis, group_by=group_by)
        assert result.records is not None
        assert len(list(result.records)) == len(json.loads(untouched)[list_key(result)])
        assert result.to_json() == untouched == standard(result.document)


def test_content_keeps_columns_until_the_document_is_asked_for(hostile):
    path, _ = hostile
    result = results.trend(analyze(path, options=AS_OF), group_by="zone")
    rows = result.content["periods"]
    assert isinstance(rows, Rows)
    result.to_json()
    assert not rows.materialized  # written from the columns
    assert type(result.document["periods"]) is list


# ---------------------------------------------------------------- the numbers


def first_appearance(values: list[str | None]) -> list[str | None]:
    """Distinct values in order of first appearance, a missing one last."""
    seen = list(dict.fromkeys(v for v in values if v is not None))
    return seen + ([None] if None in values else [])


def test_summary_groups_are_the_files_groups(hostile):
    """Group labels are the file's texts exactly, in order of first appearance with
    the missing value last; each group's numbers and same-day names are the ones
    counted here from the rows."""
    path, projects = hostile
    document = results.summary(analyze(path, options=AS_OF), group_by="zone").to_json()
    groups = json.loads(document)["groups"]
    labels = first_appearance([p.zone for p in projects])
    assert [g["group"] for g in groups] == labels
    assert set(HOSTILE) <= set(labels)
    for group in groups:
        members = [p for p in projects if p.zone == group["group"]]
        complete = [p for p in members if p.days is not None]
        same_day = [p.name for p in complete if p.days == 0]
        assert group["projects"]["total"] == len(members)
        assert group["projects"]["complete"] == len(complete)
        assert group["same_day"]["projects"] == same_day
        assert group["same_day"]["count"] == len(same_day)
        if complete:
            assert group["days"]["median"] == statistics.median(p.days for p in complete)
            assert group["same_day"]["share"] == round(len(same_day) / len(complete), 4)
            assert isinstance(group["same_day"]["share"], float)
        else:  # no complete project: no statistics, and no NaN in the text
            assert group["days"]["median"] is None
            assert group["same_day"]["share"] is None


def test_several_group_by_columns_with_missing_values(hostile):
    path, projects = hostile
    result = results.stages(analyze(path, options=AS_OF), group_by=["sector", "zone"])
    transitions = json.loads(result.to_json())["transitions"]
    keys = [(p.sector, p.zone) for p in projects]
    complete_keys = list(dict.fromkeys(k for k in keys if None not in k))
    expected = complete_keys + list(dict.fromkeys(k for k in keys if None in k))
    seen = list(dict.fromkeys((t["group"]["sector"], t["group"]["zone"]) for t in transitions))
    assert seen == expected
    assert all(list(t["group"]) == ["sector", "zone"] for t in transitions)


def test_trend_counts_by_group_and_year(hostile):
    path, projects = hostile
    periods = json.loads(results.trend(analyze(path, options=AS_OF), group_by="zone").to_json())[
        "periods"
    ]
    counted: dict[tuple[str | None, str], int] = {}
    for p in projects:
        start = p.dates[0]
        assert start is not None
        key = (p.zone, str(start.year))
        counted[key] = counted.get(key, 0) + 1
    written = {(row["group"], row["period"]): row["projects"] for row in periods}
    assert {k: v for k, v in written.items() if v} == counted
    assert [row["group"] for row in periods] == sorted(
        (row["group"] for row in periods),
        key=first_appearance([p.zone for p in projects]).index,
    )


# ---------------------------------------------------------------- other formats


def lead_apostrophe(text: str) -> str:
    """A CSV cell as a spreadsheet-safe writer gives it (README: formula starters)."""
    starts = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
    plain_number = text.lstrip("+-").replace(".", "", 1).isdigit() and text.isascii()
    return "'" + text if text.startswith(starts) and not plain_number else text


@pytest.mark.parametrize("command", ["trend", "stages"])
@pytest.mark.parametrize("group_by", [["zone"], ["zone", "sector"]], ids=str)
def test_ndjson_and_csv_carry_the_json_rows(run, tmp_path, command, group_by):
    # A carriage return in a group breaks the CSV: see the test after this one.
    path = write_projects(tmp_path, hostile_projects(tuple(t for t in HOSTILE if "\r" not in t)))
    args = [command, path, "--no-config", "--as-of", "2100-01-01"]
    for column in group_by:
        args += ["--group-by", column]
    document = json.loads(run(*args, "--format", "json").stdout)
    rows = document["periods" if command == "trend" else "transitions"]
    # Not through ``run``: its schema check splits NDJSON with str.splitlines, which
    # also breaks at U+2028, U+0085 and \x1c-\x1e, all allowed raw in a JSON string.
    ndjson = CliRunner().invoke(cli, [str(a) for a in args] + ["--format", "ndjson"])
    assert ndjson.exit_code == 0
    assert ndjson.stderr == run(*args, "--format", "json").stderr
    # Lines end in "\n" only: U+2028 and U+0085 in a name are not line ends.
    assert [json.loads(line) for line in ndjson.stdout.split("\n")[:-1]] == rows
    table = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv").stdout)))
    assert len(table) == len(rows)
    for cells, row in zip(table, rows, strict=True):
        group = row["group"]
        if isinstance(group, dict):  # several columns: one text, "(none)" for missing
            group = " / ".join("(none)" if v is None else v for v in group.values())
        assert cells["group"] == ("" if group is None else lead_apostrophe(group))
        count_key = "projects" if command == "trend" else "count"
        assert int(cells[count_key]) == row[count_key]


@pytest.mark.parametrize("command", ["trend", "stages"])
def test_csv_quotes_a_carriage_return_in_a_group(run, tmp_path, command):
    """A cell with a bare "\\r" is quoted in the CSV of grouped trend and stages (it
    was not: Python's writer quotes only its own line ending's characters, and every
    CSV reader ended the row there). The projects CSV (pyarrow) always quoted it."""
    events = 'project,event,date,zone\nA,land acquisition,2023-01-01,"cr\rin"\n'
    events += 'A,construction permit,2023-01-05,"cr\rin"\n'
    path = tmp_path / "events.csv"
    path.write_bytes(events.encode())
    out = run(command, path, "--no-config", "--group-by", "zone", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out.stdout, newline="")))
    assert {row["group"] for row in table} == {"cr\rin"}


def test_markdown_and_table_lay_out_every_group(run, hostile):
    """The text formats read the same rows: one markdown line per period, and the
    tables count every group (hostile labels included, the missing one too)."""
    path, projects = hostile
    args = ["--no-config", "--as-of", "2100-01-01", "--group-by", "zone"]
    periods = json.loads(run("trend", path, *args, "--format", "json").stdout)["periods"]
    markdown = run("trend", path, *args, "--format", "markdown").stdout
    table_lines = [line for line in markdown.split("\n") if line.startswith("| ")]
    assert len(table_lines) == 1 + len(periods)  # the header, then one per period
    groups = len(first_appearance([p.zone for p in projects]))
    for command in ("trend", "stages"):
        assert f"by zone: {groups} groups" in run(command, path, *args).stdout


# ---------------------------------------------------------------- edge inputs


def write_projects(tmp_path: Path, projects: list[Project]) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(events_csv(projects), encoding="utf-8")
    return path


def day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("make", [v[1] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_one_project(tmp_path, make):
    path = write_projects(
        tmp_path, [Project('only "one"\n', "z\\", None, [day("2023-02-01"), None, None, None])]
    )
    for group_by in GROUPINGS:
        result = make(analyze(path, options=AS_OF), group_by)
        written = result.to_json()
        assert_plain(result.document)
        assert written == standard(result.document)


@pytest.mark.parametrize("make", [v[1] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_nothing_in_the_window(tmp_path, make):
    """--since after every start: empty lists, written as the standard library writes them."""
    path = write_projects(tmp_path, hostile_projects()[:12])
    analysis = analyze(path, options=AS_OF, selection=Selection(since=date(2031, 1, 1)))
    for group_by in GROUPINGS:
        result = make(analysis, group_by)
        written = result.to_json()
        assert_plain(result.document)
        assert written == standard(result.document)
        if group_by is not None:
            assert result.document[list_key(result)] == []


def test_shares_of_zero_one_and_a_third(tmp_path):
    def project(name: str, zone: str, gap: int | None) -> Project:
        start = day("2023-03-01")
        end = None if gap is None else start + timedelta(gap)
        return Project(name, zone, None, [start, None, None, end])

    projects = [
        project("n1", "none", 10),
        project("n2", "none", 20),
        project("a1", "all", 0),
        project("a2", "all", 0),
        project("t1", "third", 0),
        project("t2", "third", 9),
        project("t3", "third", 30),
        project("o1", "open", None),
    ]
    path = write_projects(tmp_path, projects)
    analysis = analyze(path, options=AS_OF)
    expected = {"none": 0.0, "all": 1.0, "third": round(1 / 3, 4), "open": None}

    summary = results.summary(analysis, group_by="zone")
    text = summary.to_json()
    assert text == standard(summary.document)
    shares = {g["group"]: g["same_day"]["share"] for g in json.loads(text)["groups"]}
    assert shares == expected
    assert '"share": 1.0,' in text and '"share": 0.0,' in text  # floats, as before

    trend = results.trend(analysis, group_by="zone")
    text = trend.to_json()
    assert text == standard(trend.document)
    shares = {p["group"]: p["same_day_share"] for p in json.loads(text)["periods"]}
    assert shares == expected

    stages = results.stages(analysis, group_by="zone", pairs="all")
    assert stages.to_json() == standard(stages.document)


def test_dates_two_centuries_apart_and_workdays(tmp_path):
    projects = [
        Project("far", "z", None, [day("1900-01-01"), None, None, day("2099-12-31")]),
        Project("near", "z", None, [day("1900-01-01"), None, None, day("1900-01-02")]),
        Project("same", "y", None, [day("1950-06-01"), None, None, day("1950-06-01")]),
    ]
    path = write_projects(tmp_path, projects)
    analysis = analyze(path, options=MetricOptions(as_of=date(2099, 12, 31)))
    summary = results.summary(analysis, group_by="zone", percentiles=[99])
    text = summary.to_json()
    assert text == standard(summary.document)
    z = json.loads(text)["groups"][0]
    spans = sorted(p.days or 0 for p in projects[:2])
    assert z["days"]["max"] == spans[-1]
    assert z["days"]["mean"] == round(sum(spans) / 2, 2)
    for grouped in (
        results.trend(analysis, group_by="zone", by="month"),
        results.stages(analysis, group_by="zone"),
    ):
        assert grouped.to_json() == standard(grouped.document)

    workdays = analyze(
        write_projects(tmp_path, hostile_projects()[:20]),
        options=MetricOptions(as_of=date(2032, 6, 30), unit="workdays", calendar="CN"),
    )
    for result in (
        results.summary(workdays, group_by=["zone", "sector"]),
        results.trend(workdays, group_by=["zone", "sector"]),
        results.stages(workdays, group_by=["zone", "sector"]),
    ):
        assert result.to_json() == standard(result.document)


# ---------------------------------------------------------------- grouping


def reference_grouping(values: list[str | None]) -> tuple[list[int], list[str | None]]:
    labels = first_appearance(values)
    return [labels.index(v) for v in values], labels


texts = st.one_of(
    st.sampled_from(["", "a", "A", "NaN", "None", "\x00", "项", "😀", "a\x00b", "e\u0301"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), texts), min_size=1, max_size=30))
def test_one_text_column_is_numbered_as_the_general_path_numbers(values):
    """The text fast path: first appearance, a missing value last (as file attributes
    arrive: pandas' text dtype)."""
    grouped = metrics.grouping(pd.DataFrame({"zone": pd.Series(values, dtype="str")}))
    codes, labels = reference_grouping(values)
    assert grouped.codes.tolist() == codes
    assert grouped.labels == [{"zone": label} for label in labels]


@pytest.mark.parametrize(
    "values",
    [
        # An all-missing object column is one group (the text fast path, which pandas'
        # is_string_dtype once let object columns into, gave two).
        pytest.param([None, None], id="object-all-missing"),
        # NaN in an object column is a missing value (None), not a label.
        pytest.param([np.nan], id="object-nan"),
        # Non-text values are labelled as text; mixed ones too (pyarrow refused them).
        pytest.param([1, 2, 1], id="object-ints"),
        pytest.param(["a", 1], id="object-mixed"),
        pytest.param(["a", None, "b", None], id="object-texts"),
    ],
)
def test_an_object_column_is_grouped_as_text(values):
    """:func:`metrics.grouping` labels a group by its text or None, whatever the
    column's dtype. The command line always passes pandas' text dtype (loader), so
    only library callers with object columns meet these."""
    grouped = metrics.grouping(pd.DataFrame({"zone": pd.Series(values, dtype=object)}))
    as_text = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values
    ]
    codes, labels = reference_grouping(as_text)
    assert grouped.codes.tolist() == codes
    assert grouped.labels == [{"zone": label} for label in labels]
