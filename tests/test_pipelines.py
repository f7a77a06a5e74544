"""pre-commit hooks and the example GitHub workflow, run as CI would run them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
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


# -- in a data repository that is not etown's ----------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """etown installed as a data repository installs it, and the environment to run in.

    The workflow and pre-commit install etown from its git repository at a tag. Here a
    copy of this source tree stands in for that URL (`etown-approvals @ file://...`):
    the tests reach no git host. The new environment sees this one's packages (pandas,
    pyarrow, ...) through a .pth file, so that pip installs only etown itself; the
    copy is what runs, never this checkout (asserted).
    """
    base = tmp_path_factory.mktemp("install")
    source = base / "etown"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "etown_approvals",
        source / "etown_approvals",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    ours = subprocess.run([sys.executable, "-c", where], capture_output=True, text=True)
    theirs = subprocess.run([venv / "bin" / "python", "-c", where], capture_output=True, text=True)
    Path(theirs.stdout.strip(), "shared-packages.pth").write_text(ours.stdout.strip() + "\n")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ETOWN_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["ETOWN_CACHE_DIR"] = str(base / "cache")
    env["ETOWN_SOURCE"] = f"etown-approvals @ {source.as_uri()}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # as pre-commit does for a hook repository; the workflow's own step installs again
    subprocess.run(["pip", "install", "--quiet", env["ETOWN_SOURCE"]], env=env, check=True)
    return env


def scratch_repository(path: Path) -> Path:
    """A data repository: git, one data file, nothing of etown's."""
    repo = path / "approval-data"
    (repo / "data").mkdir(parents=True)
    shutil.copy(SAMPLE, repo / "data" / "projects.csv")
    git = ["git", "-c", "user.name=data", "-c", "user.email=data@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "data"], cwd=repo, check=True)
    return repo


def test_workflow_steps_run_in_a_data_repository(installed, tmp_path):
    assert _wired("validate", "github") and _wired("summary", "markdown")
    repo = scratch_repository(tmp_path)
    (job,) = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
    assert job["env"]["ETOWN"].startswith("etown-approvals @ git+https://")
    summary_file = tmp_path / "step_summary.md"
    env = {
        **installed,
        **job["env"],
        "ETOWN": installed["ETOWN_SOURCE"],  # the copy stands in for the git URL
        "GITHUB_STEP_SUMMARY": str(summary_file),
    }
    outputs = {}
    for step in workflow_steps():
        script = step.get("run")
        if script is None:
            continue  # actions: the checkout is the scratch repository, Python is here
        # GitHub runs `run:` with bash -e -o pipefail.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (step["name"], done.stdout, done.stderr)
        outputs[step["name"]] = done.stdout
    where = subprocess.run(
        ["python", "-c", "import etown_approvals; print(etown_approvals.__file__)"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not where.startswith(str(ROOT)), where  # the installed copy ran
    validate_output, check_output = list(outputs.values())[1:3]
    assert validate_output.startswith("::error file=data/projects.csv,line=77,")
    assert "::notice" in check_output and "::error" not in check_output
    summary = summary_file.read_text(encoding="utf-8")
    assert summary.startswith("## Approval time: data/projects.csv\n")
    assert "## Days between stages" in summary and "etown check passed" in summary


def documented_pre_commit_config() -> dict:
    """The .pre-commit-config.yaml the manual shows."""
    from .manual import DOCS, blocks

    (config,) = [b for b in blocks(DOCS / "ci.md") if b.language == "yaml" and "repos:" in b.text]
    return yaml.safe_load(config.text)


def test_documented_pre_commit_hooks_run_in_a_data_repository(installed, tmp_path):
    repo = scratch_repository(tmp_path)
    (repository,) = documented_pre_commit_config()["repos"]
    assert repository["repo"].startswith("https://") and repository["rev"]
    env = {**installed}
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert staged == ["data/projects.csv"]
    exits = {}
    for configured in repository["hooks"]:
        spec = hook(configured["id"])
        files = [f for f in staged if re.search(configured.get("files", spec["files"]), f)]
        assert files == staged
        # pre-commit runs the hook's entry in the environment it installed etown into
        command = [*shlex.split(spec["entry"]), *configured.get("args", []), *files]
        done = subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, check=False
        )
        exits[configured["id"]] = done.returncode
        if configured["id"] == "etown-validate":
            assert "data/projects.csv: not valid" in done.stdout
    # the sample has rejected rows (validate fails) and a median of 49 days (<= 120)
    assert exits == {"etown-validate": 1, "etown-check": 0}
