"""A workbook sheet's filled cells are counted, and their extent found, in the file's own
bytes before the workbook reader builds the sheet's grid (which a far cell makes
billions of cells large: the reader aborts the process, or takes gigabytes)."""

from __future__ import annotations

import zipfile

import pytest

from etown_approvals import sheet_extent
from etown_approvals.errors import ExitCode, UnreadableInputError
from etown_approvals.options import InputLimits
from etown_approvals.reader import read_table
from etown_approvals.sheet_extent import Extent, check, column_name

from .fixtures import make_hostile as make

LIMITS = InputLimits()


def _extent(path, sheet="data", limits=LIMITS):
    data = path.read_bytes()
    found = sheet_extent.workbook_extents(data, limits, source=path.name)
    return found[sheet] if found else sheet_extent.sheet_extent(data, sheet, limits, source="x")


@pytest.mark.parametrize(
    ("build", "far"),
    [
        (lambda p: make.xlsx(p / "a.xlsx", {"XFD1048576": 1}), (1_048_576, 16_384)),
        (lambda p: make.xlsx(p / "a.xlsx", {"AAA100000": 1}), (100_000, 703)),
        (lambda p: make.xlsb(p / "a.xlsb", (1_048_575, 16_383)), (1_048_576, 16_384)),
        (lambda p: make.xls(p / "a.xls", (65_535, 255)), (65_536, 256)),
    ],
    ids=["xlsx-XFD", "xlsx-AAA", "xlsb", "xls"],
)
def test_a_far_cell_is_found_and_the_sheet_refused(tmp_path, build, far):
    path = build(tmp_path)
    found = _extent(path)
    # The table (5 rows of 3 cells) and the far value.
    assert (found.cells, found.first_row, found.first_column) == (16, 1, 1)
    assert (found.last_row, found.last_column) == far
    with pytest.raises(UnreadableInputError) as caught:
        read_table(path)
    assert caught.value.exit_code == ExitCode.UNREADABLE
    assert str(caught.value) == (
        f"{path}: sheet 'data' spans {far[0]:,} rows and {far[1]:,} columns "
        f"({far[0] * far[1]:,} cells) but has 16 filled: a stray value far from the table "
        f"(row {far[0]:,} or column {column_name(far[1])})? Delete it, or save the table as CSV"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda p: make.xlsx(p / "a.xlsx", {}),
        lambda p: make.xlsb(p / "a.xlsb"),
        lambda p: make.xls(p / "a.xls", None),
        lambda p: make.ods(p / "a.ods"),
    ],
    ids=["xlsx", "xlsb", "xls", "ods"],
)
def test_the_table_alone_is_its_own_extent_and_is_read(tmp_path, build):
    path = build(tmp_path)
    assert _extent(path) == Extent(15, 1, 5, 1, 3)
    raw = read_table(path)
    assert raw.headers == make.HEADER
    assert raw.num_records == 4


def test_a_styled_empty_cell_far_away_is_no_filled_cell(tmp_path):
    """Formats reach far in real workbooks; the reader leaves value-less cells out."""
    path = make.xlsx_styled_empty_far(tmp_path / "styled.xlsx")
    with zipfile.ZipFile(path) as book:
        assert b'<c r="XFD1048576" s="0"/>' in book.read("xl/worksheets/sheet1.xml")
    assert _extent(path) == Extent(15, 1, 5, 1, 3)
    assert read_table(path).num_records == 4


def test_repeated_values_count_as_many_cells(tmp_path):
    path = make.ods(tmp_path / "repeated.ods", repeated_rows=2_000, repeated_columns=16_384)
    assert _extent(path) == Extent(15 + 2_000 * 16_384, 1, 2_005, 1, 16_384)
    with pytest.raises(UnreadableInputError, match=r"sheet 'data' has 32,849,920 cells, more "
                       r"than the input limit of 4 GiB allows \(--max-input-size"):  # fmt: skip
        read_table(path)
    small = make.ods(tmp_path / "small.ods", repeated_rows=3, repeated_columns=3)
    assert read_table(small).num_records == 7


def test_a_larger_limit_lets_a_large_grid_be_read(tmp_path):
    path = make.ods(tmp_path / "repeated.ods", repeated_rows=200, repeated_columns=100)
    small = InputLimits(max_input_size=1024**2)
    with pytest.raises(UnreadableInputError, match="20,500 cells, more than the input limit"):
        read_table(path, limits=small)
    raw = read_table(path, limits=InputLimits(max_input_size=10 * 1024**2))
    assert (raw.num_records, len(raw.malformed)) == (4, 200)  # (wider than the header)


@pytest.mark.parametrize(
    ("extent", "refused"),
    [
        (Extent(7, 1, 1_000, 1, 1_000), False),  # a million cells: small, however sparse
        (Extent(7, 1, 1_001, 1, 1_000), True),
        (Extent(100_100, 1, 1_001, 1, 1_000), False),  # a tenth filled
        (Extent(100_000, 1, 1_001, 1, 1_000), True),
        (Extent(10_000, 900_001, 901_000, 1, 10), False),  # far from A1, but dense
    ],
)
def test_sparse_means_ten_times_more_grid_than_cells(extent, refused):
    if refused:
        with pytest.raises(UnreadableInputError, match="a stray value far from the table"):
            check(extent, sheet="data", source="book.xlsx", limits=LIMITS)
    else:
        check(extent, sheet="data", source="book.xlsx", limits=LIMITS)


def test_cells_written_the_uncommon_way_are_found_too(tmp_path):
    """A cell's reference after its other attributes, or a prefixed element name, is
    read the slow way: a far cell cannot hide in it."""
    path = make.xlsx(tmp_path / "far.xlsx", {"XFD1048576": 1})

    def rewrite(xml: bytes) -> bytes:
        return xml.replace(b'<c r="XFD1048576" t="n">', b'<c t="n" s="0" r="XFD1048576">')

    make._rewrite(path, rewrite)
    assert _extent(path).last_column == 16_384
    with pytest.raises(UnreadableInputError, match="17,179,869,184 cells"):
        read_table(path)


def test_a_sheet_part_larger_than_the_limit_is_refused(tmp_path):
    path = make.xlsx(tmp_path / "book.xlsx", {f"A{row}": row for row in range(6, 30_000)})
    with pytest.raises(UnreadableInputError) as caught:
        read_table(path, limits=InputLimits(max_input_size=256 * 1024))
    assert str(caught.value) == (
        f"{path}: xl/worksheets/sheet1.xml in the workbook unzips to more than 256 KiB, the "
        "limit (--max-input-size or ETOWN_MAX_INPUT_SIZE raise it)"
    )


def test_a_damaged_workbook_is_unreadable_not_an_internal_error(tmp_path):
    # Without its dimension record, the reader fails to read the sheet (an OSError).
    path = make.xlsb(tmp_path / "book.xlsb", dimension=False)
    with pytest.raises(UnreadableInputError, match=r"sheet 'data' cannot be read \("):
        read_table(path)


@pytest.mark.parametrize(("number", "name"), [(1, "A"), (26, "Z"), (27, "AA"), (703, "AAA"),
                                              (16_384, "XFD")])  # fmt: skip
def test_column_names(number, name):
    assert column_name(number) == name
