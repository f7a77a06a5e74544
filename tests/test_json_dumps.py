"""The indented JSON writer gives exactly what the standard library's does."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etown_approvals.formats import json_format
from etown_approvals.formats.json_format import dumps

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
keys = (
    st.text()
    | st.integers()
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=40,
)


@given(documents)
def test_same_text_as_the_standard_library(document):
    for indent in (None, 2):
        expected = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=indent)
        assert dumps(document, indent=indent) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), [1.0, float("-inf")]])
def test_no_nan_or_infinity(bad):
    with pytest.raises(ValueError, match="not JSON compliant"):
        dumps({"value": bad})


# Rows: lists of non-empty mappings of plain values are written in one encoder call and
# split where one mapping ends and the next begins; strings that look like that boundary
# must stay whole.
tricky_text = (
    st.sampled_from(["},\n      {", '"},', "}", "{", ",\n", "\n    }", "\\", ""]) | st.text()
)
rows = st.lists(
    st.dictionaries(
        keys,
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | tricky_text,
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=8,
)


@given(rows, st.sampled_from([None, 2, 4]), st.integers(0, 2), st.sampled_from([1, 3, 10_000]))
def test_rows_same_text_as_the_standard_library(table, indent, depth, at_once):
    document: object = table
    for _ in range(depth):
        document = {"periods": document}
    expected = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=indent)
    saved = json_format._ROWS_AT_ONCE
    json_format._ROWS_AT_ONCE = at_once  # rows encoded in one call, or a few at a time
    try:
        assert dumps(document, indent=indent) == expected
    finally:
        json_format._ROWS_AT_ONCE = saved


def test_rows_with_nan_fail_as_the_standard_library_does():
    with pytest.raises(ValueError, match="not JSON compliant"):
        dumps([{"a": 1}, {"a": float("nan")}])
    # The encoder made once keeps no trace of the failure.
    assert dumps([{"a": 1}, {"a": 2}]) == json.dumps([{"a": 1}, {"a": 2}], indent=2)
