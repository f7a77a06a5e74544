"""Regenerate docs/report.png, the README's picture of the HTML report.

    .venv/bin/python docs/screenshot.py [--lang zh-CN] [--width 375] [--out docs/report.png]

Builds the report of the bundled sample with its Kaplan-Meier curve (as of
2025-01-01, so the picture does not change by itself) and has Chromium (Debian's
``chromium``; ETOWN_CHROMIUM names another) draw the top of the page, 1280 px wide,
with the launch flags the tests use (``tests/report_browser.py``). Needs the test
extra. The tests keep full-page screenshots at 1280 and 375 px in tests/artifacts/.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etown_approvals.analysis import analyze  # noqa: E402
from etown_approvals.metrics import MetricOptions  # noqa: E402
from etown_approvals.report import Report  # noqa: E402
from tests.report_browser import Opened, launched  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en")
    parser.add_argument("--width", type=int, default=1280, help="pixels of the window's width")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--height", type=int, default=1500, help="pixels of the page shown")
    args = parser.parse_args()
    os.chdir(ROOT)  # the page names its source as given: data/projects.csv
    analysis = analyze("data/projects.csv", options=MetricOptions(as_of=date(2025, 1, 1)))
    with tempfile.TemporaryDirectory() as folder:
        page_path = Report(analysis, lang=args.lang, survival=True).save(
            Path(folder) / "report.html"
        )
        with launched(Path(folder) / "profile") as context:
            opened = Opened(context, page_path, args.width)
            problems = opened.problems()
            if problems:
                raise SystemExit("the page is not readable: " + "; ".join(problems))
            opened.page.set_viewport_size({"width": args.width, "height": args.height})
            opened.page.screenshot(path=str(args.out))
            opened.close()
    print(args.out)


if __name__ == "__main__":
    main()
