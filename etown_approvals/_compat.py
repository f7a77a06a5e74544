"""Fast paths that lean on library internals, each with a tested public fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd


def categorical_from_codes(
    codes: np.ndarray, categories: pd.Index, *, fastpath: bool = True
) -> pd.Categorical:
    """A categorical from codes and categories known to be distinct.

    pandas checks that categories are unique by hashing them all, which for a
    million project names costs 0.4 s against 0.004 s unchecked; the names come
    from a dictionary encoding, so the check is skipped where pandas allows it
    (a private constructor). Without it, or with ``fastpath=False``, the public
    constructor gives the same categorical.
    """
    private = getattr(pd.CategoricalDtype, "_from_fastpath", None) if fastpath else None
    if private is None:
        return pd.Categorical.from_codes(codes, categories=categories)
    try:
        dtype = private(categories, False)
    except TypeError:  # the private signature changed: take the public way
        return pd.Categorical.from_codes(codes, categories=categories)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
