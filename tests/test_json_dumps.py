"""The indented JSON writer gives exactly what the standard library's does."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
