"""Regenerate docs/report.png, the README's picture of the HTML report.

    .venv/bin/python docs/screenshot.py [--lang zh-CN] [--out docs/report.png]

Builds the report of the bundled sample (as of 2025-01-01, so the picture does not
change by itself) and has Chromium (Debian's ``chromium``; ETOWN_CHROMIUM names
another) draw the top of the page, 1280 px wide. Needs the test extra.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright

from etown_approvals.analysis import analyze
from etown_approvals.metrics import MetricOptions
from etown_approvals.report import Report

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--height", type=int, default=1500, help="pixels of the page shown")
    args = parser.parse_args()
    browser = os.environ.get("ETOWN_CHROMIUM") or shutil.which("chromium")
    if browser is None:
        raise SystemExit("no chromium: apt-get install -y chromium")
    os.chdir(ROOT)  # the page names its source as given: data/projects.csv
    analysis = analyze("data/projects.csv", options=MetricOptions(as_of=date(2025, 1, 1)))
    with tempfile.TemporaryDirectory() as folder:
        page_path = Report(analysis, lang=args.lang).save(Path(folder) / "report.html")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=browser, args=["--no-sandbox", "--disable-gpu"]
            )
            page = chromium.new_page(viewport={"width": 1280, "height": args.height})
            page.goto(page_path.as_uri())
            page.wait_for_selector("html[data-rendered]", timeout=60_000)
            page.screenshot(path=str(args.out))
            chromium.close()
    print(args.out)


if __name__ == "__main__":
    main()
