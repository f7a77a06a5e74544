"""Workbooks as offices save them: stale dimensions, sheets named like numbers, chart
sheets first, title rows, cells beyond the header; row numbers are the sheet's own."""

from __future__ import annotations

import json
import re
import shlex
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from etown_approvals import results as reports
from etown_approvals.analysis import analyze
from etown_approvals.errors import ExitCode, UsageError
from etown_approvals.loader import load_raw
from etown_approvals.metrics import MetricOptions
from etown_approvals.options import InputOptions
from etown_approvals.reader import read_table

HEADER = ["project", "event", "date", "zone"]


def _events(n: int) -> list[list[object]]:
    """n projects, each acquiring land on 1 March and getting its permit i days later."""
    rows: list[list[object]] = []
    for i in range(n):
        rows.append([f"P{i}", "land", date(2023, 3, 1), f"Z{i % 3}"])
        rows.append([f"P{i}", "construction permit", date(2023, 3, 1 + i), f"Z{i % 3}"])
    return rows


def _save(path: Path, *sheets: tuple[str, list[list[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def _summary(path: Path, sheet: str | None = None) -> dict:
    analysis = analyze(path, InputOptions(sheet=sheet), MetricOptions(as_of=date(2025, 1, 1)))
    return reports.summary(analysis).document


def test_a_stale_dimension_does_not_cut_the_sheet(tmp_path):
    """The <dimension> tag says A1:C5; the sheet holds A1:D21. Everything is read."""
    rows = _events(10)
    fresh = _save(tmp_path / "fresh.xlsx", ("data", [HEADER, *rows]))
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(fresh) as source, zipfile.ZipFile(stale, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C5"', content)
                assert n == 1
            target.writestr(item, content)
    # the fixture is what it claims: openpyxl's read-only mode reads it short
    short = list(load_workbook(stale, read_only=True)["data"].iter_rows(values_only=True))
    assert (len(short), len(short[0])) == (5, 3)

    raw = read_table(stale)
    assert raw.headers == HEADER
    assert raw.num_records == len(rows) == 20
    assert raw.table.column(3).to_pylist() == [r[3] for r in rows]
    document = _summary(stale)
    assert document["rows"]["read"] == 20
    assert document["days"]["max"] == 9  # P9: 1 to 10 March
    assert document["days"]["median"] == 4.5  # 0..9


def test_sheets_named_like_numbers(tmp_path, run):
    """A sheet whose name matches wins; else a number is a position, from 0."""
    path = _save(
        tmp_path / "years.xlsx",
        ("2023", [HEADER, *_events(2)]),  # position 0
        ("0", [HEADER, *_events(3)]),  # position 1, named "0"
        ("2022", [HEADER, *_events(4)]),  # position 2
    )
    projects = {
        sheet: json.loads(run("summary", path, "--json", "--sheet", sheet).stdout)["projects"][
            "total"
        ]
        for sheet in ("2023", "0", "2022", "1", "2")
    }
    assert projects == {"2023": 2, "0": 3, "2022": 4, "1": 3, "2": 4}
    assert json.loads(run("summary", path, "--json").stdout)["projects"]["total"] == 2
    assert read_table(path, sheet=0).source == f"{path}[0]"  # an int follows the same rule
    assert read_table(path, sheet="2").source == f"{path}[2022]"


@pytest.mark.parametrize("sheet", ["99", "3", "data"])
def test_a_sheet_that_is_not_there_is_a_usage_error(tmp_path, run, sheet):
    path = _save(tmp_path / "book.xlsx", ("a", [HEADER]), ("b", [HEADER]), ("c", [HEADER]))
    for command in ("summary", "validate"):
        result = run(command, path, "--sheet", sheet, expect=ExitCode.USAGE)
        assert result.exit_code == ExitCode.USAGE
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1
        assert "(sheets" in result.stderr and "a, b, c)" in result.stderr
    with pytest.raises(UsageError, match=f"no sheet named (or numbered )?'{sheet}'"):
        read_table(path, sheet=sheet)


def _chart_first(path: Path) -> Path:
    from openpyxl.chart import BarChart, Reference

    workbook = Workbook()
    data = workbook.active
    data.title = "data"
    for row in [HEADER, *_events(3)]:
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=4))
    workbook.create_chartsheet("Chart1", 0).add_chart(chart)
    hidden = workbook.create_sheet("lookup", 1)
    hidden.append(["code", "name"])
    hidden.sheet_state = "hidden"
    workbook.save(path)
    return path


def test_a_chart_sheet_first_is_passed_over(tmp_path, run):
    path = _chart_first(tmp_path / "report.xlsx")
    assert load_workbook(path).sheetnames == ["Chart1", "lookup", "data"]
    result = run("summary", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["projects"]["total"] == 3
    assert (
        "read sheet 'data', the first visible worksheet, passing over chart sheet 'Chart1', "
        "hidden sheet 'lookup' (choose with --sheet)"
    ) in result.stderr
    chart = run("summary", path, "--sheet", "Chart1", expect=ExitCode.USAGE)
    assert chart.exit_code == ExitCode.USAGE
    assert "sheet 'Chart1' is a chart sheet, not a table (worksheets: lookup, data)" in chart.stderr
    assert (
        run("summary", path, "--sheet", "lookup", expect=ExitCode.BAD_DATA).exit_code
        == ExitCode.BAD_DATA
    )


def test_a_title_row_above_the_header_is_skipped_with_a_note(tmp_path, run):
    """Row 1 a title, row 2 blank, header on row 3: rows keep their sheet numbers."""
    rows = _events(3)
    rows[3][2] = "2023-02-30"  # sheet row 7
    path = _save(
        tmp_path / "report.xlsx",
        ("data", [["2023 approvals, Core Area"], [], HEADER, *rows]),
    )
    raw = read_table(path)
    assert raw.headers == HEADER
    assert list(raw.line_numbers()) == list(range(4, 10))
    result = run("validate", path, "--json", expect=ExitCode.CHECK_FAILED)
    assert result.exit_code == ExitCode.CHECK_FAILED
    findings = json.loads(result.stdout)["errors"]
    assert [(f["row"], f["type"]) for f in findings] == [(7, "invalid-date")]
    summary = run("summary", path, "--json")
    assert summary.exit_code == 0
    assert "header on row 3; row 1 above it skipped ('2023 approvals, Core Area')" in summary.stderr


def test_a_header_in_a_later_column_and_row(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for i, row in enumerate([HEADER, *_events(2)]):
        for j, value in enumerate(row):
            sheet.cell(row=5 + i, column=3 + j, value=value)
    sheet.cell(row=6, column=4).value = None  # the event of sheet row 6, column D
    path = tmp_path / "offset.xlsx"
    workbook.save(path)
    raw = read_table(path)
    assert raw.headers == HEADER
    assert list(raw.line_numbers()) == [6, 7, 8, 9]
    analysis = analyze(path)
    rejected = analysis.loaded.rejected
    assert list(rejected["row"]) == [6]


def test_cells_beyond_the_header_are_a_malformed_row(tmp_path, run):
    rows = _events(3)
    rows.insert(2, ["P9", "land", date(2023, 3, 1), "Z0", None, "stray note"])  # row 4, F
    path = _save(tmp_path / "book.xlsx", ("data", [HEADER, *rows]))
    raw = read_table(path)
    assert raw.num_records == 6
    assert [(m.line, m.expected, m.actual) for m in raw.malformed] == [(4, 4, 6)]
    assert list(raw.line_numbers()) == [2, 3, 5, 6, 7, 8]
    result = run("validate", path, "--json", expect=1)
    doc = json.loads(result.stdout)
    assert [(f["row"], f["type"]) for f in doc["errors"]] == [(4, "malformed-row")]
    assert doc["errors"][0]["value"] == "P9,land,2023-03-01,Z0,,stray note"
    cells = load_raw(read_table(path)).rejected_rows().drop(columns=["line", "type", "message"])
    assert cells.to_dict("records") == [  # the cells beyond the header too
        {"project": "P9", "event": "land", "date": "2023-03-01", "zone": "Z0",
         "column 5": "", "column 6": "stray note"}
    ]  # fmt: skip
    summary = json.loads(run("summary", path, "--json").stdout)
    assert summary["rows"] == {
        "read": 7,
        "used": 6,
        "rejected": 1,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 0,
        "blank": 0,
        "notes": 0,
    }


def test_cells_become_the_text_a_csv_would_hold(tmp_path):
    rows = [
        ["project", "event", "date", "permit", "share", "flag"],
        ["A", "land", datetime(2023, 3, 1), 20230001.0, 0.25, True],
        ["A", "construction permit", datetime(2023, 3, 2, 9, 30), 7, -1.5, False],
    ]
    raw = read_table(_save(tmp_path / "types.xlsx", ("data", rows)))
    assert [raw.table.column(i).to_pylist() for i in range(2, 6)] == [
        ["2023-03-01", "2023-03-02 09:30:00"],
        ["20230001", "7"],
        ["0.25", "-1.5"],
        ["TRUE", "FALSE"],
    ]


def test_hints_name_the_file_and_the_sheet(tmp_path):
    """FILE[sheet] names a sheet in messages; commands to run need the path and --sheet."""
    path = _save(tmp_path / "my events.xlsx", ("notes", [["x"]]), ("2023 data", [HEADER]))
    raw = read_table(path, sheet="2023 data")
    assert raw.source == f"{path}[2023 data]"
    assert raw.arguments == [str(path), "--sheet", "2023 data"]
    assert shlex.split(raw.command_arguments()) == [str(path), "--sheet", "2023 data"]
    csv = tmp_path / "plain.csv"
    csv.write_text("project,event,date\nA,land,2023-01-01\n", encoding="utf-8")
    assert read_table(csv).command_arguments() == shlex.quote(str(csv))


def test_an_empty_sheet(tmp_path, run):
    path = _save(tmp_path / "book.xlsx", ("data", [HEADER, *_events(1)]), ("empty", []))
    result = run("summary", path, "--sheet", "empty", expect=ExitCode.UNREADABLE)
    assert result.exit_code == ExitCode.UNREADABLE
    assert "book.xlsx[empty]: the sheet is empty" in result.stderr


def _with_cell_texts(path: Path, texts: dict[str, str]) -> Path:
    """The workbook with the stored text of some number cells replaced (as a database
    export writes every digit of a permit number, which Excel's own writer does not)."""
    out = path.with_name("exact_" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                for ref, value in texts.items():
                    text = re.sub(
                        rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{value}</v>", text
                    )
                data = text.encode("utf-8")
            target.writestr(item, data)
    return out


def test_permit_numbers_beyond_float_precision_stay_exact(tmp_path, run):
    """Integers above 2**53 are not exact as floats: 10000000000000001 and
    10000000000000000 are one float, and were one permit, written 1e+16."""
    rows = [
        ["permit", "land_acquisition", "construction_permit"],
        [1, "2023-01-01", "2023-02-01"],
        [2, "2023-01-01", "2023-03-01"],
        [123456789012, "2023-01-01", "2023-01-05"],
    ]
    path = _save(tmp_path / "permits.xlsx", ("data", rows))
    exact = _with_cell_texts(path, {"A2": "10000000000000001", "A3": "10000000000000000"})
    config = tmp_path / "etown.toml"
    config.write_text('[columns]\nproject = "permit"\n', encoding="utf-8")
    records = json.loads(run("projects", exact, "--config", config, "--json").stdout)["projects"]
    assert [(r["project"], r["days"]) for r in records] == [
        ("10000000000000001", 31),
        ("10000000000000000", 59),
        ("123456789012", 4),
    ]


def test_a_number_stored_in_exponent_form_is_written_out(tmp_path):
    """A writer that stores 1e+16 stores that number: its text is every digit of it."""
    rows = [["permit", "land_acquisition"], [1, "2023-01-01"], [2, "2023-01-01"]]
    path = _save(tmp_path / "permits.xlsx", ("data", rows))
    stored = _with_cell_texts(path, {"A2": "1e+16", "A3": "1.2345678901234567e+19"})
    raw = read_table(stored)
    assert raw.table.column(0).to_pylist() == ["10000000000000000", "12345678901234567168"]
