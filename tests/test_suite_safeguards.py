"""The test suite cannot pass without testing: golden files and the shared real data.

- ``ETOWN_UPDATE_GOLDEN`` rewrites a golden file that differs and fails that test, so an
  update run never passes; CI refuses the variable (``.ci/run`` and ``pytest_configure``).
- Tests marked ``shared_data`` read ``../shared/data``: skipped, saying so, without it,
  but failing when ``ETOWN_REQUIRE_SHARED_DATA`` is set, as ``.ci/run`` sets it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from . import conftest
from .conftest import REQUIRE_SHARED_DATA, ROOT, UPDATE_GOLDEN, assert_golden, need_shared

CI_RUN = ROOT / ".ci" / "run"


@pytest.fixture
def golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(conftest, "GOLDEN", tmp_path)
    return tmp_path


def test_golden_files_are_compared_not_written(golden, monkeypatch):
    monkeypatch.delenv(UPDATE_GOLDEN, raising=False)
    (golden / "a.txt").write_text("old\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        assert_golden("a.txt", "new\n")
    assert (golden / "a.txt").read_text(encoding="utf-8") == "old\n"
    with pytest.raises(AssertionError, match="missing"):
        assert_golden("b.txt", "new\n")
    assert not (golden / "b.txt").exists()
    assert_golden("a.txt", "old\n")


def test_rewriting_a_golden_file_fails_the_test(golden, monkeypatch):
    monkeypatch.setenv(UPDATE_GOLDEN, "1")
    (golden / "a.txt").write_text("old\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match=r"a\.txt rewritten: review it"):
        assert_golden("a.txt", "new\n")
    assert (golden / "a.txt").read_text(encoding="utf-8") == "new\n"
    with pytest.raises(pytest.fail.Exception, match=r"tables/b\.txt rewritten"):
        assert_golden("tables/b.txt", "made\n")
    assert (golden / "tables" / "b.txt").read_text(encoding="utf-8") == "made\n"
    # Once written, the same text passes (the comparison still runs).
    assert_golden("a.txt", "new\n")


def test_ci_refuses_to_rewrite_golden_files(monkeypatch):
    monkeypatch.setenv(UPDATE_GOLDEN, "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.UsageError, match="golden files"):
        conftest.pytest_configure()
    monkeypatch.delenv("CI")
    conftest.pytest_configure()  # by hand: allowed


def test_ci_run_refuses_the_update_variable_before_doing_anything():
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_SHARED_DATA}
    result = subprocess.run(
        ["bash", str(CI_RUN)],
        env={**env, UPDATE_GOLDEN: "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""  # nothing installed, nothing run
    assert "ETOWN_UPDATE_GOLDEN is set" in result.stderr


def test_ci_run_requires_the_shared_data():
    text = CI_RUN.read_text(encoding="utf-8")
    exported = text.index(f"export {REQUIRE_SHARED_DATA}=1")
    assert exported < text.index("-m pytest")


def test_a_missing_shared_folder_skips_or_fails(tmp_path, monkeypatch):
    here = tmp_path / "here.csv"
    here.write_text("x\n", encoding="utf-8")
    assert need_shared(here) == here
    missing = tmp_path / "missing.csv"
    monkeypatch.delenv(REQUIRE_SHARED_DATA, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"missing\.csv not found"):
        need_shared(missing)
    monkeypatch.setenv(REQUIRE_SHARED_DATA, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_SHARED_DATA} is set"):
        need_shared(missing)


def test_no_test_skips_on_the_shared_folder_by_itself():
    """Every test of the shared data goes through the ``shared_data`` marker (or
    :func:`need_shared`): none checks for the folder and skips on its own."""
    own_checks = re.compile(r"SF_SAMPLE\.exists\(\)|SHARED_DATA\.exists\(\)|shared/data.*skip")
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name == Path(__file__).name:
            continue
        assert not own_checks.search(text), path.name
        if "SF_SAMPLE" in text:
            assert "shared_data" in text or "needs_sf" in text, path.name


def test_without_the_shared_folder_every_marked_test_fails(tmp_path):
    """With the folder missing and the flag set (as in CI), each ``shared_data`` test
    fails or errors; none passes or is skipped."""
    report = tmp_path / "report.xml"
    env = {
        **os.environ,
        "ETOWN_SHARED_DATA": str(tmp_path / "no such folder"),
        REQUIRE_SHARED_DATA: "1",
    }
    env.pop(UPDATE_GOLDEN, None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-m",
            "shared_data",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            "tests",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    cases = ET.parse(report).getroot().iter("testcase")
    outcomes = {
        f"{case.get('classname')}.{case.get('name')}": [child.tag for child in case]
        for case in cases
    }
    assert len(outcomes) >= 15, outcomes
    for name, tags in outcomes.items():
        assert "failure" in tags or "error" in tags, name
        assert "skipped" not in tags, name
