"""Is one group of projects really faster than another?

:func:`compare` splits projects by attribute columns or by a date (projects
starting before it vs on or after it, e.g. a reform's date) and reports per
group the plain median of complete projects and the Kaplan-Meier median that
counts open ones; then each group against the first (the reference):

- ``median_difference``: the group's plain median minus the reference's, with a
  percentile bootstrap interval (each group resampled with replacement on its
  own, ``resamples`` times, from a generator seeded with ``seed``; the same
  seed gives the same interval);
- ``p_value``: two-sided Mann-Whitney U test of the complete projects' days
  (scipy; exact for small samples without ties, normal approximation
  otherwise). It asks whether one group's durations tend to be larger, not
  whether the medians differ;
- ``logrank_p_value``: scipy's log-rank test of the survival curves, which
  counts open projects as censored. Where many projects are still open, trust
  it over the Mann-Whitney test of complete projects only.

With more than two groups, ``kruskal_p_value`` tests all groups at once
(Kruskal-Wallis); the pairwise p-values are not adjusted for multiple
comparisons.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .metrics import (
    COMPLETE,
    INVALID,
    OPEN,
    STATUSES,
    MetricOptionError,
    MetricOptions,
    grouping,
    statuses_of,
)
from .stages import StageSet
from .survival import _number, km_medians, survival_times

#: Bootstrap defaults: documented, so that an interval can be reproduced.
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240101
CONFIDENCE_LEVEL = 0.95
#: Resampled values held in memory at once (resamples x group size).
_CHUNK_VALUES = 4_000_000


def split_keys(
    projects: pd.DataFrame, stages: StageSet, split_date: date, stage: str | None = None
) -> pd.DataFrame:
    """Group keys ``before DATE`` / ``on or after DATE`` of ``stage``'s date (default start).

    Projects without that date have no key (they are left out of the comparison).
    """
    stage = stage or stages.start
    if stage not in stages.stages:
        raise MetricOptionError(
            f"no stage {stage!r} to split by (stages: {', '.join(stages.stages)})"
        )
    dates = projects[stage]
    label = np.where(
        (dates < pd.Timestamp(split_date)).to_numpy(dtype=bool, na_value=False),
        f"before {split_date.isoformat()}",
        f"on or after {split_date.isoformat()}",
    ).astype(object)
    label[dates.isna().to_numpy(dtype=bool)] = None
    return pd.DataFrame({stage: label}, index=projects.index)


def compare(
    projects: pd.DataFrame,
    stages: StageSet,
    group_keys: pd.DataFrame,
    options: MetricOptions = MetricOptions(),
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    withdrawn: np.ndarray | pd.Series | None = None,
) -> dict[str, Any]:
    """Groups of projects side by side and each against the first.

    ``group_keys``: key columns aligned with ``projects`` (attribute columns,
    or :func:`split_keys`). Projects with a missing key are left out (counted
    in ``ungrouped``). Groups are in order of first appearance, except that a
    date split puts ``before`` first, so it is the reference.
    """
    from scipy import stats

    if resamples < 1:
        raise MetricOptionError("the bootstrap needs at least one resample")
    keyed = group_keys.notna().all(axis=1).to_numpy(dtype=bool)
    kept, keys = projects[keyed], group_keys[keyed]
    grouped = grouping(keys, len(kept))
    order = _reference_first(grouped.labels)
    labels = [grouped.labels[g] for g in order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[grouped.codes] if len(kept) else grouped.codes
    n = len(labels)

    status = statuses_of(kept, stages, withdrawn)  # the one status rule
    complete = status == STATUSES.index(COMPLETE)
    days = kept["days"].to_numpy(dtype=np.float64, na_value=np.nan)
    samples = [days[complete & (codes == g)] for g in range(n)]
    times, observed, usable = survival_times(kept, stages, options, withdrawn=withdrawn)
    km = km_medians(times[usable], observed[usable], codes[usable], n)
    rows = [
        {
            "group": labels[g],
            "projects": int((codes == g).sum()),
            "complete": int(samples[g].size),
            "open": int(((codes == g) & (status == STATUSES.index(OPEN))).sum()),
            "invalid": int(((codes == g) & (status == STATUSES.index(INVALID))).sum()),
            "median": _number(float(np.median(samples[g]))) if samples[g].size else None,
            "km_median": None if np.isnan(km[g]) else _number(float(km[g])),
        }
        for g in range(n)
    ]
    rng = np.random.default_rng(seed)
    comparisons = []
    for g in range(1, n):
        reference, sample = samples[0], samples[g]
        entry: dict[str, Any] = {"group": labels[g], "reference": labels[0]}
        if reference.size and sample.size:
            low, high = bootstrap_median_difference(reference, sample, resamples, rng)
            entry |= {
                "median_difference": _number(float(np.median(sample) - np.median(reference))),
                "ci_low": _number(low),
                "ci_high": _number(high),
                "p_value": _p(stats.mannwhitneyu(sample, reference, alternative="two-sided")),
            }
        else:
            entry |= dict.fromkeys(("median_difference", "ci_low", "ci_high", "p_value"))
        entry["logrank_p_value"] = _logrank(times, observed, usable, codes, 0, g)
        comparisons.append(entry)
    document: dict[str, Any] = {
        "groups": rows,
        "ungrouped": int((~keyed).sum()),
        "comparisons": comparisons,
        "test": "mann-whitney-u, two-sided, complete projects",
        "bootstrap": {
            "method": "percentile",
            "resamples": resamples,
            "seed": seed,
            "confidence_level": CONFIDENCE_LEVEL,
        },
    }
    if n > 2:
        filled = [s for s in samples if s.size]
        document["kruskal_p_value"] = (
            _p(stats.kruskal(*filled)) if len(filled) > 2 and _varies(filled) else None
        )
    return document


def bootstrap_median_difference(
    reference: np.ndarray, sample: np.ndarray, resamples: int, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile bootstrap interval of median(sample) - median(reference)."""
    alpha = (1 - CONFIDENCE_LEVEL) / 2
    differences = _bootstrap_medians(sample, resamples, rng) - _bootstrap_medians(
        reference, resamples, rng
    )
    low, high = np.quantile(differences, [alpha, 1 - alpha])
    return float(low), float(high)


def _bootstrap_medians(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    chunk = max(1, _CHUNK_VALUES // max(values.size, 1))
    medians = []
    for done in range(0, resamples, chunk):
        size = min(chunk, resamples - done)
        picks = rng.integers(0, values.size, size=(size, values.size))
        medians.append(np.median(values[picks], axis=1))
    return np.concatenate(medians)


def _reference_first(labels: list[dict[str, str | None]]) -> list[int]:
    """Group order: a date split's ``before`` group first, otherwise as found."""
    before = [
        g
        for g, label in enumerate(labels)
        if any(v is not None and v.startswith("before ") for v in label.values())
    ]
    return before + [g for g in range(len(labels)) if g not in before]


def _logrank(
    times: np.ndarray,
    observed: np.ndarray,
    usable: np.ndarray,
    codes: np.ndarray,
    first: int,
    second: int,
) -> float | None:
    from scipy import stats

    parts = []
    for g in (first, second):
        mask = usable & (codes == g)
        t, o = times[mask], observed[mask]
        if not o.any():
            return None  # no event in a group: the test has nothing to compare
        parts.append(stats.CensoredData(uncensored=t[o], right=t[~o]))
    return _p(stats.logrank(parts[0], parts[1]))


def _varies(samples: list[np.ndarray]) -> bool:
    """Kruskal-Wallis is undefined when every value is the same."""
    values = np.concatenate(samples)
    return bool(values.size) and bool(values.min() != values.max())


def _p(result: Any) -> float | None:
    value = float(result.pvalue)
    return None if np.isnan(value) else round(value, 6)
