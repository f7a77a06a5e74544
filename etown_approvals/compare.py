"""Is one group of projects really faster than another?

:func:`compare` splits projects by attribute columns or by a date (projects
starting before it vs on or after it, e.g. a reform's date) and reports per
group the plain median of complete projects and the Kaplan-Meier median that
counts open ones; then each group against a reference group: the one named, a
date split's ``before`` group, else the largest (equal sizes: the first label in
sort order). Per pair:

- ``median_difference`` (``ci_low``, ``ci_high``): plain medians of complete
  projects only, with a percentile bootstrap interval;
- ``km_median_difference``: Kaplan-Meier medians (open projects censored), with
  a percentile bootstrap interval over the groups' projects;
- ``rmst_difference``: restricted mean time to a horizon (the area under the
  Kaplan-Meier curve), with a normal interval from the Greenwood-type variance;
- ``hodges_lehmann``: the median of all differences between a complete project
  of the group and one of the reference, with its rank-based interval;
- ``p_value``: two-sided Mann-Whitney U test of complete projects, exact by
  permutation when both groups are small (ties included), else the normal
  approximation with tie correction (``p_method``); ``p_value_holm`` adjusted
  across the pairs;
- ``logrank_p_value`` (and ``logrank_p_value_holm``): the log-rank test of the
  two Kaplan-Meier curves, whenever the pair has a completion.

Each pair's numbers depend only on its two groups: each group's bootstrap
resamples come from a generator seeded with ``seed`` and the group's label, so
neither the order of the rows nor the other groups change them.

Everything works on each group's counts per distinct day
(:class:`~etown_approvals.survival.LifeTable`): durations are whole days, so a
million projects are a few thousand numbers, and no resample draws projects
one by one (see :func:`bootstrap_medians` and
:func:`~etown_approvals.survival.bootstrap_km_medians`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ._parallel import two_at_a_time
from .i18n import N_
from .metrics import (
    COMPLETE,
    INVALID,
    OPEN,
    STATUSES,
    WITHDRAWN,
    MetricOptionError,
    MetricOptions,
    grouping,
    statuses_of,
)
from .ranks import Tally, hodges_lehmann, kruskal_wallis, mann_whitney
from .stages import StageSet
from .survival import (
    LifeTable,
    _number,
    bootstrap_km_medians,
    cumulative_incidence,
    life_tables,
    logrank,
    outcomes,
    restricted_mean,
)

#: Bootstrap defaults: documented, so that an interval can be reproduced.
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240101
CONFIDENCE_LEVEL = 0.95
#: A group with fewer complete projects gets no interval and no Mann-Whitney p.
MIN_COMPLETE = 3
#: p-values are written with three significant digits, and never below this.
P_FLOOR = 1e-300
#: ``completed_by``: the share completed by these many days (with ``survival``).
SHARE_DAYS = (90, 180, 365)
#: A reference that is no group: the error names this many of the largest groups.
SHOWN_GROUPS = 5
#: The tests' keys of a comparison, in the document's order.
P_KEYS = ("p_value", "p_method", "p_value_holm", "logrank_p_value", "logrank_p_value_holm")

Label = dict[str, str | None]

# Notes: fixed sentences, so that a table can show them in its language.
NOTE_FEW = N_("fewer than 3 complete projects on one side: no intervals, no Mann-Whitney p-value")
NOTE_GROUP_FEW = N_(
    "fewer than 3 complete projects: no intervals, no Mann-Whitney p-value in its comparison"
)
NOTE_KM_NOT_REACHED = N_("a Kaplan-Meier median is not reached: no difference of them")
NOTE_KM_OPEN = N_(
    "the Kaplan-Meier median is not reached in too many resamples: its interval is open on one side"
)
NOTE_BEYOND = N_(
    "the horizon lies beyond a group's longest follow-up: no restricted mean difference"
)
NOTE_HL_SMALL = N_("too few complete projects for a 95% Hodges-Lehmann interval")
NOTE_LOGRANK_NONE = N_("no project has completed in either group: no log-rank p-value")
NOTE_LOGRANK_TIED = N_(
    "each day a project completed, every project still at risk completed (all on the same "
    "day, say): the log-rank test has no variance, no p-value"
)
#: The document's note when there is nothing to compare.
NOTE_ONE_GROUP = N_("only one group: nothing to compare it with")
NOTE_NO_GROUP = N_("no group: no project has a value to group by")
NOTE_SEPARATOR = "; "


def split_keys(
    projects: pd.DataFrame, stages: StageSet, split_date: date, stage: str | None = None
) -> pd.DataFrame:
    """Group keys ``before DATE`` / ``on or after DATE`` of ``stage``'s date (default start).

    Projects without that date have no key (they are left out of the comparison).
    The frame's ``attrs["reference"]`` names the ``before`` group, which
    :func:`compare` takes as the reference unless told otherwise.
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
    keys = pd.DataFrame({stage: label}, index=projects.index)
    keys.attrs["reference"] = (f"before {split_date.isoformat()}",)
    return keys


@dataclass(frozen=True)
class Group:
    """One group ready to be compared: its projects counted per day and its bootstrap
    resamples (:func:`prepare`)."""

    label: Label
    table: LifeTable
    complete: Tally
    #: Plain medians of complete projects in each resample (NaN without any).
    medians: np.ndarray
    #: Kaplan-Meier medians in each resample (NaN: not reached); None until drawn
    #: (:func:`with_km_medians`).
    km_medians: np.ndarray | None = None
    #: The group's generator, after the plain medians' draws (None: no resamples).
    rng: np.random.Generator | None = None


def group_generator(seed: int, label: Label) -> np.random.Generator:
    """The group's own random generator: seeded with ``seed`` and its label's values in
    order (not the columns' names, so that renaming a column changes nothing)."""
    text = json.dumps(list(label.values()), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    words = np.frombuffer(digest[:16], dtype=np.uint32).tolist()
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def prepare(
    label: Label,
    table: LifeTable,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    km: bool = True,
) -> Group:
    """A group with its bootstrap resamples drawn from its own generator (none for a
    group with fewer than :data:`MIN_COMPLETE` complete projects, which gets no
    interval): the plain medians', then (unless ``km`` is False, for
    :func:`with_km_medians` to draw when a comparison needs them) the Kaplan-Meier
    medians'. Either way each group's numbers are the same."""
    complete = table.complete_days()
    if complete.n < MIN_COMPLETE:
        nothing = np.full(resamples, np.nan)
        return Group(label, table, complete, nothing, nothing)
    rng = group_generator(seed, label)
    group = Group(label, table, complete, bootstrap_medians(complete, resamples, rng), rng=rng)
    return with_km_medians(group) if km else group


def with_km_medians(group: Group) -> Group:
    """The group with its Kaplan-Meier medians' resamples drawn (the draws after the
    plain medians' from its generator)."""
    if group.km_medians is not None:
        return group
    assert group.rng is not None
    drawn = bootstrap_km_medians(group.table, group.medians.size, group.rng)
    return replace(group, km_medians=drawn)


def bootstrap_medians(tally: Tally, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Plain medians of ``resamples`` bootstrap resamples of a sample, without drawing
    the sample: the k-th smallest of n draws from the sample is the sample's
    quantile at the k-th smallest of n uniforms, which is Beta(k, n + 1 - k); for an
    even n the next one up is that plus (1 - it) times Beta(1, n - k)."""
    n = tally.n
    if n == 0:
        return np.full(resamples, np.nan)
    share = np.cumsum(tally.counts) / n
    last = tally.values.size - 1

    def quantile(u: np.ndarray) -> np.ndarray:
        index = np.minimum(np.searchsorted(share, u, side="left"), last)
        return tally.values[index].astype(np.float64)

    k = (n + 1) // 2
    lower = rng.beta(k, n + 1 - k, size=resamples)
    if n % 2:
        return quantile(lower)
    upper = lower + (1 - lower) * rng.beta(1, n - k, size=resamples)
    return (quantile(lower) + quantile(upper)) / 2


def pair(
    reference: Group,
    group: Group,
    *,
    horizon: float | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
) -> dict[str, Any]:
    """``group`` against ``reference``: the comparison entry (p-values unrounded,
    without the Holm adjustment, which needs every pair). ``horizon``: the restricted
    mean's (default the shorter of the two groups' longest follow-ups)."""
    notes: list[str] = []
    few = min(reference.complete.n, group.complete.n) < MIN_COMPLETE
    if few:
        notes.append(NOTE_FEW)
    both = reference.complete.n > 0 and group.complete.n > 0
    entry: dict[str, Any] = {"group": group.label, "reference": reference.label}
    low = high = None
    if both and not few:
        low, high = _interval(group.medians - reference.medians, confidence_level)
    entry |= {
        "median_difference": _number(group.complete.median() - reference.complete.median())
        if both
        else None,
        "ci_low": _number(low),
        "ci_high": _number(high),
    }
    entry["km_median_difference"] = _km_median_difference(
        reference, group, few, confidence_level, notes
    )
    entry["rmst_difference"] = _rmst_difference(
        reference, group, few, horizon, confidence_level, notes
    )
    shift: dict[str, Any] = {"estimate": None, "ci_low": None, "ci_high": None}
    if both:
        found = hodges_lehmann(group.complete, reference.complete, confidence_level)
        shift["estimate"] = _number(found.estimate)
        if not few:
            if found.ci_low is None:
                notes.append(NOTE_HL_SMALL)
            shift["ci_low"], shift["ci_high"] = found.ci_low, found.ci_high
    entry["hodges_lehmann"] = shift
    entry["p_value"] = entry["p_method"] = None
    if both and not few:
        test = mann_whitney(group.complete, reference.complete)
        entry["p_value"], entry["p_method"] = test.pvalue, test.method
    entry["logrank_p_value"] = logrank(group.table, reference.table)
    if entry["logrank_p_value"] is None and group.table.n and reference.table.n:
        completed = int(group.table.completed.sum() + reference.table.completed.sum())
        notes.append(NOTE_LOGRANK_TIED if completed else NOTE_LOGRANK_NONE)
    entry["note"] = NOTE_SEPARATOR.join(notes) if notes else None
    return entry


def _km_median_difference(
    reference: Group, group: Group, few: bool, confidence_level: float, notes: list[str]
) -> dict[str, Any]:
    found: dict[str, Any] = {"estimate": None, "ci_low": None, "ci_high": None}
    mine, theirs = group.table.km_median(), reference.table.km_median()
    if mine is None or theirs is None:
        if group.table.n and reference.table.n:
            notes.append(NOTE_KM_NOT_REACHED)
        return found
    found["estimate"] = _number(mine - theirs)
    if few:
        return found
    # A resample whose curve never reaches one half counts as longer than any time;
    # where both never do, the difference is NaN, which _interval takes as open.
    assert group.km_medians is not None and reference.km_medians is not None
    with np.errstate(invalid="ignore"):
        differences = np.nan_to_num(group.km_medians, nan=np.inf) - np.nan_to_num(
            reference.km_medians, nan=np.inf
        )
    low, high = _interval(differences, confidence_level)
    found["ci_low"], found["ci_high"] = _number(low), _number(high)
    if low is None or high is None:
        notes.append(NOTE_KM_OPEN)
    return found


def _rmst_difference(
    reference: Group,
    group: Group,
    few: bool,
    horizon: float | None,
    confidence_level: float,
    notes: list[str],
) -> dict[str, Any]:
    found: dict[str, Any] = {"estimate": None, "ci_low": None, "ci_high": None, "horizon": None}
    if horizon is None:
        longest = [t.longest for t in (reference.table, group.table)]
        if None in longest:
            return found  # a group without projects
        horizon = min(x for x in longest if x is not None)
    found["horizon"] = _number(horizon)
    means = [restricted_mean(t, horizon) for t in (group.table, reference.table)]
    if means[0] is None or means[1] is None:
        if group.table.n and reference.table.n:
            notes.append(NOTE_BEYOND)
        return found
    difference = means[0][0] - means[1][0]
    found["estimate"] = _number(difference)
    if not few:
        spread = _normal_quantile(confidence_level) * math.sqrt(means[0][1] + means[1][1])
        found["ci_low"] = _number(difference - spread)
        found["ci_high"] = _number(difference + spread)
    return found


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the p-values that are not None (None stays None)."""
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(present)):
        running = max(running, min(1.0, (len(present) - rank) * p))
        adjusted[i] = running
    return adjusted


def compare(
    projects: pd.DataFrame,
    stages: StageSet,
    group_keys: pd.DataFrame,
    options: MetricOptions = MetricOptions(),
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    withdrawn: np.ndarray | pd.Series | None = None,
    reference: Sequence[str] | None = None,
    horizon: float | None = None,
    survival: bool = False,
) -> dict[str, Any]:
    """Groups of projects side by side, and each against the reference.

    ``group_keys``: key columns aligned with ``projects`` (attribute columns, or
    :func:`split_keys`). Projects with a missing key are left out (counted in
    ``ungrouped``). ``reference``: the reference group's value of each key
    column (a string for one column); default a date split's ``before`` group,
    else the largest group (equal sizes: the first label in sort order). Groups
    are listed reference first, then by size, largest first (equal sizes by
    label). ``horizon``: the restricted mean's horizon in days (default per pair,
    the shorter of the two groups' longest follow-ups). ``survival`` adds each group's cumulative
    incidence of completion and of withdrawal and the share completed by
    :data:`SHARE_DAYS`.
    """
    if resamples < 1:
        raise MetricOptionError("the bootstrap needs at least one resample")
    if seed < 0:
        raise MetricOptionError("the bootstrap seed must be a whole number, 0 or more")
    if horizon is not None:
        try:  # a float from here on: a whole number beyond int64 made object arrays
            horizon = float(horizon)
        except OverflowError:
            horizon = math.inf
        if not 0 < horizon < math.inf:
            raise MetricOptionError("the horizon must be a number of days, more than 0")
    if isinstance(reference, str):  # one column's value, not a sequence of characters
        reference = [reference]
    keyed = group_keys.notna().all(axis=1).to_numpy(dtype=bool)
    grouped = grouping(group_keys[keyed], int(keyed.sum()))
    labels = grouped.labels
    n = len(labels)
    codes = np.full(len(projects), -1, dtype=np.int64)
    codes[keyed] = grouped.codes

    times, outcome, usable = outcomes(projects, stages, options, withdrawn=withdrawn)
    take = usable & keyed
    tables = life_tables(times[take], outcome[take], codes[take], n)

    status = statuses_of(projects, stages, withdrawn).astype(np.int64)  # the one status rule
    counted = np.bincount(
        codes[keyed] * len(STATUSES) + status[keyed], minlength=n * len(STATUSES)
    ).reshape(n, len(STATUSES))
    sizes = counted.sum(axis=1)

    first = _reference_index(labels, sizes, reference, group_keys.attrs.get("reference"))
    others = sorted(
        (g for g in range(n) if g != first), key=lambda g: (-sizes[g], _sort_key(labels[g]))
    )
    order = [first, *others] if n else []
    groups = [
        prepare(labels[g], tables[g], resamples=resamples, seed=seed, km=False) for g in order
    ]
    groups = _with_km_medians(groups)

    rows = []
    for g, prepared in zip(order, groups, strict=True):
        km = prepared.table.km_median()
        row: dict[str, Any] = {
            "group": labels[g],
            "projects": int(sizes[g]),
            "complete": int(counted[g, STATUSES.index(COMPLETE)]),
            "open": int(counted[g, STATUSES.index(OPEN)]),
            "invalid": int(counted[g, STATUSES.index(INVALID)]),
            "withdrawn": int(counted[g, STATUSES.index(WITHDRAWN)]),
            "median": _number(prepared.complete.median()) if prepared.complete.n else None,
            "km_median": _number(km),
            "note": NOTE_GROUP_FEW if prepared.complete.n < MIN_COMPLETE and n > 1 else None,
        }
        if survival:
            row |= _incidence(prepared.table)
        rows.append(row)

    comparisons = [pair(groups[0], other, horizon=horizon) for other in groups[1:]]
    for key in ("p_value", "logrank_p_value"):
        adjusted = holm([c[key] for c in comparisons])
        for entry, value in zip(comparisons, adjusted, strict=True):
            entry[key] = _p(entry[key])
            entry[f"{key}_holm"] = _p(value)
    for entry in comparisons:  # keys in the documented order
        entry |= {k: entry.pop(k) for k in (*P_KEYS, "note")}
    document: dict[str, Any] = {
        "groups": rows,
        "ungrouped": int((~keyed).sum()),
        "reference": labels[first] if n else None,
        "comparisons": comparisons,
        "note": NOTE_NO_GROUP if n == 0 else NOTE_ONE_GROUP if n == 1 else None,
        "test": "mann-whitney-u, two-sided, complete projects",
        "bootstrap": {
            "method": "percentile",
            "resamples": resamples,
            "seed": seed,
            "confidence_level": CONFIDENCE_LEVEL,
        },
        "horizon": _number(horizon),
    }
    if n > 2:
        filled = [g.complete for g in groups if g.complete.n]
        document["kruskal_p_value"] = _p(kruskal_wallis(filled)) if len(filled) > 2 else None
    return document


def _with_km_medians(groups: list[Group]) -> list[Group]:
    """The groups with the Kaplan-Meier medians' resamples that some comparison reads
    (both groups' medians reached, both with intervals), drawn two groups at once."""
    if not groups:
        return groups
    reached = [g.table.km_median() is not None for g in groups]
    needed = [
        i
        for i, g in enumerate(groups[1:], 1)
        if reached[0] and reached[i] and min(groups[0].complete.n, g.complete.n) >= MIN_COMPLETE
    ]
    if needed:
        needed.insert(0, 0)
    found = list(groups)
    for i, group in zip(
        needed, two_at_a_time(with_km_medians, [groups[i] for i in needed]), strict=True
    ):
        found[i] = group
    return found


def _incidence(table: LifeTable) -> dict[str, Any]:
    time, completed, withdrawn = cumulative_incidence(table)
    shares: dict[str, float | None] = {}
    for days in SHARE_DAYS:
        if table.longest is None or (days > table.longest and table.open_at_end()):
            shares[str(days)] = None  # not followed that long
            continue
        index = int(np.searchsorted(time, days, side="right")) - 1
        shares[str(days)] = round(float(completed[index]), 4) if index >= 0 else 0.0
    return {
        "cumulative_incidence": {
            "times": [_number(t) for t in time.tolist()],
            "completed": np.round(completed, 6).tolist(),
            "withdrawn": np.round(withdrawn, 6).tolist(),
        },
        "completed_by": shares,
    }


def _reference_index(
    labels: list[Label],
    sizes: np.ndarray,
    reference: Sequence[str] | None,
    preferred: Sequence[str] | None = None,
) -> int:
    """The named group (an error if there is none), else the ``preferred`` one if it
    is there, else the largest (equal sizes: the first label in sort order)."""
    if not labels:
        return 0
    if reference is not None:
        found = _find(labels, reference)
        if found is None:
            # a few of the largest groups, each cut short, and how many there are
            largest = sorted(range(len(labels)), key=lambda g: (-sizes[g], _sort_key(labels[g])))
            shown = ", ".join(
                _shorten(" / ".join(str(v) for v in labels[g].values()))
                for g in largest[:SHOWN_GROUPS]
            )
            if len(labels) > SHOWN_GROUPS:
                shown = f"{len(labels):,} groups; the largest: {shown}, ..."
            else:
                shown = f"groups: {shown}"
            raise MetricOptionError(
                f"no group {_shorten(' / '.join(reference))!r} to compare with ({shown})"
            )
        return found
    if preferred is not None:
        found = _find(labels, preferred)
        if found is not None:
            return found
    return min(range(len(labels)), key=lambda g: (-sizes[g], _sort_key(labels[g])))


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _find(labels: list[Label], values: Sequence[str]) -> int | None:
    wanted = list(values)
    return next((g for g, label in enumerate(labels) if list(label.values()) == wanted), None)


def _sort_key(label: Label) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, v or "") for v in label.values())


def _interval(values: np.ndarray, confidence_level: float) -> tuple[float | None, float | None]:
    """Percentile interval of bootstrap values (linear between order statistics); a
    bound that falls on or next to an infinite value is None (open on that side)."""
    alpha = (1 - confidence_level) / 2
    lower = np.sort(np.where(np.isnan(values), -np.inf, values))
    upper = np.sort(np.where(np.isnan(values), np.inf, values))
    return _percentile(lower, alpha), _percentile(upper, 1 - alpha)


def _percentile(ordered: np.ndarray, q: float) -> float | None:
    position = (ordered.size - 1) * q
    below = math.floor(position)
    fraction = position - below
    low = float(ordered[below])
    if fraction == 0:
        return low if math.isfinite(low) else None
    high = float(ordered[min(below + 1, ordered.size - 1)])
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return low + fraction * (high - low)


def _normal_quantile(confidence_level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - confidence_level) / 2)


def _p(value: float | None) -> float | None:
    """Three significant digits, never 0 (at least :data:`P_FLOOR`)."""
    if value is None or math.isnan(value):
        return None
    return float(f"{max(value, P_FLOOR):.3g}")
