"""Time etown end to end next to DuckDB and a plain pandas script, on synthetic logs.

    python benchmarks/run.py                    # 10k, 100k and 1M projects, 3 runs each
    python benchmarks/run.py --sizes 1000 --runs 1 --skip-large   # a quick smoke run
    python benchmarks/run.py --write BENCHMARKS.md

Each measurement runs a fresh process; wall time is the median of the runs, peak
memory the largest resident set size (from wait4). The metric is the same for all:
median days from land acquisition to construction permit over complete projects,
and the number of same-day projects. Needs duckdb (pip install '.[bench]').
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

DUCKDB = """
import sys, duckdb
rows = duckdb.connect().execute('''
with ev as (select project, event, try_cast(date as DATE) as d
            from read_csv(?, all_varchar = true)),
p as (select project,
        min(d) filter (where event = 'land acquisition') as land,
        min(d) filter (where event = 'construction permit') as permit
      from ev group by project)
select median(permit - land), count(*) filter (where permit = land)
from p where permit >= land''', [sys.argv[1]]).fetchall()
print(rows)
"""

PANDAS = """
import sys, pandas as pd
events = pd.read_csv(sys.argv[1], engine="pyarrow", dtype=str)
events["date"] = pd.to_datetime(events["date"], format="%Y-%m-%d", errors="coerce")
wide = events.pivot_table(index="project", columns="event", values="date", aggfunc="min")
days = (wide["construction permit"] - wide["land acquisition"]).dt.days
days = days[days >= 0]
print(days.median(), int((days == 0).sum()))
"""


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and peak RSS in MB over ``runs`` fresh processes."""
    walls, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return statistics.median(walls), max(peaks)


def etown(path: Path) -> list[str]:
    return [sys.executable, "-m", "etown_approvals", "summary", str(path), "--json"]


def have_duckdb() -> bool:
    found = subprocess.run([sys.executable, "-c", "import duckdb"], capture_output=True)
    return found.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--folder", type=Path, help="where to keep generated files (default: temporary)"
    )
    parser.add_argument("--write", type=Path, help="also write the table into this markdown file")
    args = parser.parse_args()

    folder = args.folder or Path(tempfile.mkdtemp(prefix="etown-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    duck = have_duckdb()
    lines = [
        "| case | projects | file | tool | wall s (median) | peak RSS MB | ratio |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    iso_wall: dict[int, float] = {}
    for size in args.sizes:
        for case, non_iso in (("ISO dates", 0.0), ("20% non-ISO dates", 0.2)):
            if non_iso and size != max(args.sizes):
                continue  # the non-ISO case is measured at the largest size only
            path = folder / f"events_{size}_{int(non_iso * 100)}.csv"
            if not path.exists():
                # In a child process: this runner stays small, so the forks that
                # start each measured command do not inherit a large memory image.
                subprocess.run(
                    [
                        sys.executable,
                        str(HERE / "generate.py"),
                        str(path),
                        "--projects",
                        str(size),
                        "--non-iso",
                        str(non_iso),
                    ],
                    check=True,
                )
            megabytes = path.stat().st_size / 1e6
            tools = [("etown summary --json", etown(path))]
            if not non_iso:  # the baselines read ISO dates only
                tools.append(("plain pandas", [sys.executable, "-c", PANDAS, str(path)]))
                if duck:
                    tools.append(("DuckDB", [sys.executable, "-c", DUCKDB, str(path)]))
            results = {name: measure(command, args.runs) for name, command in tools}
            base = results.get("DuckDB", (None, None))[0]
            for name, (wall, peak) in results.items():
                if non_iso:
                    ratio = f"{wall / iso_wall[size]:.2f}x etown on ISO dates"
                else:
                    ratio = f"{wall / base:.2f}x DuckDB" if base else "-"
                cells = [
                    case,
                    f"{size:,}",
                    f"{megabytes:,.0f} MB",
                    name,
                    f"{wall:.2f}",
                    f"{peak:,.0f}",
                    ratio,
                ]
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], file=sys.stderr)
            if not non_iso:
                iso_wall[size] = results["etown summary --json"][0]
    for flag in ("--help", "--version"):
        wall, peak = measure([sys.executable, "-m", "etown_approvals", flag], args.runs)
        lines.append(f"| etown {flag} | - | - | etown | {wall:.3f} | {peak:,.0f} | - |")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    table = "\n".join(lines) + f"\n\nMachine: {machine}; {args.runs} runs per cell.\n"
    print(table)
    if args.write:
        args.write.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
