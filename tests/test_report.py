"""The HTML report: built from the same documents as the commands, self-contained, and
drawn by a real browser (Debian's Chromium driven by playwright) with the network blocked.

Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import statistics
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from etown_approvals import results as reports
from etown_approvals.analysis import Analysis, analyze
from etown_approvals.errors import ExitCode, MissingExtraError, UsageError
from etown_approvals.metrics import MetricOptions
from etown_approvals.options import InputOptions

from .conftest import SAMPLE

pytest.importorskip("altair", reason="the report extra is part of the test extra")
from etown_approvals.report import Report, data, require_extra
from etown_approvals.report.builder import script_json

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AS_OF = date(2025, 1, 1)
OPTIONS = MetricOptions(as_of=AS_OF)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyze(SAMPLE, options=OPTIONS)


@pytest.fixture(scope="module")
def english(analysis) -> Report:
    return Report(analysis)


@pytest.fixture(scope="module")
def english_html(english) -> str:
    return english.to_html()


#: A Kaplan-Meier curve as the survival module gives it (values made up for drawing).
CURVE = {
    "days": [0, 3, 49, 120, 280],
    "survival": [0.92, 0.7, 0.45, 0.2, 0.1],
    "ci_low": [0.8, 0.5, 0.25, 0.06, 0.02],
    "ci_high": [0.98, 0.85, 0.65, 0.4, 0.3],
}


@pytest.fixture(scope="module")
def chinese_html(analysis) -> str:
    return Report(analysis, lang="zh-CN", group_by="zone", survival=CURVE).to_html()


HOSTILE = "</script><script>document.title='owned'</script><b>x"


@pytest.fixture(scope="module")
def edge_html(tmp_path_factory) -> str:
    """Nothing complete, and a project name that tries to end the script it is in."""
    path = write_events(
        tmp_path_factory.mktemp("edge") / "events.csv",
        {HOSTILE: (date(2024, 3, 1), None), "B": (date(2024, 5, 1), None)},
    )
    return Report(analyze(path, options=OPTIONS)).to_html()


def write_events(path: Path, projects: dict[str, tuple[date, date | None]]) -> Path:
    """A long-format CSV: land acquisition and (when given) construction permit per project."""
    lines = ["project,event,date"]
    for name, (land, permit) in projects.items():
        lines.append(f"{name},land acquisition,{land.isoformat()}")
        if permit is not None:
            lines.append(f"{name},construction permit,{permit.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the page as text ---------------------------------------------------------------


class Collector(HTMLParser):
    """Attributes of every element, and the text of elements that carry data-key."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, dict[str, str | None]]] = []
        self.keyed: dict[str, tuple[str, str]] = {}
        self._open: list[tuple[str, str]] = []
        self._text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes.append((tag, values))
        key = values.get("data-key")
        if key:
            self._open.append((tag, key))
            self._text[key] = []
            self.keyed[key] = (values["data-value"] or "", "")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _tag, key = self._open.pop()
            self.keyed[key] = (self.keyed[key][0], "".join(self._text[key]).strip())

    def handle_data(self, text: str) -> None:
        for _tag, key in self._open:
            self._text[key].append(text)


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    return collector


def test_loads_nothing_from_the_network(english_html, chinese_html):
    for page in (english_html, chinese_html):
        collector = parse(page)
        for tag, attributes in collector.attributes:
            for name in ("src", "href", "srcset", "action", "data", "poster"):
                value = attributes.get(name) or ""
                assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
            assert not (tag == "link" and attributes.get("rel") == "stylesheet")
            assert not (tag == "script" and "src" in attributes)
        styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
        assert styles and not any(re.search(r"@import|url\(", s) for s in styles)


def test_one_file_with_the_charts_library_inside(english_html):
    assert "window.vegaEmbed=" in english_html
    assert english_html.count("<script") == english_html.count("</script>")
    for name in ("distribution", "cumulative", "trend", "stages", "timeline"):
        assert f'data-chart="{name}"' in english_html
        assert f'id="spec-{name}"' in english_html


def test_summary_json_is_embedded_unchanged(analysis, english_html):
    embedded = re.search(
        r'<script type="application/json" id="etown-summary">(.*?)</script>', english_html
    )
    assert embedded is not None
    assert json.loads(embedded.group(1)) == reports.summary(analysis).document


def test_headline_values_are_the_summary_json(analysis, english_html):
    document = reports.summary(analysis).document
    keyed = parse(english_html).keyed
    expected_keys = {
        "projects.total", "projects.complete", "projects.open", "projects.invalid",
        "rows.read", "rows.used", "rows.rejected", "same_day.count", "same_day.share",
        "fast_track.count", "fast_track.share",
        *(f"days.{k}" for k in ("count", "min", "p25", "median", "mean", "p75", "p90", "max")),
    }  # fmt: skip
    assert expected_keys <= set(keyed)
    for key, (value, _text) in keyed.items():
        section, name = key.split(".")
        assert json.loads(html.unescape(value)) == document[section][name], key


def shown(value: Any) -> str:
    """How the page writes a number (thousands separated, up to 2 decimals; '-' for none)."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def test_headline_median_against_plain_python(tmp_path):
    start = date(2023, 1, 2)
    durations = [0, 0, 4, 9, 15, 30, 61, 200]
    projects: dict[str, tuple[date, date | None]] = {
        f"P{i}": (start + timedelta(days=i), start + timedelta(days=i + d))
        for i, d in enumerate(durations)
    }
    projects["Open one"] = (start, None)
    path = write_events(tmp_path / "events.csv", projects)
    page = Report(analyze(path, options=OPTIONS)).to_html()
    keyed = parse(page).keyed
    assert keyed["days.median"][1] == shown(statistics.median(durations))
    assert keyed["days.count"][1] == str(len(durations))
    assert keyed["same_day.count"][1] == str(durations.count(0))
    assert keyed["projects.open"][1] == "1"


def test_a_name_cannot_break_out_of_the_page(tmp_path):
    hostile = "</script><script>document.title='owned'</script><b>x"
    path = write_events(
        tmp_path / "events.csv",
        {
            hostile.replace(",", ""): (date(2023, 1, 2), date(2023, 1, 2)),
            "B": (date(2023, 1, 3), None),
        },
    )
    page = Report(analyze(path, options=OPTIONS)).to_html()
    assert "<script>document.title" not in page
    assert "&lt;/script&gt;&lt;script&gt;" in page  # as text in the same-day list
    assert "\\u003c/script\\u003e" in page  # inside the JSON data


def test_script_json_is_strict():
    assert script_json({"a": "</script>&"}) == '{"a":"\\u003c/script\\u003e\\u0026"}'
    with pytest.raises(ValueError):
        script_json({"a": float("nan")})


def test_chinese_labels_and_english_keys(chinese_html, analysis):
    for label in ("拿地", "施工许可", "自然日", "中位天数", "当天办结", "主要指标", "数据质量"):
        assert label in chinese_html, label
    assert '<html lang="zh-CN">' in chinese_html
    embedded = re.search(r'id="etown-summary">(.*?)</script>', chinese_html)
    assert embedded is not None
    document = json.loads(embedded.group(1))
    assert document == reports.summary(analysis, group_by="zone").document  # keys stay English


def test_groups_side_by_side(chinese_html, analysis):
    zones = [value for value, _part in analysis.grouped("zone")]
    collector = parse(chinese_html)
    assert "按zone" in chinese_html
    positions = [chinese_html.index(f'<th class="n">{z}</th>') for z in zones if z is not None]
    assert positions == sorted(positions)
    assert collector.keyed["projects.total"][1] == str(len(analysis.projects))


def test_unknown_group_column(analysis):
    with pytest.raises(UsageError, match="no column 'nope' to group by"):
        Report(analysis, group_by="nope")


def test_data_quality_lists_rejected_rows_with_line_numbers(english_html, analysis):
    rejected = analysis.loaded.rejected
    assert len(rejected) == 3
    for row, kind in zip(rejected["row"], rejected["type"], strict=True):
        assert f'<td class="n">{int(row)}</td><td><code>{kind}</code></td>' in english_html


def test_method_notes(english_html):
    assert "as of 2025-01-01" in english_html
    assert "Unit: calendar days" in english_html
    assert "2 invalid projects" in english_html


def test_histogram_counts_every_complete_project(analysis):
    days = data.complete_days(analysis.projects)
    bins = data.bins_for(days)
    histogram = data.histogram(days, bins)
    assert sum(b.count for b in histogram) == len(days)
    for b in histogram:  # each bin against a plain count
        high = b.high if b.high is not None else max(days.tolist())
        assert b.count == sum(1 for d in days.tolist() if b.low <= d <= high)
    assert histogram[0].low == histogram[0].high == 0


def test_long_tails_get_an_overflow_bin():
    import numpy as np

    days = np.array([1] * 200 + [5] * 200 + [10_000], dtype=np.int64)
    histogram = data.histogram(days, data.bins_for(days))
    assert histogram[-1].high is None and histogram[-1].count == 1
    assert len(histogram) < 40


def test_ecdf_is_capped():
    import numpy as np

    days = np.arange(5_000, dtype=np.int64)
    curve = data.ecdf(days, points=100)
    assert len(curve) == 100
    assert curve[-1] == {"days": 4_999, "share": 1.0}


def test_timeline_samples_large_inputs(tmp_path):
    start = date(2020, 1, 1)
    projects: dict[str, tuple[date, date | None]] = {
        f"P{i:03}": (start + timedelta(days=i), start + timedelta(days=i + i % 7))
        for i in range(60)
    }
    path = write_events(tmp_path / "events.csv", projects)
    report = Report(analyze(path, options=OPTIONS), timeline_limit=25)
    assert len(report.timeline.bars) == 25 and report.timeline.total == 60
    assert report.timeline.sampled
    again = Report(analyze(path, options=OPTIONS), timeline_limit=25)
    assert [b["project"] for b in again.timeline.bars] == [
        b["project"] for b in report.timeline.bars
    ]
    starts = [b["start"] for b in report.timeline.bars]
    assert starts == sorted(starts)
    page = report.to_html()
    assert "25 of 60 projects drawn: a random sample (seed 0)" in page


def test_survival_curve_hook(analysis):
    curve = {
        "days": [0, 10, 50, 200],
        "survival": [0.9, 0.7, 0.4, 0.2],
        "ci_low": [0.8, 0.55, 0.25, 0.05],
        "ci_high": [0.97, 0.82, 0.55, 0.4],
    }
    report = Report(analysis, survival=curve)
    spec = report.charts()["cumulative"]
    points = spec["datasets"]["survival"]
    assert [p["done"] for p in points] == [0.1, 0.3, 0.6, 0.8]
    assert points[1]["done_low"] == pytest.approx(1 - 0.82)
    assert "Kaplan-Meier" in report.to_html()
    with pytest.raises(ValueError, match="differ in length"):
        Report(analysis, survival={**curve, "ci_low": [0.1]})


def test_cumulative_incidence_hook(analysis):
    curve = {
        "days": [0, 10, 50],
        "survival": [0.9, 0.6, 0.4],
        "ci_low": [0.8, 0.5, 0.3],
        "ci_high": [0.95, 0.7, 0.5],
    }
    incidence = {"times": [0, 10, 50], "completed": [0.1, 0.3, 0.5], "withdrawn": [0, 0.1, 0.1]}
    report = Report(analysis, survival=curve, cumulative_incidence=incidence)
    spec = report.charts()["cumulative"]
    assert [p["done"] for p in spec["datasets"]["incidence"]] == [0.1, 0.3, 0.5]
    assert "withdrawn projects as ended without the permit" in report.to_html()
    # nothing withdrawn: the curve is the Kaplan-Meier one, drawn once
    alike = {**incidence, "withdrawn": [0, 0, 0]}
    plain = Report(analysis, survival=curve, cumulative_incidence=alike)
    assert "incidence" not in plain.charts()["cumulative"]["datasets"]
    assert "withdrawn projects as ended" not in plain.to_html()
    with pytest.raises(ValueError, match="differ in length"):
        Report(analysis, cumulative_incidence={**incidence, "withdrawn": [0.1]})


def test_missing_extra_is_one_line_naming_it(monkeypatch):
    import etown_approvals.report as package

    real = package.find_spec
    monkeypatch.setattr(
        package, "find_spec", lambda name: None if name == "vl_convert" else real(name)
    )
    with pytest.raises(MissingExtraError) as caught:
        require_extra()
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("pip install 'etown-approvals[report]'")
    assert "vl-convert-python" in message
    assert caught.value.exit_code == ExitCode.USAGE
    assert isinstance(caught.value, ImportError)


def test_jupyter_shows_the_same_page(english, english_html):
    frame = english._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    inner = re.search(r'srcdoc="(.*?)" style=', frame, flags=re.S)
    assert inner is not None
    assert html.unescape(inner.group(1)) == english_html


def test_save_writes_utf8(english, tmp_path):
    path = english.save(tmp_path / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_size_at_ten_thousand_projects(tmp_path):
    """The README gives the size of a 10,000-project report; keep it small enough to mail."""
    start = date(2018, 1, 1)
    projects: dict[str, tuple[date, date | None]] = {
        f"Project {i:05}": (
            start + timedelta(days=i % 2000),
            None if i % 9 == 0 else start + timedelta(days=i % 2000 + (i * 37) % 400),
        )
        for i in range(10_000)
    }
    path = write_events(tmp_path / "events.csv", projects)
    page = Report(analyze(path, options=OPTIONS)).to_html()
    size = len(page.encode("utf-8"))
    assert size < 2_500_000, size


def test_configured_stages_are_shown_as_named():
    from etown_approvals.config import load_config

    from .conftest import ROOT, SF_SAMPLE

    if not SF_SAMPLE.exists():
        pytest.skip(f"{SF_SAMPLE} not found (the shared data folder beside the repository)")
    stages = load_config(ROOT / "examples" / "sf_building_permits.toml")
    analysis = analyze(SF_SAMPLE, InputOptions(stages=stages), OPTIONS)
    report = Report(analysis, lang="zh-CN")
    specs = report.charts()
    drawn = {p["stage"] for p in specs["timeline"]["datasets"]["timeline_points"]}
    assert drawn <= set(stages.stages) and "construction_permit" in drawn
    transitions = [row["transition"] for row in specs["stages"]["datasets"]["stages"]]
    assert transitions[0] == "application → construction_permit"
    page = report.to_html()
    assert "application → construction_permit，单位：自然日" in page  # noqa: RUF001
    assert "施工许可" not in page


def test_workdays_report(tmp_path):
    path = write_events(
        tmp_path / "events.csv",
        {"A": (date(2023, 9, 28), date(2023, 10, 9)), "B": (date(2023, 9, 28), None)},
    )
    options = MetricOptions(as_of=AS_OF, unit="workdays")
    page = Report(analyze(path, options=options), lang="zh-CN").to_html()
    keyed = parse(page).keyed
    assert keyed["days.median"][1] == "3"  # the README's worked example: 3 working days
    assert "工作日（已办结项目）" in page  # noqa: RUF001
    assert "官方 CN 日历" in page


def test_nothing_complete(tmp_path):
    path = write_events(
        tmp_path / "events.csv",
        {"A": (date(2024, 3, 1), None), "B": (date(2024, 5, 1), None)},
    )
    report = Report(analyze(path, options=OPTIONS))
    datasets = report.datasets()
    assert datasets["ecdf"] == []
    assert sum(row["count"] for row in datasets["histogram"]) == 0
    keyed = parse(report.to_html()).keyed
    assert keyed["days.median"] == ("null", "-")
    assert keyed["projects.open"][1] == "2"


# -- the page in a browser ---------------------------------------------------------


def chromium() -> str | None:
    found = os.environ.get("ETOWN_CHROMIUM") or shutil.which("chromium")
    return found or shutil.which("chromium-browser")


BROWSER = chromium()
browser_only = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium found (apt-get install -y chromium, or set ETOWN_CHROMIUM)",
)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=BROWSER,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def offline(blocked: list[str]):
    """A route handler that lets the page read its own file and blocks (and lists)
    every other request."""

    def route(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return route


class Opened:
    """A report open in a page: requests it tried beyond its own file, errors it raised."""

    def __init__(self, browser, path: Path, width: int) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", offline(self.blocked))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("html[data-rendered]", timeout=60_000)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def pages(browser, english_html, chinese_html, edge_html, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    opened: dict[str, Opened] = {}
    for name, page in (("en", english_html), ("zh", chinese_html), ("edge", edge_html)):
        path = folder / f"report-{name}.html"
        path.write_text(page, encoding="utf-8")
        opened[name] = Opened(browser, path, 1280)
    opened["en-375"] = Opened(browser, folder / "report-en.html", 375)
    yield opened
    for page in opened.values():
        page.close()


CHARTS = ("distribution", "cumulative", "trend", "stages", "timeline")


@browser_only
@pytest.mark.parametrize("name", ["en", "zh", "en-375", "edge"])
def test_every_chart_drawn_offline(pages, name):
    opened = pages[name]
    page = opened.page
    assert opened.blocked == []
    assert opened.errors == []
    assert page.get_attribute("html", "data-chart-error") is None
    assert page.get_attribute("html", "data-rendered") == str(len(CHARTS))
    for chart in CHARTS:
        svg = page.locator(f"#chart-{chart} svg.marks")
        assert svg.count() == 1, chart
        if name != "edge" or chart in ("trend", "timeline"):  # edge: nothing complete
            marks = page.locator(
                f"#chart-{chart} svg .role-mark path, #chart-{chart} svg .role-mark line"
            )
            assert marks.count() > 0, chart


@browser_only
def test_a_name_runs_no_script(pages):
    page = pages["edge"].page
    assert page.title() != "owned"
    tooltip_names = page.evaluate("window.etownViews.timeline.data('timeline').map(d => d.project)")
    assert HOSTILE in tooltip_names  # drawn as a name, not run


@browser_only
def test_kaplan_meier_curve_drawn(pages):
    page = pages["zh"].page
    drawn = page.evaluate("window.etownViews.cumulative.data('survival').length")
    assert drawn == len(CURVE["days"])
    legend = page.locator("#chart-cumulative svg.marks").text_content() or ""
    assert "计入在办项目（Kaplan-Meier）" in legend  # noqa: RUF001


@browser_only
def test_same_day_projects_are_marks(pages, analysis):
    same_day = reports.summary(analysis).document["same_day"]["projects"]
    assert len(same_day) == 2
    page = pages["en"].page
    diamonds = page.locator("#chart-timeline g.same_day_marks path")
    assert diamonds.count() == len(same_day)
    labels = [diamonds.nth(i).get_attribute("aria-label") or "" for i in range(diamonds.count())]
    for name in same_day:
        assert any(name in label for label in labels), name
    box = diamonds.first.bounding_box()
    assert box is not None and box["width"] > 4 and box["height"] > 4  # visible, not zero-length


@browser_only
def test_names_on_hover(pages, analysis):
    page = pages["en"].page
    diamond = page.locator("#chart-timeline g.same_day_marks path").first
    diamond.scroll_into_view_if_needed()
    box = diamond.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=10_000)
    names = reports.summary(analysis).document["same_day"]["projects"]
    assert any(name in tooltip.inner_text() for name in names)


@browser_only
def test_rendered_headline_numbers_equal_the_summary_json(pages, analysis):
    document = reports.summary(analysis).document
    page = pages["en"].page
    for key in ("days.median", "days.p90", "days.mean", "projects.total", "same_day.count"):
        section, name = key.split(".")
        text = page.locator(
            f'.card [data-key="{key}"], table [data-key="{key}"]'
        ).first.inner_text()
        assert text.strip() == shown(document[section][name]), key
    share = page.locator('[data-key="same_day.share"]').inner_text()
    assert f"{document['same_day']['share']:.1%}" in share
    embedded = page.evaluate("JSON.parse(document.getElementById('etown-summary').textContent)")
    assert embedded == document


@browser_only
def test_chinese_labels_in_the_rendered_page(pages):
    page = pages["zh"].page
    text = page.locator("body").inner_text()
    for label in ("审批用时", "中位天数", "当天办结", "自然日", "数据质量", "方法说明"):
        assert label in text, label
    timeline_text = page.locator("#chart-timeline svg.marks").text_content() or ""
    for stage in ("拿地", "立项", "规划许可", "施工许可"):
        assert stage in timeline_text, stage  # the legend, drawn by Vega
    assert "已办结" in (page.locator("#chart-trend svg.marks").text_content() or "")


@browser_only
def test_narrow_screen_does_not_scroll_sideways(pages):
    page = pages["en-375"].page
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1


@browser_only
@pytest.mark.parametrize(("name", "width"), [("en", 1280), ("en-375", 375), ("zh", 1280)])
def test_screenshots_are_kept_and_not_blank(pages, name, width):
    image_module = pytest.importorskip("PIL.Image", reason="pillow is in the test extra")
    from PIL import ImageStat

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"report-{name.split('-')[0]}-{width}.png"
    pages[name].page.screenshot(path=str(path), full_page=True)
    with image_module.open(path) as image:
        assert image.width == width
        assert image.height > 2_000
        grey = image.convert("L")
        spread = ImageStat.Stat(grey).stddev[0]
        colours = len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])
    assert spread > 10, spread  # not a flat page
    assert colours > 50, colours  # text and charts, not a few flat blocks


@browser_only
def test_jupyter_frame_draws_the_report(browser, english, tmp_path):
    """The notebook output (an iframe with the page as srcdoc) draws every chart."""
    path = tmp_path / "notebook.html"
    path.write_text(
        f"<!DOCTYPE html><html><body>{english._repr_html_()}</body></html>", encoding="utf-8"
    )
    blocked: list[str] = []
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        page.route("**/*", offline(blocked))
        page.goto(path.as_uri())
        frame = page.frame_locator("iframe")
        frame.locator("html[data-rendered]").wait_for(state="attached", timeout=60_000)
        assert frame.locator("html").get_attribute("data-rendered") == str(len(CHARTS))
        assert frame.locator("svg.marks").count() == len(CHARTS)
        assert blocked == []
    finally:
        context.close()


# -- file columns named like computed ones ------------------------------------------

#: A long file whose own columns are named like computed ones: ``status``, ``days`` and
#: a stage (``land_acquisition``).
COLLIDING = (
    "project,event,date,status,days,land_acquisition\n"
    "A,land,2020-01-01,Active,5,Lot 1\n"
    "A,construction permit,2020-02-01,Active,5,Lot 1\n"
    "B,land,2020-01-05,Closed,x,Lot 2\n"
    "C,construction permit,2020-01-05,Closed,x,Lot 3\n"
)


@pytest.mark.parametrize("column", ["status", "days", "land_acquisition"])
def test_grouping_by_a_file_column_never_replaces_a_computed_one(run, tmp_path, column):
    path = tmp_path / "events.csv"
    path.write_text(COLLIDING, encoding="utf-8")
    page = tmp_path / "report.html"
    result = run("report", path, "--group-by", column, "--as-of", "2021-01-01", "-o", page)
    assert result.stdout == ""
    assert "internal error" not in result.stderr
    report = Report(analyze(path, options=MetricOptions(as_of=date(2021, 1, 1))), group_by=column)
    bars = {bar["project"]: bar for bar in report.timeline.bars}
    # The computed values, from the file's dates by hand: A took 31 days, B is open.
    assert {name: bar["status_code"] for name, bar in bars.items()} == {
        "A": "complete",
        "B": "open",
    }
    assert (bars["A"]["days"], bars["A"]["start"], bars["B"]["start"]) == (
        31,
        "2020-01-01",
        "2020-01-05",
    )
    own = {
        "status": ("Active", "Closed"),
        "days": ("5", "x"),
        "land_acquisition": ("Lot 1", "Lot 2"),
    }
    assert (bars["A"]["group"], bars["B"]["group"]) == own[column]


# -- data quality: rows, not findings ------------------------------------------------


def test_data_quality_counts_rows_not_findings(tmp_path):
    """A row with two bad dates is one rejected row (two findings)."""
    path = tmp_path / "wide.csv"
    path.write_text(
        "project,land_acquisition,construction_permit\n"
        "A,2020-01-01,2020-02-01\n"
        "B,bad,worse\n"
        "C,2020-01-05,also bad\n"
        "D,2020-01-07,\n",
        encoding="utf-8",
    )
    analysis = analyze(path, options=OPTIONS)
    quality = Report(analysis).quality()
    assert analysis.loaded.rows_rejected == 2
    assert quality.rejected.total == 2  # rows 3 and 4
    assert [(t["type"], t["count"], t["rows"]) for t in quality.rejected.by_type] == [
        ("invalid-date", 2, [3, 4])
    ]
    assert len(quality.rejected.shown) == 3  # every finding is still listed
    page = Report(analysis).to_html()
    assert "Rejected rows: 2</h3>" in page
