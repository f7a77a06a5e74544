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
SF_SAMPLE = ROOT.parent / "shared" / "data" / "sf_building_permits_sample.csv"


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
    """Compare with tests/fixtures/golden/NAME; ETOWN_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("ETOWN_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing (run with ETOWN_UPDATE_GOLDEN=1)"
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
