"""Hostile and field-grade inputs at the reader and loader level: quotes, encodings,
line numbers, blank lines, date spellings and formats, streams, bad parameters."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from etown_approvals.dates import INVALID, OK, TWO_DIGIT_YEAR, parse_dates
from etown_approvals.errors import (
    AmbiguousDateError,
    EncodingError,
    ExitCode,
    MissingColumnError,
    UnreadableInputError,
    UsageError,
)
from etown_approvals.loader import LoadResult, load, load_raw
from etown_approvals.rawtable import RawTable
from etown_approvals.reader import read_table
from etown_approvals.stages import StageSet

HEADER = "project,event,date\n"


def load_bytes(tmp_path: Path, content: bytes, **options) -> LoadResult:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    return load(path, **options)


def load_text(tmp_path: Path, text: str, **options) -> LoadResult:
    return load_bytes(tmp_path, text.encode(), **options)


def stage_dates(result: LoadResult) -> dict[tuple[str, str], str]:
    events = result.events
    return {
        (str(p), str(s)): d.date().isoformat()
        for p, s, d in zip(events["project"], events["stage"], events["date"], strict=True)
    }


# -- unclosed quotes -----------------------------------------------------------


def test_unclosed_quote_closed_later_is_refused_with_the_line_it_opened(tmp_path):
    text = (
        HEADER
        + "A,land,2023-01-01\n"
        + 'B,land,"2023-01-02\n'  # line 3: the quote is never meant to span lines
        + "C,land,2023-01-03\n"
        + "D,land,2023-01-04\n"
        + 'E,"construction permit",2023-01-05\n'
    )
    with pytest.raises(UnreadableInputError, match="quote opened on line 3") as caught:
        load_text(tmp_path, text)
    assert caught.value.exit_code == ExitCode.UNREADABLE
    assert "lines 3-6" in str(caught.value)


def test_unclosed_quote_at_end_of_file_is_refused(tmp_path):
    text = HEADER + "A,land,2023-01-01\n" + '"B,land,2023-01-02\nC,land,2023-01-03\n'
    with pytest.raises(UnreadableInputError, match=r"line 3 is never closed, so lines 3-4"):
        load_text(tmp_path, text)


def test_unclosed_quote_in_the_header_is_refused(tmp_path):
    with pytest.raises(UnreadableInputError, match="quote opened on line 1"):
        load_text(tmp_path, '"project,event,date\nA,land,2023-01-01\n')


def test_quoted_values_that_span_lines_are_still_read(tmp_path):
    text = HEADER + 'A,land,2023-01-01\n"B\nsecond line",land,2023-01-02\nC,land,2023-02-30\n'
    result = load_text(tmp_path, text)
    assert list(result.events["row"]) == [2, 3]
    assert list(result.rejected["row"]) == [5]


# -- encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Müller Straße Bau,land,2023-09-15\nBäckerei Größe,land,2023-09-16\n", "latin-1"),
        ("東京タワー建設,land,2023-09-15\nさくら住宅,land,2023-09-16\n", "shift_jis"),
        ("서울 주택 건설,land,2023-09-15\n부산 항만,land,2023-09-16\n", "euc-kr"),
    ],
)
def test_files_that_are_not_chinese_are_never_read_as_gb18030(tmp_path, text, encoding):
    with pytest.raises(EncodingError, match=r"is not valid UTF-8 \(line 2\); its encoding may be"):
        load_bytes(tmp_path, (HEADER + text).encode(encoding))


def test_the_named_encoding_reads_them(tmp_path):
    text = HEADER + "Müller Straße Bau,land,2023-09-15\n"
    result = load_bytes(tmp_path, text.encode("latin-1"), encoding="latin-1")
    assert stage_dates(result) == {("Müller Straße Bau", "land_acquisition"): "2023-09-15"}


@pytest.mark.parametrize("encoding", ["unicode_escape", "raw_unicode_escape"])
def test_a_named_encoding_that_decodes_to_a_lone_surrogate_is_an_encoding_error(
    tmp_path, run, encoding
):
    """An escaped "\\ud800" read as unicode_escape is half a character: reported with its line,
    exit 3 (it was an internal error, exit 70)."""
    path = tmp_path / "escaped.csv"
    path.write_bytes(HEADER.encode() + b"A,land,2023-09-15\nB\\ud800,land,2023-09-16\n")
    with pytest.raises(EncodingError, match=r"not text \(U\+D800, line 3\)"):
        load_bytes(tmp_path, path.read_bytes(), encoding=encoding)
    result = run("summary", path, "--no-config", "--encoding", encoding, expect=3)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "U+D800, line 3" in result.stderr


def test_overlong_utf8_is_named(tmp_path):
    with pytest.raises(EncodingError, match="overlong UTF-8"):
        load_bytes(tmp_path, HEADER.encode() + b"A\xc0\xaf,land,2023-09-15\n")


def test_chinese_gb18030_is_still_recognised(tmp_path):
    text = "project,event,date\n京东方显示,拿地,2023-09-16\n北方华创,施工许可证,2023-10-16\n"
    result = load_bytes(tmp_path, text.encode("gb18030"))
    assert stage_dates(result)[("北方华创", "construction_permit")] == "2023-10-16"
    assert any("GB18030" in note for note in result.notes)


@pytest.mark.parametrize("name", ["bogus", "rot13", "hex", "zlib", "base64", ""])
def test_unknown_or_non_text_encodings_are_usage_errors(tmp_path, name):
    with pytest.raises(UsageError, match="not a text encoding") as caught:
        load_text(tmp_path, HEADER + "A,land,2023-09-15\n", encoding=name)
    assert caught.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("delimiter", ["é", "\n", "\r", '"', ",,", "\x00"])
def test_unusable_delimiters_are_usage_errors(tmp_path, delimiter):
    with pytest.raises(UsageError, match="delimiter") as caught:
        load_text(tmp_path, HEADER + "A,land,2023-09-15\n", delimiter=delimiter)
    assert caught.value.exit_code == ExitCode.USAGE


def test_non_utf8_byte_in_a_short_row_after_64_kib_is_an_encoding_error(tmp_path, capfd):
    body = "".join(f"P{i},land,2023-09-15\n" for i in range(5000))
    content = HEADER.encode() + body.encode() + b"Q\xff,land\n"
    with pytest.raises(EncodingError, match="line 5002"):
        load_bytes(tmp_path, content)
    assert "Traceback" not in capfd.readouterr().err


def test_utf32_with_byte_order_mark_is_read(tmp_path):
    result = load_bytes(tmp_path, (HEADER + "A,land,2023-09-15\n").encode("utf-32"))
    assert stage_dates(result) == {("A", "land_acquisition"): "2023-09-15"}


@pytest.mark.parametrize(
    ("codec", "option"), [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")]
)
def test_utf16_without_byte_order_mark_is_named(tmp_path, codec, option):
    content = (HEADER + "A,land,2023-09-15\n").encode(codec)
    with pytest.raises(EncodingError, match=f"looks like UTF-16 .*use --encoding {option}"):
        load_bytes(tmp_path, content)
    assert stage_dates(load_bytes(tmp_path, content, encoding=option))


def test_nul_padding_is_dropped_with_one_note(tmp_path):
    content = HEADER.encode() + b"A\x00\x00\x00,land\x00,2023-09-15\x00\x00\nB,land,2023-09-16\n"
    result = load_bytes(tmp_path, content)
    assert stage_dates(result) == {
        ("A", "land_acquisition"): "2023-09-15",
        ("B", "land_acquisition"): "2023-09-16",
    }
    assert [n for n in result.notes if "NUL" in n] == [
        f"{tmp_path / 'input.csv'}: 6 NUL bytes dropped (padding inside text fields)"
    ]


def test_binary_files_with_nul_bytes_are_refused(tmp_path):
    content = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"
    )
    with pytest.raises(UnreadableInputError, match="binary data"):
        load_bytes(tmp_path, content * 20)


# -- line numbers and blank lines ---------------------------------------------


def test_blank_lines_before_the_header(tmp_path):
    result = load_text(tmp_path, "\n \n" + HEADER + "A,land,2023-09-15\nB,land,2023-02-30\n")
    assert result.rows_read == 2
    assert list(result.events["row"]) == [4]
    assert list(result.rejected["row"]) == [5]


def test_quoted_header_with_a_newline(tmp_path):
    text = '"project\nname",event,date\nA,land,2023-09-15\nB,land,2023-02-30\n'
    result = load_text(tmp_path, text)
    assert list(result.events["row"]) == [3]
    assert list(result.rejected["row"]) == [4]


@pytest.mark.parametrize(
    ("text", "used", "rejected"),
    [
        ('"A\nx",land,2023-09-15\nB,land,2023-09-16\n"C\ny",land,2023-02-30', [2, 4], [5]),
        ('"A\nx",land,2023-09-15\nB,land,2023-02-30', [2], [4]),
        ('A,land,2023-09-15\n"B\nx",land,2023-02-30', [2], [3]),
        ('A,land,2023-09-15\n"B\nx",land', [2], [3]),
    ],
)
def test_quoted_newlines_without_a_final_newline(tmp_path, text, used, rejected):
    result = load_text(tmp_path, HEADER + text)
    assert list(result.events["row"]) == used
    assert list(result.rejected["row"]) == rejected


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_line_endings(tmp_path, newline):
    text = (HEADER + "A,land,2023-09-15\n\nB,land,2023-02-30\n").replace("\n", newline)
    result = load_text(tmp_path, text)
    assert list(result.events["row"]) == [2]
    assert list(result.rejected["row"]) == [4]
    assert result.rows_blank == 1


def test_lines_of_only_spaces_or_tabs_are_blank_rows(tmp_path):
    result = load_text(
        tmp_path,
        HEADER + "A,land,2023-09-15\n   \n\t \t\nA,construction permit,2023-09-18\n \t\n",
    )
    assert (result.rows_read, result.rows_rejected, result.rows_blank) == (2, 0, 3)
    blank = result.findings[result.findings["type"] == "blank-row"]
    assert list(blank["row"]) == [3, 6]
    assert list(blank["message"]) == [
        "2 blank rows skipped (lines 3-4)",
        "blank row skipped (only spaces or tabs)",
    ]
    assert blank["value"].isna().tolist() == [True, False]
    assert blank["value"].iloc[1] == " \t"
    assert set(blank["severity"]) == {"warning"}


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
@pytest.mark.parametrize("blank_line", ["{d}", "{d}{d}", " {d} ", '""{d}', "{d}{d}{d}{d}"])
def test_a_line_of_delimiters_alone_is_a_blank_row(tmp_path, delimiter, blank_line):
    """A lone ``,`` (or ``,,,,``: too few or too many fields) holds no value: a blank row,
    not a malformed one."""
    line = blank_line.format(d=delimiter)
    text = f"project,event,date\nA,land,2023-09-15\n{line}\nA,construction permit,2023-09-18\n"
    result = load_text(tmp_path, text.replace(",", delimiter))
    assert (result.rows_read, result.rows_rejected, result.rows_blank) == (2, 0, 1)
    assert result.findings[["type", "row"]].values.tolist() == [["blank-row", 3]]
    assert result.events["row"].tolist() == [2, 4]


def test_millions_of_blank_lines_are_a_few_findings(tmp_path):
    text = "project,event,date\n\nA,land,2023-09-15\n" + "\n" * 200_000
    text += "\r\n\r\n,,\n  \nA,construction permit,2023-09-18\n\r\r"
    for path in (tmp_path / "blank.csv", tmp_path / "blank.csv.gz"):
        data = text.encode()
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
        result = load(path)
        assert (result.rows_read, result.rows_blank) == (2, 200_007)
        blank = result.findings[result.findings["type"] == "blank-row"]
        assert blank[["row", "message"]].values.tolist() == [
            [2, "blank row skipped"],
            [4, "200,004 blank rows skipped (lines 4-200007)"],
            [200009, "2 blank rows skipped (lines 200009-200010)"],
        ]
        assert result.events["row"].tolist() == [3, 200008]


def test_header_longer_than_64_kib(tmp_path):
    notes = "n" * 70_000
    result = load_text(tmp_path, f"project,event,date,{notes}\nA,land,2023-09-15,x\n")
    assert result.attributes.loc["A", notes] == "x"


def test_duplicate_header_names_keep_every_column(tmp_path):
    result = load_text(tmp_path, "project,event,date,zone,zone\nA,land,2023-09-15,Core,Taihu\n")
    assert result.attributes.loc["A"].to_dict() == {"zone": "Core", "zone_2": "Taihu"}
    assert any("column 5 is also named 'zone'; read as 'zone_2'" in n for n in result.notes)


@pytest.mark.parametrize(
    ("content", "is_json"),
    [
        ('{"project": "A"}', True),
        ('[{"project": "A"}]', True),
        ('{"project": "A"}\n{"project": "B"}\n', True),
        ("[id],event,date\n1,land,2023-09-15\n", False),
        ("{project},event,date\n1,land,2023-09-15\n", False),
    ],
)
def test_json_only_when_it_is_json(tmp_path, content, is_json):
    if is_json:
        with pytest.raises(UnreadableInputError, match="JSON"):
            load_text(tmp_path, content)
    else:
        with pytest.raises(MissingColumnError, match="no project column"):
            load_text(tmp_path, content)


# -- streams, permissions, truncation -------------------------------------------


def test_fifo_is_read_as_a_stream(tmp_path):
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as out:
            out.write(HEADER + "A,land,2023-09-15\n")

    writer = threading.Thread(target=feed)
    writer.start()
    result = load(fifo)
    writer.join()
    assert stage_dates(result) == {("A", "land_acquisition"): "2023-09-15"}


def test_unreadable_file_is_exit_3(tmp_path, monkeypatch):
    path = tmp_path / "locked.csv"
    path.write_text(HEADER)

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(UnreadableInputError, match="permission denied") as caught:
        read_table(path)
    assert caught.value.exit_code == ExitCode.UNREADABLE


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_chmod_000_is_exit_3(tmp_path):
    path = tmp_path / "locked.csv"
    path.write_text(HEADER)
    path.chmod(0)
    with pytest.raises(UnreadableInputError):
        read_table(path)


def test_file_truncated_while_being_read_does_not_kill_the_process(tmp_path):
    """A memory-mapped file that shrinks kills the reader with SIGBUS; a read file cannot."""
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(f"P{i},land,2023-09-15\n" for i in range(200_000)))
    script = f"""
import os
from etown_approvals.reader import open_bytes, parse_csv_bytes
data = open_bytes({str(path)!r})
os.truncate({str(path)!r}, 0)
raw = parse_csv_bytes(data, source="x")
print(raw.num_records)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "200000"


# -- stages ------------------------------------------------------------------------


def test_configured_stage_does_not_take_a_column_named_like_it(tmp_path):
    stages = StageSet(
        stages=("received", "decision"),
        aliases={"received": ("DATE RECEIVED",), "decision": ("DECISION DATE",)},
        configured=True,
    )
    text = "project,DATE RECEIVED,DECISION DATE,DECISION\nK1,2023-01-02,2023-03-04,SESE\n"
    result = load_text(tmp_path, text, stages=stages)
    assert stage_dates(result) == {
        ("K1", "received"): "2023-01-02",
        ("K1", "decision"): "2023-03-04",
    }
    assert result.attributes.loc["K1", "DECISION"] == "SESE"
    assert result.rows_rejected == 0


def test_wrong_sheet_hint_names_the_sheet_not_the_delimiter():
    raw = RawTable(
        source="book.xlsx[Notes]",
        headers=["notes"],
        table=pa.table({"c0": pa.array(["x"]).dictionary_encode()}),
        sheet="Notes",
    )
    with pytest.raises(MissingColumnError) as caught:
        load_raw(raw)
    assert "--sheet" in str(caught.value)
    assert "--delimiter" not in str(caught.value)


# -- dates ---------------------------------------------------------------------------


def test_only_used_rows_decide_day_month_order(tmp_path):
    text = (
        HEADER
        + "A,land,01/02/2023\n"
        + "B,environmental review,15/03/2023\n"  # rejected: unknown event
        + "C,land,03/15/2023\n"
    )
    result = load_text(tmp_path, text)
    assert result.dayfirst is False
    assert stage_dates(result)[("A", "land_acquisition")] == "2023-01-02"


def test_a_rejected_row_alone_cannot_settle_the_order(tmp_path):
    text = HEADER + "A,land,01/02/2023\n,land,15/03/2023\n"  # the second row has no project
    with pytest.raises(AmbiguousDateError) as caught:
        load_text(tmp_path, text)
    assert caught.value.row == 2


def test_wide_row_with_an_impossible_date_does_not_decide(tmp_path):
    text = (
        "project,land_acquisition,construction_permit\n"
        "A,01/02/2023,03/02/2023\n"
        "B,15/03/2023,2023-02-30\n"  # rejected whatever the order
    )
    with pytest.raises(AmbiguousDateError):
        load_text(tmp_path, text)


def test_four_digit_years_are_read_as_written_in_every_spelling():
    parsed = parse_dates(pa.array(["15 Sep 0023", "0023-09-15", "Sep 15, 0023", "15/09/0023"]))
    expected = (date(23, 9, 15) - date(1970, 1, 1)).days
    assert list(parsed.status) == [OK] * 4
    assert list(parsed.days) == [expected] * 4


@pytest.mark.parametrize("offset", ["+00", "-05", "+0800", "+08:00", "Z", " UTC"])
def test_utc_offsets(tmp_path, offset):
    result = load_text(tmp_path, HEADER + f"A,land,2024/10/03 00:00:00{offset}\n")
    assert stage_dates(result) == {("A", "land_acquisition"): "2024-10-03"}


@pytest.mark.parametrize("value", ["12/6/10", "15-Dec-21", "Dec 15, 21", "6.12.10"])
def test_two_digit_years_are_refused_with_a_hint(tmp_path, value):
    parsed = parse_dates(pa.array([value]))
    assert parsed.status[0] == TWO_DIGIT_YEAR
    result = load_text(tmp_path, HEADER + f'A,land,"{value}"\n')
    assert result.rows_rejected == 1
    message = result.rejected["message"].iloc[0]
    assert "two digits" in message
    assert "%y" in message


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("12/6/10", "%d/%m/%y"),
        ("12/6/69", "%d/%m/%y"),
        ("12/6/68", "%d/%m/%y"),
        ("15-Dec-21", "%d-%b-%y"),
        ("2023-15-09", "%Y-%d-%m"),
        ("3 Mar 2023 14:05", "%d %b %Y %H:%M"),
    ],
)
def test_explicit_formats_follow_python_strptime(tmp_path, value, fmt):
    result = load_text(
        tmp_path, HEADER + f"A,land,{value}\n", date_formats=[fmt], as_of=date(2068, 1, 1)
    )
    expected = datetime.strptime(value, fmt).date().isoformat()
    assert stage_dates(result) == {("A", "land_acquisition"): expected}


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("15/03/23", "%d/%m/%Y"),  # a year of two digits is not the year 23
        ("1/3/123", "%d/%m/%Y"),
        ("15/03/0023", "%d/%m/%Y"),  # four digits: the year 23, as written
        ("15/03/2023", "%d/%m/%Y"),
        ("15 December 2023", "%d %b %Y"),  # %b: abbreviated names only
        ("01 December 2023", "%d %b %Y"),
        ("15 Dec 2023", "%d %B %Y"),  # %B: full names only
        ("01 Dec 2023", "%d %B %Y"),
        ("15 December 21", "%d %b %y"),
        ("01 dec 2023", "%d %b %Y"),  # names in any case
        ("2023-3-1", "%Y-%m-%d"),
    ],
)
def test_explicit_formats_read_exactly_what_python_strptime_reads(value, fmt):
    parsed = parse_dates(pa.array([value]), date_formats=[fmt])
    try:
        expected = (datetime.strptime(value, fmt).date() - date(1970, 1, 1)).days
    except ValueError:  # the format does not read it: the built-in forms do, or not
        without = parse_dates(pa.array([value]))
        if without.status[0] == OK:
            assert (parsed.status[0], parsed.days[0]) == (OK, without.days[0])
        else:
            assert parsed.status[0] != OK
    else:
        assert (parsed.status[0], parsed.days[0]) == (OK, expected)


def test_a_two_digit_year_under_a_four_digit_format_is_rejected(run, write):
    path = write(HEADER + "A,land,15/03/23\nA,construction permit,16/03/2023\n")
    result = run("validate", path, "--date-format", "%d/%m/%Y", "--json", expect=1)
    errors = json.loads(result.stdout)["errors"]
    assert [(e["type"], e["row"], e["value"]) for e in errors] == [
        ("invalid-date", 2, "15/03/23"),
        ("missing-land-acquisition", None, None),
    ]


def test_formats_are_tried_in_order_before_the_built_in_forms():
    values = pa.array(["01/02/2023", "2023-09-15", "31/02/23", "x"])
    parsed = parse_dates(values, date_formats=["%m/%d/%Y", "%d/%m/%y"])
    epoch = date(1970, 1, 1)
    assert list(parsed.status) == [OK, OK, INVALID, INVALID]  # 31 February: a %y format was given
    assert parsed.days[0] == (date(2023, 1, 2) - epoch).days
    assert parsed.days[1] == (date(2023, 9, 15) - epoch).days
    assert parsed.dayfirst is None  # the format read it: no day/month question


def test_day_overflow_is_invalid_under_a_format():
    parsed = parse_dates(
        pa.array(["31/02/2023", "29/02/2024", "29/02/2023"]), date_formats=["%d/%m/%Y"]
    )
    assert list(parsed.status) == [INVALID, OK, INVALID]


def test_offset_in_a_format_keeps_the_date_as_written():
    parsed = parse_dates(pa.array(["2024-01-01 23:00 -0500"]), date_formats=["%Y-%m-%d %H:%M %z"])
    assert parsed.days[0] == (date(2024, 1, 1) - date(1970, 1, 1)).days


def test_epoch_formats(tmp_path):
    moment = datetime(2021, 10, 1, 23, 59, tzinfo=UTC)
    seconds = int(moment.timestamp())
    text = HEADER + f"A,land,{seconds}\nA,construction permit,{seconds * 1000}.5\nB,land,-86400\n"
    loaded_s = load_text(tmp_path, text, date_formats=["epoch_s"])
    assert stage_dates(loaded_s) == {
        ("A", "land_acquisition"): "2021-10-01",
        ("B", "land_acquisition"): "1969-12-31",
    }
    assert loaded_s.rows_rejected == 1  # milliseconds are past year 9999 as seconds
    loaded_ms = load_text(
        tmp_path, HEADER + f"A,land,{seconds * 1000}\n", date_formats=["epoch_ms"]
    )
    assert stage_dates(loaded_ms) == {("A", "land_acquisition"): "2021-10-01"}


@pytest.mark.parametrize("fmt", ["dd/mm/yyyy", "%Q", "%"])
def test_bad_formats_are_usage_errors(tmp_path, fmt):
    with pytest.raises(UsageError, match="date format"):
        load_text(tmp_path, HEADER + "A,land,2023-09-15\n", date_formats=[fmt])


# -- through the command line: one line on stderr, the documented exit code -------


@pytest.mark.parametrize(
    "option",
    [
        ["--encoding", "bogus"],
        ["--encoding", "rot13"],
        ["--encoding", "hex"],
        ["--encoding", "zlib"],
        ["--delimiter", "é"],
        ["--delimiter", "\n"],
    ],
)
@pytest.mark.parametrize("command", ["summary", "validate"])
def test_bad_parameters_are_usage_errors_on_the_command_line(run, write, command, option):
    path = write(HEADER + "A,land,2023-09-15\n")
    result = run(command, path, *option, expect=ExitCode.USAGE)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("etown: error: ")


def test_a_time_zone_name_dateutil_does_not_know_is_not_a_warning_on_stderr(run, tmp_path, recwarn):
    """A month-name timestamp ending in a zone abbreviation dateutil does not know
    (``PMZ``): the date as written counts, and stderr stays one line per message
    (dateutil's UnknownTimezoneWarning used to print its own two lines)."""
    path = tmp_path / "zone.csv"
    path.write_text(
        "project,event,date\n"
        "A,land acquisition,15 Sep 2023 10:00 PMZ\n"
        "A,construction permit,20 Sep 2023\n",
        encoding="utf-8",
    )
    result = run("summary", path, "--json", "--no-cache")
    assert json.loads(result.stdout)["days"]["median"] == 5
    assert "Warning" not in result.stderr and "warnings.warn" not in result.stderr
    assert [str(w.message) for w in recwarn] == []  # python -W would print them
