"""Where the table is: the header past titles and banners, a header over two rows, and
the notes after the last record (counted as rows.notes, never projects)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from etown_approvals import reader
from etown_approvals.errors import ExitCode, UsageError
from etown_approvals.loader import load
from etown_approvals.reader import read_table
from etown_approvals.shape import (
    HeaderHint,
    SampleRow,
    choose_header,
    id_like,
    looks_typed,
)
from etown_approvals.stages import ETOWN

from .conftest import SAMPLE


def rows(*lines: str) -> list[SampleRow]:
    return [SampleRow.of_texts(line.split(",")) for line in lines]


# -- the header among the first rows ------------------------------------------------


def test_a_plain_first_row_is_the_header():
    choice = choose_header(rows("project,event,date", "A,land,2023-01-02"))
    assert (choice.index, choice.count, choice.names) == (0, 1, ["project", "event", "date"])


def test_titles_and_banners_above_the_header_are_skipped():
    choice = choose_header(
        rows(
            ",,,Report Run Date: 01/23/2025",
            "Queue report for all: active,,,",
            ",Generating Facility,,MWs",
            "Project,Queue Position,Receive Date,Queue Date",
            "Solar,22,2003-11-18,2003-11-18",
        )
    )
    assert (choice.index, choice.count) == (3, 1)
    assert choice.names == ["Project", "Queue Position", "Receive Date", "Queue Date"]


def test_a_first_row_that_spans_the_table_is_the_header_even_if_it_looks_like_data():
    """Only rows narrower than the table are skipped: a typed first row is the header
    of a plain file (the loader then names its columns), as before."""
    choice = choose_header(rows("2019,2020,2021", "1,2,3", "id,a,b"))
    assert choice.index == 0


def test_a_header_over_two_rows_is_joined():
    choice = choose_header(
        rows(
            "Queue,,Date,SP,Location,",
            "Pos.,Owner,of IR,(MW),County,State",
            "0001,Con Edison,1989-09-15,100,Orange,NY",
        )
    )
    assert (choice.index, choice.count) == (0, 2)
    assert choice.names == [
        "Queue Pos.",
        "Owner",
        "Date of IR",
        "SP (MW)",
        "Location County",
        "State",
    ]


def test_a_second_text_row_is_data_when_the_header_has_no_blank_over_it():
    choice = choose_header(rows("id,name,filed", "A1,Harbor,pending", "A2,Pier,2023-01-01"))
    assert (choice.index, choice.count) == (0, 1)


def test_two_text_rows_are_not_joined_without_typed_values_after_them():
    choice = choose_header(rows("id,,filed", "A1,Harbor,pending", "A2,Pier,later"))
    assert choice.count == 1


def test_cells_merged_across_name_each_column_they_cover():
    sample = rows("Queue,Location,,Z", "Pos.,County,State,", "0001,Orange,NY,G")
    choice = choose_header(sample, merged=[(0, 1, 0, 2), (0, 3, 1, 3)])
    assert choice.names == ["Queue Pos.", "Location County", "Location State", "Z"]


def test_the_named_columns_find_the_header():
    hint = HeaderHint.of(ETOWN.with_metric(None, None), None)
    assert not hint.names_columns  # the built-in stages name no column: the heuristic finds it
    named = HeaderHint(columns=("Permit",))
    sample = rows("Permit report,,", "Permit,Filed,Issued", "P1,2023-01-01,2023-01-05")
    assert choose_header(sample, named).index == 1


def test_looks_typed_and_id_like():
    assert [looks_typed(t) for t in ("2023-09-15", "15/09/2023", "1,200.5", "Sep 15, 2023")] == [
        True
    ] * 4
    assert [looks_typed(t) for t in ("Type-1", "MW-2", "Date of IR", "Queue Pos.")] == [False] * 4
    values = pa.array(["0276", "C24-001", "1A", "NOTES:", "Number of new projects", "", None])
    assert id_like(values).tolist() == [True, True, True, False, False, False, False]


# -- text files -----------------------------------------------------------------------

TITLED = (
    "Building permits issued, 2023,,\n"
    "Source: City planning department,,,\n"
    ",,,\n"
    "Permit,Filed,Issued,Ward\n"
    "P-1,2023-01-02,2023-01-09,1\n"
    "P-2,2023-01-03,2023-01-03,2\n"
    "P-3,2023-01-04,,1\n"
)


@pytest.mark.parametrize("from_disk", [True, False])
def test_title_lines_above_a_csv_header_are_skipped(write, monkeypatch, from_disk):
    monkeypatch.setattr(reader, "PARSE_FROM_DISK", from_disk)
    raw = read_table(write(TITLED))
    assert raw.headers == ["Permit", "Filed", "Issued", "Ward"]
    assert raw.num_records == 3
    assert list(raw.line_numbers()) == [5, 6, 7]
    assert raw.header_row == 4
    assert any(
        "header on line 4; 2 lines above it skipped ('Building permits issued', "
        "'Source: City planning department')" in note
        for note in raw.notes
    )


def test_a_plain_csv_gets_no_note(write):
    raw = read_table(write("project,event,date\nA,land,2023-01-01\n"))
    assert raw.notes == [] and raw.header_row is None


def test_header_row_names_the_line(write, run):
    path = write(TITLED)
    raw = read_table(path, header=HeaderHint(row=4))
    assert raw.headers[0] == "Permit"
    # The line of a title made the header: the loader then says which columns it has.
    result = run("summary", path, "--header-row", "1", "--project", "Permit", expect=ExitCode.USAGE)
    assert "--project 'Permit' is not a column" in result.stderr
    assert "'Building permits issued'" in result.stderr
    with pytest.raises(UsageError, match="--header-row 40: the file has"):
        read_table(path, header=HeaderHint(row=40))


def test_header_row_in_the_config_and_on_the_command_line(write, run, tmp_path):
    path = write(TITLED)
    config = tmp_path / "permits.toml"
    config.write_text(
        '[source]\nheader_row = 4\n[columns]\nproject = "Permit"\n'
        '[stages]\nfiled = ["Filed"]\nissued = ["Issued"]\n'
    )
    document = json.loads(run("summary", path, "--config", config, "--json").stdout)
    # P-1 7 days, P-2 0 days, P-3 open
    assert (document["projects"]["complete"], document["days"]["median"]) == (2, 3.5)
    assert document["same_day"]["count"] == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[source]\nheader_row = 0\n")
    result = run("summary", path, "--config", bad, expect=ExitCode.BAD_CONFIG)
    assert "source.header_row counts lines from 1" in result.stderr


def test_a_two_row_csv_header_is_joined(write):
    raw = read_table(
        write(
            "Queue,,Date,Proposed\n"
            "Pos.,Owner,of IR,COD\n"
            "0001,Con Edison,1989-09-15,2026-01-01\n"
            "0002,PSEG,1998-04-27,\n"
        )
    )
    assert raw.headers == ["Queue Pos.", "Owner", "Date of IR", "Proposed COD"]
    assert list(raw.line_numbers()) == [3, 4]
    assert "header on lines 1-2 (joined: 'Queue Pos.', 'Owner'" in raw.notes[0]


# -- the rows after the table -------------------------------------------------------

QUEUE = (
    "Queue Pos.,Project,Date of IR,IA Tender Date\n"
    "0276,Homer Solar,2008-01-30,2021-02-08\n"
    "0396A,Wood Street,2012-12-14,\n"
    "1724,Alcoa East,2024-12-09,2025-01-15\n"
    ",,,\n"
    "Number of new projects during December,2,,\n"
    "Number of new projects year to date,440,,\n"
    ",,,\n"
    "NOTES:,● The column labeled 'SP' is the summer rating,,\n"
    "●  Type / Fuel Key: ST=Steam Turbine,,,\n"
)


def _queue_summary(run, path: Path) -> tuple[dict, str]:
    result = run(
        "summary",
        path,
        "--project",
        "Queue Pos.",
        "--stage",
        "ir=Date of IR",
        "--stage",
        "tender=IA Tender Date",
        "--json",
    )
    return json.loads(result.stdout), result.stderr


def test_counts_and_notes_below_a_queue_are_not_data(write, run):
    document, stderr = _queue_summary(run, write(QUEUE))
    assert document["rows"] == {
        "read": 3,
        "used": 3,
        "rejected": 0,
        "filtered": 0,
        "ignored": 0,
        "after_as_of": 0,
        "blank": 2,
        "notes": 4,
    }
    assert document["projects"] == {**document["projects"], "total": 3, "complete": 2, "open": 1}
    assert "4 rows after the table (lines 6-7, 9-10) are notes, not data" in stderr
    assert "'Number of new projects during December'" in stderr


def test_notes_are_listed_by_validate_as_warnings(write, run):
    result = run(
        "validate",
        write(QUEUE),
        "--project",
        "Queue Pos.",
        "--stage",
        "ir=Date of IR",
        "--stage",
        "tender=IA Tender Date",
        "--json",
    )
    warnings = json.loads(result.stdout)["warnings"]
    notes = [(w["row"], w["value"]) for w in warnings if w["type"] == "notes-row"]
    assert notes == [
        (6, "Number of new projects during December"),
        (7, "Number of new projects year to date"),
        (9, "NOTES:"),
        (10, "●  Type / Fuel Key: ST=Steam Turbine"),
    ]


def test_without_a_blank_row_notes_follow_rows_that_all_have_ids(write, run):
    document, _ = _queue_summary(run, write(QUEUE.replace(",,,\n", "")))
    assert (document["rows"]["notes"], document["rows"]["read"]) == (4, 3)


def test_unpadded_note_lines_after_the_table_are_notes_not_malformed_rows(write, run):
    text = QUEUE.split(",,,\n")[0] + "\nSource: NYISO\nPrepared 2025-01-06 for the board\n"
    document, stderr = _queue_summary(run, write(text))
    assert document["rows"]["notes"] == 2
    assert document["rows"]["rejected"] == 0
    assert "2 rows after the table (lines 6-7)" in stderr


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ("\nA,Harbor,2023-03-01\n", "a project named above is data"),
        ("\nZ,2023-03-01,\n", "a row with a date is data"),
        ("\nZ,Harbor,pending\n", "three filled cells after a blank row"),
        ("Z,Harbor,\n", "names, not ids, above and no blank row"),
    ],
)
def test_last_rows_that_are_data(write, tail, why):
    """Rows that hold data (or may) stay rows: rejected when defective, never notes."""
    text = "project,filed,issued\nA,2023-01-01,2023-01-05\nB,2023-01-02,\n" + tail
    loaded = load(write(text), stages=_filed_issued())
    assert loaded.rows_notes == 0, why


def test_notes_never_become_projects(write):
    text = "project,filed,issued\nA,2023-01-01,2023-01-05\n\nTotal,\n"
    loaded = load(write(text), stages=_filed_issued())
    assert loaded.rows_notes == 1
    assert list(loaded.attributes.index) == ["A"]


def _filed_issued():
    from etown_approvals.config import with_columns

    return with_columns(None, stages=[("filed", "filed"), ("issued", "issued")]).stages


def test_the_sample_has_no_notes():
    assert load(SAMPLE).rows_notes == 0


# -- workbooks ------------------------------------------------------------------------


def _queue_workbook(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Grid"
    sheet.append([None, None, None, "Report Run Date: 01/23/2025"])
    sheet.append(["The controlled grid generation queue: active"])
    sheet.append([None, "Generating Facility", None, "MWs"])
    sheet.append(["Queue Position", "Receive Date", "Queue Date", "MW-1"])
    sheet.append([22, date(2003, 11, 18), date(2003, 11, 18), 38.0])
    sheet.append(["1A", date(2005, 1, 12), date(2005, 1, 20), 119.9])
    sheet.append([32, date(2004, 5, 12), date(2004, 5, 24), 193.8])
    sheet.append([])
    sheet.append([None, "Legend:", "● Study Process Key: Active=in study"])
    sheet.append(["The contents of these pages are subject to change without notice."])
    sheet.merge_cells("B3:C3")
    workbook.save(path)
    return path


def test_a_queue_workbook_with_titles_banners_and_notes(tmp_path, run):
    path = _queue_workbook(tmp_path / "queue.xlsx")
    raw = read_table(path)
    assert raw.headers == ["Queue Position", "Receive Date", "Queue Date", "MW-1"]
    assert raw.header_row == 4
    assert list(raw.line_numbers()) == [5, 6, 7, 8, 9, 10]
    result = run(
        "summary",
        path,
        "--project",
        "Queue Position",
        "--stage",
        "received=Receive Date",
        "--stage",
        "queued=Queue Date",
        "--json",
    )
    document = json.loads(result.stdout)
    days = pd.Series([0, 8, 12])
    assert document["days"]["median"] == days.median()
    assert document["same_day"]["count"] == int((days == 0).sum())
    assert (document["rows"]["notes"], document["rows"]["blank"]) == (2, 1)
    assert "header on row 4; 3 rows above it skipped" in result.stderr
    assert "2 rows after the table (lines 9-10)" in result.stderr


def test_header_row_outside_the_sheet_is_a_usage_error(tmp_path, run):
    path = _queue_workbook(tmp_path / "queue.xlsx")
    result = run("summary", path, "--header-row", "99", expect=ExitCode.USAGE)
    assert "--header-row 99: row 99 of the sheet is empty" in result.stderr


# -- any table, any titles above it ---------------------------------------------------

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=12).filter(
    lambda w: w.strip() and w == w.strip()
)


@st.composite
def titled_tables(draw: st.DrawFn) -> tuple[str, list[str], int, int]:
    """A table of 3-8 named columns (ids and dates below), with 0-4 title lines of one
    cell (and blank lines) above it."""
    names = draw(st.lists(WORDS, min_size=3, max_size=8, unique_by=lambda w: w.casefold()))
    width = len(names)
    titles = draw(st.lists(st.one_of(WORDS, st.just("")), max_size=4))
    records = draw(st.integers(1, 6))
    lines = [title + "," * draw(st.sampled_from([0, width - 1])) for title in titles]
    lines.append(",".join(names))
    for i in range(records):
        lines.append(",".join([f"P-{i}", *(f"2023-01-{1 + j:02d}" for j in range(width - 1))]))
    return "\n".join(lines) + "\n", names, len(titles) + 1, records


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titled_tables())
def test_titles_above_any_table_are_skipped_and_every_record_kept(tmp_path_factory, table):
    text, names, header_line, records = table
    path = tmp_path_factory.mktemp("titled") / "table.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_table(path)
    assert raw.headers == names
    assert raw.num_records == records
    assert list(raw.line_numbers()) == list(range(header_line + 1, header_line + 1 + records))
