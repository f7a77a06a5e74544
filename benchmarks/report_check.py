"""The report of a million projects, opened in Chromium at 1280 and 375 px and measured.

    .venv/bin/python benchmarks/report_check.py                   # 1,000,000 projects, 8 zones
    .venv/bin/python benchmarks/report_check.py --projects 10000  # a quick run
    .venv/bin/python benchmarks/report_check.py --write out.md

The same checks as ``tests/test_report_browser.py`` (no two chart texts overlap, no
sideways scrolling, no chart wider than its box, under 40,000 px high, every time
axis naming its years, every chart drawn, nothing loaded from the network), on a
file too large for every test run: ``generate.py --groups 8``, reported with
``--group-by zone --by quarter --survival``. Prints the page's size, the time the
command took (one run; ``run.py`` times it against ``summary``), and what the
browser found. Exits 1 when a check fails. Needs the test extra and Chromium.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.report_browser import MAX_HEIGHT, WIDTHS, Opened, launched  # noqa: E402

#: The largest page the report may be for a million projects.
MAX_BYTES = 5_000_000
OPTIONS = ["--group-by", "zone", "--by", "quarter", "--survival"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=HERE / "out")
    parser.add_argument("--write", type=Path, help="also write the results into this file")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    data = args.folder / f"groups8_{args.projects}.csv"
    if not data.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(data), "--projects",
             str(args.projects), "--groups", "8"],
            check=True,
        )  # fmt: skip
    page = args.folder / f"report_{args.projects}.html"
    command = [sys.executable, "-m", "etown_approvals", "report", str(data), *OPTIONS, "-o"]
    env = {**os.environ, "ETOWN_NO_CACHE": "1"}
    start = time.perf_counter()
    subprocess.run([*command, str(page)], check=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    size = page.stat().st_size
    lines = [
        f"etown report {data.name} {' '.join(OPTIONS)}: {args.projects:,} projects",
        f"- page: {size / 1e6:.2f} MB (limit {MAX_BYTES / 1e6:.0f} MB); built in {seconds:.1f} s",
    ]
    failed = size >= MAX_BYTES
    with tempfile.TemporaryDirectory() as profile, launched(Path(profile)) as context:
        for width in WIDTHS:
            opened = Opened(context, page, width)
            measured = opened.measure()
            problems = opened.problems()
            opened.screenshot(args.folder / f"report_{args.projects}_{width}.png")
            lines.append(
                f"- {width} px: {measured.height:,} px high (limit {MAX_HEIGHT:,}), "
                f"{measured.scroll_width} px wide, {len(measured.texts)} chart texts, "
                f"{len(measured.overlapping())} overlapping, {len(measured.time_axes)} time axes, "
                f"charts drawn {len(measured.drawn)}/{len(measured.charts)}: "
                + ("ok" if not problems else "; ".join(problems[:5]))
            )
            failed |= bool(problems)
            opened.close()
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
