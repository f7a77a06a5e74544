"""Write a synthetic approval-event log for benchmarks.

    python benchmarks/generate.py out.csv --projects 1000000 [--non-iso 0.2] [--layout long|wide]

Each project gets land acquisition in 2019-2024 and later stages a few days to
months apart; about 10% are still waiting for a construction permit. With
``--non-iso X`` that share of dates is written as ``2023/9/15`` or
``2023年9月15日`` instead of ISO 8601. Vectorized: a million projects take seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

STAGES = ("land acquisition", "project approval", "planning permit", "construction permit")
EPOCH_2019 = int(np.datetime64("2019-01-01", "D").astype(np.int64))


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


def generate(
    path: Path, projects: int, non_iso: float = 0.0, layout: str = "long", seed: int = 1
) -> None:
    rng = np.random.default_rng(seed)
    dates = _dates(rng, projects)
    waiting = rng.random(projects) < 0.10
    names = pc.binary_join_element_wise("P", pa.array(np.arange(projects)).cast(pa.string()), "")
    zones = pa.array(
        np.array(["Core Area", "Taihu", "Majuqiao", "Yizhuang"])[rng.integers(0, 4, projects)]
    )
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
    parser.add_argument("--layout", choices=["long", "wide"], default="long")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.path, args.projects, args.non_iso, args.layout, args.seed)


if __name__ == "__main__":
    main()
