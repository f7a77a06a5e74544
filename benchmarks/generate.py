"""Write a synthetic approval-event log, or a scaled real export, for benchmarks.

    python benchmarks/generate.py out.csv --projects 1000000 [--non-iso 0.2] [--layout long|wide]
    python benchmarks/generate.py out.csv --projects 1000000 --groups 20000
    python benchmarks/generate.py out.csv --projects 1000000 --layout sf
    python benchmarks/generate.py out.csv --projects 100000 --layout columns
    python benchmarks/generate.py out.csv --projects 200 --layout field
    python benchmarks/generate.py out.csv --projects 10000000 --layout blank

Each project gets land acquisition in 2019-2024 and later stages a few days to
months apart; about 10% are still waiting for a construction permit. With
``--non-iso X`` that share of dates is written as ``2023/9/15`` or
``2023年9月15日`` instead of ISO 8601. ``--groups N`` gives the ``zone``
attribute N distinct values instead of 4.

``--layout sf`` scales the San Francisco building-permit sample
(``../shared/data/sf_building_permits_sample.csv``, 51 columns, one row per
permit, US month-first timestamps) to the given number of rows: rows are drawn
from the sample, every permit gets a unique number, and each row's milestone
dates are all shifted by the same random number of days (up to eight years
back), so durations are the real ones while the spread of distinct dates and
timestamps grows as in a real full export. Values are quoted only where needed,
as DataSF writes them. Vectorized: a million projects take seconds.

Hostile files, whose cost must stay linear (``--projects`` then says how large):
``--layout columns``, a header of that many columns and four rows, every cell past
the first three empty; ``--layout field``, a value of that many megabytes in a
fourth column of the first row; ``--layout blank``, that many blank lines after
four rows.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

STAGES = ("land acquisition", "project approval", "planning permit", "construction permit")
EPOCH_2019 = int(np.datetime64("2019-01-01", "D").astype(np.int64))
SF_SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "sf_building_permits_sample.csv"
)
#: Milestone columns of the SF export shifted together (``data_as_of`` and
#: ``data_loaded_at`` describe the export itself and stay as they are).
SF_DATE_COLUMNS = {
    "Permit Creation Date": "%m/%d/%Y",
    "Current Status Date": "%m/%d/%Y %I:%M:%S %p",
    "Filed Date": "%m/%d/%Y %I:%M:%S %p",
    "Issued Date": "%m/%d/%Y %I:%M:%S %p",
    "Completed Date": "%m/%d/%Y %I:%M:%S %p",
    "First Construction Document Date": "%m/%d/%Y %I:%M:%S %p",
    "Last Permit Activity Date": "%m/%d/%Y %I:%M:%S %p",
}


def _dates(rng: np.random.Generator, n: int) -> np.ndarray:
    land = EPOCH_2019 + rng.integers(0, 6 * 365, n)
    approval = land + rng.integers(0, 30, n)
    planning = approval + rng.integers(0, 90, n)
    construction = planning + rng.integers(0, 120, n)
    same_day = rng.random(n) < 0.05
    approval[same_day] = planning[same_day] = construction[same_day] = land[same_day]
    return np.stack([land, approval, planning, construction], axis=1)


def _text(days: np.ndarray, rng: np.random.Generator, non_iso: float) -> pa.Array:
    iso = pa.array(days.astype("datetime64[D]")).cast(pa.string())
    if non_iso <= 0:
        return iso
    pick = rng.random(days.size)
    slash = pc.strftime(
        pa.array(days.astype("datetime64[D]")).cast(pa.timestamp("s")), format="%Y/%m/%d"
    )
    chinese = pc.strftime(
        pa.array(days.astype("datetime64[D]")).cast(pa.timestamp("s")), format="%Y年%m月%d日"
    )
    out = pc.if_else(pa.array(pick < non_iso / 2), slash, iso)
    return pc.if_else(pa.array((pick >= non_iso / 2) & (pick < non_iso)), chinese, out)


def _quoted(values: pa.Array) -> pa.Array:
    """CSV cells: quoted (inner quotes doubled) only where a value needs it."""
    needs = pc.match_substring_regex(values, '[,"\\r\\n]')
    doubled = pc.replace_substring(values, '"', '""')
    wrapped = pc.binary_join_element_wise('"', doubled, '"', "")
    return pc.if_else(needs, wrapped, values)


def generate_sf(path: Path, rows: int, seed: int = 1, sample: Path = SF_SAMPLE) -> None:
    """The SF permit sample scaled to ``rows`` rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    with open(sample, encoding="utf-8", newline="") as handle:
        names = next(csv.reader(handle))
    # Every cell as text, exactly as written (block "0291" keeps its zero).
    table = pa_csv.read_csv(
        sample,
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )
    picked = table.take(pa.array(rng.integers(0, table.num_rows, rows)))
    shift = pa.array((rng.integers(0, 8 * 365, rows) * -86_400).astype("int64"))
    columns: dict[str, pa.Array] = {}
    for name in picked.column_names:
        values = picked.column(name).combine_chunks()
        if name == "Permit Number":
            values = pa.array(np.arange(rows, dtype=np.int64) + 202_000_000_000).cast(pa.string())
        elif name in SF_DATE_COLUMNS:
            fmt = SF_DATE_COLUMNS[name]
            blank = pc.equal(values, "")
            stamps = pc.strptime(pc.if_else(blank, None, values), format=fmt, unit="s")
            moved = pc.add(stamps.cast(pa.int64()), shift).cast(pa.timestamp("s"))
            text = pc.strftime(moved, format=fmt)
            values = pc.if_else(blank, "", pc.fill_null(text, ""))
        columns[name] = _quoted(values)
    header = ",".join(f'"{n}"' if "," in n else n for n in picked.column_names)
    lines = pc.binary_join_element_wise(*columns.values(), ",")
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        for start in range(0, rows, 100_000):
            piece = lines.slice(start, 100_000).to_pylist()
            out.write("\n".join(piece) + "\n")


#: Four rows of two projects, for the hostile layouts.
HOSTILE_ROWS = (
    ("A", "land acquisition", "2023-03-01"),
    ("A", "construction permit", "2023-03-09"),
    ("B", "land acquisition", "2023-04-01"),
    ("B", "construction permit", "2023-04-02"),
)


def generate_hostile(path: Path, layout: str, size: int) -> None:
    """A file whose cost must stay linear: ``size`` columns, megabytes or blank lines."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        if layout == "columns":
            out.write("project,event,date," + ",".join(f"c{i}" for i in range(3, size)) + "\n")
            for row in HOSTILE_ROWS:
                out.write(",".join(row) + "," * (size - 3) + "\n")
        elif layout == "field":
            out.write("project,event,date,notes\n")
            for i, row in enumerate(HOSTILE_ROWS):
                out.write(",".join(row) + ",")
                for _ in range(size if i == 0 else 0):
                    out.write("x" * 1_000_000)
                out.write("\n")
        else:
            out.write("project,event,date\n")
            out.write("".join(",".join(row) + "\n" for row in HOSTILE_ROWS))
            for _ in range(size // 1_000_000):
                out.write("\n" * 1_000_000)
            out.write("\n" * (size % 1_000_000))


def generate(
    path: Path,
    projects: int,
    non_iso: float = 0.0,
    layout: str = "long",
    seed: int = 1,
    groups: int = 0,
) -> None:
    if layout == "sf":
        generate_sf(path, projects, seed)
        return
    if layout in ("columns", "field", "blank"):
        generate_hostile(path, layout, projects)
        return
    rng = np.random.default_rng(seed)
    dates = _dates(rng, projects)
    waiting = rng.random(projects) < 0.10
    names = pc.binary_join_element_wise("P", pa.array(np.arange(projects)).cast(pa.string()), "")
    if groups:
        zone_names = np.array([f"Z{i:05d}" for i in range(groups)])
    else:
        zone_names = np.array(["Core Area", "Taihu", "Majuqiao", "Yizhuang"])
    zones = pa.array(zone_names[rng.integers(0, zone_names.size, projects)])
    if layout == "wide":
        columns = {"project": names, "zone": zones}
        for i, stage in enumerate(STAGES):
            text = _text(dates[:, i], rng, non_iso)
            if i == 3:
                text = pc.if_else(pa.array(waiting), pa.scalar(None, pa.string()), text)
            columns[stage.replace(" ", "_") + "_date"] = text
        table = pa.table(columns)
    else:
        keep = np.ones((projects, 4), dtype=bool)
        keep[:, 3] = ~waiting
        project_index = np.repeat(np.arange(projects), 4)[keep.ravel()]
        stage_index = np.tile(np.arange(4), projects)[keep.ravel()]
        table = pa.table(
            {
                "project": names.take(pa.array(project_index)),
                "event": pa.array(np.array(STAGES)[stage_index]),
                "date": _text(dates.ravel()[keep.ravel()], rng, non_iso),
                "zone": zones.take(pa.array(project_index)),
            }
        )
    pa_csv.write_csv(table, path, write_options=pa_csv.WriteOptions(quoting_style="none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--non-iso", type=float, default=0.0, help="share of non-ISO dates (0-1)")
    parser.add_argument(
        "--layout",
        choices=["long", "wide", "sf", "columns", "field", "blank"],
        default="long",
        help="sf: the San Francisco permit sample scaled to --projects rows; columns, "
        "field, blank: hostile files of --projects columns, megabytes or blank lines",
    )
    parser.add_argument("--groups", type=int, default=0, help="distinct zone values (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.path, args.projects, args.non_iso, args.layout, args.seed, args.groups)


if __name__ == "__main__":
    main()
