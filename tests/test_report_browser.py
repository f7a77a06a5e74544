"""The report as a reader sees it: opened in Chromium (Debian's package, driven by
playwright) with every request outside the page blocked, at a laptop's width (1280
px) and a phone's (375 px).

At both widths, for the bundled sample (in English and in Chinese, grouped), 10,000
generated projects in 8 zones by quarter with Kaplan-Meier curves, a file with
nothing complete and a hostile name, and a file of very long names with withdrawn
projects: no two chart texts overlap (measured on the rendered SVG text boxes,
rotation included), the page never scrolls sideways and no chart is wider than its
box, the page stays under 40,000 px, every time axis names its years, every chart is
drawn. The million-project page is checked by ``benchmarks/report_check.py``
(too slow for every run; its numbers are in BENCHMARKS.md).

Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from etown_approvals import results as reports
from etown_approvals.analysis import analyze
from etown_approvals.metrics import MetricOptions
from etown_approvals.options import InputOptions

from .conftest import ROOT, SAMPLE
from .report_browser import WIDTHS, Opened, chromium, launched

pytest.importorskip("altair", reason="the report extra is part of the test extra")
pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
from etown_approvals.report import Report

pytestmark = pytest.mark.skipif(
    chromium() is None,
    reason="no Chromium found (apt-get install -y chromium, or set ETOWN_CHROMIUM)",
)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AS_OF = date(2025, 1, 1)
OPTIONS = MetricOptions(as_of=AS_OF)
HOSTILE = "</script><script>document.title='owned'</script><b>x"
#: A name with no space to break at, as some exports hold (a description pasted in).
LONG_NAME = "Huge-" + "x" * 2_995
LONG_ZONE = "Zone " + "y" * 2_995
PAGES = ("sample", "zh", "zones", "edge", "long")


def _generate(path: Path, projects: int, groups: int) -> Path:
    """benchmarks/generate.py's synthetic event log (seed 1)."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(path, projects, groups=groups)
    return path


def _edge(folder: Path) -> Path:
    """Nothing complete, and a project name that tries to end the script it is in."""
    path = folder / "edge.csv"
    path.write_text(
        "project,event,date\n"
        f'"{HOSTILE.replace(",", "")}",land acquisition,2024-03-01\n'
        "B,land acquisition,2024-05-01\n",
        encoding="utf-8",
    )
    return path


def _long(folder: Path) -> Path:
    """Names of 3,000 characters with nowhere to break (a project, a zone), and
    withdrawn projects."""
    start = date(2021, 1, 4)
    lines = ["project,event,date,zone"]
    for i in range(40):
        name = LONG_NAME if i == 0 else f"Project {i:02}"
        zone = LONG_ZONE if i % 3 == 0 else f"Zone {i % 3}"
        land = start + timedelta(days=17 * i)
        lines.append(f"{name},land acquisition,{land},{zone}")
        if i == 0:
            lines.append(f"{name},construction permit,{land},{zone}")  # same day
        elif i % 5 == 1:
            lines.append(f"{name},withdrawn,{land + timedelta(days=30 + i)},{zone}")
        elif i % 7 != 2:
            lines.append(f"{name},construction permit,{land + timedelta(days=3 * i)},{zone}")
    path = folder / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Report]:
    folder = tmp_path_factory.mktemp("report-pages")
    sample = analyze(SAMPLE, options=OPTIONS)
    zones = analyze(
        _generate(folder / "zones.csv", 10_000, 8), InputOptions(attributes=("zone",)), OPTIONS
    )
    long = analyze(
        _long(folder),
        InputOptions(ignore_events=("withdrawn",), withdrawn=("event=withdrawn",)),
        OPTIONS,
    )
    return {
        "sample": Report(sample, survival=True),
        "zh": Report(sample, lang="zh-CN", group_by="zone", by="quarter", survival=True),
        "zones": Report(zones, group_by="zone", by="quarter", survival=True),
        "edge": Report(analyze(_edge(folder), options=OPTIONS)),
        "long": Report(long, group_by="zone", by="quarter", survival=True),
    }


@pytest.fixture(scope="module")
def opened(built, tmp_path_factory):
    """Every page open at both widths, in one browser."""
    folder = tmp_path_factory.mktemp("report-html")
    with launched(tmp_path_factory.mktemp("chromium-profile")) as context:
        pages: dict[tuple[str, int], Opened] = {}
        for name, report in built.items():
            path = report.save(folder / f"{name}.html")
            for width in WIDTHS:
                pages[name, width] = Opened(context, path, width)
        yield pages
        for page in pages.values():
            page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_readable_at_every_width(opened, built, name, width):
    page = opened[name, width]
    assert page.problems() == []
    measured = page.measure()
    assert measured.charts == list(built[name].charts_present())
    assert measured.time_axes, "no time axis found"  # the check above checked something
    assert len(measured.texts) > 20


@pytest.mark.parametrize("width", WIDTHS)
def test_every_time_axis_names_its_years(opened, width):
    axes = dict(opened["zones", width].measure().time_axes)
    assert set(axes) == {"trend", "trend_counts", "timeline"}
    for labels in axes.values():
        years = [int(label[:4]) for label in labels]
        assert years == sorted(years) and len(labels) >= 2
        assert years[0] <= 2020 and years[-1] >= 2024  # the data runs 2019-2024


def test_timeline_tooltips_show_iso_dates(opened, built):
    page = opened["sample", 1280]
    bars = built["sample"].timeline.bars
    dots = page.page.locator("#chart-timeline svg .role-mark path")
    assert dots.count() > len(bars)
    seen = 0
    for index in (0, 5, dots.count() - 1):
        text = page.tooltip("timeline", ".role-mark path", index)
        assert not re.search(r"\d{10,}", text), text  # no epoch milliseconds
        seen += len(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text))
    assert seen >= 3


def test_names_are_rows_of_the_timeline(opened, built):
    """Each drawn project's name is a label beside its row, in start order; a long name
    is cut to fit and is whole in the tooltip."""
    measured = opened["sample", 1280].measure()
    labels = [box.text for box in measured.texts if box.chart == "timeline"]
    names = [bar["project"] for bar in built["sample"].timeline.bars]

    def shows(label: str, name: str) -> bool:
        return label == name or (label.endswith("…") and name.startswith(label[:-1]))

    rows = [label for label in labels if any(shows(label, name) for name in names)]
    assert len(rows) == len(names)
    assert all(shows(label, name) for label, name in zip(rows, names, strict=True))
    long = opened["long", 375]
    shown = [box.text for box in long.measure().texts if box.chart == "timeline"]
    cut = [label for label in shown if label.startswith("Huge-")]
    assert len(cut) == 1 and cut[0].endswith("…") and len(cut[0]) < 40
    index = [bar["project"] for bar in built["long"].timeline.bars].index(LONG_NAME)
    tooltip = long.tooltip("timeline", "g.role-mark path", index)
    assert LONG_NAME in tooltip.replace("\n", "")


def test_a_name_runs_no_script(opened):
    page = opened["edge", 1280].page
    assert page.title() != "owned"
    names = page.evaluate("window.etownViews.timeline.data('timeline').map(d => d.project)")
    assert HOSTILE.replace(",", "") in names  # drawn as a name, not run


def test_survival_and_competing_curves_drawn(opened, built):
    page = opened["long", 1280].page
    series = page.evaluate(
        "Array.from(new Set(window.etownViews.cumulative.data('curves').map(d => d.series)))"
    )
    assert series == list(built["long"].curve_series.values())
    assert len(series) == 4  # complete only, Kaplan-Meier, and the two Aalen-Johansen
    legend = page.locator("#chart-cumulative svg.marks").text_content() or ""
    assert "withdrawn (Aalen-Johansen)" in legend


def test_survival_axis_ends_at_the_last_time_observed(opened, built):
    """The days axis of the cumulative chart runs to the longest time observed (an open
    project's waiting, here), not to a rounder number beyond it."""
    view = "window.etownViews.cumulative"
    page = opened["sample", 1280].page
    domain = page.evaluate(f"{view}.scale('x').domain()")
    projects = built["sample"].analysis.projects
    waiting = projects["waiting_days"].dropna().max()
    done = projects.loc[projects["status"] == "complete", "days"].max()
    assert domain == [0, max(waiting, done)]
    right = page.evaluate(f"{view}.scale('x')({domain[1]})")
    assert right == pytest.approx(page.evaluate(f"{view}.width()"))


def test_same_day_projects_are_marks(opened, built):
    same_day = reports.summary(built["sample"].analysis).document["same_day"]["projects"]
    assert len(same_day) == 2
    page = opened["sample", 1280]
    diamonds = page.page.locator("#chart-timeline g.same_day_marks path")
    assert diamonds.count() == len(same_day)
    labels = [diamonds.nth(i).get_attribute("aria-label") or "" for i in range(diamonds.count())]
    for name in same_day:
        assert any(name in label for label in labels), name
    box = diamonds.first.bounding_box()
    assert box is not None and box["width"] > 4 and box["height"] > 4  # visible, not zero-length
    assert same_day[0] in page.tooltip("timeline", "g.same_day_marks path")


def test_rendered_headline_numbers_equal_the_summary_json(opened, built):
    document = reports.summary(built["sample"].analysis).document
    page = opened["sample", 1280].page
    for key in ("days.median", "days.p90", "days.mean", "projects.total", "same_day.count"):
        section, name = key.split(".")
        text = page.locator(f'.card [data-key="{key}"], table [data-key="{key}"]').first
        value = document[section][name]
        expected = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0")
        assert text.inner_text().strip() == expected.rstrip("."), key
    embedded = page.evaluate("JSON.parse(document.getElementById('etown-summary').textContent)")
    assert embedded == document


#: Words that stay as they are in a Chinese page: names of methods and of the product.
KEPT = {"etown", "Kaplan", "Meier", "Aalen", "Johansen", "JavaScript"}


@pytest.mark.parametrize("width", WIDTHS)
def test_chinese_page_is_chinese(opened, built, width):
    """Every label of the Chinese page, in the page and in the charts, is Chinese:
    English words remain only in the data (names, columns, values, codes, commands)
    and in etown's own messages about the file, which are marked lang="en"."""
    page = opened["zh", width].page
    text = page.evaluate(
        """() => {
      const copy = document.querySelector("main").cloneNode(true);
      copy.querySelectorAll(
        "code, [lang=en], .name, .value, .chart, #same-day-names, td.message, noscript"
      ).forEach((node) => node.remove());
      return copy.innerText;
    }"""
    )
    # the data: the file's name (in the title) and the column grouped by
    text = text.replace(SAMPLE.name, "").replace("zone", "")
    english = {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in KEPT}
    assert english == set(), sorted(english)
    for label in ("审批用时", "中位天数", "当天办结", "数据质量", "无效日期", "方法说明"):
        assert label in text, label
    chart_labels = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            "[data-chart] .role-axis-title text, [data-chart] .role-legend-title text,"
            + " [data-chart] .role-legend-label text")).map((t) => t.textContent)"""
    )
    assert chart_labels
    zones = {str(z) for z in built["zh"].analysis.loaded.attributes["zone"].dropna()}
    labels = [label for label in chart_labels if label not in zones]  # the groups' legend
    english = {w for label in labels for w in re.findall(r"[A-Za-z]{3,}", label)}
    assert english - KEPT == set(), sorted(english)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["sample", "zones", "zh"])
def test_screenshots_are_kept_and_not_blank(opened, name, width):
    image_module = pytest.importorskip("PIL.Image", reason="pillow is in the test extra")
    from PIL import ImageStat

    path = opened[name, width].screenshot(ARTIFACTS / f"report-{name}-{width}.png")
    with image_module.open(path) as image:
        assert image.width == width
        assert image.height > 2_000
        grey = image.convert("L")
        spread = ImageStat.Stat(grey).stddev[0]
        colours = len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])
    assert spread > 10, spread  # not a flat page
    assert colours > 50, colours  # text and charts, not a few flat blocks


def test_jupyter_frame_draws_the_report(opened, built, tmp_path):
    """The notebook output (an iframe with the page as srcdoc) draws every chart."""
    report = built["sample"]
    path = tmp_path / "notebook.html"
    path.write_text(
        f"<!DOCTYPE html><html><body>{report._repr_html_()}</body></html>", encoding="utf-8"
    )
    context = opened["sample", 1280].page.context
    blocked: list[str] = []
    page = context.new_page()
    try:
        from .report_browser import offline

        page.route("**/*", offline(blocked))
        page.goto(path.as_uri())
        frame = page.frame_locator("iframe")
        frame.locator("html[data-rendered]").wait_for(state="attached", timeout=60_000)
        charts = len(report.charts_present())
        assert frame.locator("html").get_attribute("data-rendered") == str(charts)
        assert frame.locator("svg.marks").count() == charts
        assert blocked == []
    finally:
        page.close()
