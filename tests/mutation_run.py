"""Mutation testing of the measuring modules with mutmut: run before each release, not in CI.

    .venv/bin/python tests/mutation_run.py metrics survival compare dates
    .venv/bin/python tests/mutation_run.py metrics --sample 60   # a seeded sample

For each module, a copy of the checkout (its tracked files as they are in the working
tree) is made in ``.mutation/MODULE/`` with a ``[tool.mutmut]`` table that mutates that
module only and runs that module's own test subset (:data:`SUBSETS`); within it,
mutmut runs for each mutant only the tests that called the mutated function. The
copies are independent, so one module can be run again alone. Afterwards
``.mutation/MODULE/report.md`` holds the counts and the diff of every mutant that
survived; ``tests/MUTATION.md`` records the last run's score and why each survivor is
equivalent (or which test now kills it).

The suite's property tests are in the subsets: they find what the example tests do
not, and mutmut stops a mutant's run at its first failing test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"

#: Per module, the test files that exercise it (tests/...).
SUBSETS: dict[str, list[str]] = {
    "metrics": [
        "test_metrics.py",
        "test_measure_details.py",
        "test_documented_rules.py",
        "test_independent_references.py",
        "test_analysis.py",
        "test_percentiles.py",
        "test_workdays.py",
        "test_metrics_scale.py",
        "test_as_of_snapshot.py",
        "test_counts_add_up.py",
        "test_status_rule.py",
    ],
    "survival": [
        "test_survival.py",
        "test_measure_details.py",
        "test_life_tables.py",
        "test_compare.py",
        "test_documented_rules.py",
        "test_independent_references.py",
        "test_status_rule.py",
    ],
    "compare": [
        "test_compare.py",
        "test_compare_cli.py",
        "test_compare_files.py",
        "test_ranks.py",
        "test_life_tables.py",
        "test_documented_rules.py",
        "test_independent_references.py",
        "test_counts_add_up.py",
    ],
    "dates": [
        "test_dates_fast.py",
        "test_loader.py",
        "test_loader_arrays.py",
        "test_input_properties.py",
        "test_bad_inputs.py",
        "test_user_mistakes.py",
        "test_missing_dates.py",
        "test_hints.py",
        "test_init.py",
    ],
}
#: Files the tests read besides the package and the tests themselves.
ALSO_COPY = [
    "data/",
    "examples/",
    "docs/",
    "benchmarks/",
    "README.md",
    "ARCHITECTURE.md",
    "CHANGELOG.md",
    "BENCHMARKS.md",
    "babel.cfg",
    ".pre-commit-hooks.yaml",
]


#: mutmut's outcomes of a mutant that was run.
CHECKED = ("killed", "survived", "no_tests", "timeout", "suspicious", "segfault")


def copy_checkout(target: Path) -> None:
    """The tracked files of the working tree (with uncommitted changes) into ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def configure(target: Path, module: str) -> None:
    tests = [f"tests/{name}" for name in SUBSETS[module]]
    table = {
        "source_paths": ["etown_approvals/"],
        "only_mutate": [f"etown_approvals/{module}.py"],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "also_copy": ALSO_COPY,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    with (target / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def mutmut(target: Path, *args: str, log: Path | None = None) -> str:
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    env = {**os.environ, "ETOWN_SHARED_DATA": str(ROOT.parent / "shared" / "data")}
    if log is None:
        return subprocess.run(
            command, cwd=target, env=env, capture_output=True, text=True, check=False
        ).stdout
    with log.open("w", encoding="utf-8") as handle:
        subprocess.run(command, cwd=target, env=env, stdout=handle, stderr=handle, check=False)
    return ""


def report(target: Path, module: str, seconds: float) -> str:
    mutmut(target, "export-cicd-stats")
    stats = json.loads((target / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = [
        line.split(":")[0].strip()
        for line in mutmut(target, "results").splitlines()
        if line.strip().endswith(": survived")
    ]
    # Mutants run so far (a run stopped early leaves the rest unchecked).
    checked = sum(stats.get(key, 0) for key in CHECKED)
    score = 100 * (stats["killed"] + stats.get("timeout", 0)) / max(checked, 1)
    parts = [
        f"# {module}.py: {score:.1f}% of {checked} checked mutants killed "
        f"({stats['total']} in all)",
        "",
        f"{json.dumps(stats)}; {seconds / 60:.0f} min; tests: {', '.join(SUBSETS[module])}",
        "",
    ]
    for name in survivors:
        parts += [f"## {name}", "", "```diff", mutmut(target, "show", name).strip(), "```", ""]
    text = "\n".join(parts)
    (target / "report.md").write_text(text, encoding="utf-8")
    return parts[0]


def sample(target: Path, module: str, size: int, seed: int) -> list[str]:
    """``size`` of the module's mutant names, drawn with ``seed``.

    mutmut names its mutants when it generates them: a first run restricted to a
    name that matches none generates them all, collects which tests call which
    function (kept for the next run) and stops before running any.
    """
    mutmut(target, "run", f"etown_approvals.{module}.none", log=target / "generate.log")
    meta = target / "mutants" / "etown_approvals" / f"{module}.py.meta"
    names = sorted(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(random.Random(seed).sample(names, min(size, len(names))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", choices=sorted(SUBSETS))
    parser.add_argument("--children", type=int, default=2, help="mutants run at once")
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="run N mutants drawn at random (seeded) from the module's, not all",
    )
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed")
    parser.add_argument(
        "--only",
        metavar="GLOB",
        help="run the mutants whose name ends so, e.g. '*7': those numbered ...7 (one in ten)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="write the report of an earlier run"
    )
    options = parser.parse_args()
    for module in options.modules:
        target = WORK / module
        started = time.monotonic()
        if not options.report_only:
            shutil.rmtree(target, ignore_errors=True)
            copy_checkout(target)
            configure(target, module)
            log = target / "mutmut.log"
            chosen = [f"etown_approvals.{module}.*__mutmut_{options.only}"] if options.only else []
            if options.sample:
                chosen = sample(target, module, options.sample, options.seed)
            mutmut(target, "run", "--max-children", str(options.children), *chosen, log=log)
        print(report(target, module, time.monotonic() - started), flush=True)


if __name__ == "__main__":
    main()
