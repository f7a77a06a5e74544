from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from etown_approvals.cli import cli

from .schema_check import check_cli_output

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "projects.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = FIXTURES / "golden"
#: The shared real-data folder, beside the checkout (ETOWN_SHARED_DATA names another).
SHARED_DATA = Path(os.environ.get("ETOWN_SHARED_DATA") or ROOT.parent / "shared" / "data")
SF_SAMPLE = SHARED_DATA / "sf_building_permits_sample.csv"
#: Set by .ci/run: a test marked ``shared_data`` fails, instead of being skipped, when the
#: shared real-data folder is missing, so a checkout without it cannot pass as tested.
REQUIRE_SHARED_DATA = "ETOWN_REQUIRE_SHARED_DATA"
#: Set to rewrite golden files (tests/fixtures/golden): a test that rewrites one fails,
#: so an update run never passes; CI refuses it (.ci/run, and pytest_configure below).
UPDATE_GOLDEN = "ETOWN_UPDATE_GOLDEN"


def pytest_configure() -> None:
    if os.environ.get(UPDATE_GOLDEN) and os.environ.get("CI"):
        raise pytest.UsageError(
            f"{UPDATE_GOLDEN} is set in CI: golden files are rewritten by hand and reviewed, "
            "never by a CI run"
        )


def need_shared(path: Path = SF_SAMPLE) -> Path:
    """``path``, a file of the shared real-data folder: a skip saying so when it is
    missing, or a failure when ETOWN_REQUIRE_SHARED_DATA is set (as in CI)."""
    if path.exists():
        return path
    reason = f"{path} not found (the shared real-data folder, ../shared/data)"
    if os.environ.get(REQUIRE_SHARED_DATA):
        pytest.fail(f"{reason}; {REQUIRE_SHARED_DATA} is set, so this fails", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``shared_data`` read the San Francisco sample: see :func:`need_shared`."""
    if item.get_closest_marker("shared_data") is not None:
        need_shared()


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own parse cache, never the user's."""
    monkeypatch.setenv("ETOWN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _messages_in_english() -> Any:
    """The library's messages in English again after each test: a command run with
    --lang zh-CN leaves its language in use for the library calls that follow."""
    from etown_approvals import i18n

    yield
    i18n.use("en")


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the CLI; stdout and stderr stay apart (click >= 8.2).

    The exit code must be ``expect`` (0 unless the test says otherwise), so a test
    never goes on with the output of a run that failed for another reason. JSON and
    NDJSON output is validated against the command's schema (see schema_check).
    """
    runner = CliRunner()

    def invoke(
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        expect: int = 0,
    ) -> Result:
        argv = [str(a) for a in args]
        result = runner.invoke(cli, argv, input=input, env=env, catch_exceptions=False)
        assert result.exit_code == expect, (
            f"etown {' '.join(argv)}: exit {result.exit_code}, "
            f"expected {expect}; stderr: {result.stderr!r}"
        )
        check_cli_output(argv, result)
        return result

    return invoke


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to a file in a temporary folder and return its path."""

    def make(content: str | bytes, name: str = "events.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return make


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/fixtures/golden/NAME.

    With ETOWN_UPDATE_GOLDEN set, a file that differs is rewritten and the test fails,
    naming it: the new text is reviewed (``git diff``) and the tests run again without
    the variable before anything passes.
    """
    path = GOLDEN / name
    changed = not path.exists() or path.read_text(encoding="utf-8") != text
    if os.environ.get(UPDATE_GOLDEN) and changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.fail(
            f"golden file {name} rewritten: review it (git diff), then run the tests "
            f"again without {UPDATE_GOLDEN}",
            pytrace=False,
        )
    assert path.exists(), f"golden file {path} missing (write it with {UPDATE_GOLDEN}=1)"
    assert text == path.read_text(encoding="utf-8")


def same_load(a: Any, b: Any) -> None:
    """Two outcomes of loading one file (a ``LoadResult``, or an error as
    ``(type name, message)``) are the same: events, findings, attributes, row
    counts, notes, day/month order and rejected rows."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        assert a == b
        return
    import pandas as pd

    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.findings, b.findings)
    pd.testing.assert_frame_equal(a.attributes, b.attributes)
    counts = ("rows_read", "rows_rejected", "rows_blank", "rows_filtered", "rows_ignored")
    assert [getattr(a, n) for n in counts] == [getattr(b, n) for n in counts]
    assert (a.notes, a.dayfirst, a.attribute_columns) == (b.notes, b.dayfirst, b.attribute_columns)
    if a.raw is not None and b.raw is not None:
        pd.testing.assert_frame_equal(a.rejected_rows(), b.rejected_rows())
