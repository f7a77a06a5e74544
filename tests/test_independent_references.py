"""The bundled sample's numbers, computed here without etown, and log-rank p against lifelines.

Golden files pin how tables look; these tests pin what the numbers are. The sample
(``data/projects.csv``) is read with the csv module, its event names and date
spellings mapped by tables written here, and the summary, the trend by year and the
stage transitions computed with the standard library and plain pandas from the
README's definitions. The log-rank p-values of ``compare`` are checked against
lifelines' ``logrank_test``, a separate implementation: to 1e-6 unrounded, and
as written (three significant digits) in the JSON.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import statistics as lifelines_statistics

from etown_approvals.survival import CENSORED, COMPLETED, life_tables, logrank

from .conftest import SAMPLE

AS_OF = date(2025, 1, 1)
STAGES = ("land_acquisition", "project_approval", "planning_permit", "construction_permit")
#: The sample's event names, by stage (the built-in stage set's English and Chinese names).
STAGE_OF = {
    "land acquisition": "land_acquisition",
    "拿地": "land_acquisition",
    "土地出让合同": "land_acquisition",
    "摘牌": "land_acquisition",
    "project approval": "project_approval",
    "项目备案": "project_approval",
    "立项": "project_approval",
    "核准": "project_approval",
    "planning permit": "planning_permit",
    "建设工程规划许可证": "planning_permit",
    "规划许可": "planning_permit",
    "建设用地规划许可证": "planning_permit",
    "construction permit": "construction_permit",
    "construction readiness letter": "construction_permit",
    "施工许可证": "construction_permit",
    "施工许可": "construction_permit",
    "建筑工程施工许可证": "construction_permit",
}
#: The sample's date spellings.
FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%b %d %Y", "%d %b %Y", "%Y%m%d", "%Y.%m.%d")


def read_date(text: str) -> date | None:
    for form in FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def sample_projects() -> pd.DataFrame:
    """Per project (in order of first appearance): the earliest date of each stage,
    status, days; rows without a project, with an unknown event or a date that is no
    date are left out."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    first: dict[str, dict[str, Any]] = {}
    for record in records:
        name, stage, day = (
            record["project"],
            STAGE_OF.get(record["event"]),
            read_date(record["date"]),
        )
        if not name or stage is None or day is None:
            continue
        dates = first.setdefault(name, {"zone": record["zone"]})
        dates[stage] = min(day, dates.get(stage, day))
    frame = pd.DataFrame.from_dict(first, orient="index")
    for stage in STAGES:
        frame[stage] = frame[stage].astype(object)
    start, end = frame["land_acquisition"], frame["construction_permit"]
    status = []
    for a, b in zip(start, end, strict=True):
        if pd.isna(a) or (not pd.isna(b) and b < a):
            status.append("invalid")
        elif not pd.isna(b):
            status.append("complete")
        else:
            status.append("open")
    frame["status"] = status
    frame["days"] = [
        (b - a).days if s == "complete" else None
        for a, b, s in zip(start, end, frame["status"], strict=True)
    ]
    return frame


def statistics_of(values: pd.Series, levels: dict[str, float]) -> dict[str, Any]:
    values = values.dropna().astype(float)
    out: dict[str, Any] = {"count": len(values), "min": values.min(), "max": values.max()}
    out["mean"] = round(values.mean(), 2)
    for key, level in levels.items():
        out[key] = round(values.quantile(level), 2)  # linear interpolation
    return out


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def etown(run: Any, *args: str) -> Any:
    return json.loads(run(*args, SAMPLE, "--as-of", AS_OF.isoformat(), "--json", "-q").stdout)


# ---------------------------------------------------------------- the sample


def test_the_samples_summary(run):
    projects = sample_projects()
    complete = projects[projects["status"] == "complete"]
    summary = etown(run, "summary")
    assert summary["projects"] == {
        "total": len(projects),
        "complete": len(complete),
        "open": int((projects["status"] == "open").sum()),
        "invalid": int((projects["status"] == "invalid").sum()),
        "withdrawn": 0,
    }
    levels = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
    assert summary["days"] == statistics_of(complete["days"], levels)
    same_day = complete.index[complete["days"] == 0].tolist()
    fast = complete.index[complete["days"] <= 3].tolist()
    assert summary["same_day"] == {
        "count": len(same_day),
        "share": share(len(same_day), len(complete)),
        "projects": same_day,
    }
    assert summary["fast_track"] == {
        "max_days": 3,
        "count": len(fast),
        "share": share(len(fast), len(complete)),
        "projects": fast,
    }


def test_the_samples_summary_by_zone(run):
    projects = sample_projects()
    grouped = etown(run, "summary", "--group-by", "zone")
    found = {g["group"]: g for g in grouped["groups"]}
    assert set(found) == set(projects["zone"])
    for zone, part in projects.groupby("zone"):
        complete = part[part["status"] == "complete"]
        group = found[zone]
        assert group["projects"]["total"] == len(part)
        assert group["projects"]["complete"] == len(complete)
        assert group["days"]["median"] == (
            round(complete["days"].astype(float).median(), 2) if len(complete) else None
        )
        assert group["fast_track"]["share"] == share(
            int((complete["days"] <= 3).sum()), len(complete)
        )


def test_the_samples_trend_by_year(run):
    projects = sample_projects()
    dated = projects[projects["land_acquisition"].notna()]
    years = [d.year for d in dated["land_acquisition"]]
    trend = etown(run, "trend")
    expected = []
    for year in range(min(years), max(years) + 1):
        part = dated[[y == year for y in years]]
        complete = part[part["status"] == "complete"]
        days = complete["days"].astype(float)
        expected.append(
            {
                "period": str(year),
                "projects": len(part),
                "complete": len(complete),
                "open": int((part["status"] == "open").sum()),
                "invalid": int((part["status"] == "invalid").sum()),
                "withdrawn": 0,
                "median_days": round(days.median(), 2) if len(days) else None,
                "same_day_share": share(int((days == 0).sum()), len(complete)),
                "fast_track_share": share(int((days <= 3).sum()), len(complete)),
            }
        )
    assert trend["periods"] == expected
    assert trend["undated_projects"] == len(projects) - len(dated)


@pytest.mark.parametrize("pairs", ["consecutive", "all"])
def test_the_samples_stage_transitions(run, pairs):
    """Over projects that are not invalid, with both dates: days of those in order,
    the others counted out of order; share = mean over the mean days of complete
    projects (every pair lies within land..permit)."""
    projects = sample_projects()
    valid = projects[projects["status"] != "invalid"]
    mean_days = projects.loc[projects["status"] == "complete", "days"].astype(float).mean()
    if pairs == "consecutive":
        pair_list = list(pairwise(STAGES))
    else:
        pair_list = [(a, b) for i, a in enumerate(STAGES) for b in STAGES[i + 1 :]]
    expected = []
    for a, b in pair_list:
        both = valid[valid[a].notna() & valid[b].notna()]
        gaps = pd.Series([(y - x).days for x, y in zip(both[a], both[b], strict=True)])
        ordered = gaps[gaps >= 0].astype(float)
        row: dict[str, Any] = {"from": a, "to": b, **statistics_of(ordered, {"median": 0.5})}
        row["p90"] = round(ordered.quantile(0.9), 2)
        row["share"] = round(ordered.mean() / mean_days, 4)
        row["out_of_order"] = int((gaps < 0).sum())
        expected.append(row)
    transitions = etown(run, "stages", "--pairs", pairs)["transitions"]
    keys = ("from", "to", "count", "min", "median", "mean", "p90", "max", "share", "out_of_order")
    assert [{k: t[k] for k in keys} for t in transitions] == [
        {k: e[k] for k in keys} for e in expected
    ]


# ---------------------------------------------------------------- log-rank against lifelines


def survival_data(projects: pd.DataFrame, as_of: date) -> tuple[list[float], list[bool]]:
    """Complete projects are events at their days; open ones censored at their wait;
    invalid ones left out."""
    times, events = [], []
    for _, project in projects.iterrows():
        if project["status"] == "complete":
            times.append(float(project["days"]))
            events.append(True)
        elif project["status"] == "open":
            times.append(float((as_of - project["land_acquisition"]).days))
            events.append(False)
    return times, events


def lifelines_p(a: tuple[list[float], list[bool]], b: tuple[list[float], list[bool]]) -> float:
    with warnings.catch_warnings():
        # lifelines on pandas 3: notices about pandas 4's keyword-only arguments
        warnings.filterwarnings("ignore", module="lifelines")
        result = lifelines_statistics.logrank_test(
            a[0], b[0], event_observed_A=a[1], event_observed_B=b[1]
        )
    return float(result.p_value)


def assert_reported(reported: float, reference: float) -> None:
    """A p-value as compare writes it (README: three significant digits) is the
    reference rounded so: within half a unit of its third significant digit."""
    unit = 10 ** (math.floor(math.log10(reference)) - 2)
    assert abs(reported - reference) <= unit / 2 + 1e-15, (reported, reference)


def etown_logrank(a: tuple[list[float], list[bool]], b: tuple[list[float], list[bool]]) -> float:
    """etown's log-rank p of two groups, unrounded (the library's life tables)."""
    times = np.array(a[0] + b[0])
    outcome = np.where(np.array(a[1] + b[1]), COMPLETED, CENSORED)
    codes = np.array([0] * len(a[0]) + [1] * len(b[0]))
    first, second = life_tables(times, outcome, codes, 2)
    p = logrank(first, second)
    assert p is not None
    return p


def test_the_samples_split_logrank_p_value_is_lifelines(run):
    projects = sample_projects()
    split = date(2022, 1, 1)
    dated = projects[projects["land_acquisition"].notna()]
    before = survival_data(dated[[d < split for d in dated["land_acquisition"]]], AS_OF)
    after = survival_data(dated[[d >= split for d in dated["land_acquisition"]]], AS_OF)
    reference = lifelines_p(before, after)
    assert math.isclose(etown_logrank(before, after), reference, rel_tol=0, abs_tol=1e-6)
    compared = etown(run, "compare", "--split-date", split.isoformat())
    (comparison,) = compared["comparisons"]
    assert_reported(comparison["logrank_p_value"], reference)


@st.composite
def two_groups(draw: st.DrawFn) -> tuple[str, dict[str, tuple[list[float], list[bool]]]]:
    """A file of two zones: complete projects (ties likely) and open ones, whose
    waiting days end on the as-of date; each zone has at least one completion."""
    start = date(2021, 1, 1)
    lines = ["project,event,date,zone"]
    data: dict[str, tuple[list[float], list[bool]]] = {}
    for zone, spread in (("North", 60), ("South", draw(st.sampled_from((30, 60, 120))))):
        times: list[float] = []
        events: list[bool] = []
        n = draw(st.integers(2, 25))
        for i in range(n):
            done = i == 0 or draw(st.integers(0, 3)) > 0
            begin = start + timedelta(days=draw(st.integers(0, 200)))
            name = f"{zone} {i}"
            lines.append(f"{name},land acquisition,{begin},{zone}")
            if done:
                days = draw(st.integers(0, spread))
                lines.append(f"{name},construction permit,{begin + timedelta(days=days)},{zone}")
                times.append(float(days))
            else:
                times.append(float((AS_OF - begin).days))
            events.append(done)
        data[zone] = (times, events)
    return "\n".join(lines) + "\n", data


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(two_groups())
def test_logrank_p_values_are_lifelines(run, tmp_path, generated):
    """To 1e-6 in the library; as written (three significant digits) in compare's JSON."""
    text, data = generated
    reference = lifelines_p(data["North"], data["South"])
    unrounded = etown_logrank(data["North"], data["South"])
    assert math.isclose(unrounded, reference, rel_tol=0, abs_tol=1e-6)
    path = tmp_path / "two.csv"
    path.write_text(text, encoding="utf-8")
    compared = json.loads(
        run("compare", path, "--by", "zone", "--as-of", AS_OF.isoformat(), "--json").stdout
    )
    (comparison,) = compared["comparisons"]
    assert_reported(comparison["logrank_p_value"], reference)
