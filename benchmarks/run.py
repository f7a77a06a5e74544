"""Time every etown command end to end, paired with DuckDB doing the same work.

    pip install -e '.[bench]'
    python benchmarks/run.py                          # 1 M projects, 3 paired runs
    python benchmarks/run.py --scale 10000000         # and the 10 M case (slow)
    python benchmarks/run.py --projects 300 --runs 1  # a smoke run
    python benchmarks/run.py --write table.md

Cases (files made by ``generate.py`` into ``--folder``, kept for the next run):

* long: 4-column event log, one row per event (``summary``, ``projects`` in
  every format, ``stages``, ``trend``, ``validate``, ``timeline``,
  ``--days workdays``, the HTML ``report`` written to standard output);
  ``summary`` also against ``etown sql``'s query run by DuckDB on the file's
  events loaded as text (the per-project table a warehouse would make);
* groups: the same with 20,000 distinct zones (``summary``/``stages``/``trend
  --group-by zone``);
* 8 groups: the same with 8 zones (``compare --group-by zone``, and the HTML ``report``
  as it is published, ``--group-by zone --by quarter --survival``, against
  ``summary`` on the same file; ``summary`` with the same grouping and survival
  estimate for comparison);
* wide durations, 8 groups: 8 zones with every gap between stages 20 times as
  long and starts from 1950 (``generate.py --spread 20``), so each group has
  thousands of distinct durations (``compare --group-by zone``);
* small groups: 400 zones of 54 projects (about 49 complete each, so each pair
  gets the exact Mann-Whitney test; fewer projects with ``--projects``)
  (``compare --group-by zone``);
* sf: the San Francisco permit export scaled to the same number of rows, 51
  columns (``summary --config examples/sf_building_permits.toml``);
* cache: ``summary`` a second time on the same file, the parsed table served
  from the command's own cache; also the first, cache-writing run. Every other
  case runs with ``ETOWN_NO_CACHE=1``, so it reads and parses its file;
* scale (``--scale N``): ``summary`` on a long file of N projects;
* hostile: files that cost what they are worth or were refused, each at two sizes
  so that the growth shows: 50,000 and 100,000 columns, a value of 100 MB and of
  200 MB, 5 and 10 million blank lines (``summary``, ``validate``, ``projects``).

etown's own modules are compiled to bytecode before the first measurement, as
installing a wheel compiles them (see ``compile_bytecode``).

Each measurement is a fresh process; peak memory is its largest resident set
size (from ``wait4``). Runs are *paired*: in each round, a command and its
DuckDB counterpart run back to back, so machine load hits both alike; the ratio
is the median of the per-round ratios. Commands without a DuckDB counterpart
are compared with etown's own ``summary`` on the same file from the same round.
A command running longer than ``--timeout`` seconds is stopped and shown so.
Before the timed rounds of a case, its first command and DuckDB's counterpart
run ``--warmup`` times untimed (the cache cases warm up with their cache-writing
run instead).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SF_CONFIG = ROOT / "examples" / "sf_building_permits.toml"
#: The small-groups case: at most this many groups of 54 projects.
SMALL_GROUPS = 400

# Each DuckDB script gets the file as sys.argv[1] and prints its result.
DUCK_HEADLINE = """
import sys, duckdb
print(duckdb.connect().execute('''
with ev as (select project, event, try_cast(date as DATE) as d
            from read_csv(?, all_varchar = true)),
p as (select project,
        min(d) filter (where event = 'land acquisition') as land,
        min(d) filter (where event = 'construction permit') as permit
      from ev group by project)
select median(permit - land), count(*) filter (where permit = land)
from p where permit >= land''', [sys.argv[1]]).fetchall())
"""

# The summary document itself: counts, percentiles, and the same-day and
# fast-track names in file order, written as JSON.
DUCK_DOCUMENT = """
import sys, json, duckdb
con = duckdb.connect()
con.execute('''
create temp table p as
with ev as (select project, event, try_cast(date as DATE) as d, row_number() over () as line
            from read_csv(?, all_varchar = true)),
q as (select project, min(line) as first,
        min(d) filter (where event = 'land acquisition') as land,
        min(d) filter (where event = 'construction permit') as permit
      from ev group by project)
select project, first, land, permit, permit - land as days from q''', [sys.argv[1]])
total, complete, open_, invalid = con.execute('''select count(*),
  count(*) filter (where days >= 0), count(*) filter (where permit is null and land is not null),
  count(*) filter (where days < 0 or land is null) from p''').fetchone()
stats = con.execute('''select count(days), min(days), quantile_cont(days, 0.25), median(days),
  round(avg(days), 2), quantile_cont(days, 0.75), quantile_cont(days, 0.9), max(days)
  from p where days >= 0''').fetchone()
same = [r[0] for r in con.execute('select project from p where days = 0 order by first').fetchall()]
fast = [r[0] for r in con.execute(
    'select project from p where days between 0 and 3 order by first').fetchall()]
keys = ["count", "min", "p25", "median", "mean", "p75", "p90", "max"]
json.dump({"projects": {"total": total, "complete": complete, "open": open_, "invalid": invalid},
           "days": dict(zip(keys, stats)),
           "same_day": {"count": len(same), "projects": same},
           "fast_track": {"count": len(fast), "projects": fast}}, sys.stdout, indent=2, default=str)
"""

DUCK_PROJECTS_CSV = """
import sys, duckdb
duckdb.connect().execute('''
copy (with ev as (select project, event, zone, try_cast(date as DATE) as d,
                         row_number() over () as line
                  from read_csv(?, all_varchar = true))
      select project,
        min(d) filter (where event = 'land acquisition') as land_acquisition,
        min(d) filter (where event = 'project approval') as project_approval,
        min(d) filter (where event = 'planning permit') as planning_permit,
        min(d) filter (where event = 'construction permit') as construction_permit,
        construction_permit - land_acquisition as days, any_value(zone) as zone
      from ev group by project order by min(line)) to '/dev/stdout' (header)''', [sys.argv[1]])
"""

DUCK_GROUPS = """
import sys, duckdb
print(len(duckdb.connect().execute('''
with ev as (select project, event, zone, try_cast(date as DATE) as d
            from read_csv(?, all_varchar = true)),
p as (select project, any_value(zone) as zone,
        min(d) filter (where event = 'land acquisition') as land,
        min(d) filter (where event = 'construction permit') as permit
      from ev group by project)
select zone, count(*), median(permit - land), count(*) filter (where permit = land)
from p where permit >= land group by zone order by zone''', [sys.argv[1]]).fetchall()))
"""

# etown sql's query (what a warehouse runs to make the per-project table), on the
# events loaded as text columns, as a warehouse holds a loaded export.
DUCK_SQL = """
import sys, duckdb
from etown_approvals.warehouse import EventTable, per_project_sql
con = duckdb.connect()
con.execute('create table events as select * from read_csv(?, all_varchar = true)', [sys.argv[1]])
query = per_project_sql(EventTable('events', attributes=('zone',)), 'duckdb')
print(con.execute(f'select count(*) from ({query})').fetchone())
"""

DUCK_SF = """
import sys, duckdb
print(duckdb.connect().execute('''
with ev as (select "Permit Number" as permit_number,
        try_strptime("Filed Date", '%m/%d/%Y %I:%M:%S %p')::DATE as filed,
        try_strptime("Issued Date", '%m/%d/%Y %I:%M:%S %p')::DATE as issued
      from read_csv(?, all_varchar = true)),
p as (select permit_number, min(filed) as filed, min(issued) as issued from ev group by 1)
select median(issued - filed), count(*) filter (where issued = filed)
from p where issued >= filed''', [sys.argv[1]]).fetchall())
"""


@dataclass
class Case:
    """One file and the commands measured on it."""

    name: str
    path: Path
    #: (label, etown arguments after the file, DuckDB script or None)
    commands: list[tuple[str, list[str], str | None]]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Timing:
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    stopped: bool = False

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def peak(self) -> float:
        return max(self.peaks) if self.peaks else float("nan")


def measure(
    command: list[str], timeout: float, env: dict[str, str] | None = None, ok: tuple = (0,)
) -> tuple:
    """(wall seconds, peak RSS MiB, stopped) of one fresh process; output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # Every case reads its file unless it is a cache case (which sets its own folder).
        env={**os.environ, "ETOWN_NO_CACHE": "1", **(env or {})},
        cwd=ROOT,
    )
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            process.kill()
            os.wait4(process.pid, 0)
            return timeout, float("nan"), True
        time.sleep(0.01)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_maxrss / 1024, False


#: Files to generate when a case that reads them runs: path -> generate.py's arguments.
TO_GENERATE: dict[Path, list[str]] = {}


def generate(path: Path, projects: int, *extra: str) -> Path:
    """The file's path; it is written (by :func:`make`) only when a case reads it."""
    TO_GENERATE[path] = ["--projects", str(projects), *extra]
    return path


def make(path: Path) -> None:
    if not path.exists() and path in TO_GENERATE:
        # In a child process: this runner stays small, so the forks that start
        # each measured command do not inherit a large memory image.
        command = [sys.executable, str(HERE / "generate.py"), str(path)]
        subprocess.run([*command, *TO_GENERATE[path]], check=True)


def etown(path: Path, arguments: list[str]) -> list[str]:
    if arguments and arguments[0] == "cached":  # the command itself, served from its cache
        arguments = ["summary", *arguments[1:], "--json"]
    return [sys.executable, "-m", "etown_approvals", arguments[0], str(path), *arguments[1:]]


def yardstick_for(path: Path, arguments: list[str]) -> list[str]:
    """Plain `summary` on the file, read as the command reads it (its --config): the
    yardstick of commands that DuckDB has no counterpart for."""
    config = []
    if "--config" in arguments:
        at = arguments.index("--config")
        config = arguments[at : at + 2]
    return etown(path, ["summary", *config, "--json"])


def duckdb_version() -> str | None:
    """The DuckDB release the yardstick runs on (None: not installed).

    The targets are stated against DuckDB 2.x (about twice as fast as 1.x on these
    queries): an older release is refused rather than measured against.
    """
    if os.environ.get("ETOWN_BENCH_NO_DUCKDB"):
        return None  # as on a machine without the bench extra
    found = subprocess.run(
        [sys.executable, "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        return None
    version = found.stdout.strip()
    if int(version.split(".")[0]) < 2:
        sys.exit(f"run.py: DuckDB {version} is older than the yardstick: pip install 'duckdb>=2'")
    return version


def cases(
    folder: Path, projects: int, scale: int | None, cache_dir: Path, only: str | None = None
) -> list[Case]:
    long = generate(folder / f"long_{projects}.csv", projects)
    groups = generate(folder / f"groups_{projects}.csv", projects, "--groups", "20000")
    eight = generate(folder / f"groups8_{projects}.csv", projects, "--groups", "8")
    wide = generate(folder / f"wide8_{projects}.csv", projects, "--groups", "8", "--spread", "20")
    # groups of 54 projects (about 49 complete each: the exact Mann-Whitney test)
    small_projects = min(projects, SMALL_GROUPS * 54)
    small = generate(
        folder / f"small_{small_projects}.csv",
        small_projects,
        "--groups",
        str(max(2, small_projects // 54)),
    )
    sf = generate(folder / f"sf_{projects}.csv", projects, "--layout", "sf")
    sf_config = ["--config", str(SF_CONFIG)]
    found = [
        Case(
            "long",
            long,
            [
                ("summary --json", ["summary", "--json"], DUCK_DOCUMENT),
                ("summary --json (headline query)", ["summary", "--json"], DUCK_HEADLINE),
                ("summary --json (etown sql's query)", ["summary", "--json"], DUCK_SQL),
                ("projects --format csv", ["projects", "--format", "csv"], DUCK_PROJECTS_CSV),
                ("projects --format json", ["projects", "--format", "json"], None),
                ("projects --format ndjson", ["projects", "--format", "ndjson"], None),
                ("projects (table)", ["projects"], None),
                ("stages --json", ["stages", "--json"], None),
                ("trend --by month --json", ["trend", "--by", "month", "--json"], None),
                ("validate --json", ["validate", "--json"], None),
                ("timeline", ["timeline"], None),
                (
                    "summary --days workdays --json",
                    ["summary", "--days", "workdays", "--json"],
                    None,
                ),
                ("report -o -", ["report", "-o", "-"], None),
            ],
        ),
        Case(
            "20,000 groups",
            groups,
            [
                (
                    "summary --group-by zone --json",
                    ["summary", "--group-by", "zone", "--json"],
                    DUCK_GROUPS,
                ),
                ("stages --group-by zone --json", ["stages", "--group-by", "zone", "--json"], None),
                ("trend --group-by zone --json", ["trend", "--group-by", "zone", "--json"], None),
            ],
        ),
        Case(
            "8 groups",
            eight,
            [
                (
                    "compare --group-by zone --json",
                    ["compare", "--group-by", "zone", "--json"],
                    None,
                ),
                ("compare --group-by zone (table)", ["compare", "--group-by", "zone"], None),
                (
                    "report --group-by zone --by quarter --survival -o -",
                    ["report", "--group-by", "zone", "--by", "quarter", "--survival", "-o", "-"],
                    None,
                ),
                (
                    "summary --group-by zone --survival --json",
                    ["summary", "--group-by", "zone", "--survival", "--json"],
                    None,
                ),
            ],
        ),
        Case(
            "wide durations, 8 groups",
            wide,
            [("compare --group-by zone --json", ["compare", "--group-by", "zone", "--json"], None)],
        ),
        Case(
            "small groups",
            small,
            [("compare --group-by zone --json", ["compare", "--group-by", "zone", "--json"], None)],
        ),
        Case(
            "SF export, 51 columns",
            sf,
            [("summary --config sf.toml --json", ["summary", *sf_config, "--json"], DUCK_SF)],
        ),
        Case(
            "cache: second command",
            long,
            [
                ("summary --json, served from the cache", ["cached"], DUCK_DOCUMENT),
                ("summary --json, served from the cache (headline)", ["cached"], DUCK_HEADLINE),
            ],
            env={"ETOWN_CACHE_DIR": str(cache_dir), "ETOWN_NO_CACHE": ""},
        ),
        Case(
            "cache: SF second command",
            sf,
            [("summary --config, from the cache", ["cached", *sf_config], DUCK_SF)],
            env={"ETOWN_CACHE_DIR": str(cache_dir), "ETOWN_NO_CACHE": ""},
        ),
    ]
    commands: list[tuple[str, list[str], str | None]] = [
        ("summary --json", ["summary", "--json"], None),
        ("validate --json", ["validate", "--json"], None),
        ("projects --format json", ["projects", "--format", "json"], None),
        ("projects (table)", ["projects"], None),
    ]
    for layout, sizes, unit in (
        ("columns", (50_000, 100_000), "columns"),
        ("field", (100, 200), "MB value"),
        ("blank", (5_000_000, 10_000_000), "blank lines"),
    ):
        for size in sizes:
            name = f"hostile: {size:,} {unit}"
            if only and only not in name:
                continue  # (hundreds of megabytes: made only when asked for)
            hostile = generate(folder / f"{layout}_{size}.csv", size, "--layout", layout)
            found.append(Case(name, hostile, commands))
    if scale:
        big = generate(folder / f"long_{scale}.csv", scale)
        found.append(
            Case(
                "scale",
                big,
                [
                    ("summary --json", ["summary", "--json"], DUCK_HEADLINE),
                    ("summary --json (document)", ["summary", "--json"], DUCK_DOCUMENT),
                ],
            )
        )
        found.append(
            Case(
                "scale: second command",
                big,
                [("summary --json, served from the cache", ["cached"], DUCK_HEADLINE)],
                env={"ETOWN_CACHE_DIR": str(cache_dir), "ETOWN_NO_CACHE": ""},
            )
        )
    return found


def compile_bytecode() -> None:
    """Compile etown's modules to bytecode first, as installing a wheel does.

    A checkout installed with ``pip install -e`` writes its bytecode on first use,
    unless ``PYTHONDONTWRITEBYTECODE`` is set (as on some CI machines and
    containers): then every measured run would compile etown's source again
    (about 0.1 s), while pandas and DuckDB, installed from wheels, come compiled.
    """
    import compileall

    compileall.compile_dir(ROOT / "etown_approvals", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1_000_000)
    parser.add_argument("--scale", type=int, help="also the summary case at this many projects")
    parser.add_argument("--runs", type=int, default=3, help="paired rounds per command")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed rounds of each case's first command"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a stop")
    parser.add_argument("--only", help="only cases whose name contains this text")
    parser.add_argument("--folder", type=Path, help="where to keep generated files")
    parser.add_argument("--write", type=Path, help="also write the table into this markdown file")
    args = parser.parse_args()

    folder = args.folder or Path(tempfile.mkdtemp(prefix="etown-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    cache_dir = folder / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    duck_version = duckdb_version()
    duck = duck_version is not None
    load_before = os.getloadavg()
    lines = [
        "| case | command | etown s | etown MiB | DuckDB s | DuckDB MiB "
        "| etown / DuckDB | etown / summary |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in cases(folder, args.projects, args.scale, cache_dir, args.only):
        if args.only and args.only not in case.name:
            continue
        make(case.path)
        megabytes = case.path.stat().st_size / 1e6
        if case.env:
            # The first, cache-writing run, then warm the cache for the rounds.
            for label, arguments, _ in case.commands[:1]:
                shutil.rmtree(cache_dir, ignore_errors=True)
                wall, peak, stopped = measure(etown(case.path, arguments), args.timeout, case.env)
                cells = [case.name, f"{label.split(',')[0]}, first run (writes the cache)"]
                shown = f"> {args.timeout:.0f} (stopped)" if stopped else f"{wall:.2f}"
                cells += [shown, "-" if stopped else f"{peak:,.0f}", "", "", "", ""]
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], file=sys.stderr, flush=True)
        elif args.warmup:
            # Untimed rounds of the case's first command, etown's and DuckDB's, as
            # hyperfine's --warmup: the first runs after a pause were the slowest of
            # the benchmark (0.5 s more for etown's first summary, in two full runs).
            _, arguments, script = case.commands[0]
            for _ in range(args.warmup):
                measure(etown(case.path, arguments), args.timeout, case.env)
                if script and duck:
                    measure([sys.executable, "-c", script, str(case.path)], args.timeout)
        for label, arguments, script in case.commands:
            mine, theirs, base = Timing(), Timing(), Timing()
            ratios, own_ratios = [], []
            for _ in range(args.runs):
                # validate exits 1 when it finds problems: that is its answer, not a failure
                ok = (0, 1) if arguments[0] == "validate" else (0,)
                if case.name.startswith("hostile"):  # (refused or rejected is an answer too)
                    ok = (0, 1, 3, 4)
                wall, peak, stopped = measure(
                    etown(case.path, arguments), args.timeout, case.env, ok
                )
                mine.walls.append(wall)
                mine.stopped |= stopped
                if not stopped:
                    mine.peaks.append(peak)
                if script and duck:
                    other, other_peak, _ = measure(
                        [sys.executable, "-c", script, str(case.path)], args.timeout
                    )
                    theirs.walls.append(other)
                    theirs.peaks.append(other_peak)
                    ratios.append(wall / other)
                elif arguments != ["summary", "--json"] and not stopped:
                    own, _, _ = measure(yardstick_for(case.path, arguments), args.timeout)
                    base.walls.append(own)
                    own_ratios.append(wall / own)
                if stopped:
                    break  # one stop says enough
            cells = [
                f"{case.name} ({megabytes:,.0f} MB)",
                label,
                f"> {args.timeout:.0f} (stopped)" if mine.stopped else f"{mine.wall:.2f}",
                "-" if mine.stopped else f"{mine.peak:,.0f}",
                f"{theirs.wall:.2f}" if theirs.walls else "-",
                f"{theirs.peak:,.0f}" if theirs.peaks else "-",
                # A stopped command's ratio is a lower bound.
                ("> " if mine.stopped else "") + f"{statistics.median(ratios):.2f}x"
                if ratios
                else "-",
                f"{statistics.median(own_ratios):.2f}x" if own_ratios else "-",
            ]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    for flag in ("--help", "--version"):
        walls = [measure([sys.executable, "-m", "etown_approvals", flag], 30)[0] for _ in range(3)]
        lines.append(f"| start-up | etown {flag} | {statistics.median(walls):.3f} | | | | | |")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    machine += f", DuckDB {duck_version}" if duck else ", no DuckDB"
    load_after = os.getloadavg()
    table = "\n".join(lines) + (
        f"\n\nMachine: {machine}; {args.runs} paired rounds per command; load average "
        f"(1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after.\n"
    )
    print(table)
    if args.write:
        args.write.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
