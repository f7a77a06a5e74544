"""Rows kept as columns: the same dicts and the same JSON text as plain lists of dicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etown_approvals import analyze, results
from etown_approvals.formats.json_format import dumps
from etown_approvals.rows import Counts, Lists, Numbers, Picked, Rows

from .conftest import SAMPLE


def standard(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=2)


def python_number(value: float, digits: int, floats: bool) -> float | int | None:
    """What a number column holds, by Python's own round (the independent rule)."""
    if not math.isfinite(value):
        return None
    rounded = round(value, digits)
    if floats:
        return rounded
    return int(rounded) if rounded == math.floor(rounded) else rounded


def sample_rows() -> Rows:
    return Rows(
        {
            "group": Picked(np.array([1, 0, 1]), [{"zone": "A", "sector": None}, {"zone": "B/č"}]),
            "period": Picked(np.array([0, 1, 0]), ["2023", 'with "quotes"\n']),
            ("projects", "total"): Counts(np.array([3, 0, 12])),
            ("projects", "open"): Counts(np.array([1, 0, 2])),
            ("days", "median"): Numbers(np.array([1.5, np.nan, 2.0])),
            ("days", "mean"): Numbers(np.array([0.125, 3.0, -0.0])),
            ("same_day", "share"): Numbers(np.array([0.0, 1.0, 1 / 3]), 4, floats=True),
            ("same_day", "projects"): Lists(
                np.array(["P1", 'P"2', "P\\3\t", "项目"], dtype=object), np.array([0, 0, 3, 4])
            ),
            "out_of_order": Counts(np.array([0, 1, 2])),
        }
    )


def test_rows_are_the_dicts_their_columns_say():
    rows = sample_rows()
    assert len(rows) == 3
    assert rows[0] == {
        "group": {"zone": "B/č"},
        "period": "2023",
        "projects": {"total": 3, "open": 1},
        "days": {"median": 1.5, "mean": 0.12},
        "same_day": {"share": 0.0, "projects": []},
        "out_of_order": 0,
    }
    assert rows[1]["days"] == {"median": None, "mean": 3}
    assert rows[1]["same_day"] == {"share": 1.0, "projects": ["P1", 'P"2', "P\\3\t"]}
    assert rows[2]["same_day"] == {"share": 0.3333, "projects": ["项目"]}
    assert rows == list(rows)


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_json_text_of_rows_is_the_standard_librarys(depth):
    rows = sample_rows()
    document: object = rows
    plain: object = list(sample_rows())
    for level in range(depth):
        document, plain = {f"level{level}": document}, {f"level{level}": plain}
    assert dumps(document) == standard(plain)
    assert not rows.materialized  # written from the columns, no dict made


def test_compact_json_of_rows_is_the_standard_librarys():
    """Without indent (as NDJSON and library callers write): the dicts, via the encoder's
    default hook."""
    rows = sample_rows()
    expected = json.dumps({"rows": list(sample_rows())}, ensure_ascii=False, allow_nan=False)
    assert dumps({"rows": rows}, indent=None) == expected


def test_a_changed_row_is_written_as_changed():
    rows = sample_rows()
    rows[0]["out_of_order"] = 99
    assert json.loads(dumps({"rows": rows}))["rows"][0]["out_of_order"] == 99


def test_empty_rows_and_empty_lists():
    assert dumps({"rows": Rows({})}) == standard({"rows": []})
    one = Rows({"names": Lists(np.array([], dtype=object), np.array([0, 0, 0]))})
    assert dumps(one) == standard([{"names": []}, {"names": []}])


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        Rows({"a": Counts(np.array([1])), "b": Counts(np.array([1, 2]))})


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e10, max_value=1e10),
    st.integers(-(10**6), 10**6).map(lambda n: n / 8),
    st.sampled_from([0.0, -0.0, 1e-4, 5e-5, 0.00015, 1e9, 999999999.99, 2.0**53, 1e16, 0.125]),
    st.floats(min_value=1e9, max_value=1e17).map(lambda x: x + 0.25),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, min_size=1, max_size=40), st.sampled_from([2, 4]), st.booleans())
def test_number_text_is_pythons(values, digits, floats):
    column = Numbers(np.array(values, dtype=np.float64), digits, floats=floats)
    expected = [{"x": python_number(v, digits, floats)} for v in values]
    rows = Rows({"x": column})
    assert list(rows) == expected
    assert dumps(Rows({"x": column})) == standard(expected)


def test_result_document_is_plain_json():
    analysis = analyze(SAMPLE)
    for result in (
        results.trend(analysis, group_by="zone"),
        results.stages(analysis, group_by="zone"),
        results.summary(analysis, group_by="zone"),
    ):
        written = result.to_json()
        text = json.dumps(result.document, ensure_ascii=False, allow_nan=False, indent=2)
        assert written == text + "\n"
