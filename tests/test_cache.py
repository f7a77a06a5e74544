"""The cache of loaded inputs: same results as reading the file, never a stale one."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from etown_approvals import cache, config, dates, loader, metrics
from etown_approvals import results as reports
from etown_approvals.analysis import Analysis

from .conftest import ROOT, SAMPLE, SF_SAMPLE

SF_CONFIG = ROOT / "examples" / "sf_building_permits.toml"


def settled(path: Path) -> Path:
    """Date the file an hour back: files changed in the last seconds are not cached."""
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("ETOWN_CACHE_DIR", str(where))
    monkeypatch.delenv("ETOWN_NO_CACHE", raising=False)
    monkeypatch.delenv("ETOWN_CACHE_MAX_MB", raising=False)
    return where


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the cache had to read from the file (a miss), in order."""
    seen: list[str] = []
    real = cache.load

    def counting(path, **options):  # type: ignore[no-untyped-def]
        seen.append(str(path))
        return real(path, **options)

    monkeypatch.setattr(cache, "load", counting)
    return seen


def summary_json(loaded: loader.LoadResult) -> str:
    projects = metrics.project_table(loaded.events, loaded.stages)
    analysis = Analysis(loaded=loaded, projects=projects, options=metrics.MetricOptions())
    zone = "zone" in loaded.attributes.columns
    document = reports.summary(analysis, group_by="zone" if zone else None).document
    return json.dumps(document, ensure_ascii=False, indent=2)


def copy(source: Path, tmp_path: Path, name: str | None = None) -> Path:
    target = tmp_path / (name or source.name)
    shutil.copyfile(source, target)
    return settled(target)


def test_cached_run_equals_uncached_run(reads, tmp_path):
    path = copy(SAMPLE, tmp_path)
    direct = loader.load(path)
    first = cache.load_cached(path)
    second = cache.load_cached(path)
    assert reads == [str(path)]  # the second came from the cache
    assert summary_json(second) == summary_json(direct) == summary_json(first)
    for name in ("events", "attributes", "findings"):
        pd.testing.assert_frame_equal(getattr(second, name), getattr(direct, name))
    assert (second.rows_read, second.rows_rejected, second.rows_blank) == (
        direct.rows_read,
        direct.rows_rejected,
        direct.rows_blank,
    )
    assert second.notes == direct.notes and second.dayfirst == direct.dayfirst


@pytest.mark.shared_data
def test_cached_wide_real_export_equals_uncached(reads, tmp_path):
    path = copy(SF_SAMPLE, tmp_path)
    stages = config.load_config(SF_CONFIG)
    direct = loader.load(path, stages=stages)
    cache.load_cached(path, stages=stages)
    cached = cache.load_cached(path, stages=stages)
    assert len(reads) == 1
    assert summary_json(cached) == summary_json(direct)
    assert cached.dayfirst is False  # decided from the data, kept with the entry


def test_rejected_rows_are_restored_with_line_numbers(reads, write):
    path = settled(
        write(
            "project,event,date\n"
            "A,land acquisition,2023-01-02\n"
            'B,"land\nacquisition",2023-01-05\n'  # a record over two lines
            "B,construction permit,2023-02-30\n"
            "C,land acquisition,2023-01-02,extra\n"
            "A,construction permit,2023-03-01\n"
        )
    )
    direct = loader.load(path)
    cache.load_cached(path)
    cached = cache.load_cached(path)
    assert len(reads) == 1
    expected = direct.rejected_rows()
    assert list(expected["line"]) == [5, 6]  # invalid date; malformed row (after a 2-line record)
    pd.testing.assert_frame_equal(cached.rejected_rows(), expected)


def test_a_changed_file_is_never_served_from_the_cache(reads, write):
    path = settled(write("project,event,date\nA,land acquisition,2023-01-02\n"))
    assert cache.load_cached(path).rows_read == 1
    # Same size, new content, new time.
    path.write_text("project,event,date\nB,land acquisition,2023-01-03\n", encoding="utf-8")
    settled(path)
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 1000))
    changed = cache.load_cached(path)
    assert list(changed.events["project"]) == ["B"]
    # A row appended: the size changes.
    with open(path, "a", encoding="utf-8") as out:
        out.write("B,construction permit,2023-03-01\n")
    settled(path)
    assert cache.load_cached(path).rows_read == 2
    assert len(reads) == 3


def test_a_file_just_written_is_not_cached(reads, write):
    path = write("project,event,date\nA,land acquisition,2023-01-02\n")
    cache.load_cached(path)
    cache.load_cached(path)
    assert len(reads) == 2
    assert cache.info().entries == 0


def test_options_that_change_reading_are_different_entries(reads, write):
    path = settled(write("project,event,date\nA,land acquisition,01/02/2023\n"))
    first = cache.load_cached(path, dayfirst=True)
    second = cache.load_cached(path, dayfirst=False)
    assert str(first.events["date"].iloc[0].date()) == "2023-02-01"
    assert str(second.events["date"].iloc[0].date()) == "2023-01-02"
    other_stages = dataclasses.replace(loader.ETOWN, end="planning_permit")
    cache.load_cached(path, stages=other_stages, dayfirst=True)
    cache.load_cached(path, delimiter=",", dayfirst=True)
    assert len(reads) == 4 and cache.info().entries == 4
    cache.load_cached(path, dayfirst=True)
    assert len(reads) == 4


def test_a_corrupt_entry_is_rebuilt(folder, reads, tmp_path):
    path = copy(SAMPLE, tmp_path)
    expected = summary_json(cache.load_cached(path))
    (entry,) = [p for p in folder.iterdir() if not p.name.startswith(".")]
    events = entry / "events.arrow"
    events.write_bytes(events.read_bytes()[: events.stat().st_size // 2])
    assert summary_json(cache.load_cached(path)) == expected
    assert len(reads) == 2
    (entry / "meta.json").write_text("{not json", encoding="utf-8")
    assert summary_json(cache.load_cached(path)) == expected
    assert summary_json(cache.load_cached(path)) == expected
    assert len(reads) == 3  # rebuilt, then served


def test_standard_input_is_never_cached(folder, reads):
    data = b"project,event,date\nA,land acquisition,2023-01-02\n"
    for _ in range(2):
        assert cache.load_cached("-", stdin=io.BytesIO(data)).rows_read == 1
    assert len(reads) == 2
    assert not folder.exists() or cache.info().entries == 0


def test_cache_off(reads, tmp_path, monkeypatch):
    path = copy(SAMPLE, tmp_path)
    cache.load_cached(path, cache=False)
    monkeypatch.setenv("ETOWN_NO_CACHE", "1")
    cache.load_cached(path)
    assert len(reads) == 2 and cache.info().entries == 0


def test_size_cap_removes_least_recently_used(reads, tmp_path, monkeypatch):
    paths = [copy(SAMPLE, tmp_path, f"p{i}.csv") for i in range(3)]
    cache.load_cached(paths[0])
    size = cache.info().bytes
    monkeypatch.setenv("ETOWN_CACHE_MAX_MB", str(2.5 * size / 1024**2))
    cache.load_cached(paths[1])
    time.sleep(0.05)
    cache.load_cached(paths[0])  # used again: now the most recent
    time.sleep(0.05)
    cache.load_cached(paths[2])  # over the cap: p1 goes
    assert cache.info().entries == 2
    del reads[:]
    cache.load_cached(paths[0])
    cache.load_cached(paths[2])
    assert reads == []
    cache.load_cached(paths[1])
    assert reads == [str(paths[1])]


def test_clear_removes_every_entry(folder, tmp_path):
    for i in range(2):
        cache.load_cached(copy(SAMPLE, tmp_path, f"p{i}.csv"))
    (folder / "unrelated.txt").write_text("kept", encoding="utf-8")
    assert cache.clear() == 2
    assert cache.info().entries == 0 and (folder / "unrelated.txt").exists()


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ETOWN_CACHE_DIR", str(tmp_path / "x"))
    assert cache.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("ETOWN_CACHE_DIR")
    monkeypatch.setattr(cache.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "etown"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid under XDG: ignored
    assert cache.cache_dir() == Path.home() / ".cache" / "etown"


def test_every_load_result_field_is_handled():
    """A new LoadResult field must be stored by the cache (or cached results lack it)."""
    assert {f.name for f in dataclasses.fields(loader.LoadResult)} == cache.HANDLED_FIELDS


def test_the_command_line_uses_the_cache_and_no_cache_reads_again(run, tmp_path, monkeypatch):
    import time

    from .conftest import SAMPLE

    path = tmp_path / "events.csv"
    path.write_bytes(SAMPLE.read_bytes())
    old = time.time() - 60  # older than the racy window: cacheable
    os.utime(path, (old, old))
    monkeypatch.setenv("ETOWN_CACHE_DIR", str(tmp_path / "cache"))
    first = run("summary", path, "--json", "-q").stdout
    assert cache.info(tmp_path / "cache").entries == 1
    calls = []
    real = cache.load

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "load", counting)
    assert run("summary", path, "--json", "-q").stdout == first
    assert calls == []  # served from the cache
    assert run("summary", path, "--json", "-q", "--no-cache").stdout == first
    assert len(calls) == 1
    cleared = run("cache", "clear")
    assert cleared.stderr == "etown: removed 1 entry\n"
    assert json.loads(run("cache", "info", "--json").stdout)["entries"] == 0


def test_a_file_rewritten_with_its_time_put_back_is_read_again(reads, write):
    """Same size, same modification time (put back, as `touch -r` or a careless copy
    does): the change time, which no program can set, tells the file changed."""
    path = settled(write("project,event,date\nA,land acquisition,2023-01-02\n"))
    before = os.stat(path)
    assert list(cache.load_cached(path).events["project"]) == ["A"]
    assert list(cache.load_cached(path).events["project"]) == ["A"]
    assert len(reads) == 1
    time.sleep(0.01)  # (a change time of its own, on coarse clocks too)
    path.write_text("project,event,date\nB,land acquisition,2023-01-03\n", encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert after.st_ctime_ns != before.st_ctime_ns
    assert list(cache.load_cached(path).events["project"]) == ["B"]
    assert len(reads) == 2


def test_entries_are_private_from_the_start(folder, reads, tmp_path, monkeypatch):
    """The cache folder and each entry's folder are 0700, each file 0600: made so (even
    under a umask that leaves everything open), never loosened or tightened after."""
    changed: list[object] = []
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: changed.append((args, kwargs)))
    previous = os.umask(0)
    try:
        path = copy(SAMPLE, tmp_path)
        cache.load_cached(path)
    finally:
        os.umask(previous)
    assert changed == []
    assert reads == [str(path)] and cache.info().entries == 1
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    (entry,) = [p for p in folder.iterdir()]
    assert oct(entry.stat().st_mode & 0o777) == oct(0o700)
    files = list(entry.iterdir())
    assert {f.name for f in files} >= {"meta.json", "events.arrow", "findings.arrow"}
    assert {oct(f.stat().st_mode & 0o777) for f in files} == {oct(0o600)}
    cached = cache.load_cached(path)  # and the entry reads back
    assert len(reads) == 1 and cached.rows_read == loader.load(path).rows_read


def test_an_existing_cache_folder_keeps_its_mode(folder, tmp_path):
    """ETOWN_CACHE_DIR may name a folder shared on purpose: etown changes no mode of a
    folder it did not make (the entries in it are private anyway)."""
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    cache.load_cached(copy(SAMPLE, tmp_path))
    assert oct(folder.stat().st_mode & 0o777) == oct(0o755)
    (entry,) = list(folder.iterdir())
    assert oct(entry.stat().st_mode & 0o777) == oct(0o700)


def _today_is(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """Every caller of dates.latest_plausible sees ``day`` as today."""
    real = dates.latest_plausible

    class Day(date):
        @classmethod
        def today(cls) -> Day:
            return cls(day.year, day.month, day.day)

    monkeypatch.setattr(dates, "date", Day)
    assert real(None) == date(day.year + 1, day.month, day.day)


def test_an_entry_made_yesterday_is_served_today(reads, write, monkeypatch):
    """The plausible range ends a year after today; an entry whose dates are far from
    that end reads the same on any day, so a new day does not read the file again."""
    path = settled(write("project,event,date\nA,land acquisition,2023-01-02\n"))
    _today_is(monkeypatch, date(2026, 12, 6))
    first = cache.load_cached(path)
    _today_is(monkeypatch, date(2026, 12, 7))
    second = cache.load_cached(path)
    assert len(reads) == 1
    assert summary_json(second) == summary_json(first)


def test_a_date_the_new_day_makes_plausible_reads_the_file_again(reads, write, monkeypatch):
    """A date just past yesterday's end of the plausible range is plausible today: the
    entry made yesterday (which read it as no date) is not served."""
    path = settled(
        write(
            "project,event,date\nA,land acquisition,2023-01-02\nA,construction permit,2027-12-07\n"
        )
    )
    _today_is(monkeypatch, date(2026, 12, 6))
    yesterday = cache.load_cached(path)
    assert yesterday.events["date"].isna().all() or len(yesterday.events) == 1
    _today_is(monkeypatch, date(2026, 12, 7))
    today = cache.load_cached(path)
    assert len(reads) == 2
    assert str(today.events["date"].max().date()) == "2027-12-07"
    # And back: yesterday's bound again reads it as implausible, never today's entry.
    _today_is(monkeypatch, date(2026, 12, 6))
    again = cache.load_cached(path)
    assert len(again.events) == len(yesterday.events)
