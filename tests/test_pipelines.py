"""pre-commit hooks and the example GitHub workflow, run as CI would run them."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from etown_approvals.cli import cli
from etown_approvals.hooks import main as hook_main
from etown_approvals.hooks import split_arguments

from .conftest import ROOT, SAMPLE

HOOKS = ROOT / ".pre-commit-hooks.yaml"
WORKFLOW = ROOT / "examples" / "github-workflow.yml"
CLEAN = "project,event,date\nA,land,2023-01-02\nA,construction permit,2023-01-05\n"
BIN = Path(sys.executable).parent


def hook(hook_id: str) -> dict:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == hook_id)


def run_hook(hook_id: str, files: list[Path], args: list[str] = (), cwd: Path = ROOT):
    """The hook as pre-commit runs it: entry, then args, then the file names."""
    spec = hook(hook_id)
    command = [*shlex.split(spec["entry"]), *args, *(str(f) for f in files)]
    assert command[0] == "python"
    command[0] = sys.executable  # the environment pre-commit would have made
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def test_hooks_file_is_what_pre_commit_reads():
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["etown-validate", "etown-check"]
    for spec in hooks:
        assert {"id", "name", "entry", "language"} <= set(spec)
        assert spec["language"] == "python"
        assert re.search(spec["files"], "data/x.csv") and not re.search(spec["files"], "x.py")


def test_the_default_pattern_matches_data_files_only():
    for spec in yaml.safe_load(HOOKS.read_text(encoding="utf-8")):
        pattern = re.compile(spec["files"])
        for name in ("data/permits.csv", "q.xlsx", "x.tsv", "p.parquet", "e.csv.gz", "w.ods"):
            assert pattern.search(name), (spec["id"], name)
        for name in ("requirements.txt", "notes.txt", "setup.py", "README.md", "a.csv.bak"):
            assert not pattern.search(name), (spec["id"], name)


@pytest.mark.parametrize("hook_id", ["etown-validate", "etown-check"])
def test_a_file_that_is_not_approval_data_never_fails_a_commit(tmp_path, hook_id):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy>=1.26\npandas>=3\n", encoding="utf-8")
    zones = tmp_path / "zones.csv"
    zones.write_text("zone,district\nCore Area,Daxing\n", encoding="utf-8")
    args = ["--max-median-days", "120"] if hook_id == "etown-check" else []
    result = run_hook(hook_id, [requirements, zones], args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for path in (requirements, zones):
        assert f"etown: {path}: not approval data (no project or stage column): skipped" in (
            result.stderr
        )
    # Approval data beside them is still checked, and fails the commit.
    bad = tmp_path / "approvals.csv"
    bad.write_text("project,event,date\nA,land acquisition,2023-02-30\n", encoding="utf-8")
    failed = run_hook(hook_id, [requirements, bad], args, cwd=tmp_path)
    assert failed.returncode in (1, 4)
    assert "not approval data" in failed.stderr and str(bad) in failed.stderr + failed.stdout


def test_approval_data_is_found_by_its_configured_columns(tmp_path):
    from etown_approvals.hooks import is_approval_data

    path = tmp_path / "permits.csv"
    path.write_text("Permit Number,Filed Date,Issued Date\nP1,2023-01-01,2023-02-01\n")
    assert not is_approval_data(str(path))
    assert is_approval_data(str(path), ["--project", "Permit Number"])
    config = tmp_path / "sf.toml"
    config.write_text(
        '[columns]\nproject = "Permit Number"\n[stages]\nfiled = ["Filed Date"]\n'
        'issued = ["Issued Date"]\n',
        encoding="utf-8",
    )
    assert is_approval_data(str(path), ["--config", str(config)])


def test_validate_hook_on_a_clean_and_an_invalid_file(tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text(CLEAN, encoding="utf-8")
    assert run_hook("etown-validate", [clean]).returncode == 0
    both = run_hook("etown-validate", [clean, SAMPLE])
    assert both.returncode == 1
    assert f"{clean}: valid" in both.stdout and f"{SAMPLE}: not valid" in both.stdout
    assert "row 77" in both.stdout  # the sample's 2023-02-30


def test_check_hook_with_thresholds_as_args(tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text(CLEAN, encoding="utf-8")
    passed = run_hook("etown-check", [clean, SAMPLE], ["--max-median-days", "120"])
    assert passed.returncode == 0, passed.stderr
    failed = run_hook("etown-check", [clean, SAMPLE], ["--max-median-days", "10"])
    assert failed.returncode == 1
    assert "check failed: max_median_days: days.median 49 (limit <= 10)" in failed.stderr
    assert failed.stdout.count("Checks:") == 2


def test_hook_exit_code_is_the_worst(tmp_path):
    missing = tmp_path / "gone.csv"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert hook_main(["validate", str(empty)]) == 3
    assert hook_main(["validate", str(missing)]) == 2
    assert hook_main(["nothing"]) == 2


def test_split_arguments_knows_which_options_take_values():
    options, files = split_arguments(
        cli.commands["validate"],
        ["--limit-errors", "5", "--warnings-as-errors", "--format=json", "a.csv", "-", "b.csv"],
    )
    assert options == ["--limit-errors", "5", "--warnings-as-errors", "--format=json"]
    assert files == ["a.csv", "-", "b.csv"]


def test_check_hook_takes_thresholds_from_etown_toml(tmp_path):
    (tmp_path / "etown.toml").write_text("[check]\nmax_median_days = 10\n", encoding="utf-8")
    result = run_hook("etown-check", [SAMPLE], cwd=tmp_path)
    assert result.returncode == 1
    assert "check failed: max_median_days" in result.stderr


# -- the example workflow -----------------------------------------------------------------


def workflow_steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_workflow_shape():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert {"push", "pull_request"} <= set(workflow[True])  # YAML 1.1 reads `on` as True
    steps = workflow_steps()
    runs = " ".join(step.get("run", "") for step in steps)
    for wanted in ("etown validate", "etown check", "GITHUB_STEP_SUMMARY", "--format github"):
        assert wanted in runs
    assert steps[-1].get("if") == "always()"


def _wired(command: str, fmt: str) -> bool:
    from click.testing import CliRunner

    return fmt in CliRunner().invoke(cli, [command, "--help"]).stdout


def test_workflow_commands_run(tmp_path):
    assert _wired("validate", "github") and _wired("summary", "markdown")
    (job,) = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
    summary_file = tmp_path / "step_summary.md"
    env = {
        **os.environ,
        **job.get("env", {}),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    outputs = []
    for step in workflow_steps():
        script = step.get("run")
        if script is None or "pip install" in script:
            continue  # actions, and the install this environment has done already
        # GitHub runs `run:` with bash -e -o pipefail.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (step["name"], done.stderr)
        outputs.append(done.stdout)
    validate_output, check_output = outputs[0], outputs[1]
    assert validate_output.startswith("::error file=data/projects.csv,line=77,")
    assert "::notice" in check_output and "::error" not in check_output
    summary = summary_file.read_text(encoding="utf-8")
    assert summary.startswith("## Approval time: data/projects.csv\n")
    assert "## Days between stages" in summary and "etown check passed" in summary
