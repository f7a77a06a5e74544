"""``etown summary --json`` through the cache of loaded inputs, for the benchmark.

    python benchmarks/cached_summary.py FILE [--config FILE.toml]

Does what the command does (load, per-project table, summary document, JSON on
stdout) with :func:`etown_approvals.cache.load_cached` in place of the loader,
so that a repeated command on one file can be timed with the cache in use
(``ETOWN_CACHE_DIR`` says where it is).
"""

from __future__ import annotations

import argparse
import json
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--config")
    args = parser.parse_args()

    from etown_approvals import cache, metrics
    from etown_approvals import results as reports
    from etown_approvals.analysis import Analysis
    from etown_approvals.config import load_config
    from etown_approvals.stages import ETOWN

    stages = load_config(args.config) if args.config else ETOWN
    loaded = cache.load_cached(args.path, stages=stages)
    loaded.require_rows()
    options = metrics.MetricOptions()
    projects = metrics.project_table(loaded.events, loaded.stages, options=options)
    analysis = Analysis(loaded=loaded, projects=projects, options=options)
    json.dump(reports.summary(analysis).document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
