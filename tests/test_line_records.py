"""Files read from disk are parsed with every line break ending a record (fast: pyarrow
cuts the file into pieces on several threads), and that parse must read what a
quote-aware parse reads. Values spanning lines inside a piece are found by
counting line breaks; a quote left open where a piece is cut is found by
``reader._lines_end_outside_quotes``. These tests make the pieces tiny so that
files of a few kilobytes have many cuts, and try to hide a quoted line break at one.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etown_approvals import reader
from etown_approvals.errors import EtownError
from etown_approvals.loader import LoadResult, load

from .conftest import same_load

HEADER = b"project,event,date,notes\n"
ROW = b"P%04d,land acquisition,2023-01-02,plain note\n"


def _outcome(path: Path) -> LoadResult | tuple[str, str]:
    try:
        loaded = load(path)
        loaded.rejected_rows()
    except EtownError as error:
        return type(error).__name__, str(error)
    return loaded


def _same_as_whole_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> LoadResult | tuple:
    from_disk = _outcome(path)
    with monkeypatch.context() as patch:
        patch.setattr(reader, "PARSE_FROM_DISK", False)
        whole = _outcome(path)
    if isinstance(whole, tuple) or isinstance(from_disk, tuple):
        assert from_disk == whole
    else:
        same_load(from_disk, whole)
    return from_disk


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records each ``newlines_in_values`` the from-disk reader parses with."""
    seen: list[bool] = []
    original = reader._parse

    def spy(data, source, delimiter, width, quoted, **options):  # type: ignore[no-untyped-def]
        seen.append(quoted)
        return original(data, source, delimiter, width, quoted, **options)

    monkeypatch.setattr(reader, "_parse", spy)
    return seen


def _cuts_clean(path: Path, size: int, block: int) -> bool:
    """Whether the lines where pyarrow cuts the file (pieces of ``block`` bytes) end outside
    quotes."""
    cuts = range(len(HEADER) + block, size, block)
    return reader._lines_end_outside_quotes(path, len(HEADER), size, cuts, ",")


def _cut_at(path: Path, body: bytes, block: int) -> bool:
    path.write_bytes(HEADER + body)
    return _cuts_clean(path, len(HEADER) + len(body), block)


def _filler(size: int) -> bytes:
    """Whole rows filling ``size`` bytes exactly (the last one's note padded)."""
    out, number = b"", 0
    while size - len(out) > 2 * len(ROW % 0):
        out += ROW % number
        number += 1
    start = b"P9999,land acquisition,2023-01-02,"
    return out + start + b"x" * (size - len(out) - len(start) - 1) + b"\n"


@pytest.mark.parametrize(
    ("last_line", "clean"),
    [
        (b'A,land acquisition,2023-01-03,"a, quoted note"\n', True),
        (b'A,land acquisition,2023-01-03,"doubled ""quotes"" inside"\n', True),
        (b'"A",land acquisition,"2023-01-03",\n', True),
        (b'A,land acquisition,2023-01-03,"note\n', False),  # open where the piece is cut
        (b'A,land acquisition,2023-01-03,"note ""\n', False),  # still open after ""
        (b'A,land acquisition,2023-01-03,12" pipe\n', False),  # a stray quote
        (b'A,land acquisition,2023-01-03,"note"x\n', False),  # text after a closing quote
        (b'A,land acquisition,2023-01-03,"a, quoted note"\r\n', True),
    ],
)
def test_the_last_line_of_a_piece_must_read_as_whole_fields(tmp_path, last_line, clean):
    block = 1024
    body = _filler(block - len(last_line)) + last_line + _filler(300)
    assert len(_filler(block - len(last_line)) + last_line) == block
    assert _cut_at(tmp_path / "cut.csv", body, block) is clean


def test_a_piece_without_a_line_break_near_its_end_is_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "_CUT_WINDOW", 16)
    body = _filler(1000) + b"A,land acquisition,2023-01-03," + b"n" * 100 + b"\n" + _filler(300)
    assert _cut_at(tmp_path / "long_line.csv", body, 1050) is False


def test_a_quoted_line_break_hidden_at_a_cut_is_found(monkeypatch, tmp_path):
    """The worst case: a quoted value opens on the last line of a piece and closes on
    the next one, and each of the two lines has the header's number of fields, so a
    parse taking each line for a record could see nothing wrong (pyarrow happens to
    drop such a record, which the count of line breaks would find, but the check
    does not rely on it). The true record has 7 fields: malformed."""
    block = 2048
    monkeypatch.setattr(reader, "_BLOCK_SIZE", block)
    opened = b'A,land acquisition,2023-01-03,"note\n'
    closed = b'more",construction permit,2023-02-01,x\n'
    body = _filler(block - len(opened)) + opened + closed + _filler(500)
    path = tmp_path / "hidden.csv"
    path.write_bytes(HEADER + body)
    modes = _parses(monkeypatch)
    load(path)
    # Line per record first, then quote-aware (which finds a value over two lines
    # and hands the file to the whole-file reader).
    assert modes[:2] == [False, True]
    loaded = _same_as_whole_file(monkeypatch, path)
    assert isinstance(loaded, LoadResult)
    assert loaded.findings["type"].tolist() == ["malformed-row"]
    assert "A" not in loaded.events["project"].astype(str).tolist()
    assert not _cuts_clean(path, len(HEADER + body), block)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("closed", [True, False], ids=["closed-later", "never-closed"])
@pytest.mark.parametrize("block", range(40, 330, 7))
def test_a_quote_opened_on_the_line_a_cut_falls_in(monkeypatch, tmp_path, block, closed, ending):
    """pyarrow parses the line that a piece's end falls in on its own; a quote opened
    there and closed on a later line (or never) would be closed at its line break,
    making a record of the next line (found by an adversarial review)."""
    monkeypatch.setattr(reader, "_BLOCK_SIZE", block)
    rows = [b"P%d,land acquisition,2023-01-02,note" % i for i in range(5)]
    rows.append(b'P9,planning permit,2023-02-03,"')
    rows.append(b"see: permit office, room 3, floor 2, east wing" + (b'"' if closed else b""))
    rows += [b"P%d,land acquisition,2023-01-02,note" % (10 + i) for i in range(3)]
    path = tmp_path / "straddle.csv"
    path.write_bytes(HEADER.replace(b"\n", ending) + ending.join(rows) + ending)
    outcome = _same_as_whole_file(monkeypatch, path)
    if closed:
        assert isinstance(outcome, LoadResult)
        assert "see: permit office" not in outcome.findings["project"].astype(str).tolist()


@pytest.mark.parametrize("ending", [b"\n", b""])
@pytest.mark.parametrize("block", [64, 1 << 22])
def test_a_quote_the_end_of_the_file_closes_is_an_unclosed_quote(
    monkeypatch, tmp_path, ending, block
):
    """pyarrow ends a value at the end of the file, quote or not; when the value would
    end with the file's last line break, the whole-file reader says the quote is never
    closed, and so does the from-disk one (it used not to: the value held the break)."""
    monkeypatch.setattr(reader, "_BLOCK_SIZE", block)
    path = tmp_path / "open_at_end.csv"
    path.write_bytes(HEADER + _filler(300) + b'P1,construction permit,2023-01-05,"open' + ending)
    outcome = _same_as_whole_file(monkeypatch, path)
    if ending:  # the value would hold the line break: an unclosed quote
        assert isinstance(outcome, tuple) and outcome[0] == "UnreadableInputError"
        assert "unclosed quote: the quote opened on line" in outcome[1]
    else:  # no line break follows: both read the value as it stands
        assert isinstance(outcome, LoadResult)


def test_clean_quoted_file_is_parsed_once_line_per_record(monkeypatch, tmp_path):
    monkeypatch.setattr(reader, "_BLOCK_SIZE", 512)
    body = b"".join(
        b'P%04d,land acquisition,2023-01-02,"a note, with a comma"\n' % i for i in range(200)
    )
    path = tmp_path / "quoted.csv"
    path.write_bytes(HEADER + body)
    modes = _parses(monkeypatch)
    load(path)
    assert modes == [False]
    loaded = _same_as_whole_file(monkeypatch, path)
    assert isinstance(loaded, LoadResult) and loaded.rows_used == 200


_CELLS = [
    b"P1",
    b"P2",
    b"land acquisition",
    b"construction permit",
    b"2023-01-02",
    b"2023-03-04",
    b'"a, b"',
    b'"two\nlines"',
    b'"x ""y"""',
    b'12" pipe',
    b'"open',
    b'close"',
    b"",
    b'""',
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 120),
    block=st.sampled_from([64, 97, 128, 256, 1000]),
    ending=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    delimiter=st.sampled_from([b",", b";", b"\t"]),
)
def test_line_per_record_reads_what_the_whole_file_reader_reads(
    seed, rows, block, ending, delimiter
):
    """Random rows of quoted, doubled, stray and open quotes, and values over lines,
    cut into tiny pieces: the from-disk reading equals the whole-file one."""
    chooser = random.Random(seed)
    lines = []
    for _ in range(rows):
        width = chooser.choice([4, 4, 4, 4, 3, 5])
        lines.append(delimiter.join(chooser.choice(_CELLS) for _ in range(width)))
    header = HEADER.replace(b",", delimiter)
    data = (header + b"\n".join(lines) + b"\n").replace(b"\n", ending)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_BLOCK_SIZE", block)
        path = Path(folder) / "random.csv"
        path.write_bytes(data)
        _same_as_whole_file(patch, path)
