"""`etown compare` on generated files: every estimate against lifelines, scipy or numpy
run on the durations the test itself wrote into the file."""

from __future__ import annotations

import json
import warnings
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import restricted_mean_survival_time
from scipy import stats

from .test_life_tables import greenwood_rmst_variance
from .test_ranks import permutation_p

AS_OF = date(2025, 1, 1)
#: zone: (projects, typical days)
ZONES = {
    "big": (400, 90),
    "mid": (120, 130),
    "small": (8, 60),
    "smaller": (6, 150),
    "tiny": (3, 40),
}


@pytest.fixture(autouse=True)
def _quiet_lifelines():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A file of projects in five zones, and each project's truth: its zone, outcome and
    time. Completions take an even number of days, open projects have waited an odd
    number, so that no completion ties with a censoring (lifelines' Aalen-Johansen
    jitters ties)."""
    rng = np.random.default_rng(2024)
    lines = ["project,event,date,zone,status"]
    truth = []
    for zone, (count, typical) in ZONES.items():
        for i in range(count):
            name = f"{zone}-{i}"
            start = date(2022, 1, 1) + timedelta(days=int(rng.integers(0, 900)))
            days = 2 * int(rng.gamma(2.0, typical / 4))
            kind = rng.choice(["complete", "withdrawn", "open"], p=[0.75, 0.1, 0.15])
            if zone == "tiny":
                kind = ["complete", "complete", "open"][i]
            if kind != "open" and start + timedelta(days=days) > AS_OF:
                kind = "open"
            if kind == "open":
                start = AS_OF - timedelta(days=2 * int(rng.integers(1, 450)) + 1)
                time = (AS_OF - start).days
            lines.append(f"{name},land acquisition,{start},{zone},active")
            if kind == "complete":
                end = start + timedelta(days=days)
                lines.append(f"{name},construction permit,{end},{zone},issued")
                time = days
            elif kind == "withdrawn":
                lines.append(
                    f"{name},project approval,{start + timedelta(days=days)},{zone},cancelled"
                )
                time = days
            truth.append((zone, kind, time))
    path = tmp_path_factory.mktemp("compare") / "projects.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    zones = np.array([t[0] for t in truth])
    kinds = np.array([t[1] for t in truth])
    times = np.array([t[2] for t in truth], dtype=float)
    return path, zones, kinds, times


def run_compare(run, path, *extra):
    result = run(
        "compare",
        str(path),
        "--group-by",
        "zone",
        "--withdrawn",
        "status=cancelled",
        "--as-of",
        AS_OF.isoformat(),
        "--survival",
        "--json",
        "-q",
        *extra,
    )
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_groups_against_numpy_and_lifelines(run, generated):
    path, zones, kinds, times = generated
    doc = run_compare(run, path)
    assert doc["reference"] == "big"
    assert [g["group"] for g in doc["groups"]] == ["big", "mid", "small", "smaller", "tiny"]
    for group in doc["groups"]:
        mine = zones == group["group"]
        assert group["projects"] == mine.sum()
        assert group["complete"] == (mine & (kinds == "complete")).sum()
        assert group["open"] == (mine & (kinds == "open")).sum()
        assert group["withdrawn"] == (mine & (kinds == "withdrawn")).sum()
        assert group["median"] == np.median(times[mine & (kinds == "complete")])
        fitted = KaplanMeierFitter().fit(times[mine], kinds[mine] == "complete")
        expected = fitted.median_survival_time_
        assert group["km_median"] == (None if np.isinf(expected) else expected)
        # Aalen-Johansen with withdrawal as the competing event
        events = np.select([kinds[mine] == "complete", kinds[mine] == "withdrawn"], [1, 2], 0)
        incidence = group["cumulative_incidence"]
        at = np.array(incidence["times"]) + 0.5  # just after each time (ties are jittered)
        for kind, key in ((1, "completed"), (2, "withdrawn")):
            if not (events == kind).any():
                assert not any(incidence[key])
                continue
            curve = (
                AalenJohansenFitter(calculate_variance=False, seed=1)
                .fit(times[mine], events, event_of_interest=kind)
                .cumulative_density_.iloc[:, 0]
            )
            expected = curve.iloc[np.searchsorted(curve.index, at, side="right") - 1].to_numpy()
            assert incidence[key] == pytest.approx(expected, abs=2e-6)
            if kind == 1:
                longest = times[mine].max()
                still_open = (kinds[mine][times[mine] == longest] == "open").any()
                for days, share in group["completed_by"].items():
                    if int(days) > longest and still_open:
                        assert share is None  # not followed that long
                    else:
                        value = curve.iloc[np.searchsorted(curve.index, int(days) + 0.5) - 1]
                        assert share == pytest.approx(value, abs=1e-4)
    assert doc["groups"][-1]["note"] is not None  # tiny: 2 complete projects


def test_pairs_against_scipy_and_lifelines(run, generated):
    path, zones, kinds, times = generated
    doc = run_compare(run, path)
    z = NormalDist().inv_cdf(0.975)
    reference = zones == "big"
    raw_p, raw_logrank = [], []
    for entry in doc["comparisons"]:
        mine = zones == entry["group"]
        done_mine, done_ref = (
            times[mine & (kinds == "complete")],
            times[reference & (kinds == "complete")],
        )
        assert entry["median_difference"] == np.median(done_mine) - np.median(done_ref)
        fits = [
            KaplanMeierFitter().fit(times[m], kinds[m] == "complete") for m in (mine, reference)
        ]
        medians = [f.median_survival_time_ for f in fits]
        km = entry["km_median_difference"]
        if np.isinf(medians).any():
            assert km["estimate"] is None
        else:
            assert km["estimate"] == medians[0] - medians[1]
        # restricted mean to the shorter longest follow-up
        horizon = min(times[mine].max(), times[reference].max())
        rmst = entry["rmst_difference"]
        assert rmst["horizon"] == horizon
        means = [restricted_mean_survival_time(f, t=horizon) for f in fits]
        assert rmst["estimate"] == pytest.approx(means[0] - means[1], abs=0.006)
        if entry["note"] is None:
            spread = z * np.sqrt(
                sum(
                    greenwood_rmst_variance(times[m].tolist(), kinds[m] == "complete", horizon)
                    for m in (mine, reference)
                )
            )
            assert rmst["ci_low"] == pytest.approx(means[0] - means[1] - spread, abs=0.006)
            assert rmst["ci_high"] == pytest.approx(means[0] - means[1] + spread, abs=0.006)
        differences = np.subtract.outer(done_mine, done_ref).ravel()
        assert entry["hodges_lehmann"]["estimate"] == np.median(differences)
        p = logrank_test(
            times[mine], times[reference], kinds[mine] == "complete", kinds[reference] == "complete"
        ).p_value
        assert entry["logrank_p_value"] == float(f"{p:.3g}")
        raw_logrank.append(p)
        if entry["group"] == "tiny":  # 2 complete projects
            assert entry["p_value"] is None and entry["ci_low"] is None
            raw_p.append(None)
            continue
        expected = stats.mannwhitneyu(done_mine, done_ref, method="asymptotic").pvalue
        assert entry["p_method"] == "asymptotic"
        assert entry["p_value"] == float(f"{expected:.3g}")
        raw_p.append(expected)
    for key, raw in (("p_value_holm", raw_p), ("logrank_p_value_holm", raw_logrank)):
        present = sorted((p, i) for i, p in enumerate(raw) if p is not None)
        running = 0.0
        for rank, (p, i) in enumerate(present):
            running = max(running, min(1.0, (len(present) - rank) * p))
            assert doc["comparisons"][i][key] == float(f"{running:.3g}")
    complete = [times[(zones == z) & (kinds == "complete")] for z in ZONES]
    assert doc["kruskal_p_value"] == float(f"{stats.kruskal(*complete).pvalue:.3g}")


def test_small_groups_get_the_exact_permutation_p(run, generated):
    path, zones, kinds, times = generated
    doc = run_compare(run, path, "--reference", "small")
    assert doc["reference"] == "small"
    entry = next(c for c in doc["comparisons"] if c["group"] == "smaller")
    done = [times[(zones == z) & (kinds == "complete")] for z in ("smaller", "small")]
    assert entry["p_method"] == "exact"
    assert entry["p_value"] == float(f"{permutation_p(*done):.3g}")
