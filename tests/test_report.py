"""The HTML report as a document: built from the same documents as the commands,
self-contained, its charts' data aggregated. How a browser draws it is in
test_report_browser.py.
"""

from __future__ import annotations

import html
import json
import re
import statistics
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from etown_approvals import results as reports
from etown_approvals.analysis import Analysis, analyze
from etown_approvals.errors import ExitCode, MissingExtraError, UsageError
from etown_approvals.findings import REGISTRY
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


def test_groups_are_rows_the_largest_first(chinese_html, analysis):
    zones = analysis.loaded.attributes["zone"].reindex(analysis.projects.index)
    counts = zones.value_counts(dropna=False)  # plain pandas: projects per zone
    expected = sorted(counts.index, key=lambda z: -counts[z])
    assert "按zone" in chinese_html
    table = chinese_html[chinese_html.index('<table class="groups">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr><th class="name"[^>]*>([^<]*)</th><td class="n">([^<]*)</td>', table)
    assert [name for name, _total in rows] == [str(z) for z in expected]
    assert [total for _name, total in rows] == [f"{counts[z]:,}" for z in expected]
    assert parse(chinese_html).keyed["projects.total"][1] == str(len(analysis.projects))


def test_many_groups_become_the_largest_and_a_count_of_the_rest(tmp_path):
    """Fourteen zones: the ten with the most projects are drawn and listed; the page
    says how many groups and projects are left out, and where to see them all."""
    start = date(2022, 1, 3)
    lines = ["project,event,date,zone"]
    sizes = {f"Z{z:02}": z + 1 for z in range(14)}  # Z13 has 14 projects, Z00 one
    n = 0
    for zone, size in sizes.items():
        for _ in range(size):
            n += 1
            day = start + timedelta(days=n)
            lines += [f"P{n},land acquisition,{day},{zone}", f"P{n},construction permit,"
                      f"{day + timedelta(days=n % 40)},{zone}"]  # fmt: skip
    path = tmp_path / "zones.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = Report(analyze(path, options=OPTIONS), group_by="zone")
    largest = sorted(sizes, key=lambda z: -sizes[z])[:10]
    datasets = report.datasets()
    assert [row["group"] for row in datasets["groups"]] == largest
    assert {row["group"] for row in datasets["stages"]} == set(largest)
    assert {row["group"] for row in datasets["trend"]} == set(largest)
    left = [z for z in sizes if z not in largest]
    page = report.to_html()
    note = re.search(r'<p class="note" id="more-groups">(.*?)</p>', page, flags=re.S)
    assert note is not None
    assert f"{len(left)} more groups ({sum(sizes[z] for z in left)} projects)" in note.group(1)
    assert "<code>etown summary zones.csv --group-by zone</code>" in note.group(1)


def test_unknown_group_column(analysis):
    with pytest.raises(UsageError, match="no column 'nope' to group by"):
        Report(analysis, group_by="nope")


def test_data_quality_lists_rejected_rows_with_line_numbers(english_html, analysis):
    rejected = analysis.loaded.rejected
    assert len(rejected) == 3
    for row, kind in zip(rejected["row"], rejected["type"], strict=True):
        title = REGISTRY[kind].title  # the type's title, its code in the table of types
        assert f'<td class="n">{int(row)}</td><td>{title}</td>' in english_html
        assert f"{title}<br><code>{kind}</code>" in english_html


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
    label = report.curve_series["km"]
    points = [p for p in spec["datasets"]["curves"] if p["series"] == label]
    assert [p["share"] for p in points] == [0.1, 0.3, 0.6, 0.8]
    band = spec["datasets"]["survival_band"]
    assert band[1]["low"] == pytest.approx(1 - 0.82)
    assert band[1]["high"] == pytest.approx(1 - 0.55)
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
    curves = report.charts()["cumulative"]["datasets"]["curves"]
    completed = report.curve_series["completed"]
    assert [p["share"] for p in curves if p["series"] == completed] == [0.1, 0.3, 0.5]
    withdrawn = report.curve_series["withdrawn"]
    assert [p["share"] for p in curves if p["series"] == withdrawn] == [0, 0.1, 0.1]
    assert "withdrawn projects as ended without the permit" in report.to_html()
    # nothing withdrawn: the curve is the Kaplan-Meier one, drawn once
    alike = {**incidence, "withdrawn": [0, 0, 0]}
    plain = Report(analysis, survival=curve, cumulative_incidence=alike)
    assert list(plain.curve_series) == ["ecdf", "km"]
    assert "withdrawn projects as ended" not in plain.to_html()
    with pytest.raises(ValueError, match="differ in length"):
        Report(analysis, cumulative_incidence={**incidence, "withdrawn": [0.1]})


def test_missing_extra_is_one_line_naming_it(monkeypatch):
    import etown_approvals.report.extra as package

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


@pytest.mark.shared_data
def test_configured_stages_are_shown_as_named():
    from etown_approvals.config import load_config

    from .conftest import ROOT, SF_SAMPLE

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
    assert datasets["curves"] == []
    assert sum(row["count"] for row in datasets["histogram"]) == 0
    keyed = parse(report.to_html()).keyed
    assert keyed["days.median"] == ("null", "-")
    assert keyed["projects.open"][1] == "2"


# -- title, names, assets --------------------------------------------------------------


def test_default_title_names_the_file_not_its_folders(tmp_path):
    folder = tmp_path / "private" / "case files"
    folder.mkdir(parents=True)
    path = write_events(folder / "events 2024.csv", {"A": (date(2024, 1, 2), date(2024, 1, 9))})
    page = Report(analyze(path, options=OPTIONS)).to_html()
    assert "<title>Approval time: events 2024.csv</title>" in page
    assert "<h1>Approval time: events 2024.csv</h1>" in page
    visible = page[: page.index('<script type="application/json"')]
    assert "private" not in visible  # the folders are in the embedded summary JSON only


def test_title_option(run, tmp_path):
    target = tmp_path / "report.html"
    title = "E-Town <approvals> & permits, 2024"
    result = run("report", SAMPLE, "-o", target, "--as-of", "2025-01-01", "--title", title)
    assert result.stdout == ""
    page = target.read_text(encoding="utf-8")
    escaped = "E-Town &lt;approvals&gt; &amp; permits, 2024"
    assert f"<title>{escaped}</title>" in page and f"<h1>{escaped}</h1>" in page
    assert '<p><code class="file">projects.csv</code></p>' in page  # the file, under it


def test_long_names_are_cut_with_the_whole_name_on_hover(tmp_path):
    name = "Plant-" + "x" * 2_994
    path = write_events(tmp_path / "events.csv", {name: (date(2024, 1, 2), date(2024, 1, 2))})
    page = Report(analyze(path, options=OPTIONS)).to_html()
    shown = data.cut(name)
    assert len(shown) == data.NAME_CHARS and shown.endswith("…")
    assert f'<li title="{name}">{shown}</li>' in page


def _svg_texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", svg)]


def test_assets_are_each_chart_as_svg_and_png(run, tmp_path):
    folder = tmp_path / "charts"
    result = run("report", SAMPLE, "-o", tmp_path / "r.html", "--as-of", "2025-01-01",
                 "--survival", "--assets", folder, "--lang", "zh-CN")  # fmt: skip
    assert result.stdout == ""
    assert f"etown: 已将 12 个图表文件写入 {folder}" in result.stderr
    names = ("distribution", "cumulative", "trend", "trend_counts", "stages", "timeline")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{n}.{suffix}" for n in names for suffix in ("svg", "png")
    )
    for name in names:
        svg = (folder / f"{name}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "<image" not in svg
        assert len(_svg_texts(svg)) > 5, name  # text as text: it can be selected
        png = (folder / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(png[16:20], "big")
        assert width >= 2 * 800, (name, width)  # drawn 800 px wide, at twice the pixels
    texts = _svg_texts((folder / "timeline.svg").read_text(encoding="utf-8"))
    assert "拿地" in texts and "2020" in texts  # Chinese legend, years on the axis


def test_assets_where_no_folder_can_be_is_refused_before_reading(run, tmp_path):
    taken = tmp_path / "charts"
    taken.write_text("not a folder", encoding="utf-8")
    result = run("report", SAMPLE, "-o", tmp_path / "r.html", "--assets", taken, expect=2)
    assert result.stdout == ""
    assert result.stderr.endswith(f"Invalid value for '--assets': Directory '{taken}' is a file.\n")
    inside = taken / "sub"
    result = run("report", SAMPLE, "-o", tmp_path / "r.html", "--assets", inside, expect=6)
    assert result.stdout == ""
    assert result.stderr == (
        f"etown: error: cannot make the folder {inside} (--assets): Not a directory\n"
    )
    assert not (tmp_path / "r.html").exists()


# -- survival and competing risks ----------------------------------------------------


def _withdrawn_file(tmp_path: Path) -> Path:
    """Ten projects: six complete, two withdrawn (a 'withdrawn' event), two open."""
    start = date(2023, 1, 2)
    lines = ["project,event,date"]
    for i in range(10):
        land = start + timedelta(days=7 * i)
        lines.append(f"P{i},land acquisition,{land}")
        if i < 6:
            lines.append(f"P{i},construction permit,{land + timedelta(days=10 * (i + 1))}")
        elif i < 8:
            lines.append(f"P{i},withdrawn,{land + timedelta(days=25)}")
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_withdrawn_projects_draw_the_competing_risks_curves(tmp_path):
    path = _withdrawn_file(tmp_path)
    inputs = InputOptions(ignore_events=("withdrawn",), withdrawn=("event=withdrawn",))
    report = Report(analyze(path, inputs, OPTIONS), survival=True)
    assert list(report.curve_series) == ["ecdf", "km", "completed", "withdrawn"]
    assert report.curve_series["completed"] == (
        "withdrawn projects counted as ended (Aalen-Johansen)"
    )
    curves = report.charts()["cumulative"]["datasets"]["curves"]
    withdrawn = [c for c in curves if c["series"] == report.curve_series["withdrawn"]]
    # by hand: the two withdrawn projects, 25 days after their start, among ten followed
    done_before = sum(1 for i in range(6) if 10 * (i + 1) < 25)  # complete before day 25
    at_risk = 10 - done_before
    assert withdrawn[-1]["share"] == pytest.approx(2 / at_risk * (1 - done_before / 10), 1e-3)
    page = report.to_html()
    assert "Aalen-Johansen: withdrawal is a competing event" in page
    without = Report(analyze(path, InputOptions(ignore_events=("withdrawn",)), OPTIONS))
    assert list(without.curve_series) == ["ecdf"]


@pytest.mark.parametrize(
    ("open_since", "longest"),
    [(date(2022, 6, 1), (AS_OF - date(2022, 6, 1)).days), (date(2024, 10, 1), 400)],
)
def test_survival_axis_ends_at_the_longest_time_observed(tmp_path, open_since, longest):
    """The days axis ends at the longest wait of an open project, or at the longest
    complete project (400 days here), whichever is longer: not at a rounder number."""
    path = write_events(
        tmp_path / "events.csv",
        {
            "A": (date(2023, 1, 2), date(2023, 2, 1)),
            "B": (date(2023, 1, 2), date(2024, 2, 6)),  # 400 days
            "C": (open_since, None),
        },
    )
    spec = Report(analyze(path, options=OPTIONS), survival=True).charts()["cumulative"]
    lines = next(layer for layer in spec["layer"] if layer["data"]["name"] == "curves")
    assert lines["encoding"]["x"]["scale"]["domain"] == [0, longest]
    assert lines["encoding"]["x"]["scale"]["nice"] is False


# -- charts ------------------------------------------------------------------------------


def test_every_chart_is_valid_vega_lite(analysis, tmp_path):
    import altair as alt

    path = _withdrawn_file(tmp_path)
    inputs = InputOptions(ignore_events=("withdrawn",), withdrawn=("event=withdrawn",))
    reports_ = [
        Report(analysis, survival=True),
        Report(analysis, group_by="zone", by="quarter", lang="zh-CN"),
        Report(analyze(path, inputs, OPTIONS), survival=True, by="month"),
    ]
    for report in reports_:
        for name, spec in report.charts().items():
            alt.Chart.from_dict(spec, validate=True) if "layer" not in spec else (
                alt.LayerChart.from_dict(spec, validate=True)
            )
            assert spec["width"] == "container", name


@pytest.mark.parametrize(
    ("first", "last", "fmt", "interval"),
    [
        ("2019-01-01", "2024-12-31", "%Y", "year"),
        ("2024-01-10", "2024-09-30", "%Y-%m", "month"),
        ("2024-03-01", "2024-03-20", "%Y-%m-%d", "day"),
        ("2024-03-01", "2024-03-01", "%Y-%m-%d", "day"),
        ("1990-01-01", "2024-12-31", "%Y", "year"),
    ],
)
def test_time_axes_name_the_year(first, last, fmt, interval):
    from etown_approvals.report import charts

    axis = charts.time_axis(first, last).to_dict()
    assert axis["format"] == fmt and axis["tickCount"]["interval"] == interval
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days
    per = {"year": 365.25, "month": 30.4, "day": 1}[interval]
    assert max(span, 1) / per / axis["tickCount"]["step"] <= 12  # at most about a dozen ticks


@pytest.mark.parametrize(
    ("label", "by", "start", "after"),
    [
        ("2023", "year", "2023-01-01", "2024-01-01"),
        ("2023Q2", "quarter", "2023-04-01", "2023-07-01"),
        ("2023Q4", "quarter", "2023-10-01", "2024-01-01"),
        ("2023-12", "month", "2023-12-01", "2024-01-01"),
    ],
)
def test_period_span(label, by, start, after):
    assert data.period_span(label, by) == (start, after)


def test_trend_periods_are_drawn_on_their_dates(analysis):
    report = Report(analysis, by="quarter")
    rows = report.datasets()["trend_counts"]
    for row in rows:  # 2023Q3 runs from 2023-07-01 to 2023-10-01
        year, quarter = int(row["period"][:4]), int(row["period"][-1])
        assert row["start"] == date(year, 3 * quarter - 2, 1).isoformat()
    counted = {}
    for row in rows:
        counted[row["period"]] = counted.get(row["period"], 0) + row["count"]
    doc = reports.trend(analysis, by="quarter").document
    assert counted == {p["period"]: p["projects"] for p in doc["periods"]}


# -- the page's scripts ----------------------------------------------------------------


def test_the_vega_bundle_is_built_once_and_kept(tmp_path, monkeypatch):
    import vl_convert

    from etown_approvals.report import bundle

    monkeypatch.setenv("ETOWN_CACHE_DIR", str(tmp_path))
    built: list[int] = []

    def build() -> str:
        built.append(1)
        return "window.vegaEmbed=function(){};</script>"

    monkeypatch.setattr(vl_convert, "javascript_bundle", build)
    for _ in range(2):
        monkeypatch.setattr(bundle, "_ready", [])  # a new process
        assert bundle.script() == "window.vegaEmbed=function(){};<\\/script>"
    assert built == [1]
    assert [p.name for p in tmp_path.iterdir()] == [bundle.bundle_name()]


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
