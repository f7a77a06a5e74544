"""Hostile text files read straight from disk, the needed columns only, give what
reading the whole file gives: the same events, findings, counts and errors.

Each test writes a file that tries to make the two ways part, and compares them
(``reader.PARSE_FROM_DISK = False`` reads every file whole). The one difference
by design: bytes that are not UTF-8 in a column that is never parsed are never
interpreted, so they are not reported.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from etown_approvals import reader
from etown_approvals.errors import EncodingError, EtownError, UnreadableInputError
from etown_approvals.loader import LoadResult, load

from .conftest import same_load

HEADER = b"project,event,date,notes\n"
#: Records that push what follows past the 64 KiB the reader looks at first.
PADDING = b"".join(
    b"P%05d,land acquisition,2023-01-02,padding so that what follows is past 64 KiB\n" % i
    for i in range(1000)
)
LAST = b"P00000,construction permit,2023-01-09,\n"


def _outcome(path: Path, **options: object) -> LoadResult | tuple[str, str]:
    try:
        loaded = load(path, **options)  # type: ignore[arg-type]
        loaded.rejected_rows()  # parses the columns left out, as validate --invalid-rows does
    except EtownError as error:
        return type(error).__name__, str(error)
    return loaded


def _both(monkeypatch: pytest.MonkeyPatch, path: Path, **options: object) -> tuple:
    from_disk = _outcome(path, **options)
    with monkeypatch.context() as patch:
        patch.setattr(reader, "PARSE_FROM_DISK", False)
        whole = _outcome(path, **options)
    return from_disk, whole


def test_bad_byte_in_a_column_not_read_is_reported_once_that_column_is_parsed(
    monkeypatch, tmp_path
):
    """A blank project cell makes the loader parse the other columns of the row; a
    byte that is not UTF-8 there is the general reader's encoding error, not a crash."""
    path = tmp_path / "latin1_notes.csv"
    path.write_bytes(HEADER + PADDING + b",,,caf\xe9\n" + LAST)
    from_disk, whole = _both(monkeypatch, path, attributes=False)
    assert whole[0] == "EncodingError" and "is not valid UTF-8 (line 1002)" in whole[1]
    same_load(from_disk, whole)


def test_bad_byte_in_a_column_not_read_fails_when_rejected_rows_show_it(tmp_path):
    """Not read, the byte is not looked at (by design); the rejected rows show every
    cell, so asking for them parses it, and its line is named."""
    path = tmp_path / "latin1_notes.csv"
    path.write_bytes(HEADER + PADDING + b"P1,construction permit,not a date,caf\xe9\n" + LAST)
    loaded = load(path, attributes=False)
    assert loaded.findings["type"].tolist() == ["invalid-date"]
    with pytest.raises(EncodingError, match=r"is not valid UTF-8 \(line 1002\)"):
        loaded.rejected_rows()


@pytest.mark.parametrize("change", ["deleted", "replaced by a folder", "truncated"])
def test_file_changed_before_the_other_columns_are_parsed(tmp_path, change):
    path = tmp_path / "changing.csv"
    path.write_bytes(HEADER + b"A,land acquisition,2023-01-02,x\nA,construction permit,bad,y\n")
    loaded = load(path, attributes=False)
    path.unlink()
    if change == "replaced by a folder":
        path.mkdir()
    elif change == "truncated":
        path.write_bytes(HEADER)
    with pytest.raises(UnreadableInputError, match="the file changed while it was read"):
        loaded.rejected_rows()


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 4096])
@pytest.mark.parametrize("ending", [b"\r\n", b"\r", b"\n"])
def test_line_breaks_counted_across_pieces(monkeypatch, tmp_path, piece, ending):
    """A ``\\r\\n`` cut between two pieces of the scan is one line break."""
    monkeypatch.setattr(reader, "_SCAN_CHUNK", piece)
    path = tmp_path / "pieces.csv"
    data = (HEADER + PADDING[:70_000] + b"\n\n" + LAST).replace(b"\n", ending)
    path.write_bytes(data)
    facts = reader._scan_body(path)
    assert facts is not None
    assert facts.line_breaks == data.count(ending)
    raw = load(path, attributes=False).raw
    assert raw.parse_more is not None  # still read from disk
    # The one empty line, skipped by the parse and found in the bytes.
    empty_line = data[: data.index(ending * 2)].count(ending) + 2
    assert (raw.empty_lines.firsts.tolist(), raw.empty_lines.counts.tolist()) == (
        [empty_line],
        [1],
    )


@pytest.mark.parametrize("encoding", [None, "utf-8", "utf8", "utf-8-sig"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_late_bad_byte_says_what_the_whole_file_reader_says(monkeypatch, tmp_path, encoding, bom):
    """Told UTF-8 (``--encoding utf-8``), the error does not guess another encoding."""
    path = tmp_path / "latin1_notes.csv"
    path.write_bytes(bom + HEADER + PADDING + b",,,caf\xe9\n" + LAST)
    from_disk, whole = _both(monkeypatch, path, attributes=False, encoding=encoding)
    assert whole[0] == "EncodingError"
    same_load(from_disk, whole)


def test_json_after_blank_lines_across_the_first_64_kib(monkeypatch, tmp_path):
    """Blank lines push a small JSON document past the first 64 KiB of the file: it
    is still told to be JSON (the reader sees all of it after the blank lines)."""
    path = tmp_path / "numbers.csv"
    path.write_bytes(b"\n" * 5000 + b"[NaN,\n" + b" " * 63_000 + b"1]\n")
    from_disk, whole = _both(monkeypatch, path, attributes=False)
    assert whole == ("UnreadableInputError", f"{path}: looks like JSON, not a CSV table")
    same_load(from_disk, whole)


@pytest.mark.parametrize("from_disk", [True, False], ids=["from-disk", "whole-file"])
def test_invalid_rows_of_a_file_whose_every_record_is_malformed(
    monkeypatch, run, tmp_path, from_disk
):
    """No record fits the header: the rejected rows come from the malformed records alone."""
    monkeypatch.setattr(reader, "PARSE_FROM_DISK", from_disk)
    path = tmp_path / "short.csv"
    path.write_bytes(HEADER + b"A,land acquisition\nB,construction permit,2023-01-05,x,y\n")
    out = tmp_path / "rejected.csv"
    result = run("validate", path, "--invalid-rows", out, "--no-cache", expect=1)
    assert "Traceback" not in result.stderr
    with out.open(newline="", encoding="utf-8") as written:
        rows = list(csv.reader(written))
    assert rows == [
        ["line", "type", "message", "project", "event", "date", "notes", "column 5"],
        ["2", "malformed-row", "expected 4 fields, found 2", "A", "land acquisition", "", "", ""],
        [
            "3",
            "malformed-row",
            "expected 4 fields, found 5",
            "B",
            "construction permit",
            "2023-01-05",
            "x",
            "y",
        ],
    ]


@pytest.mark.parametrize("tail", [64, 1 << 20], ids=["whole-body", "tail-only"])
@pytest.mark.parametrize("ending", [b"\r\n", b"\r", b"\n"])
def test_empty_lines_read_from_disk_are_where_the_file_has_them(
    monkeypatch, tmp_path, tail, ending
):
    """Empty lines are skipped by the parse; the counts tell how many, and they are found
    in the file's last bytes (a blank line at the end) or in the whole body, so every
    record keeps its line."""
    monkeypatch.setattr(reader, "_TAIL", tail)
    body = PADDING[:70_000] + b"\n\n" + LAST + b"\n\n\n"
    data = (HEADER + body).replace(b"\n", ending)
    path = tmp_path / "blank.csv"
    path.write_bytes(data)
    from_disk, whole = _both(monkeypatch, path, attributes=False)
    assert from_disk.raw.parse_more is not None
    same_load(from_disk, whole)
    lines = data.split(ending)
    expected = [i + 1 for i, line in enumerate(lines[:-1]) if line == b""]
    blank = from_disk.findings[from_disk.findings["type"] == "blank-row"]
    assert from_disk.rows_blank == len(expected) == 4  # one, then three at the end
    assert blank["row"].tolist() == [expected[0], expected[1]]
