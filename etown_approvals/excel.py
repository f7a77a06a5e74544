"""Reading workbooks (.xlsx, .xls, .ods) into the same raw table as CSV files.

python-calamine reads all three formats and reads what a sheet holds, not
what its ``<dimension>`` tag claims (openpyxl's read-only mode trusts the tag,
and a stale one silently cuts rows and columns). Cells become text the date
reader understands: dates as ISO 8601 (date-times at midnight as dates), whole
numbers without a trailing ``.0`` (permit numbers stay as written).

Row numbers are the sheet's own. Which sheet is read, where the header is and
what happens to cells beyond it:

- ``sheet``: a sheet whose name is ``sheet`` (so a sheet named ``2022`` or ``0``
  is found by its name first); else, for a number, the sheet at that position,
  counting from 0. With no ``sheet``, the first visible worksheet (chart sheets
  and hidden sheets are passed over, with a note).
- The header is found as :mod:`etown_approvals.shape` describes (``header``
  names its row or the columns it holds); blank rows, titles and banners above
  it are skipped, with a note, and a header over several rows (cells merged
  down from it, or rows of text below it) is joined.
- A row with filled cells to the right of the header's last column is kept
  aside as a malformed record, as a CSV row with too many fields is.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .csvcells import csv_line
from .errors import UnreadableInputError, UsageError
from .i18n import N_
from .i18n import gettext as _
from .options import InputLimits
from .rawtable import MalformedRecord, RawTable
from .shape import SEARCH_ROWS, HeaderHint, SampleRow, choose_header, header_note, looks_typed
from .sources import reader_of

if TYPE_CHECKING:
    from python_calamine import SheetMetadata

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
#: From here on a float does not hold every whole number (2**53): such number cells
#: are read as the workbook stores them, where it can be.
_EXACT_FLOAT = 2**53
_INTEGER = re.compile(r"[-+]?\d+")


def read_excel(
    data: bytes | mmap.mmap,
    *,
    source: str,
    sheet: str | int | None = None,
    header: HeaderHint | None = None,
    limits: InputLimits | None = None,
) -> RawTable:
    """The cells of one sheet of the workbook in ``data``, as a :class:`RawTable`.

    The sheet's filled cells are counted in the file first (:mod:`sheet_extent`): a
    sheet far larger than its cells, or too large for ``limits``, is refused.
    """
    from python_calamine import CalamineWorkbook, PasswordError

    from .sheet_extent import check, sheet_extent, workbook_extents

    limits = limits or InputLimits.from_environment()
    for name, extent in workbook_extents(data, limits, source=source).items():  # (made at once)
        check(extent, sheet=name, source=source, limits=limits)
    if data[:8] == _OLE2 and data.find(_ENCRYPTED) != -1:
        # A password-protected .xlsx is an encrypted package inside an OLE2 file.
        raise UnreadableInputError(
            _("is password-protected: save a copy without a password and read that"),
            source=source,
        )
    try:
        workbook = CalamineWorkbook.from_filelike(reader_of(data))
    except PasswordError:
        raise UnreadableInputError(
            _("is password-protected: save a copy without a password and read that"),
            source=source,
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # CalamineError, an OSError, or a panic of the reader
        raise UnreadableInputError(
            _("is not a readable workbook, damaged or truncated ({reason})").format(
                reason=_first_line(error)
            ),
            source=source,
        ) from None
    with workbook:
        chosen, notes = choose_sheet(workbook.sheets_metadata, sheet, source=source)
        chosen_extent = sheet_extent(data, chosen, limits, source=source)
        if chosen_extent is not None:  # before the reader makes the sheet's grid
            check(chosen_extent, sheet=chosen, source=source, limits=limits)
        try:
            content = workbook.get_sheet_by_name(chosen)
            rows = content.to_python()  # from the first filled row and column on
            merged = content.merged_cell_ranges or []
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # CalamineError, an OSError, or a panic of the reader
            raise UnreadableInputError(
                f"sheet {chosen!r} cannot be read ({_first_line(error)})", source=source
            ) from None
        first_row, first_column = content.start or (0, 0)
    name = f"{source}[{chosen}]"
    # Merged cells in the rows' own coordinates (the sheet's minus where its cells start).
    spans = [
        (top - first_row, left - first_column, bottom - first_row, right - first_column)
        for (top, left), (bottom, right) in merged
    ]

    def stored_texts(refs: set[str]) -> dict[str, str]:
        return _xlsx_numbers(data, chosen, refs)

    table = _sheet_table(rows, name, first_row, first_column, header, spans, stored_texts)
    table.notes[:0] = notes
    table.arguments = ["--sheet", chosen]
    table.sheet = chosen
    return table


def choose_sheet(
    sheets: list[SheetMetadata], wanted: str | int | None, *, source: str
) -> tuple[str, list[str]]:
    """The name of the sheet to read, and notes on sheets passed over.

    A name wins over a position: ``"2022"`` is the sheet named 2022 if there is
    one, else (being a number) the sheet at position 2022.
    """
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    names = [s.name for s in sheets]
    worksheets = [s for s in sheets if s.typ == SheetTypeEnum.WorkSheet]
    if wanted is None:
        if not worksheets:
            raise UnreadableInputError(
                _("has no worksheet, only {sheets}").format(sheets=_describe(sheets)),
                source=source,
            )
        visible = [s for s in worksheets if s.visible == SheetVisibleEnum.Visible]
        chosen = (visible or worksheets)[0]
        passed = sheets[: sheets.index(chosen)]
        notes = []
        if passed:
            notes.append(
                f"{source}: "
                + _(
                    "read sheet {name}, the first visible worksheet, passing over {sheets} "
                    "(choose with --sheet)"
                ).format(name=repr(chosen.name), sheets=_describe(passed))
            )
        return chosen.name, notes
    key = str(wanted)  # an int follows the same rule, so callers may pass either
    if key in names:
        picked = sheets[names.index(key)]
    elif key.isascii() and key.isdigit():
        position = int(key)
        if not 0 <= position < len(sheets):
            raise UsageError(
                _("no sheet named or numbered {key} (sheets, numbered from 0: {names})").format(
                    key=repr(key), names=", ".join(names)
                ),
                source=source,
            )
        picked = sheets[position]
    else:
        raise UsageError(
            _("no sheet named {key} (sheets: {names})").format(
                key=repr(key), names=", ".join(names)
            ),
            source=source,
        )
    if picked.typ != SheetTypeEnum.WorkSheet:
        raise UsageError(
            _("sheet {name} is a {kind} sheet, not a table (worksheets: {names})").format(
                name=repr(picked.name),
                kind=_(_KIND_WORDS[_kind(picked)]),
                names=", ".join(s.name for s in worksheets) or _("none"),
            ),
            source=source,
        )
    return picked.name, []


def _kind(sheet: SheetMetadata) -> tuple[bool, str]:
    """Whether the sheet is hidden, and its kind (``work``, ``chart``, ...)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    kinds = (
        (SheetTypeEnum.ChartSheet, "chart"),
        (SheetTypeEnum.DialogSheet, "dialog"),
        (SheetTypeEnum.MacroSheet, "macro"),
        (SheetTypeEnum.Vba, "VBA"),
    )
    kind = next((name for typ, name in kinds if sheet.typ == typ), "work")
    hidden = sheet.visible != SheetVisibleEnum.Visible
    return (hidden, kind)


#: How a sheet is described, by (hidden, kind): a message with ``{name}``.
_SHEET_KINDS = {
    (False, "work"): N_("work sheet {name}"),
    (True, "work"): N_("hidden sheet {name}"),
    (False, "chart"): N_("chart sheet {name}"),
    (True, "chart"): N_("hidden chart sheet {name}"),
    (False, "dialog"): N_("dialog sheet {name}"),
    (True, "dialog"): N_("hidden dialog sheet {name}"),
    (False, "macro"): N_("macro sheet {name}"),
    (True, "macro"): N_("hidden macro sheet {name}"),
    (False, "VBA"): N_("VBA sheet {name}"),
    (True, "VBA"): N_("hidden VBA sheet {name}"),
}
#: A sheet that is not a worksheet, by (hidden, kind), as in "a chart sheet".
_KIND_WORDS = {
    (False, "chart"): N_("chart"),
    (True, "chart"): N_("hidden chart"),
    (False, "dialog"): N_("dialog"),
    (True, "dialog"): N_("hidden dialog"),
    (False, "macro"): N_("macro"),
    (True, "macro"): N_("hidden macro"),
    (False, "VBA"): "VBA",
    (True, "VBA"): N_("hidden VBA"),
}


def _describe(sheets: list[SheetMetadata]) -> str:
    return ", ".join(_(_SHEET_KINDS[_kind(s)]).format(name=repr(s.name)) for s in sheets)


def _sheet_table(
    rows: list[list[Any]],
    name: str,
    first_row: int,
    first_column: int,
    hint: HeaderHint | None = None,
    merged: list[tuple[int, int, int, int]] | None = None,
    stored_texts: Callable[[set[str]], dict[str, str]] | None = None,
) -> RawTable:
    """The raw table of a sheet's cells, ``rows`` starting at sheet row ``first_row + 1``.

    ``stored_texts`` gives the text a workbook stores for number cells (by reference,
    ``A2``), for the numbers a float cannot hold exactly."""
    if not rows:
        raise UnreadableInputError(_("the sheet is empty"), source=name)
    given = None
    if hint is not None and hint.row is not None:
        given = hint.row - 1 - first_row
        if not 0 <= given < len(rows) or not _filled(rows[given]):
            raise UsageError(
                f"--header-row {hint.row}: row {hint.row} of the sheet is empty "
                f"(its filled rows are {first_row + 1}-{first_row + len(rows)})",
                source=name,
            )
    look = rows[: max(SEARCH_ROWS, (given or 0) + SEARCH_ROWS)]
    sample = [_sample_row(row) for row in look]
    choice = choose_header(sample, hint, given=given, merged=merged or ())
    at, count = choice.index, choice.count
    first_filled = next((i for i, row in enumerate(sample) if not row.blank), 0)
    note = header_note(
        name,
        "row",
        first_row + first_filled + 1,
        choice,
        [first_row + i + 1 for i in range(at, at + count)],
        [(first_row + i + 1, _first_text(row)) for i, row in enumerate(rows[:at]) if _filled(row)],
    )
    notes = [note] if note else []
    filled = [i for i, text in enumerate(choice.names) if text]
    if not filled:
        raise UnreadableInputError(_("the sheet is empty"), source=name)
    width = filled[-1] + 1
    headers = [
        text or f"column {first_column + i + 1}" for i, text in enumerate(choice.names[:width])
    ]
    body = rows[at + count :]
    start = first_row + at + count + 1  # the sheet row of body[0]
    malformed: list[MalformedRecord] = []
    if len(rows[at]) > width:  # the sheet is wider than the header: look for cells beyond it
        kept: list[list[Any]] = []
        lines: list[int] = []
        for i, row in enumerate(body, start=start):
            if any(_is_filled(v) for v in row[width:]):
                texts = _cell_texts(row)
                malformed.append(MalformedRecord(i, _csv_line(texts), width, len(texts), line=i))
            else:
                kept.append(row[:width])
                lines.append(i)
        body = kept
    else:
        lines = list(range(start, start + len(body)))
    columns = list(zip(*body, strict=True)) or [()] * width
    exact = _exact_numbers(columns, lines, first_column, stored_texts)
    table = pa.table(
        {f"c{i}": _column(column, exact.get(i, {})) for i, column in enumerate(columns)}
    )
    line_numbers = np.array(lines, dtype=np.int64)
    raw = RawTable(
        source=name,
        headers=headers,
        table=table,
        malformed=malformed,
        notes=notes,
        locate=lambda: line_numbers,
    )
    raw.header_row = first_row + at + 1 if note or given is not None else None
    return raw


def _first_text(row: list[Any]) -> str:
    return next((text for text in _cell_texts(row) if text.strip()), "")


def _sample_row(row: list[Any]) -> SampleRow:
    """A row as the header search sees it: its cells' text, and which are typed
    values (numbers, dates, and text that reads as one)."""
    texts = [(_text(v) or "").strip() for v in row]
    typed = [
        bool(text) and (not isinstance(v, str) or looks_typed(text))
        for v, text in zip(row, texts, strict=True)
    ]
    return SampleRow(tuple(texts), tuple(typed))


def _exact_numbers(
    columns: list[tuple[Any, ...]],
    lines: list[int],
    first_column: int,
    stored_texts: Callable[[set[str]], dict[str, str]] | None,
) -> dict[int, dict[int, str]]:
    """Column -> row -> text of the number cells a float cannot hold exactly (from
    2**53 on: permit numbers of 17 digits and more), as the workbook stores them."""
    wanted: dict[str, tuple[int, int]] = {}
    for j, column in enumerate(columns):
        if float not in set(map(type, column)):
            continue
        letters = _column_letters(first_column + j)
        for i, value in enumerate(column):
            if type(value) is float and abs(value) >= _EXACT_FLOAT and value.is_integer():
                wanted[f"{letters}{lines[i]}"] = (j, i)
    if not wanted or stored_texts is None:
        return {}
    found: dict[int, dict[int, str]] = {}
    for ref, text in stored_texts(set(wanted)).items():
        j, i = wanted[ref]
        # Digits only, and the same number: a stored 1e+16 is that number, written out.
        if _INTEGER.fullmatch(text) and float(text) == columns[j][i]:
            found.setdefault(j, {})[i] = text.lstrip("+")
    return found


def _column_letters(position: int) -> str:
    """``A`` for column 0, ``AA`` for column 26."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xlsx_numbers(data: bytes | mmap.mmap, sheet: str, refs: set[str]) -> dict[str, str]:
    """The stored text (``<v>``) of the cells ``refs`` of an .xlsx sheet, streamed;
    empty for other workbooks or when the sheet cannot be found."""
    import zipfile
    from xml.etree import ElementTree

    found: dict[str, str] = {}
    try:
        with zipfile.ZipFile(reader_of(data)) as archive:
            path = _xlsx_sheet_path(archive, sheet)
            if path is None:
                return found
            with archive.open(path) as stream:
                for _event, element in ElementTree.iterparse(stream):
                    tag = element.tag.rpartition("}")[2]
                    if tag == "c":
                        ref = element.get("r")
                        if ref in refs:
                            value = next(
                                (c.text for c in element if c.tag.rpartition("}")[2] == "v"), None
                            )
                            if value is not None:
                                found[ref] = value.strip()
                            if len(found) == len(refs):
                                break
                        element.clear()
                    elif tag == "row":
                        element.clear()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return {}
    return found


def _xlsx_sheet_path(archive: Any, sheet: str) -> str | None:
    """The part of an .xlsx that holds the sheet named ``sheet``."""
    from xml.etree import ElementTree

    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return None
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relation = None
    for element in workbook.iter():
        if element.tag.rpartition("}")[2] == "sheet" and element.get("name") == sheet:
            relation = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
    if relation is None:
        return None
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for element in relations.iter():
        if element.get("Id") == relation:
            target = element.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            return path if path in names else None
    return None


def _column(values: tuple[Any, ...], exact: dict[int, str] | None = None) -> pa.DictionaryArray:
    """One column's cells as dictionary-encoded text; text and date columns vectorized.
    ``exact``: the text of some cells (by row), as the workbook stores them."""
    kinds = set(map(type, values))
    if kinds <= {str}:  # an empty cell is ""
        array = pa.array(values, pa.string())
        return pc.if_else(pc.equal(array, ""), None, array).dictionary_encode()
    if kinds - {str} in ({datetime}, {date}):
        cells = [None if v == "" else v for v in values] if str in kinds else values
        try:
            dates = pa.array(cells)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # text besides the dates
            pass
        else:
            from .columnar import text_column

            return text_column(dates, header="", source="")
    texts = [_text(v) for v in values]
    for i, text in (exact or {}).items():
        texts[i] = text
    return pa.array(texts, pa.string()).dictionary_encode()


def _filled(row: list[Any]) -> int:
    return sum(1 for v in row if _is_filled(v))


def _is_filled(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _cell_texts(row: list[Any]) -> list[str]:
    """The row's cells as text, up to its last filled cell."""
    texts = [_text(v) or "" for v in row]
    while texts and not texts[-1].strip():
        texts.pop()
    return texts


def _csv_line(texts: list[str]) -> str:
    """A record's cells as one CSV line, as a malformed CSV record's text is."""
    return csv_line(texts)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Every digit of the number (Python writes 1e+16 from 2**53 on, a way of
        # writing that merged two permit numbers into one).
        return str(int(value))
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
