"""The loader's array helpers, against plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
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


@given(
    st.lists(
        st.text(alphabet=st.sampled_from(["a", "b", " ", "\t", "\u3000", "\xa0", "\x1c", "\u2028"]))
        | st.none(),
        max_size=30,
    ),
    st.booleans(),
)
def test_text_columns_trimmed_as_python_strip_does_for_white_space(cells, as_dictionary):
    """A column is trimmed when a value starts or ends with Unicode white space; the
    check looks at the first and last characters only, the result is every value's."""
    import pyarrow as pa

    from etown_approvals.rawtable import RawTable, TextColumn

    array = pa.array(cells, pa.string())
    if as_dictionary:
        array = array.dictionary_encode()
    raw = RawTable(source="cells", headers=["c"], table=pa.table({"c0": array}))
    column = TextColumn.of(raw, 0)
    texts = [None if i < 0 else column.values[int(i)].as_py() for i in column.indices]
    expected = [
        None if c is None else c.strip(" \t\n\v\f\r\x1c\x1d\x1e\x1f\x85\xa0\u3000\u2028")
        for c in cells
    ]
    assert texts == expected
    assert column.trimmed == any(c is not None and c != c.strip() for c in cells)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7])
def test_two_at_a_time_gives_every_result_in_order(count):
    import threading

    from etown_approvals._parallel import two_at_a_time

    seen_threads: set[str] = set()

    def square(item: int) -> int:
        seen_threads.add(threading.current_thread().name)
        return item * item

    assert list(two_at_a_time(square, list(range(count)))) == [i * i for i in range(count)]
    if count >= 2:
        assert all(name.startswith("etown") for name in seen_threads)
