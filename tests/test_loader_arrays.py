"""The loader's array helpers, against plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from etown_approvals.loader import _first_occurrences, _narrow

codes = st.lists(st.integers(min_value=0, max_value=30), max_size=200)


@given(codes, st.sampled_from([np.int32, np.int64]))
def test_first_occurrences_as_pandas_finds_them(values, dtype):
    array = np.asarray(values, dtype=dtype)
    expected = ~pd.Series(array, dtype="int64").duplicated().to_numpy()
    assert np.array_equal(_first_occurrences(array), expected)


@given(st.integers(min_value=1, max_value=50))
def test_first_occurrences_of_codes_in_order(n):
    """The common case (each code first seen after all smaller ones), and a near miss."""
    array = np.repeat(np.arange(n, dtype=np.int32), 3)
    assert np.array_equal(_first_occurrences(array), ~pd.Series(array).duplicated().to_numpy())
    swapped = array.copy()
    swapped[[0, -1]] = swapped[[-1, 0]]  # the last code now comes first
    expected = ~pd.Series(swapped).duplicated().to_numpy()
    assert np.array_equal(_first_occurrences(swapped), expected)


def test_line_numbers_narrowed_only_when_they_fit():
    assert _narrow(np.arange(2, 10, dtype=np.int64)).dtype == np.int32
    big = np.array([2, 2**31 + 5], dtype=np.int64)
    assert _narrow(big).dtype == np.int64
    assert _narrow(np.zeros(0, dtype=np.int64)).dtype == np.int32


def test_category_text_is_what_astype_str_gives():
    from etown_approvals.results import _category_text

    values = pd.Series(pd.Categorical.from_codes([0, 1, 2, 0, 1], ["complete", "open", "invalid"]))
    expected = values.astype(str).array
    found = _category_text(values)
    assert found.dtype == expected.dtype
    assert list(found) == list(expected)
