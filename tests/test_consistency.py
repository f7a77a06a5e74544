"""Every command tells the same story about a file.

Messy long-format files are generated (mixed date spellings, unknown events,
missing values, invalid dates, stages recorded twice, projects whose construction
permit precedes land acquisition, open projects, blank lines, quoted fields with a
newline) and run through ``summary``, ``projects``, ``stages``, ``trend`` and
``validate`` on the command line. Their JSON must agree with each other and with
what the generator knows it wrote: rows read, used and rejected (with their line
numbers), projects per status, stage dates, days and stage transitions, all
recomputed here in plain Python.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

STAGES = ("land_acquisition", "project_approval", "planning_permit", "construction_permit")
#: Names the default stage set knows for each stage (English and Chinese).
EVENT_NAMES = {
    "land_acquisition": ("land", "land acquisition", "拿地"),
    "project_approval": ("project approval", "备案"),
    "planning_permit": ("planning permit", "建设工程规划许可证"),
    "construction_permit": ("construction permit", "施工许可证"),
}
BASE = date(2020, 1, 1)
#: After every generated date (the latest is 2022-11-16): nothing is left out of the
#: snapshot (test_status_rule.py draws as-of dates that cut the files).
AS_OF = date(2023, 1, 1)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Rows that must be rejected: (project, event, date), one defect each.
BAD_ROWS = (
    ("P0", "site visit", "2021-03-04"),  # unknown event
    ("", "land", "2021-03-04"),  # no project
    ("P1", "", "2021-03-04"),  # no event
    ("P2", "planning permit", ""),  # no date
    ("P3", "land", "2023-02-30"),  # a day that does not exist
    ("P4", "construction permit", "someday"),  # not a date
)
NAMES = ("P0", "P1", "P2", "P3", "P4", "北区 厂房", "Plant, North", "Line\nTwo")
ZONES = ("Core Area", "Taihu", "Core\nArea", "", 'say "hi"')


def spell(day: date, how: int) -> str:
    """``day`` in one of the spellings etown reads unambiguously."""
    if how == 1:
        return f"{day.year}/{day.month}/{day.day}"
    if how == 2:
        return f"{day.year}年{day.month}月{day.day}日"
    if how == 3:
        return day.strftime("%Y%m%d")
    if how == 4:
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    if how == 5:
        return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    if how == 6 and day.day > 12:  # day-first, and provably so
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return day.isoformat()


@dataclass
class Messy:
    """A generated file and what it holds."""

    text: str
    records: int
    rejected_lines: set[int]
    #: Per project: the earliest date of each stage recorded by a usable row.
    dates: dict[str, dict[str, date]] = field(default_factory=dict)


@st.composite
def messy_files(draw: st.DrawFn) -> Messy:
    good: list[tuple[str, str, str, str]] = []
    dates: dict[str, dict[str, date]] = {}
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True)):
        zone = draw(st.sampled_from(ZONES))
        recorded = draw(st.lists(st.sampled_from(STAGES), min_size=1, max_size=6))
        for stage in recorded:  # a stage drawn twice is recorded twice
            # Later stages tend to be later, yet often enough they are not.
            day = BASE + timedelta(days=150 * STAGES.index(stage) + draw(st.integers(0, 600)))
            event = draw(st.sampled_from(EVENT_NAMES[stage]))
            good.append((name, event, spell(day, draw(st.integers(0, 6))), zone))
            kept = dates.setdefault(name, {})
            kept[stage] = min(day, kept.get(stage, day))
    bad = [(*row, "Taihu") for row in draw(st.lists(st.sampled_from(BAD_ROWS), max_size=4))]
    rows = [(row, False) for row in good]
    for row in bad:
        rows.insert(draw(st.integers(0, len(rows))), (row, True))

    out = io.StringIO()
    out.write("project,event,date,zone\n")
    line, rejected_lines = 2, set()
    for row, is_bad in rows:
        blank = draw(st.sampled_from((0, 0, 0, 1, 2)))  # now and then blank lines
        out.write("\n" * blank)
        line += blank
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerow(row)
        text = record.getvalue()
        if is_bad:
            rejected_lines.add(line)
        out.write(text)
        line += text.count("\n")
    return Messy(out.getvalue(), len(rows), rejected_lines, dates)


def as_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(messy_files())
def test_commands_agree_on_messy_files(run, messy: Messy) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_text(messy.text, encoding="utf-8")

        def doc(*args: str, expect: int = 0) -> Any:
            # Measured whatever share of the rows is rejected (checked below).
            options = ("--json", "--as-of", AS_OF.isoformat(), "--max-rejected", "1")
            result = run(*args, path, *options, expect=expect)
            return json.loads(result.stdout)

        # More than half of the rows rejected: no result, from every measuring command.
        mostly_rejected = len(messy.rejected_lines) > messy.records / 2
        for command in ("summary", "projects", "stages", "trend"):
            run(command, path, "--json", expect=4 if mostly_rejected else 0)
        summary = doc("summary")
        projects = doc("projects")["projects"]
        stages = doc("stages")
        trend = doc("trend")
        invalid = summary["projects"]["invalid"]
        rows = summary["rows"]
        bad_file = bool(rows["rejected"] or invalid)
        validation = json.loads(run("validate", path, "--json", expect=1 if bad_file else 0).stdout)

    for status, n in Counter(p["status"] for p in projects).items():
        event(f"{status} projects: {min(n, 2)}+")
    event(f"rejected rows: {bool(rows['rejected'])}, blank rows: {bool(rows['blank'])}")
    event(f"a quoted newline: {'Line' + chr(10) in messy.text or 'Core' + chr(10) in messy.text}")

    # Rows: every record read, the bad ones rejected on the lines where they start.
    assert rows["read"] == messy.records
    assert rows["rejected"] == len(messy.rejected_lines)
    assert rows["after_as_of"] == 0
    assert rows["read"] == rows["used"] + rows["rejected"] + rows["filtered"] + rows["ignored"]
    for other in (projects, stages, trend):
        if isinstance(other, dict):
            assert other["rows"] == rows
    error_lines = {f["row"] for f in validation["errors"] if f["row"] is not None}
    assert error_lines == messy.rejected_lines
    assert validation["stats"]["rows"] == rows["read"]

    # Projects: the same ones everywhere, with the dates the file holds.
    by_name = {p["project"]: p for p in projects}
    assert set(by_name) == set(messy.dates)
    for name, recorded in messy.dates.items():
        assert {s: as_date(by_name[name][s]) for s in STAGES if by_name[name][s]} == recorded
    statuses = Counter(p["status"] for p in projects)
    counts = summary["projects"]
    assert counts["total"] == len(projects) == validation["stats"]["projects"]
    assert {s: counts[s] for s in ("complete", "open", "invalid", "withdrawn")} == {
        s: statuses[s] for s in ("complete", "open", "invalid", "withdrawn")
    }
    periods = trend["periods"]
    undated = sum(1 for p in projects if p["land_acquisition"] is None)
    assert trend["undated_projects"] == undated
    assert sum(p["projects"] for p in periods) + undated == counts["total"]
    for status in ("complete", "open", "withdrawn"):
        assert sum(p[status] for p in periods) == counts[status]
    # A project without a land date is invalid, and in no period.
    assert sum(p["invalid"] for p in periods) + undated == counts["invalid"]

    # Durations, from the ISO dates of the projects output.
    for p in projects:
        start, end = as_date(p["land_acquisition"]), as_date(p["construction_permit"])
        if p["status"] == "complete":
            assert start is not None and end is not None
            assert p["days"] == (end - start).days >= 0
        else:
            assert p["days"] is None
        if p["status"] == "open":
            assert start is not None and end is None
            waited = (AS_OF - start).days
            assert p["waiting_days"] == (waited if waited >= 0 else None)
        else:
            assert p["waiting_days"] is None
        if p["status"] == "invalid":
            assert start is None or (end is not None and end < start)
    complete_days = sorted(p["days"] for p in projects if p["status"] == "complete")
    assert summary["days"]["count"] == len(complete_days)
    if complete_days:
        assert summary["days"]["min"] == complete_days[0]
        assert summary["days"]["max"] == complete_days[-1]

    # Stage transitions over the summary's projects (invalid ones left out).
    transitions = {(t["from"], t["to"]): t for t in stages["transitions"]}
    assert list(transitions) == list(pairwise(STAGES))
    for (first, second), row in transitions.items():
        ordered = backwards = 0
        for p in projects:
            a, b = as_date(p[first]), as_date(p[second])
            if p["status"] == "invalid" or a is None or b is None:
                continue
            if b < a:
                backwards += 1
            else:
                ordered += 1
        assert (row["count"], row["out_of_order"]) == (ordered, backwards), (first, second)
        if ordered:
            assert row["min"] >= 0
