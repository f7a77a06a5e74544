"""The bulk writer of long lists (``projects --format json/ndjson``) writes exactly
the bytes a plain JSON writer gives for the same records, and the bytes pandas'
``to_json`` gave before: for hostile text, missing values, integers, booleans, flag
tuples and the file's own columns nested as ``attributes``."""

from __future__ import annotations

import io
import json
import string
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etown_approvals import csvcells
from etown_approvals.formats import csv_format, json_format

HOSTILE = [
    "",
    '"',
    "\\",
    "/",
    "a/b\\c\"d'",
    "\x00\x01\x1f\x7f",
    "\b\f\n\r\t",
    "\u2028\u2029",
    "北京亦庄",
    "😀 emoji",
    "\ufeffBOM",
    "</script>",
    "null",
    "true",
    "1e5",
    "  spaced  ",
]

texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.text(string.printable, max_size=8),
)
FLAGS = ("same_day", "fast_track", "out/of\\order", "标记")


def _column(kind: str, rows: int) -> st.SearchStrategy[pd.Series]:
    if kind == "str":
        return st.lists(st.none() | texts, min_size=rows, max_size=rows).map(
            lambda v: pd.Series(v, dtype="str")
        )
    if kind == "Int64":
        ints = st.integers(-(2**63), 2**63 - 1)
        return st.lists(st.none() | ints, min_size=rows, max_size=rows).map(
            lambda v: pd.Series(v, dtype="Int64")
        )
    if kind == "int64":
        return st.lists(st.integers(-(10**12), 10**12), min_size=rows, max_size=rows).map(
            lambda v: pd.Series(v, dtype="int64")
        )
    if kind == "bool":
        return st.lists(st.booleans(), min_size=rows, max_size=rows).map(
            lambda v: pd.Series(v, dtype="bool")
        )
    if kind == "boolean":
        return st.lists(st.none() | st.booleans(), min_size=rows, max_size=rows).map(
            lambda v: pd.Series(v, dtype="boolean")
        )
    # flags: tuples of names in a fixed order, as metrics.flag_names gives them
    tuples = st.sets(st.sampled_from(FLAGS)).map(lambda s: tuple(f for f in FLAGS if f in s))
    return st.lists(tuples, min_size=rows, max_size=rows).map(_objects)


def _objects(values: list[Any]) -> pd.Series:
    column = np.empty(len(values), dtype=object)  # tuples kept whole, not unpacked
    column[:] = values
    return pd.Series(column)


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    rows = draw(st.integers(1, 9))
    kinds = draw(
        st.lists(
            st.sampled_from(["str", "Int64", "int64", "bool", "boolean", "flags"]),
            min_size=1,
            max_size=6,
        )
    )
    names = draw(st.lists(texts, min_size=len(kinds), max_size=len(kinds), unique=True))
    frame = pd.DataFrame({n: draw(_column(k, rows)) for n, k in zip(names, kinds, strict=True)})
    if not draw(st.booleans()):
        return frame, None
    attribute_names = draw(st.lists(texts, max_size=4, unique=True))
    attributes = pd.DataFrame(
        {n: draw(_column("str", rows)) for n in attribute_names}, index=range(rows)
    )
    return frame, attributes


# -- the reference: the records built the slow way, written by the json module ----------


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if pd.isna(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def reference_records(frame: pd.DataFrame, attributes: pd.DataFrame | None) -> list[dict[str, Any]]:
    columns = {name: list(frame[name].astype(object)) for name in frame.columns}
    nested = {} if attributes is None else {n: list(attributes[n]) for n in attributes.columns}
    records = []
    for i in range(len(frame)):
        record = {name: _plain(values[i]) for name, values in columns.items()}
        if attributes is not None:
            record["attributes"] = {name: _plain(values[i]) for name, values in nested.items()}
        records.append(record)
    return records


def reference_text(records: list[dict[str, Any]], *, lines: bool) -> str:
    """The json module's text: ``json.dumps(rows, indent=2)`` for an array, one compact
    object (``separators=(",", ":")``) per line, non-ASCII text as is."""
    if lines:
        return "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
        )
    if not records:
        return "[]\n"
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def written(
    frame: pd.DataFrame,
    attributes: pd.DataFrame | None,
    *,
    lines: bool,
    binary: bool = False,
    pandas: bool = False,
) -> str:
    write = json_format._write_frame_pandas if pandas else json_format.write_frame
    if binary:  # a byte stream under the text stream, as standard output has
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        write(frame, out, lines=lines, attributes=attributes)
        out.flush()
        return raw.getvalue().decode("utf-8")
    text = io.StringIO()
    write(frame, text, lines=lines, attributes=attributes)
    return text.getvalue()


@pytest.mark.parametrize("lines", [False, True])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=frames(), piece_rows=st.integers(1, 4))
def test_bulk_writer_matches_plain_json(drawn, piece_rows, lines):
    frame, attributes = drawn
    expected = reference_text(reference_records(frame, attributes), lines=lines)
    with mock.patch.object(json_format, "PIECE_ROWS", piece_rows):
        assert written(frame, attributes, lines=lines) == expected
        assert written(frame, attributes, lines=lines, binary=True) == expected
    keys = [*frame.columns, *([] if attributes is None else attributes.columns)]
    if not any("\x00" in key for key in keys):  # pandas cut a key at a NUL character
        assert written(frame, attributes, lines=lines, pandas=True) == expected
    parsed = (
        [json.loads(line) for line in expected.split("\n")[:-1]] if lines else json.loads(expected)
    )
    assert len(parsed) == len(frame)


@pytest.mark.parametrize("lines", [False, True])
def test_a_sample_project_list_is_written_as_before(lines):
    from etown_approvals import results as reports
    from etown_approvals.analysis import analyze
    from etown_approvals.options import InputOptions

    from .conftest import SAMPLE

    result = reports.projects(analyze(SAMPLE, inputs=InputOptions()))
    assert result.frame is not None and result.attributes is not None
    assert len(result.attributes.columns) > 0
    new = written(result.frame, result.attributes, lines=lines)
    assert new == written(result.frame, result.attributes, lines=lines, pandas=True)
    assert new == reference_text(reference_records(result.frame, result.attributes), lines=lines)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.5, None, 1 / 3], dtype="float64"),
        pd.Series(pd.to_datetime(["2024-01-02", None, "2024-03-04"])),
        pd.Series([{"a": 1}, None, 2], dtype=object),
        pd.Series(["a", "b", "a"], dtype="category"),
    ],
    ids=["float", "datetime", "mixed-objects", "category"],
)
@pytest.mark.filterwarnings("ignore:The default formatting of datetime")
@pytest.mark.parametrize("lines", [False, True])
def test_other_columns_are_written_by_pandas_as_before(column, lines):
    frame = pd.DataFrame({"project": pd.Series(["A", "B/C", None], dtype="str"), "x": column})
    attributes = pd.DataFrame({"zone": pd.Series(["z", None, "y"], dtype="str")})
    assert written(frame, attributes, lines=lines) == written(
        frame, attributes, lines=lines, pandas=True
    )


def test_empty_lists_and_objects():
    frame = pd.DataFrame({"flags": pd.Series([(), ("a",)], dtype=object)})
    no_columns = pd.DataFrame(index=range(2))
    text = written(frame, no_columns, lines=False)
    assert text == (
        '[\n  {\n    "flags": [],\n    "attributes": {}\n  },\n'
        '  {\n    "flags": [\n      "a"\n    ],\n    "attributes": {}\n  }\n]\n'
    )
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
    assert written(frame, no_columns, lines=True) == (
        '{"flags":[],"attributes":{}}\n{"flags":["a"],"attributes":{}}\n'
    )
    assert written(frame.iloc[:0], None, lines=False) == "[]\n"
    assert written(frame.iloc[:0], None, lines=True) == ""


# -- CSV --------------------------------------------------------------------------------

formula_texts = st.one_of(
    texts,
    st.tuples(
        st.sampled_from((*csvcells.FORMULA_START, "", "1", "'")),
        st.sampled_from(["", "1", "-2.5e3", "SUM(A1)", ".5", "1.", "١٢", "1\n", "+1"]),
    ).map("".join),
)


def reference_csv(frame: pd.DataFrame) -> str:
    """The rows written one by one by Python's csv module (minimal quoting; a bare
    carriage return quoted too), each cell as the list writer makes it."""
    import csv

    def line(cells: list[Any]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(cells)
        return out.getvalue()[:-2] + "\n"

    def plain(name: str, value: Any) -> Any:
        if isinstance(value, tuple):  # the flags column's names; another's tuple as text
            return list(value) if name == "flags" else str(value)
        return None if pd.isna(value) else value

    names = [str(name) for name in frame.columns]
    text = line([csvcells.cell(name) for name in names])
    for row in frame.astype(object).itertuples(index=False):
        text += line([csvcells.cell(plain(n, v)) for n, v in zip(names, row, strict=True)])
    return text


@st.composite
def csv_frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 9))
    kinds = draw(st.lists(st.sampled_from(["str", "Int64", "flags"]), min_size=1, max_size=5))
    names = draw(st.lists(formula_texts, min_size=len(kinds), max_size=len(kinds), unique=True))
    columns = {}
    for name, kind in zip(names, kinds, strict=True):
        if kind == "str":
            values = draw(st.lists(st.none() | formula_texts, min_size=rows, max_size=rows))
            columns[name] = pd.Series(values, dtype="str")
        else:
            columns[name] = draw(_column(kind, rows))
    if "flags" in kinds:
        columns["flags"] = draw(_column("flags", rows))
    return pd.DataFrame(columns)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=csv_frames(), piece_rows=st.integers(1, 4))
def test_csv_writer_matches_plain_cells(frame, piece_rows):
    with mock.patch.object(csv_format, "PIECE_ROWS", piece_rows):
        text = io.StringIO()
        csv_format.write_frame(frame, text)
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        csv_format.write_frame(frame, stream)
        stream.flush()
    expected = reference_csv(frame)
    assert text.getvalue() == expected
    assert raw.getvalue().decode("utf-8") == expected


def test_changing_the_projects_frame_leaves_the_analysis_alone():
    """The frame shares the table's number columns (copy-on-write), never its memory."""
    from etown_approvals import analyze, results

    from .conftest import SAMPLE

    analysis = analyze(SAMPLE)
    kept = analysis.projects.copy()
    frame = results.projects(analysis).frame
    frame.loc[0, "days"] = 12345
    frame["gap_project_approval"] *= 0
    frame.iloc[1, frame.columns.get_loc("waiting_days")] = -1
    pd.testing.assert_frame_equal(analysis.projects, kept)
