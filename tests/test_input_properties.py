"""Property test over generated messy CSV files: every record is read, used, rejected or
blank, and every line number etown reports is the line where that record starts.

The expected record starts are computed here while the file is written, from the
records and line endings chosen, independently of etown's reader.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etown_approvals.errors import EtownError
from etown_approvals.loader import load

CELLS = [
    "A",
    "B",
    "京东方",
    "land",
    "拿地",
    "construction permit",
    "planning permit",
    "unknown step",
    "2023-09-15",
    "2023/9/16",
    "2023-02-30",
    "15/03/2023",
    "Sep 15, 2023",
    "12/6/10",
    "",
    "  ",
    "MULTILINE",  # a quoted value spanning two lines
    "QUOTED",  # a quoted value with a delimiter and an escaped quote
]

record = st.one_of(
    st.lists(st.sampled_from(CELLS), min_size=1, max_size=5),
    st.just(["<blank>"]),
    st.just(["<spaces>"]),
)


def render(cells: list[str], newline: str) -> tuple[str, int]:
    """A record's text and the number of line breaks inside it."""
    if cells == ["<blank>"]:
        return "", 0
    if cells == ["<spaces>"]:
        return " \t ", 0
    out, breaks = [], 0
    for cell in cells:
        if cell == "MULTILINE":
            out.append(f'"first{newline}second"')
            breaks += 1
        elif cell == "QUOTED":
            out.append('"a, ""b"""')
        else:
            out.append(cell)
    return ",".join(out), breaks


@st.composite
def messy_files(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    leading_blank = draw(st.integers(0, 2))
    records = draw(st.lists(record, max_size=15))
    final_newline = draw(st.booleans())
    lines = [""] * leading_blank + ["project,event,date"]
    line = leading_blank + 2  # where the first record starts
    starts = []
    for cells in records:
        text, breaks = render(cells, newline)
        lines.append(text)
        starts.append(line)
        line += 1 + breaks
    content = newline.join(lines)
    ends_blank = bool(records) and not lines[-1].strip()
    if final_newline or ends_blank or not records:
        content += newline
    return content.encode(), starts


def _load(content: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "messy.csv"
        path.write_bytes(content)
        return load(path, dayfirst=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_every_record_is_accounted_for_at_its_line(generated):
    content, starts = generated
    try:
        result = _load(content)
    except EtownError:
        return
    assert result.rows_read + result.rows_blank + result.rows_notes == len(starts)
    assert result.rows_used + result.rows_rejected == result.rows_read
    real = set(starts)
    reported = set(result.findings["row"].dropna().astype(int))
    assert reported <= real
    assert set(result.events["row"]) <= real
    rejected = set(result.rejected["row"].dropna().astype(int))
    assert rejected.isdisjoint(set(result.events["row"]))
    # A run of blank lines is one finding at its first line, naming the others.
    blank: set[int] = set()
    runs = result.findings[result.findings["type"] == "blank-row"]
    for first, message in zip(runs["row"].astype(int), runs["message"], strict=True):
        lines = re.fullmatch(r"([\d,]+) blank rows skipped \(lines (\d+)-(\d+)\)", message)
        if lines is None:
            blank.add(first)
            continue
        count, low, high = int(lines[1].replace(",", "")), int(lines[2]), int(lines[3])
        assert (low, high - low + 1) == (first, count)
        blank.update(range(low, high + 1))
    assert len(blank) == result.rows_blank
    assert blank <= real
    assert blank.isdisjoint(rejected)
    assert blank.isdisjoint(set(result.events["row"]))


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=60).map(lambda b: bytes(b"a\r\n"[x % 3] for x in b)),
    st.lists(st.integers(0, 60), max_size=4),
    st.sampled_from([2, 3, 1 << 20]),
)
def test_empty_lines_found_piece_by_piece_are_the_texts(text, cuts, piece):
    """The empty lines the reader finds in the bytes (and the parse skips) are the text's
    empty lines, wherever the text is cut into pieces (a \\r\\n cut in two included)."""
    from etown_approvals import reader

    lines = re.split(r"\r\n|\r|\n", text.decode())
    if text.endswith((b"\n", b"\r")) or not text:
        lines = lines[:-1]  # a final line break ends the last line, it starts none
    expected = [5 + i for i, line in enumerate(lines) if line == ""]
    finder = reader._EmptyLineFinder(5)
    original = reader._EMPTY_PIECE
    reader._EMPTY_PIECE = piece
    try:
        at = 0
        for cut in [*sorted(c for c in cuts if c <= len(text)), len(text)]:
            finder.feed(text[at:cut])
            at = cut
    finally:
        reader._EMPTY_PIECE = original
    found = finder.found()
    runs = zip(found.firsts.tolist(), found.counts.tolist(), strict=True)
    assert [first + i for first, count in runs for i in range(count)] == expected
    if expected:  # as runs: none touches the next
        assert (found.firsts[1:] > found.firsts[:-1] + found.counts[:-1]).all()
