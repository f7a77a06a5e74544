"""The report as a reader sees it: opened in Chromium (Debian's package, driven by
playwright) with every request outside the page blocked, and measured.

Used by ``tests/test_report.py`` and by ``benchmarks/report_check.py`` (the
million-project page, too slow for every test run).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Flags that let Debian's Chromium run headless in a container, and keep it quiet:
#: no sandbox (no user namespaces), no GPU, and no background requests of its own.
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Widths the report is checked at: a laptop and a phone.
WIDTHS = (1280, 375)
#: The tallest page a reader is asked to scroll through.
MAX_HEIGHT = 40_000
#: A year in a label: 2023, 2023-04, 2023-04-05.
YEAR = re.compile(r"(?<!\d)(1[89]|2\d)\d\d(?!\d)")
#: Text boxes may touch: two boxes overlap when they share more than this (px).
TOLERANCE = 0.5


def chromium() -> str | None:
    found = os.environ.get("ETOWN_CHROMIUM") or shutil.which("chromium")
    return found or shutil.which("chromium-browser")


@contextmanager
def launched(profile: Path) -> Iterator[Any]:
    """Chromium, with a fresh user-data folder ``profile``."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise RuntimeError("no Chromium found: apt-get install -y chromium")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=list(LAUNCH_ARGS),
            viewport={"width": WIDTHS[0], "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def offline(blocked: list[str]) -> Any:
    """A route handler that lets the page read its own file and blocks (and lists)
    every other request."""

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return route


# Every visible text element of every chart: its text, the chart it is in, and the
# four corners of its box on the page (rotation included: the box's corners in the
# element's own coordinates, mapped by the element's transform to the screen).
_TEXT_BOXES = """
() => {
  const out = [];
  document.querySelectorAll("[data-chart] svg text").forEach((el) => {
    const text = (el.textContent || "").trim();
    if (!text) return;
    for (let node = el; node && node instanceof Element; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden") return;
      if (parseFloat(style.opacity) === 0) return;
      const attribute = node.getAttribute("opacity") || node.getAttribute("fill-opacity");
      if (attribute !== null && parseFloat(attribute) === 0) return;
    }
    const box = el.getBBox();
    if (box.width === 0 || box.height === 0) return;
    const matrix = el.getScreenCTM();
    const corners = [
      [box.x, box.y], [box.x + box.width, box.y],
      [box.x + box.width, box.y + box.height], [box.x, box.y + box.height],
    ].map(([x, y]) => [
      matrix.a * x + matrix.c * y + matrix.e + window.scrollX,
      matrix.b * x + matrix.d * y + matrix.f + window.scrollY,
    ]);
    const chart = el.closest("[data-chart]").getAttribute("data-chart");
    const role = (el.closest("g[class*='role-']") || {}).getAttribute
      ? el.closest("g[class*='role-']").getAttribute("class") : "";
    out.push({ chart, text, corners, role });
  });
  return out;
}
"""

_PAGE_SIZE = """
() => ({
  scrollWidth: document.documentElement.scrollWidth,
  bodyScrollWidth: document.body.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  height: document.documentElement.scrollHeight,
  // charts drawn wider than their box (which would scroll or be cut)
  overflowing: Array.from(document.querySelectorAll("[data-chart]"))
    .filter((box) => {
      const svg = box.querySelector("svg.marks");
      return svg && svg.getBoundingClientRect().right > box.getBoundingClientRect().right + 1;
    })
    .map((box) => box.getAttribute("data-chart")),
  drawn: Array.from(document.querySelectorAll("[data-chart]"))
    .filter((box) => box.querySelector("svg.marks"))
    .map((box) => box.getAttribute("data-chart")),
  charts: Array.from(document.querySelectorAll("[data-chart]"))
    .map((box) => box.getAttribute("data-chart")),
})
"""

# The labels of every time axis (Vega describes a time axis as "... for a utc scale ..."),
# by chart; labels thinned out (opacity 0) are left out.
_TIME_AXES = """
() => Array.from(document.querySelectorAll("[data-chart] g.role-axis"))
  .filter((g) => /(utc|time) scale/.test(g.getAttribute("aria-label") || ""))
  .map((g) => ({
    chart: g.closest("[data-chart]").getAttribute("data-chart"),
    labels: Array.from(g.querySelectorAll(".role-axis-label text"))
      .filter((t) => t.getAttribute("opacity") !== "0")
      .map((t) => t.textContent),
  }))
"""


@dataclass
class TextBox:
    chart: str
    text: str
    corners: list[tuple[float, float]]
    role: str = ""

    def overlaps(self, other: TextBox, tolerance: float = TOLERANCE) -> bool:
        """Whether the two (possibly rotated) rectangles share more than ``tolerance``
        px along every separating axis (the separating axis theorem)."""
        for shape in (self.corners, other.corners):
            for i in range(4):
                (x1, y1), (x2, y2) = shape[i], shape[(i + 1) % 4]
                axis = (y1 - y2, x2 - x1)
                length = (axis[0] ** 2 + axis[1] ** 2) ** 0.5
                if length == 0:
                    continue
                axis = (axis[0] / length, axis[1] / length)
                mine = [x * axis[0] + y * axis[1] for x, y in self.corners]
                theirs = [x * axis[0] + y * axis[1] for x, y in other.corners]
                if min(max(mine), max(theirs)) - max(min(mine), min(theirs)) <= tolerance:
                    return False
        return True

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xs = [x for x, _ in self.corners]
        ys = [y for _, y in self.corners]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass
class Measured:
    """What a reader sees of one opened report."""

    width: int
    scroll_width: int
    height: int
    texts: list[TextBox]
    #: Charts drawn wider than their box, charts drawn, every chart of the page.
    overflowing: list[str] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    #: (chart, labels) of every time axis.
    time_axes: list[tuple[str, list[str]]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def overlapping(self) -> list[tuple[TextBox, TextBox]]:
        """Pairs of chart texts whose boxes overlap (a sweep over the boxes by x)."""
        boxes = sorted(self.texts, key=lambda b: b.bounds[0])
        found = []
        for i, box in enumerate(boxes):
            right = box.bounds[2]
            for other in boxes[i + 1 :]:
                if other.bounds[0] > right:
                    break
                if box.overlaps(other):
                    found.append((box, other))
        return found

    def texts_of(self, chart: str) -> list[str]:
        return [box.text for box in self.texts if box.chart == chart]


class Opened:
    """A report open in a page of its own: requests it tried beyond its own file,
    errors it raised."""

    def __init__(self, context: Any, path: Path, width: int, *, timeout: float = 120_000) -> None:
        self.width = width
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        self.page.set_viewport_size({"width": width, "height": 900})
        self.page.route("**/*", offline(self.blocked))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("html[data-rendered]", timeout=timeout)

    def measure(self) -> Measured:
        size = self.page.evaluate(_PAGE_SIZE)
        texts = [
            TextBox(t["chart"], t["text"], [tuple(c) for c in t["corners"]], t["role"])
            for t in self.page.evaluate(_TEXT_BOXES)
        ]
        axes = self.page.evaluate(_TIME_AXES)
        return Measured(
            width=self.width,
            scroll_width=max(size["scrollWidth"], size["bodyScrollWidth"]),
            height=size["height"],
            texts=texts,
            overflowing=size["overflowing"],
            drawn=size["drawn"],
            charts=size["charts"],
            time_axes=[(axis["chart"], axis["labels"]) for axis in axes],
            blocked=list(self.blocked),
            errors=list(self.errors),
        )

    def problems(self) -> list[str]:
        """What keeps the page from being read at this width (empty: nothing)."""
        measured = self.measure()
        found = [f"blocked request {url}" for url in measured.blocked]
        found += [f"error {error}" for error in measured.errors]
        found += [
            f"{a.chart}: {a.text[:40]!r} overlaps {b.chart}: {b.text[:40]!r}"
            for a, b in measured.overlapping()
        ]
        if measured.scroll_width > measured.width:
            found.append(f"scrolls sideways: {measured.scroll_width} px wide")
        if measured.height >= MAX_HEIGHT:
            found.append(f"{measured.height} px high")
        found += [f"{chart}: wider than its box" for chart in measured.overflowing]
        found += [f"{chart}: not drawn" for chart in measured.charts if chart not in measured.drawn]
        found += [
            f"{chart}: time label {label!r} names no year"
            for chart, labels in measured.time_axes
            for label in labels
            if not YEAR.search(label)
        ]
        return found

    def tooltip(self, chart: str, selector: str, index: int = 0) -> str:
        """The tooltip shown when the pointer rests on the ``index``-th mark matching
        ``selector`` in ``chart``."""
        mark = self.page.locator(f"#chart-{chart} svg {selector}").nth(index)
        mark.scroll_into_view_if_needed()
        box = mark.bounding_box()
        assert box is not None, (chart, selector)
        self.page.mouse.move(0, 0)
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = self.page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible", timeout=10_000)
        return tooltip.inner_text()

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.page.close()
