"""Survival, comparisons, periods and pairs from the command line, checked against
independent computations written here."""

from __future__ import annotations

import json
import statistics
from datetime import date

import pytest

from .conftest import SAMPLE

AS_OF = "2025-01-01"


def _json(run, *args, expect: int = 0):
    return json.loads(run(*args, "--json", "-q", "--as-of", AS_OF, expect=expect).stdout)


def _projects(run):
    return _json(run, "projects", SAMPLE)["projects"]


def _product_limit_median(times: list[float], observed: list[bool]) -> float | None:
    """Kaplan-Meier median by hand: S drops at each event time by d/n; the first time
    S is below one half, or, where S stays exactly at one half, the midpoint to the
    next drop (so that without open projects it is the plain median)."""
    survival, at_risk = 1.0, len(times)
    exactly_half_at = None
    for t in sorted(set(times)):
        events = sum(1 for x, o in zip(times, observed, strict=True) if x == t and o)
        leaving = sum(1 for x in times if x == t)
        if events:
            if exactly_half_at is not None:
                return (exactly_half_at + t) / 2
            survival *= 1 - events / at_risk
            if abs(survival - 0.5) < 1e-12:
                exactly_half_at = t
            elif survival < 0.5:
                return t
        at_risk -= leaving
    return exactly_half_at if exactly_half_at is not None and at_risk == 0 else None


def test_summary_survival_counts_open_projects(run):
    doc = _json(run, "summary", SAMPLE, "--survival")
    records = _projects(run)
    times = [r["days"] for r in records if r["status"] == "complete"]
    times += [r["waiting_days"] for r in records if r["status"] == "open"]
    observed = [True] * doc["projects"]["complete"] + [False] * doc["projects"]["open"]
    assert doc["survival"]["method"] == "kaplan-meier"
    assert doc["survival"]["events"] == doc["projects"]["complete"]
    assert doc["survival"]["censored"] == doc["projects"]["open"]
    assert doc["survival"]["median"] == _product_limit_median(times, observed)


def test_trend_survival_median_per_year(run):
    doc = _json(run, "trend", SAMPLE, "--survival")
    records = _projects(run)
    for period in doc["periods"]:
        chosen = [r for r in records if (r["land_acquisition"] or "").startswith(period["period"])]
        chosen = [r for r in chosen if r["status"] in ("complete", "open")]
        times = [r["days"] if r["status"] == "complete" else r["waiting_days"] for r in chosen]
        observed = [r["status"] == "complete" for r in chosen]
        if not chosen:
            continue
        expected = _product_limit_median(times, observed)
        assert period["km_median_days"] == expected, period["period"]


def test_compare_split_date(run):
    doc = _json(run, "compare", SAMPLE, "--split-date", "2022-01-01")
    records = _projects(run)
    before = [
        r["days"]
        for r in records
        if r["status"] == "complete"
        and date.fromisoformat(r["land_acquisition"]) < date(2022, 1, 1)
    ]
    after = [
        r["days"]
        for r in records
        if r["status"] == "complete"
        and date.fromisoformat(r["land_acquisition"]) >= date(2022, 1, 1)
    ]
    groups = {g["group"]: g for g in doc["groups"]}
    assert groups["before 2022-01-01"]["median"] == statistics.median(before)
    assert groups["on or after 2022-01-01"]["median"] == statistics.median(after)
    (comparison,) = doc["comparisons"]
    assert comparison["median_difference"] == statistics.median(after) - statistics.median(before)
    assert comparison["ci_low"] <= comparison["median_difference"] <= comparison["ci_high"]
    assert 0 <= comparison["p_value"] <= 1


def test_compare_needs_exactly_one_way_of_grouping(run):
    result = run("compare", SAMPLE, expect=2)
    assert result.stderr == "etown: error: give either --group-by COLUMN or --split-date DATE\n"


def test_compare_table_names_the_reference(run):
    text = run("compare", SAMPLE, "--group-by", "zone", "-q", "--as-of", AS_OF).stdout
    assert "Compared with Core Area" in text


def test_trend_by_permit_date_and_fiscal_year(run):
    doc = _json(
        run, "trend", SAMPLE, "--period-of", "construction_permit", "--fiscal-year-start", "4"
    )
    records = _projects(run)
    assert doc["period_of"] == "construction_permit"
    assert doc["fiscal_year_start"] == 4

    def fiscal(iso: str) -> str:
        day = date.fromisoformat(iso)
        return f"FY{day.year + 1 if day.month >= 4 else day.year}"

    counted: dict[str, int] = {}
    for r in records:
        if r["construction_permit"]:
            counted[fiscal(r["construction_permit"])] = (
                counted.get(fiscal(r["construction_permit"]), 0) + 1
            )
    got = {p["period"]: p["projects"] for p in doc["periods"] if p["projects"]}
    assert got == counted


def test_percentiles_add_keys(run):
    doc = _json(run, "summary", SAMPLE, "--percentiles", "50,95")
    records = _projects(run)
    days = sorted(r["days"] for r in records if r["status"] == "complete")
    import numpy as np

    assert doc["days"]["p95"] == round(float(np.percentile(days, 95)), 2)
    assert doc["days"]["p90"] is not None  # defaults stay


def test_all_stage_pairs(run):
    doc = _json(run, "stages", SAMPLE, "--pairs", "all")
    pairs = {(t["from"], t["to"]) for t in doc["transitions"]}
    assert ("land_acquisition", "construction_permit") in pairs
    assert len(pairs) == 6  # 4 stages: every ordered pair
    assert doc["pairs"] == "all"


def test_report_writes_one_self_contained_page(run, tmp_path):
    target = tmp_path / "report.html"
    result = run("report", SAMPLE, "-o", target, "--as-of", AS_OF, "--survival")
    page = target.read_text(encoding="utf-8")
    assert result.stdout == ""
    assert f"etown: wrote {target} (" in result.stderr
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "https://cdn" not in page and 'src="http' not in page


def test_report_draws_the_cumulative_incidence_when_projects_are_withdrawn(run, tmp_path):
    target = tmp_path / "report.html"
    withdrawn = ("--withdrawn", "project=Mingde Data Center")
    run("report", SAMPLE, "-o", target, "--as-of", AS_OF, "--survival", *withdrawn, "-q")
    page = target.read_text(encoding="utf-8")
    assert "withdrawn projects counted as ended (Aalen-Johansen)" in page
    run("report", SAMPLE, "-o", target, "--as-of", AS_OF, "--survival", "-q")
    assert "Aalen-Johansen" not in target.read_text(encoding="utf-8")


def test_report_in_chinese(run, tmp_path):
    target = tmp_path / "report.html"
    run("report", SAMPLE, "-o", target, "--lang", "zh-CN", "-q")
    assert "拿地" in target.read_text(encoding="utf-8")


def test_unknown_language_is_a_usage_error(run):
    result = run("summary", SAMPLE, "--lang", "xx", expect=2)
    assert result.stderr.startswith("etown: error: ")


def test_tables_show_the_kaplan_meier_median_beside_the_plain_one(run):
    summary = run("summary", SAMPLE, "--survival", "-q", "--as-of", AS_OF).stdout
    assert "Kaplan-Meier median  49 days (95% interval 4 to 112)" in summary
    trend = run("trend", SAMPLE, "--survival", "-q", "--as-of", AS_OF).stdout
    doc = _json(run, "trend", SAMPLE, "--survival")
    # A period with many open projects has its plain median marked as biased.
    marked = [
        p["period"]
        for p in doc["periods"]
        if p["median_days"] is not None and p["open"] >= 0.2 * (p["complete"] + p["open"])
    ]
    assert marked == ["2023", "2024"]
    for period in marked:
        line = next(x for x in trend.splitlines() if x.startswith(period))
        assert "*" in line
    assert "KM median" in trend
    assert "still open: its plain" in trend


def test_tables_in_chinese_name_the_kaplan_meier_median(run):
    text = run("summary", SAMPLE, "--survival", "-q", "--as-of", AS_OF, "--lang", "zh-CN").stdout
    assert "Kaplan-Meier 中位数" in text


@pytest.mark.parametrize("command", ["summary", "stages", "trend"])
@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "csv", "ndjson"])
def test_several_group_columns_in_every_format(run, command, fmt):
    from etown_approvals.formats import formats_for

    if fmt not in formats_for(command):
        pytest.skip(f"{command} has no {fmt} format")
    result = run(command, SAMPLE, "--group-by", "zone", "--group-by", "sector", "-q", "-f", fmt)
    assert result.stdout
    if fmt in ("table", "markdown", "csv"):
        assert "Core Area / " in result.stdout
        assert "{'zone'" not in result.stdout
