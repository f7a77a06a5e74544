"""Terminal tables at 60, 80 and 120 columns, with names that try to break them.

The input is generated here (small CSVs in ``tmp_path``, a fixed as-of date), so the
goldens are stable: names with rich markup, CJK characters, control characters and
200-character names, and 0, 3, 12 and 60 groups.

The goldens live in ``tests/fixtures/golden/tables/``. After an intended change to a
table, regenerate them and read the diff before committing::

    ETOWN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_tables.py
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from etown_approvals import metrics
from etown_approvals import results as reports
from etown_approvals.analysis import Analysis
from etown_approvals.analysis import analyze as analyze_file
from etown_approvals.formats import OutputOptions, render
from etown_approvals.formats import table as table_format
from etown_approvals.options import Selection as Window
from etown_approvals.results import Result
from etown_approvals.terminal import visible

from .conftest import assert_golden

AS_OF = date(2025, 1, 1)
WIDTHS = (60, 80, 120)
STAGES = ("land acquisition", "project approval", "planning permit", "construction permit")

LONG_NAME = ("Very long project name that keeps going " * 6)[:199] + "."
UNBROKEN_NAME = "X" * 200

#: Project names that have broken etown's tables: markup, controls, CJK, length.
HOSTILE_NAMES = [
    "Building [north wing]",
    "[/]",
    "[bold red]not bold[/]",
    "[link=https://example.com]click[/link]",
    "tab\there",
    "line\nbreak",
    "esc \x1b[2J clear",
    "cr\rreturn",
    "rtl \u202eevil",
    "zero\u200bwidth",
    "北京亦庄新能源汽车项目",
    ":smile: code",
    "bell\x07",
    LONG_NAME,
    UNBROKEN_NAME,
]

#: Group values of the same kinds (a zone column).
HOSTILE_ZONES = [
    "Zone [north]",
    "[/]",
    "北京经济技术开发区",
    "Zone\tTab",
    "Zone \u202eRTL",
    "Z" * 200,
]

#: Characters that must never reach a terminal raw.
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b\u202e]|\t")


def zone_names(count: int) -> list[str]:
    return (HOSTILE_ZONES + [f"Zone {i:02d}" for i in range(count)])[:count]


def write_events(path: Path, groups: int, projects_per_group: int | None = None) -> Path:
    """Events of projects spread over ``groups`` zones, with hostile names first.

    Group ``k`` has ``3 + (7 * k) % 5`` projects (or ``projects_per_group``); every
    fifth project is still open, every ninth got its permit the day it got its land.
    """
    zones = zone_names(groups) or ["Zone 00"]
    names = iter(HOSTILE_NAMES)
    rows = []
    number = 0
    for k, zone in enumerate(zones):
        for _ in range(projects_per_group or 3 + (7 * k) % 5):
            name = next(names, None) or f"Project {number:03d}"
            land = date(2019, 1, 7) + timedelta(days=(number * 97) % 2000)
            approval = land + timedelta(days=(number * 11) % 60)
            planning = approval + timedelta(days=(number * 13) % 90)
            permit = planning + timedelta(days=(number * 17) % 120)
            days = [land, approval, planning, permit]
            if number % 9 == 0:
                days = [land, land, land, land]
            if number % 5 == 4:
                days = days[:2]
            for stage, day in zip(STAGES, days, strict=False):
                rows.append([name, stage, day.isoformat(), zone])
            number += 1
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["project", "event", "date", "zone"])
        writer.writerows(rows)
    return path


def analyze(path: Path, *, window: Window | None = None, unit: str = "calendar") -> Analysis:
    return analyze_file(
        path,
        options=metrics.MetricOptions(as_of=AS_OF, unit=unit),
        selection=window or Window(),
    )


def table_text(result: Result, width: int, *, unicode: bool = True, lang: str = "en") -> str:
    out = io.StringIO()
    options = OutputOptions(width=width, color=False, unicode=unicode, lang=lang)
    render(result, "table", out, options)
    return out.getvalue()


def check_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        if re.search(r"(: |：)etown ", line):  # a command to copy is never wrapped  # noqa: RUF001
            continue
        assert cell_len(line) <= width, f"line wider than {width}: {line!r}"
    assert not RAW_CONTROLS.search(text)


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write the events of ``groups`` zones; the path is relative, so the file name
    the tables show (and the goldens hold) does not depend on where tmp_path is."""
    monkeypatch.chdir(tmp_path)

    def make(groups: int, projects_per_group: int | None = None) -> Path:
        return write_events(Path(f"events-{groups}.csv"), groups, projects_per_group)

    return make


# -- goldens ---------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("groups", [0, 3, 12, 60])
def test_summary_by_group_golden(events, width, groups):
    path = events(groups)
    window = Window(since=date(2030, 1, 1)) if groups == 0 else Window()
    result = reports.summary(analyze(path, window=window), group_by="zone")
    assert len(result.document["groups"]) == groups
    text = table_text(result, width)
    check_fits(text, width)
    assert_golden(f"tables/summary_{groups}_groups_{width}.txt", text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "kind", ["stages", "stages_by_zone", "trend", "trend_by_zone", "projects", "timeline"]
)
def test_command_tables_golden(events, width, kind):
    path = events(3)
    analysis = analyze(path)
    result = {
        "stages": lambda: reports.stages(analysis),
        "stages_by_zone": lambda: reports.stages(analysis, group_by="zone"),
        "trend": lambda: reports.trend(analysis),
        "trend_by_zone": lambda: reports.trend(analysis, group_by="zone"),
        "projects": lambda: reports.projects(analysis),
        "timeline": lambda: reports.timeline(analysis),
    }[kind]()
    text = table_text(result, width)
    check_fits(text, width)
    assert_golden(f"tables/{kind}_{width}.txt", text)


@pytest.mark.parametrize("kind", ["summary", "timeline"])
def test_ascii_tables_golden(events, kind):
    """What a pipe gets: no box-drawing or bar characters."""
    path = events(3)
    analysis = analyze(path)
    result = (
        reports.summary(analysis, group_by="zone")
        if kind == "summary"
        else reports.timeline(analysis)
    )
    text = table_text(result, 80, unicode=False)
    check_fits(text, 80)
    from_data = set("".join(HOSTILE_NAMES + HOSTILE_ZONES))
    assert {c for c in text if ord(c) > 0x7F} <= from_data
    assert_golden(f"tables/{kind}_ascii_80.txt", text)


# -- what the goldens mean, checked independently ----------------------------------------


def project_counts(path: Path) -> Counter[str]:
    """Projects per zone, counted from the CSV with the standard library."""
    with open(path, encoding="utf-8", newline="") as source:
        seen = {(row["project"].strip(), row["zone"]) for row in csv.DictReader(source)}
    return Counter(zone for _, zone in seen)


@pytest.mark.parametrize("width", WIDTHS)
def test_many_groups_are_rows_largest_first_with_the_rest_counted(events, width):
    path = events(60)
    text = table_text(reports.summary(analyze(path), group_by="zone"), width)
    counts = project_counts(path)
    ranked = sorted(counts, key=lambda zone: (-counts[zone], zone))
    shown = ranked[: table_format.GROUP_ROWS]
    assert f"… and {60 - len(shown)} more groups: use --format json" in text
    assert "By zone: 60 groups, most projects first" in text
    lines = text.splitlines()
    positions = []
    for zone in shown:
        label = visible(zone)
        if cell_len(label) > 12:  # a long value wraps; its place is checked by the others
            continue
        index = next(i for i, line in enumerate(lines) if line.split("  ")[0] == label)
        positions.append(index)
        # The project count whole, right after the name (table) or labelled (stacked).
        following = " ".join(lines[index : index + 3])
        assert re.search(rf"(^|\s|projects ){counts[zone]}(\s|$)", following[len(label) :])
    assert positions == sorted(positions)
    for zone in ranked[table_format.GROUP_ROWS :]:
        if cell_len(visible(zone)) <= 12:
            assert not any(line.split("  ")[0] == visible(zone) for line in lines)


def test_numbers_are_never_folded(events):
    """Every number of every group appears whole on one line, at every width."""
    path = events(12, projects_per_group=1200)
    result = reports.summary(analyze(path), group_by="zone")
    for width in WIDTHS:
        text = table_text(result, width)
        for group in result.document["groups"]:
            assert f"{group['projects']['total']:,}" in text
        assert "1,200" in text and "\n200" not in text


def test_few_groups_side_by_side_in_the_documents_size_order(events):
    path = events(3)
    result = reports.summary(analyze(path), group_by="zone")
    text = table_text(result, 120)
    header = next(line for line in text.splitlines() if "Zone [north]" in line)
    counts = project_counts(path)
    ranked = sorted(counts, key=lambda zone: (-counts[zone], zone))
    assert [header.index(visible(z)) for z in ranked] == sorted(
        header.index(visible(z)) for z in ranked
    )
    assert "By zone (most projects first)" in text


def test_zero_groups_say_so(events):
    path = events(3)
    result = reports.summary(analyze(path, window=Window(since=date(2030, 1, 1))), group_by="zone")
    assert "By zone: no groups (no projects)" in table_text(result, 80)


@pytest.mark.parametrize("width", WIDTHS)
def test_names_are_escaped_and_visible(events, width):
    path = events(3)
    analysis = analyze(path)
    text = table_text(reports.projects(analysis), width)
    for name in ("Building [north wing]", "[/]", "[bold red]not bold[/]", "tab\\there"):
        assert name in text
    assert "[link=https://example.com]click[/link]" in table_text(reports.projects(analysis), 200)
    assert "rtl \\u202eevil" in text and "esc \\x1b[2J clear" in text
    assert "北京亦庄新能源汽车项目" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_cjk_names_are_measured_in_cells(events, width):
    """Every project line of the timeline ends in the same terminal column (the days
    column is right-aligned), so a CJK name that takes two cells a character has
    shifted nothing."""
    path = events(3)
    result = reports.timeline(analyze(path))
    lines = table_text(result, width).splitlines()
    # Two lines of axis, then one line per project in order.
    project_lines = lines[2 : 2 + len(result.rows())]
    for line, record in zip(project_lines, result.rows(), strict=True):
        assert line.startswith(visible(record["project"])[:8])
    assert any(line.startswith("北京") for line in project_lines)
    assert len({cell_len(line) for line in project_lines}) == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_narrow_projects_keep_status_and_flags(events, width):
    path = events(3)
    text = table_text(reports.projects(analyze(path)), width)
    assert "statu\n" not in text and " statu " not in text
    assert "complete" in text and "open" in text
    assert "same-day" in text or "S" in text
    for line in text.splitlines():
        assert not line.rstrip().endswith("-sta")


@pytest.mark.parametrize("width", WIDTHS)
def test_stage_pairs_are_never_folded_into_scraps(events, width):
    result = reports.stages(analyze(events(3)))
    text = table_text(result, width)
    for row in result.document["transitions"]:
        start, end = row["from"].replace("_", " "), row["to"].replace("_", " ")
        whole = f"{start} -> {end}" in text
        assert whole or (f"{start} ->" in text and re.search(rf"^{end}\b", text, re.M))


def test_workday_tables_say_workdays(events):
    path = events(3)
    analysis = analyze(path, unit="workdays")
    summary = table_text(reports.summary(analysis, group_by="zone"), 120)
    stages = table_text(reports.stages(analysis), 120)
    trend = table_text(reports.trend(analysis), 120)
    projects_result = reports.projects(analysis)
    projects_result.extras["unit"] = analysis.options.unit_name
    projects = table_text(projects_result, 120)
    timeline_result = reports.timeline(analysis)
    timeline_result.extras["unit"] = analysis.options.unit_name
    timeline = table_text(timeline_result, 120)
    assert "Workdays, complete projects" in summary
    assert "median workdays" in summary and "within 3 workdays" in summary
    assert "Within 3 workdays" in summary and "within-3-workday projects" in summary
    assert stages.startswith("Workdays between stages")
    assert "mean workdays of complete projects" in stages
    assert "median workdays" in trend
    assert "workdays" in projects.splitlines()[1] + projects.splitlines()[2]
    assert "N+: open, waiting N workdays so far" in projects
    assert "wd workdays" in timeline
    for text in (summary, stages, trend, projects):
        assert not re.search(r"(?<!work)days\b", text, re.I), text


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 projects"), (1, "1 project"), (2, "2 projects")]
)
def test_project_counts_are_plural_only_when_more_than_one(events, count, expected):
    analysis = analyze(events(3))
    result = reports.projects(analysis, limit=count)
    assert table_text(result, 80).splitlines()[0] == expected


def test_one_undated_project_is_singular(write):
    path = write(
        "project,event,date\nA,land acquisition,2023-01-01\nA,construction permit,2023-01-05\n"
        "B,construction permit,2023-02-01\n"
    )
    text = table_text(reports.trend(analyze(path)), 80)
    assert "1 project without a land acquisition date is not shown" in text


def test_empty_flags_render_empty(events):
    text = table_text(reports.projects(analyze(events(3))), 120)
    assert "[" + "\n" not in text and "[]" not in text


# -- the timeline ------------------------------------------------------------------------


def timeline_lines(path: Path, width: int, unicode: bool = True) -> list[str]:
    return table_text(reports.timeline(analyze(path)), width, unicode=unicode).splitlines()


def test_timeline_axis_has_ticks_at_round_dates(events):
    lines = timeline_lines(events(3), 120)
    labels, ticks = lines[0], lines[1]
    years = re.findall(r"\b20\d\d\b", labels)
    assert len(years) >= 3
    assert ticks.count("┬") == len(years)
    for year in years:
        # Each label starts over its tick (or ends there at the right edge).
        start = labels.index(year)
        assert ticks[start] == "┬" or ticks[start + len(year) - 1] == "┬"


def test_timeline_open_projects_do_not_squash_complete_bars(write):
    """An open project waiting since 2020 to 2025 would shrink a one-month bar to a cell."""
    path = write(
        "project,event,date\n"
        "Old open,land acquisition,2020-01-01\n"
        "Complete,land acquisition,2020-01-01\nComplete,construction permit,2020-03-01\n"
    )
    lines = table_text(reports.timeline(analyze(path)), 80).splitlines()
    complete = next(line for line in lines if line.startswith("Complete"))
    waiting = next(line for line in lines if line.startswith("Old open"))
    assert complete.count("━") >= 20
    assert "→" in waiting
    expected_wait = (AS_OF - date(2020, 1, 1)).days
    assert waiting.rstrip().endswith(f"{expected_wait:,}d+")
    assert any("still waiting on 2025-01-01" in line for line in lines)


def test_timeline_stage_marks_later_stage_wins(write):
    path = write(
        "project,event,date\n"
        "Short,land acquisition,2020-01-01\nShort,project approval,2020-01-02\n"
        "Short,construction permit,2020-06-01\n"
        "Long,land acquisition,2010-01-01\nLong,construction permit,2020-06-01\n"
    )
    lines = table_text(reports.timeline(analyze(path)), 60).splitlines()
    short = next(line for line in lines if line.startswith("Short"))
    assert "2" in short and "1" not in short.split()[1]
    assert any("later stage is shown" in line for line in lines)


def test_timeline_names_use_the_room_of_a_wide_terminal(events):
    lines = timeline_lines(events(3), 120)
    assert any(line.startswith("Building [north wing]") for line in lines)
    assert any(line.startswith(visible("[link=https://example.com]click[/link]")) for line in lines)
    narrow = timeline_lines(events(3), 60)
    assert any(line.startswith("[link=https://exampl…") for line in narrow)


@pytest.mark.parametrize("width", WIDTHS)
def test_timeline_legend_never_separates_a_symbol_from_its_meaning(events, width):
    lines = timeline_lines(events(3), width)
    legend = [line for line in lines if ";" in line or "same day" in line]
    for symbol, meaning in (("━", "complete"), ("◆", "same day")):
        assert any(f"{symbol} {meaning}" in line for line in legend)
    assert any("┄→ open" in line for line in legend)
    for line in legend:
        assert not line.rstrip(";").endswith(("━", "◆", "┄→", "┄"))


# -- many groups --------------------------------------------------------------------------


def _group_summary(value: str, total: int) -> dict[str, Any]:
    return {
        "group": value,
        "projects": {"total": total, "complete": total, "open": 0, "invalid": 0},
        "days": {k: 1 for k in ("count", "min", "p25", "median", "mean", "p75", "p90", "max")},
        "same_day": {"count": 0, "share": 0.0, "projects": []},
        "fast_track": {"max_days": 3, "count": 0, "share": 0.0, "projects": []},
    }


def test_twenty_thousand_groups_are_cut_to_a_page(events):
    """Rendering never lays out more rows than it shows (the time is in the benchmark)."""
    base = reports.summary(analyze(events(3)))
    document = dict(base.document)
    document["group_by"] = "zone"
    document["groups"] = [_group_summary(f"Z{i:05d}", i % 97) for i in range(20_000)]
    text = table_text(Result(kind="summary", content=document), 120)
    assert "… and 19,980 more groups: use --format json" in text
    assert "By zone: 20,000 groups, most projects first" in text
    # The largest groups: 96 projects, smallest value first.
    rows = [line for line in text.splitlines() if line.startswith("Z")]
    assert len(rows) == table_format.GROUP_ROWS
    assert rows[0].split()[:2] == ["Z00096", "96"]

    stage_rows = [
        {
            "group": f"Z{i:05d}",
            "from": a,
            "to": b,
            "count": i % 50,
            "min": 0,
            "median": 1,
            "mean": 1.5,
            "p90": 2,
            "max": 3,
            "share": 0.5,
        }
        for i in range(20_000)
        for a, b in (
            ("land_acquisition", "project_approval"),
            ("project_approval", "construction_permit"),
        )
    ]
    header = {key: base.document[key] for key in ("metric", "rows")}  # as the schemas require
    stages_doc = {**header, "group_by": "zone", "transitions": stage_rows}
    text = table_text(Result(kind="stages", content=stages_doc), 120)
    assert "… and 19,980 more groups: use --format json" in text
    trend_rows = [
        {
            "group": f"Z{i:05d}",
            "period": "2024",
            "projects": i % 50,
            "complete": 0,
            "open": 0,
            "invalid": 0,
            "median_days": None,
            "same_day_share": None,
            "fast_track_share": None,
        }
        for i in range(20_000)
    ]
    trend_doc = {
        **header,
        "by": "year",
        "group_by": "zone",
        "periods": trend_rows,
        "undated_projects": 0,
    }
    text = table_text(Result(kind="trend", content=trend_doc), 120)
    assert "… and 19,980 more groups: use --format json" in text
    assert "by zone: 20,000 groups" in text


def test_projects_abbreviate_flags_with_a_legend_before_stacking():
    """At 70 columns the sample's projects fit as a table once flags are letters."""
    from .conftest import SAMPLE

    result = reports.projects(analyze(SAMPLE))
    text = table_text(result, 70)
    assert "flags: S same day, F fast track, O out of order, D duplicate stage" in text
    letters = {"same_day": "S", "fast_track": "F", "out_of_order": "O", "duplicate_stage": "D"}
    for record in result.rows():
        if not record["flags"] or cell_len(record["project"]) > 16:
            continue
        line = next(line for line in text.splitlines() if line.startswith(record["project"]))
        assert line.rstrip().endswith(" ".join(letters[f] for f in record["flags"]))
    check_fits(text, 70)


@pytest.mark.parametrize(
    "events_text",
    [
        "A,land acquisition,2023-01-01\nA,construction permit,2023-01-01\n",  # one day
        "A,land acquisition,2024-12-30\n",  # one open project, two days before as-of
        "A,land acquisition,2020-01-01\n",  # one open project, years before
        "A,land acquisition,2023-01-01\nA,construction permit,2022-12-01\n",  # invalid
    ],
)
@pytest.mark.parametrize("width", [40, *WIDTHS])
def test_timeline_edge_cases_fit(write, events_text, width):
    path = write("project,event,date\n" + events_text)
    lines = timeline_lines(path, width)
    check_fits("\n".join(lines), max(width, 40))
    assert lines[2].startswith("A ")
    assert lines[0].strip()  # an axis label, whatever the span


# -- Chinese labels ------------------------------------------------------------------------

ZH = "zh-CN"
CJK = re.compile("[\u4e00-\u9fff]")


def zh_result(analysis: Analysis, kind: str) -> Result:
    result = {
        "summary": lambda: reports.summary(analysis),
        "summary_by_zone": lambda: reports.summary(analysis, group_by="zone"),
        "stages": lambda: reports.stages(analysis),
        "stages_by_zone": lambda: reports.stages(analysis, group_by="zone"),
        "trend": lambda: reports.trend(analysis),
        "trend_by_zone": lambda: reports.trend(analysis, group_by="zone"),
        "projects": lambda: reports.projects(analysis),
        "timeline": lambda: reports.timeline(analysis),
    }[kind]()
    if kind in ("projects", "timeline"):
        result.extras["unit"] = analysis.options.unit_name
    return result


@pytest.mark.parametrize(
    "kind", ["summary", "summary_by_zone", "stages", "trend", "projects", "timeline"]
)
def test_chinese_tables_golden(events, kind):
    text = table_text(zh_result(analyze(events(3)), kind), 80, lang=ZH)
    check_fits(text, 80)
    assert_golden(f"tables/zh-CN_{kind}_80.txt", text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("groups", [0, 3, 12, 60])
@pytest.mark.parametrize("unit", ["calendar", "workdays"])
def test_chinese_tables_fit_every_width(events, width, groups, unit):
    """CJK labels take two cells a character: every line still fits (rich's cell
    measure), nothing is folded, whatever the number of groups or the unit."""
    window = Window(since=date(2030, 1, 1)) if groups == 0 else Window()
    analysis = analyze(events(groups), window=window, unit=unit)
    for kind in ("summary_by_zone", "stages_by_zone", "trend_by_zone", "projects", "timeline"):
        text = table_text(zh_result(analysis, kind), width, lang=ZH)
        check_fits(text, width)
        assert CJK.search(text), kind


@pytest.mark.parametrize("width", WIDTHS)
def test_chinese_columns_line_up(events, width):
    """Right-aligned columns end in the same terminal column on every line of a table
    whose headers are Chinese (measured in cells, not characters)."""
    analysis = analyze(events(3))
    text = table_text(reports.summary(analysis, group_by="zone"), width, lang=ZH)
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("数量"))
    # header, rule, numbers: the statistics table, all right-aligned
    stats = lines[rule : rule + 3]
    assert len({cell_len(line) for line in stats}) == 1, stats
    if width >= 80:  # the groups side by side
        start = next(i for i, line in enumerate(lines) if line.startswith("按zone（"))  # noqa: RUF001
        block = lines[start + 1 : start + 10]
        assert len({cell_len(line) for line in block}) == 1, block


def test_chinese_tables_show_the_english_numbers(events):
    """Only labels change: each labelled row has the same numbers in both languages."""
    from etown_approvals.i18n import translator

    _ = translator(ZH)
    analysis = analyze(events(3))
    result = reports.summary(analysis, group_by="zone")
    english = table_text(result, 120).splitlines()
    chinese = table_text(result, 120, lang=ZH).splitlines()
    number = re.compile(r"-?\d[\d,.]*%?")

    def numbers(lines: list[str], label: str) -> list[str]:
        # the last such line: the groups table comes after the overview ("Same day")
        line = [line for line in lines if line.startswith(label + " ")][-1]
        return number.findall(line[len(label) :])

    labels = ["projects", "complete", "open", "median days", "p90 days", "same day"]
    for label in labels:
        assert numbers(english, label) == numbers(chinese, _(label)), label
    assert numbers(english, "within 3 days") == numbers(chinese, "3 天内")
    # the statistics of durations: header, rule, one line of numbers
    en_stats = english[english.index(next(x for x in english if x.startswith("count"))) + 2]
    zh_stats = chinese[chinese.index(next(x for x in chinese if x.startswith("数量"))) + 2]
    assert en_stats.split() == zh_stats.split()
    days = analysis.projects.loc[analysis.projects["status"] == "complete", "days"]
    assert number.findall(zh_stats)[0] == str(len(days))


def test_chinese_terms_users_know(events):
    analysis = analyze(events(3))
    summary = table_text(reports.summary(analysis), 120, lang=ZH)
    assert "拿地 -> 施工许可，单位：自然日" in summary  # noqa: RUF001
    assert "中位数" in summary and "当天办结" in summary
    stages = table_text(reports.stages(analysis), 120, lang=ZH)
    for term in ("拿地 -> 立项", "立项 -> 规划许可", "规划许可 -> 施工许可"):
        assert term in stages
    projects = table_text(zh_result(analysis, "projects"), 120, lang=ZH)
    assert {"已办结", "在办", "当天办结", "状态", "标记"} <= set(re.findall(r"\w+", projects))
    assert "complete" not in projects and "same-day" not in projects
    workdays = analyze(events(3), unit="workdays")
    summary = table_text(reports.summary(workdays), 120, lang=ZH)
    assert "单位：工作日" in summary and "工作日（已办结项目）" in summary  # noqa: RUF001
    timeline = table_text(zh_result(workdays, "timeline"), 120, lang=ZH)
    assert "1 拿地" in timeline and "wd 工作日" in timeline


def test_chinese_finding_types_and_data_stay_as_they_are(events):
    analysis = analyze(events(3))
    projects = table_text(reports.projects(analysis), 200, lang=ZH)
    for name in ("Building [north wing]", "[/]", "北京亦庄新能源汽车项目", "tab\\there"):
        assert name in projects
    trend = table_text(reports.trend(analysis, group_by="zone"), 120, lang=ZH)
    assert "Zone [north]" in trend and "按拿地所在年，按zone：" in trend  # noqa: RUF001


def test_configured_stage_names_are_shown_as_written_in_chinese(write, tmp_path):
    """A configuration's stages are the user's words, even one spelled like a built-in."""
    from etown_approvals.config import load_config
    from etown_approvals.options import InputOptions

    config = tmp_path / "stages.toml"
    config.write_text(
        '[stages]\napplication = ["applied"]\nconstruction_permit = ["issued"]\n',
        encoding="utf-8",
    )
    stages = load_config(config)
    path = write(
        "project,event,date\nA,applied,2023-01-01\nA,issued,2023-01-31\n"
        "B,applied,2023-02-01\nB,issued,2023-02-01\nC,applied,2024-03-01\n"
    )
    analysis = analyze_file(
        path,
        inputs=InputOptions(stages=stages),
        options=metrics.MetricOptions(as_of=AS_OF),
    )
    for kind in ("summary", "stages", "trend", "projects", "timeline"):
        text = table_text(zh_result(analysis, kind), 120, lang=ZH)
        assert "施工许可" not in text, kind
        assert CJK.search(text), kind  # the labels are Chinese all the same
    summary = table_text(reports.summary(analysis), 120, lang=ZH)
    assert "application -> construction permit，单位：自然日" in summary  # noqa: RUF001
    stages_text = table_text(reports.stages(analysis), 120, lang=ZH)
    assert "application -> construction permit" in stages_text


def test_projects_table_shows_two_hundred_and_says_how_many_more(run, tmp_path):
    from etown_approvals.cli.commands import TABLE_PROJECTS

    assert TABLE_PROJECTS == 200  # as --help and the CHANGELOG say
    lines = ["project,event,date"] + [f"P{i},land,2023-01-01" for i in range(1200)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n")
    text = run("projects", path, "-q", "--as-of", "2023-02-01").stdout
    assert "P199 " in text and "P200 " not in text
    assert text.rstrip().endswith("and 1,000 more: use --format csv or json, or --limit N")
    assert "P999 " in run("projects", path, "-q", "--limit", "1000").stdout
    every = run("projects", path, "-q", "--format", "csv").stdout
    assert len(every.splitlines()) == 1201  # files list every project


def test_slowest_is_chosen_among_all_transitions(run, tmp_path):
    # Land to approval (outside the measured approval -> permit) is the slowest step.
    rows = ["project,event,date"]
    for i in range(3):
        rows += [
            f"P{i},land,2023-01-01",
            f"P{i},project approval,2023-05-01",
            f"P{i},construction permit,2023-05-0{2 + i}",
        ]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n")
    args = ("stages", path, "-q", "--from-stage", "project_approval")
    line = next(x for x in run(*args).stdout.splitlines() if "slowest" in x and "->" in x)
    assert line.startswith("land acquisition ->")
    markdown = run(*args, "-f", "markdown").stdout
    assert "| land acquisition → project approval |" in next(
        x for x in markdown.splitlines() if "**slowest**" in x
    )
