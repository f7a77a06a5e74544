from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from etown_approvals.errors import (
    AmbiguousDateError,
    EncodingError,
    MissingColumnError,
    NoUsableRowsError,
    UnreadableInputError,
)
from etown_approvals.loader import LoadResult, load

from .conftest import SAMPLE


def load_text(tmp_path: Path, text: str | bytes, encoding: str = "utf-8", **options) -> LoadResult:
    path = tmp_path / "input.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return load(path, **options)


def stage_dates(result: LoadResult) -> dict[tuple[str, str], str]:
    events = result.events
    return {
        (str(p), str(s)): d.date().isoformat()
        for p, s, d in zip(events["project"], events["stage"], events["date"], strict=False)
    }


LONG = "project,event,date\nA,land acquisition,2023-09-15\nA,construction permit,2023-09-18\n"


def test_long_format_english(tmp_path):
    result = load_text(tmp_path, LONG)
    assert result.layout == "long"
    assert stage_dates(result) == {
        ("A", "land_acquisition"): "2023-09-15",
        ("A", "construction_permit"): "2023-09-18",
    }
    assert (result.rows_read, result.rows_used, result.rows_rejected) == (2, 2, 0)
    assert list(result.events["row"]) == [2, 3]


@pytest.mark.parametrize(
    ("project", "event", "date"),
    [
        ("Project", "Event", "Date"),
        (" project_name ", "STAGE", "event_date"),
        ("Project Name", "milestone", "event date"),
        ("项目", "事项", "日期"),
        ("项目名称", "审批事项", "办结日期"),
        ("项目名称", "环节", "办理日期"),
    ],
)
def test_long_format_column_names(tmp_path, project, event, date):
    text = f"{project},{event},{date}\nA,拿地,2023-09-15\n"
    result = load_text(tmp_path, text)
    assert stage_dates(result) == {("A", "land_acquisition"): "2023-09-15"}


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("Land Acquisition", "land_acquisition"),
        ("  land  ", "land_acquisition"),
        ("摘牌", "land_acquisition"),
        ("土地出让", "land_acquisition"),
        ("国有建设用地使用权出让合同", "land_acquisition"),
        ("土地成交确认书", "land_acquisition"),
        ("不动产权证书", "land_acquisition"),
        ("Project Filing", "project_approval"),
        ("立项", "project_approval"),
        ("核准", "project_approval"),
        ("备案", "project_approval"),
        ("项目审批", "project_approval"),
        ("PLANNING_PERMIT", "planning_permit"),
        ("建设用地规划许可证", "planning_permit"),
        ("建设工程规划许可证", "planning_permit"),
        ("Construction Readiness Letter", "construction_permit"),
        ("施工许可", "construction_permit"),
        ("建筑工程施工许可证", "construction_permit"),
    ],
)
def test_stage_aliases(tmp_path, name, stage):
    result = load_text(tmp_path, f"project,event,date\nA,{name},2023-09-15\n")
    assert stage_dates(result) == {("A", stage): "2023-09-15"}


@pytest.mark.parametrize(
    "text",
    [
        "2023-09-15",
        "2023/9/15",
        "2023.09.15",
        "20230915",
        "2023年9月15日",
        "15 Sep 2023",
        '"Sep 15, 2023"',
        "2023-09-15 23:59:59",
        "2023-09-15T08:30:00+08:00",
        "09/15/2023 07:49:14 AM",
        "15/09/2023",
    ],
)
def test_date_forms(tmp_path, text):
    result = load_text(tmp_path, f"project,event,date\nA,land,{text}\n")
    assert stage_dates(result) == {("A", "land_acquisition"): "2023-09-15"}


def test_impossible_date_is_rejected_with_line_number(tmp_path):
    result = load_text(tmp_path, LONG + "B,land,2023-02-30\n")
    assert result.rows_rejected == 1
    finding = result.findings.iloc[0]
    assert (
        finding["type"],
        finding["row"],
        finding["field"],
        finding["value"],
        finding["project"],
    ) == (
        "invalid-date",
        4,
        "date",
        "2023-02-30",
        "B",
    )
    assert "B" not in set(result.events["project"])


def test_day_first_is_decided_from_the_column(tmp_path):
    text = "project,event,date\nA,land,01/02/2023\nA,construction permit,15/03/2023\n"
    result = load_text(tmp_path, text)
    assert result.dayfirst is True
    assert stage_dates(result)[("A", "land_acquisition")] == "2023-02-01"


def test_month_first_is_decided_from_the_column(tmp_path):
    text = "project,event,date\nA,land,01/02/2023\nA,construction permit,03/15/2023\n"
    result = load_text(tmp_path, text)
    assert result.dayfirst is False
    assert stage_dates(result)[("A", "land_acquisition")] == "2023-01-02"


def test_unsettled_day_month_order_is_refused_with_an_example_row(tmp_path):
    text = "project,event,date\nA,land,2023-01-01\nA,construction permit,01/02/2023\n"
    with pytest.raises(AmbiguousDateError) as caught:
        load_text(tmp_path, text)
    assert caught.value.row == 3
    assert "01/02/2023" in str(caught.value)
    assert "--dayfirst" in str(caught.value)


def test_mixed_day_month_order_is_refused(tmp_path):
    text = "project,event,date\nA,land,13/01/2023\nA,construction permit,01/13/2023\n"
    with pytest.raises(AmbiguousDateError, match="mix"):
        load_text(tmp_path, text)


@pytest.mark.parametrize(("dayfirst", "expected"), [(True, "2023-02-01"), (False, "2023-01-02")])
def test_day_month_order_can_be_given(tmp_path, dayfirst, expected):
    text = "project,event,date\nA,land,01/02/2023\n"
    result = load_text(tmp_path, text, dayfirst=dayfirst)
    assert stage_dates(result)[("A", "land_acquisition")] == expected


def test_same_day_and_month_is_not_ambiguous(tmp_path):
    result = load_text(tmp_path, "project,event,date\nA,land,05/05/2023\n")
    assert stage_dates(result)[("A", "land_acquisition")] == "2023-05-05"


@pytest.mark.parametrize(("text", "delimiter"), [("a;b", None), ("a\tb", None), ("a|b", "|")])
def test_delimiters(tmp_path, text, delimiter):
    sep = text[1]
    content = LONG.replace(",", sep)
    result = load_text(tmp_path, content, delimiter=delimiter)
    assert result.rows_used == 2


def test_bom_and_crlf(tmp_path):
    result = load_text(tmp_path, b"\xef\xbb\xbf" + LONG.replace("\n", "\r\n").encode())
    assert result.rows_used == 2
    assert list(result.events["row"]) == [2, 3]


def test_gb18030_with_encoding_option(tmp_path):
    text = "项目,事项,日期\n京东方,拿地,2023-09-15\n京东方,施工许可证,2023-09-15\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    result = load(path, encoding="gb18030")
    assert stage_dates(result)[("京东方", "construction_permit")] == "2023-09-15"


def test_gb18030_is_recognised_and_noted(tmp_path):
    text = "项目,事项,日期\n京东方显示,拿地,2023-09-15\n京东方显示,施工许可证,2023-09-15\n"
    result = load_text(tmp_path, text, encoding="gb18030")
    assert stage_dates(result)[("京东方显示", "land_acquisition")] == "2023-09-15"
    assert any("GB18030" in note for note in result.notes)


def test_undecodable_bytes_suggest_an_encoding(tmp_path):
    with pytest.raises(EncodingError, match=r"line 2\); its encoding may be .*--encoding"):
        load_text(tmp_path, b"project,event,date\nA\xff\xfe,land,2023-09-15\n")


def test_undecodable_with_explicit_utf8(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"project,event,date\nA\xff,land,2023-09-15\n")
    with pytest.raises(EncodingError, match="line 2"):
        load(path, encoding="utf-8")


def test_stdin():
    result = load("-", stdin=io.BytesIO(LONG.encode()))
    assert result.source == "<stdin>"
    assert result.rows_used == 2


def test_wide_format(tmp_path):
    text = (
        "Project,Land Acquisition Date,project_approval,Planning Permit,construction_permit_date,zone\n"
        "A,2023-09-15,2023-09-15,,2023-09-18,Core\n"
        "B,2023-01-01,,,,Taihu\n"
        "A,2023-09-14,,2023-09-16,,\n"
    )
    result = load_text(tmp_path, text)
    assert result.layout == "wide"
    dates = stage_dates(result)
    assert dates[("A", "land_acquisition")] == "2023-09-14"  # earliest of two rows
    assert dates[("A", "planning_permit")] == "2023-09-16"
    assert dates[("B", "land_acquisition")] == "2023-01-01"
    assert result.attributes.loc["A", "zone"] == "Core"
    assert result.rows_used == 3


def test_wide_row_with_bad_date_is_rejected(tmp_path):
    text = "project,land_acquisition,construction_permit\nA,2023-09-15,2023-02-30\nB,2023-09-15,2023-09-15\n"
    result = load_text(tmp_path, text)
    assert result.rows_rejected == 1
    assert list(result.rejected["field"]) == ["construction_permit"]
    assert list(result.events["project"].unique()) == ["B"]


def test_attributes_are_carried_through(tmp_path):
    text = "project,event,date,zone,sector\nA,land,2023-09-15,Core,\nA,construction permit,2023-09-18,,display\n"
    result = load_text(tmp_path, text)
    assert result.attributes.loc["A"].to_dict() == {"zone": "Core", "sector": "display"}


def test_duplicate_stage_keeps_both_rows_as_events(tmp_path):
    text = LONG + "A,land,2023-09-10\n"
    result = load_text(tmp_path, text)
    assert result.rows_used == 3
    assert len(result.events) == 3


def test_unknown_and_missing_values(tmp_path):
    text = "project,event,date\nA,land,2023-09-15\nA,environmental review,2023-09-16\n,land,2023-09-15\nB,,2023-09-15\nC,land,\n"
    result = load_text(tmp_path, text)
    found = [(r["row"], r["type"], r["field"]) for _, r in result.findings.iterrows()]
    assert found == [
        (3, "unknown-event", "event"),
        (4, "missing-value", "project"),
        (5, "missing-value", "event"),
        (6, "missing-value", "date"),
    ]
    assert (result.rows_read, result.rows_used, result.rows_rejected) == (5, 1, 4)


def test_blank_rows_are_skipped_and_reported(tmp_path):
    result = load_text(
        tmp_path, "project,event,date\nA,land,2023-09-15\n\n,,\nA,construction permit,2023-09-16\n"
    )
    assert result.rows_blank == 2
    assert result.rows_read == 2
    # Consecutive blank rows are one finding, at the first.
    assert result.findings[["type", "row", "message"]].values.tolist() == [
        ["blank-row", 3, "2 blank rows skipped (lines 3-4)"]
    ]
    assert list(result.events["row"]) == [2, 5]


def test_line_numbers_follow_quoted_newlines_and_malformed_rows(tmp_path):
    text = 'project,event,date\n"A\nsecond line",land,2023-09-15\nB,land\nC,land,2023-02-30\n'
    result = load_text(tmp_path, text)
    rows = {(r["type"], r["row"]) for _, r in result.findings.iterrows()}
    assert rows == {("malformed-row", 4), ("invalid-date", 5)}
    assert result.rows_read == 3


def test_missing_columns(tmp_path):
    with pytest.raises(MissingColumnError, match="no project column"):
        load_text(tmp_path, "name,event,date\nA,land,2023-09-15\n")
    with pytest.raises(MissingColumnError, match="no event and date columns"):
        load_text(tmp_path, "project,when\nA,2023-09-15\n")


def test_no_usable_rows(tmp_path):
    result = load_text(tmp_path, "project,event,date\nA,x,2023-09-15\nB,y,2023-09-15\n")
    assert (result.rows_read, result.rows_used) == (2, 0)
    with pytest.raises(NoUsableRowsError, match="2 unknown-event"):
        result.require_rows()


def test_header_only(tmp_path):
    result = load_text(tmp_path, "project,event,date\n")
    with pytest.raises(NoUsableRowsError, match="no data rows"):
        result.require_rows()


def test_rejected_rows_as_in_the_file(tmp_path):
    text = "project,event,date\nA,land,2023-09-15\nB,land,2023-02-30\nC,land\n,x,2023-01-01\n"
    table = load_text(tmp_path, text).rejected_rows()
    assert table.to_dict("records") == [
        {
            "line": 3,
            "type": "invalid-date",
            "message": "not a valid date",
            "project": "B",
            "event": "land",
            "date": "2023-02-30",
        },
        {
            "line": 4,
            "type": "malformed-row",
            "message": "expected 3 fields, found 2",
            "project": "C",
            "event": "land",
            "date": None,
        },
        {
            "line": 5,
            "type": "missing-value;unknown-event",
            "message": "no project name in column 'project'; unknown event (known stages: land_acquisition, project_approval, planning_permit, construction_permit)",
            "project": None,
            "event": "x",
            "date": "2023-01-01",
        },
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b'{"project": "A"}', "JSON"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x08\x06\x00\x00\x00\x1f\x15\xc4",
            "binary",
        ),
    ],
)
def test_unreadable(tmp_path, content, message):
    with pytest.raises(UnreadableInputError, match=message):
        load_text(tmp_path, content)


def test_bundled_sample_accounts_for_every_row():
    result = load(SAMPLE)
    data_lines = len(SAMPLE.read_text(encoding="utf-8").splitlines()) - 1
    assert result.rows_read + result.rows_blank == data_lines
    assert result.rows_used + result.rows_rejected == result.rows_read
    assert set(result.rejected["type"]) == {"invalid-date", "unknown-event", "missing-value"}


def test_utf8_check_across_piece_boundaries(monkeypatch, tmp_path):
    """A multi-byte character split between two pieces of a large file is still valid."""
    from etown_approvals.reader import FileBytes

    monkeypatch.setattr(FileBytes, "_CHUNK", 7)
    text = "project,event,date\n京东方显示,拿地,2023-09-15\n"
    result = load_text(tmp_path, text)
    assert stage_dates(result) == {("京东方显示", "land_acquisition"): "2023-09-15"}
    assert result.notes == []
    path = tmp_path / "cut.csv"
    path.write_bytes(b"project,event,date\nA\xe4\xba,land,2023-09-15\n")  # a character cut short
    with pytest.raises(EncodingError, match="line 2"):
        load(path, encoding="utf-8")


def test_encoding_problems_deep_in_a_large_file(tmp_path):
    """Bytes past the first 64 KB are checked too (by the CSV parser), with the same outcome."""
    body = "".join(f"P{i},land,2023-09-15\n" for i in range(5000))  # about 100 KB
    chinese = "京东方显示,拿地,2023-09-16\n".encode("gb18030")
    path = tmp_path / "deep.csv"
    path.write_bytes(b"project,event,date\n" + body.encode() + chinese)
    result = load(path)
    assert any("GB18030" in note for note in result.notes)
    assert stage_dates(result)[("京东方显示", "land_acquisition")] == "2023-09-16"
    path.write_bytes(b"project,event,date\n" + body.encode() + b"Q\xff\xfe,land,2023-09-16\n")
    with pytest.raises(EncodingError, match="line 5002"):
        load(path)


# Rows that do not count never decide day/month order: A's dates read differently
# either way (2 days day-first, 59 days month-first); B's 15/03/2023 would prove
# day-first, but B's row is filtered out or an ignored event.
ORDER_DECIDED_ELSEWHERE = (
    "project,event,date,kind\n"
    "A,land acquisition,01/02/2023,permit\n"
    "A,construction permit,03/02/2023,permit\n"
    "B,{event},15/03/2023,{kind}\n"
)


@pytest.mark.parametrize(
    ("event", "kind", "options"),
    [
        ("land acquisition", "appeal", {"where": ["kind=permit"]}),
        ("inspection", "permit", {"ignore_events": ["inspection"]}),
    ],
    ids=["filtered", "ignored"],
)
def test_rows_that_do_not_count_never_decide_day_month_order(tmp_path, event, kind, options):
    text = ORDER_DECIDED_ELSEWHERE.format(event=event, kind=kind)
    with pytest.raises(AmbiguousDateError) as caught:
        load_text(tmp_path, text, **options)
    assert caught.value.row == 2
    for dayfirst, days in ((True, 2), (False, 59)):
        result = load_text(tmp_path, text, dayfirst=dayfirst, **options)
        dates = stage_dates(result)
        start = dates[("A", "land_acquisition")]
        end = dates[("A", "construction_permit")]
        assert (date.fromisoformat(end) - date.fromisoformat(start)).days == days


def test_a_wide_files_filtered_rows_never_decide_day_month_order(tmp_path):
    text = (
        "project,kind,land_acquisition,construction_permit\n"
        "A,permit,01/02/2023,03/02/2023\n"
        "B,appeal,15/03/2023,16/03/2023\n"
    )
    with pytest.raises(AmbiguousDateError):
        load_text(tmp_path, text, where=["kind=permit"])
    assert load_text(tmp_path, text).dayfirst is True  # B counts when it is used


def test_rejected_rows_keep_every_cell_of_a_malformed_row(tmp_path):
    text = (
        "project,event,date\n"
        "A,land,2023-09-15\n"
        "B,land,2023-09-16,stray,cell 5\n"  # the cells that make it malformed
        "C,land,2023-09-17,x\n"
    )
    table = load_text(tmp_path, text).rejected_rows()
    assert list(table.columns) == [
        "line", "type", "message", "project", "event", "date", "column 4", "column 5"
    ]  # fmt: skip
    cells = table[["project", "event", "date", "column 4", "column 5"]]
    assert cells.to_dict("records") == [
        {"project": "B", "event": "land", "date": "2023-09-16", "column 4": "stray",
         "column 5": "cell 5"},
        {"project": "C", "event": "land", "date": "2023-09-17", "column 4": "x",
         "column 5": None},
    ]  # fmt: skip


def test_extra_cells_never_take_the_place_of_a_column_of_the_file(tmp_path):
    text = "project,event,date,column 5\nA,land,2023-01-02,x\nB,land,2023-01-02,y,extra,more\n"
    table = load_text(tmp_path, text).rejected_rows()
    assert list(table.columns)[6:] == ["column 5", "column 5_2", "column 6"]
    assert table[["column 5", "column 5_2", "column 6"]].to_dict("records") == [
        {"column 5": "y", "column 5_2": "extra", "column 6": "more"}
    ]


def test_invalid_rows_file_holds_every_cell(run, write, tmp_path):
    import csv

    path = write("project,event,date\nA,land,2023-09-15\nB,land,2023-09-16,stray\n")
    out = tmp_path / "rejected.csv"
    run("validate", path, "--invalid-rows", out, expect=1)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["line", "type", "message", "project", "event", "date", "column 4"],
        ["3", "malformed-row", "expected 3 fields, found 4", "B", "land", "2023-09-16", "stray"],
    ]
