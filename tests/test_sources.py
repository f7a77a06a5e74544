"""Inputs as they come: compressed, in Parquet or Arrow, in workbooks, zipped, from a
URL, standard input or a FIFO. Each gives the same numbers as the CSV of the same data."""

from __future__ import annotations

import bz2
import gzip
import http.server
import io
import json
import lzma
import os
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from etown_approvals import results as reports
from etown_approvals import sources
from etown_approvals.analysis import analyze
from etown_approvals.errors import (
    ExitCode,
    InputNotFoundError,
    UnreadableInputError,
    UsageError,
)
from etown_approvals.metrics import MetricOptions
from etown_approvals.options import InputLimits, parse_size
from etown_approvals.reader import read_table

from .conftest import SAMPLE

AS_OF = MetricOptions(as_of=date(2025, 1, 1))


def summary_of(path: Path | str) -> tuple[dict, list[tuple[int, str]]]:
    """The summary document without its source, and the (row, type) of each rejected row."""
    analysis = analyze(path, options=AS_OF)
    document = reports.summary(analysis).document
    document.pop("source")
    rejected = analysis.loaded.rejected
    return document, sorted(zip(rejected["row"].astype(int), rejected["type"], strict=True))


@pytest.fixture(scope="module")
def sample_text() -> pd.DataFrame:
    """data/projects.csv as text cells, exactly as written."""
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sample_dated(sample_text: pd.DataFrame) -> pd.DataFrame:
    """The sample with a real date column, read here with pandas (not etown): the spellings
    it holds, ISO, slashes, dots, compact digits and 2020年8月3日; what is not a date is NaT."""
    frame = sample_text.copy()
    spelled = (
        frame["date"].str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
    ).str.replace(".", "-")
    frame["date"] = pd.to_datetime(spelled, format="mixed", errors="coerce")
    assert frame["date"].isna().sum() == 1  # 2023-02-30, which no reader may accept
    return frame


def _write_workbook(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".xls":
        import xlwt

        book = xlwt.Workbook()
        sheet = book.add_sheet("events")
        dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
        for j, name in enumerate(frame.columns):
            sheet.write(0, j, name)
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            for j, value in enumerate(row):
                if isinstance(value, pd.Timestamp):
                    sheet.write(i, j, value.to_pydatetime(), dated)
                elif not (value is None or value is pd.NaT or value == ""):
                    sheet.write(i, j, value)
        book.save(str(path))
    else:
        engine = "odf" if path.suffix == ".ods" else "openpyxl"
        frame.to_excel(path, index=False, sheet_name="events", engine=engine)


def _write_columnar(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    elif path.suffix == ".arrows":
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as out:
            out.write_table(table)
    elif path.suffix == ".feather1":
        with pytest.warns(DeprecationWarning):  # old, but still met in the field
            feather.write_feather(table, path, version=1)
    else:
        feather.write_feather(table, path, compression="zstd")


def _zstd(data: bytes) -> bytes:
    buffer = pa.BufferOutputStream()
    with pa.CompressedOutputStream(buffer, "zstd") as out:
        out.write(data)
    return buffer.getvalue().to_pybytes()


COMPRESSIONS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zstd": _zstd,
}
WORKBOOK_SUFFIXES = (".xlsx", ".xls", ".ods")
COLUMNAR_SUFFIXES = (".parquet", ".feather", ".arrows", ".feather1")


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
def test_compressed_csv_is_read_by_its_content(tmp_path, compression):
    expected = summary_of(SAMPLE)
    packed = COMPRESSIONS[compression](SAMPLE.read_bytes())
    for name in (f"projects.csv.{compression}", "projects.csv", "download"):
        path = tmp_path / name
        path.write_bytes(packed)
        assert summary_of(path) == expected
    assert sources.open_source(path).compression == [compression]


@pytest.mark.parametrize("suffix", WORKBOOK_SUFFIXES + COLUMNAR_SUFFIXES)
def test_containers_of_text_cells_match_the_csv(tmp_path, sample_text, suffix):
    """Every cell as the text the CSV holds: same numbers, same rejected rows and rows."""
    path = tmp_path / f"projects{suffix}"
    if suffix in WORKBOOK_SUFFIXES:
        _write_workbook(sample_text, path)
    else:
        _write_columnar(sample_text, path)
    document, rejected = summary_of(path)
    assert (document, rejected) == summary_of(SAMPLE)
    assert document["rows"]["read"] == len(sample_text) - (sample_text == "").all(axis=1).sum()


@pytest.mark.parametrize("suffix", WORKBOOK_SUFFIXES + COLUMNAR_SUFFIXES)
def test_containers_of_real_dates_match_the_csv_of_the_same_dates(tmp_path, sample_dated, suffix):
    """Date cells and date columns give what their ISO text gives in a CSV."""
    csv_path = tmp_path / "projects.csv"
    text = sample_dated.assign(date=sample_dated["date"].dt.strftime("%Y-%m-%d"))
    text.to_csv(csv_path, index=False)
    path = tmp_path / f"projects{suffix}"
    if suffix in WORKBOOK_SUFFIXES:
        _write_workbook(sample_dated, path)
    else:
        _write_columnar(sample_dated, path)
    assert summary_of(path) == summary_of(csv_path)
    # and the numbers are those of the sample: only the invalid date became a missing one
    document, _ = summary_of(path)
    original, _ = summary_of(SAMPLE)
    assert document["days"] == original["days"]
    assert document["projects"] == original["projects"]


def test_a_zip_archive_of_one_table_is_read(tmp_path, run):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__MACOSX/._projects.csv", b"\x00\x05\x16\x07")
        archive.writestr("data/projects.csv", SAMPLE.read_bytes())
    assert summary_of(path) == summary_of(SAMPLE)
    result = run("summary", path, "--json")
    assert result.exit_code == 0
    assert "read data/projects.csv, the one file in the zip archive" in result.stderr


def test_layers_are_unwrapped_in_turn(tmp_path):
    """A gzip file inside a zip archive (as some portals serve them)."""
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("projects.csv.gz", gzip.compress(SAMPLE.read_bytes()))
    assert summary_of(path) == summary_of(SAMPLE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(b"project,event,date\n" * 1000)[:-20], "is a damaged or truncated gzip"),
        (lzma.compress(b"project,event,date\n")[:30], "is a damaged or truncated xz"),
        (bz2.compress(b"project,event,date\n" * 100)[:40], "is a damaged or truncated bzip2"),
        (_zstd(b"project,event,date\n" * 100)[:-6], "is a damaged or truncated zstd"),
        (b"<!DOCTYPE html>\n<html><body>Not found</body></html>", "is an HTML page"),
        (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "is an Excel 2003 XML spreadsheet",
        ),
        (b"PAR1\x00\x00garbage", "is not a readable Parquet"),
        (b"ARROW1\x00\x00garbage", "is not a readable Arrow"),
    ],
)
def test_damaged_and_misnamed_inputs_get_one_line(run, write, content, message):
    path = write(content, name="permits.csv")
    result = run("summary", path, expect=ExitCode.UNREADABLE)
    assert result.exit_code == ExitCode.UNREADABLE
    assert result.stdout == ""
    assert result.stderr.startswith(f"etown: error: {path}: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_zip_of_several_files_names_them(write):
    path = write(b"", name="export.zip")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x")
        archive.writestr("b.csv", "y")
    with pytest.raises(UnreadableInputError, match=r"zip archive of 2 files.*\(a\.csv, b\.csv\)"):
        read_table(path)


def test_compressed_standard_input(run):
    plain = run("summary", SAMPLE, "--json", "--as-of", "2025-01-01")
    packed = run(
        "summary", "-", "--json", "--as-of", "2025-01-01", input=gzip.compress(SAMPLE.read_bytes())
    )
    assert packed.exit_code == 0, packed.stderr
    expected = json.loads(plain.stdout) | {"source": "<stdin>"}
    assert json.loads(packed.stdout) == expected


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_read_to_its_end(run, tmp_path):
    """A FIFO (as `<(zcat file)` gives) has no size: it must be read, not called empty."""
    fifo = tmp_path / "events"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as out:
            out.write(SAMPLE.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = run("summary", fifo, "--json", "--as-of", "2025-01-01")
    writer.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    expected = json.loads(run("summary", SAMPLE, "--json", "--as-of", "2025-01-01").stdout)
    assert json.loads(result.stdout) == expected | {"source": str(fifo)}


def test_a_missing_file_is_a_usage_error():
    with pytest.raises(InputNotFoundError, match="no such file") as caught:
        read_table("no/such/file.csv")
    assert caught.value.exit_code == ExitCode.USAGE


def test_spooling_streams_in_pieces(monkeypatch):
    """Standard input and decompressed data go to disk piece by piece, with progress."""
    monkeypatch.setattr(sources, "_CHUNK", 1000)
    data = SAMPLE.read_bytes()
    seen: list[tuple[str, int, int | None]] = []
    source = sources.open_source(
        "-", stdin=_Stream(gzip.compress(data)), progress=lambda *a: seen.append(a)
    )
    assert bytes(source.data[:]) == data
    assert len(seen) >= -(-len(data) // 1000)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert seen[-1] == ("decompressing", len(data), None)


class _Stream:
    """Standard input: hands out at most what is asked for."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        piece, self.at = self.data[self.at : end], min(end, len(self.data))
        return piece


# -- URLs: a server on 127.0.0.1 started here, and nowhere else -----------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        if self.path in ("/endless.csv", "/slow.csv"):  # a body that never ends
            self.send_response(200)
            self.end_headers()
            piece = b"project,event,date\n" if self.path == "/endless.csv" else b"p"
            try:
                while True:
                    self.wfile.write(piece)
                    if self.path == "/slow.csv":
                        time.sleep(0.05)  # a byte at a time, never a minute apart
            except OSError:  # the reader hung up
                return
        if self.path == "/huge.csv":  # says how large it is, and it is too large
            self.send_response(200)
            self.send_header("Content-Length", str(64 * 1024**3))
            self.end_headers()
            return
        if self.path == "/short.csv":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(SAMPLE.read_bytes()[:500])
            return
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    _Handler.files = {
        "/permits.csv": SAMPLE.read_bytes(),
        "/permits.csv.gz": gzip.compress(SAMPLE.read_bytes()),
        "/login": b"<!doctype html><html><body>Please sign in</body></html>",
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def test_a_url_is_read_as_the_file(server):
    assert summary_of(f"{server}/permits.csv") == summary_of(SAMPLE)
    assert summary_of(f"{server}/permits.csv.gz") == summary_of(SAMPLE)
    raw = read_table(f"{server}/permits.csv")
    assert raw.source == f"{server}/permits.csv"
    assert raw.arguments == [f"{server}/permits.csv"]


def test_a_download_reports_progress(server, monkeypatch):
    monkeypatch.setattr(sources, "_CHUNK", 1024)
    size = len(SAMPLE.read_bytes())
    seen: list[tuple[str, int, int | None]] = []
    read_table(f"{server}/permits.csv", progress=lambda *a: seen.append(a))
    assert seen[-1] == ("downloading", size, size)
    assert len(seen) >= -(-size // 1024)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.csv", "cannot be downloaded: the server answered 404 Not Found"),
        ("/short.csv", "the download ended early: 500 of 100,000 bytes"),
        ("/login", "is an HTML page"),
    ],
)
def test_a_failed_download_is_unreadable_input(server, path, message):
    with pytest.raises(UnreadableInputError, match=message) as caught:
        read_table(server + path)
    assert caught.value.exit_code == ExitCode.UNREADABLE
    assert str(caught.value).startswith(server + path + ": ")


def test_a_refused_connection_is_unreadable_input():
    with socket.socket() as probe:  # a port on 127.0.0.1 that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UnreadableInputError, match=r"cannot be downloaded: .*refused"):
        read_table(f"http://127.0.0.1:{port}/permits.csv")


def test_a_password_in_a_url_is_not_repeated(server):
    url = server.replace("http://", "http://analyst:s3cret@") + "/missing.csv"
    with pytest.raises(UnreadableInputError) as caught:
        read_table(url)
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith(url.replace("s3cret", "***") + ": ")


@pytest.mark.parametrize(
    ("path", "limits", "message"),
    [
        (
            "/endless.csv",
            InputLimits(max_input_size=1024**2),
            r"the download is larger than 1 MiB, the limit \(--max-input-size or "
            r"ETOWN_MAX_INPUT_SIZE raise it\)",
        ),
        ("/huge.csv", InputLimits(), "the download is larger than 4 GiB, the limit"),
        (
            "/slow.csv",
            InputLimits(url_timeout=1),
            r"the download took longer than 1 s, the limit \(--url-timeout or "
            r"ETOWN_URL_TIMEOUT raise it\)",
        ),
    ],
)
def test_a_download_has_a_size_and_a_time_limit(server, path, limits, message):
    started = time.monotonic()
    with pytest.raises(UnreadableInputError, match=message) as caught:
        read_table(server + path, limits=limits)
    assert caught.value.exit_code == ExitCode.UNREADABLE
    assert time.monotonic() - started < 60  # (the limit, not a test of speed)


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:port/x.csv", "https://[/"])
def test_a_malformed_url_is_a_usage_error(url):
    with pytest.raises(UsageError, match=r"not a valid URL"):
        read_table(url)


@pytest.mark.parametrize("how", ["gzip", "zip", "stdin"])
def test_a_stream_larger_than_the_limit_is_refused(monkeypatch, tmp_path, how):
    data = b"project,event,date\n" + b"\n" * 3_000_000
    limits = InputLimits(max_input_size=2 * 1024**2)
    said = {"gzip": "decompresses to", "zip": "unzips to", "stdin": "is"}[how]
    path = tmp_path / f"blank.{how}"
    if how == "gzip":
        path.write_bytes(gzip.compress(data))
    elif how == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("blank.csv", data)
    stdin = _Stream(data) if how == "stdin" else None
    with pytest.raises(UnreadableInputError, match=f"{said} more than 2 MiB, the limit"):
        read_table("-" if stdin else path, stdin=stdin, limits=limits)
    # The environment's limit when none is given, and a larger one reads it.
    monkeypatch.setenv("ETOWN_MAX_INPUT_SIZE", "2M")
    with pytest.raises(UnreadableInputError, match="more than 2 MiB"):
        read_table("-" if stdin else path, stdin=_Stream(data) if stdin else None)
    more = InputLimits(max_input_size=4 * 1024**2)
    raw = read_table("-" if stdin else path, stdin=_Stream(data) if stdin else None, limits=more)
    assert (raw.num_records, raw.empty_lines.total) == (0, 3_000_000)


def test_layers_past_three_are_refused(tmp_path):
    data = SAMPLE.read_bytes()
    for _ in range(3):
        data = gzip.compress(data)
    (tmp_path / "three.gz").write_bytes(data)
    assert summary_of(tmp_path / "three.gz") == summary_of(SAMPLE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.gz", data)
    (tmp_path / "four.zip").write_bytes(buffer.getvalue())
    with pytest.raises(UnreadableInputError) as caught:
        read_table(tmp_path / "four.zip")
    assert str(caught.value) == (
        f"{tmp_path / 'four.zip'}: is packed in more than 3 layers (gzip inside gzip inside "
        "gzip inside zip); etown unwraps 3 at most: unpack it first"
    )


@pytest.mark.parametrize(
    ("text", "size"),
    [("1", 1), ("4G", 4 * 1024**3), ("500M", 500 * 1024**2), ("1.5GiB", 3 * 1024**3 // 2),
     ("8gb", 8 * 1024**3), ("2k", 2048), ("12B", 12)],
)  # fmt: skip
def test_sizes_are_read_in_binary_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["0", "-1", "0.5", "x", "4X", "inf", "nan", ""])
def test_a_size_that_is_none_is_a_usage_error(run, text):
    with pytest.raises(UsageError, match="give a size such as 500M"):
        parse_size(text)
    result = run("summary", SAMPLE, "--max-input-size", text, expect=2)
    assert "Invalid value for '--max-input-size'" in result.stderr
    result = run("summary", SAMPLE, env={"ETOWN_MAX_INPUT_SIZE": text or " "}, expect=2)
    assert "ETOWN_MAX_INPUT_SIZE" in result.stderr


def test_urls_are_told_from_paths():
    assert sources.is_url("https://example.org/permits.csv")
    assert sources.is_url("HTTP://example.org/permits.csv")
    assert not sources.is_url("http.csv")
    assert not sources.is_url("data/https://x")


def test_timestamps_are_read_as_local_dates_and_times(tmp_path):
    table = pa.table(
        {
            "project": ["A", "A", "B", "B"],
            "event": ["land", "construction permit"] * 2,
            # 23:30 UTC on 2 March is 3 March in Shanghai, where the permit was dated
            "date": pa.array(
                [
                    pd.Timestamp("2023-03-01 16:00", tz="UTC"),
                    pd.Timestamp("2023-03-02 23:30", tz="UTC"),
                    pd.Timestamp("2023-03-01 00:00", tz="UTC"),
                    pd.Timestamp("2023-03-01 09:15:30.250", tz="UTC"),
                ],
                pa.timestamp("ms", tz="UTC"),
            ).cast(pa.timestamp("ms", tz="Asia/Shanghai")),
        }
    )
    path = tmp_path / "events.parquet"
    import pyarrow.parquet as pq

    pq.write_table(table, path)
    raw = read_table(path)
    assert raw.table.column(2).to_pylist() == [
        "2023-03-02",
        "2023-03-03 07:30:00",
        "2023-03-01 08:00:00",
        "2023-03-01 17:15:30",
    ]
    document, _ = summary_of(path)
    assert document["days"]["max"] == 1  # A: 2 to 3 March, local dates


def test_an_unnamed_pandas_index_is_not_a_column(tmp_path, sample_text):
    """pandas stores a non-default unnamed index as __index_level_0__; a named one is data."""
    shuffled = sample_text.sample(frac=1, random_state=1)
    path = tmp_path / "projects.parquet"
    shuffled.to_parquet(path)  # index=None: the shuffled index is stored
    import pyarrow.parquet as pq

    assert "__index_level_0__" in pq.read_schema(path).names
    assert read_table(path).headers == list(sample_text.columns)
    named = shuffled.rename_axis("record")
    named.to_parquet(path)
    assert read_table(path).headers == [*sample_text.columns, "record"]


def test_whole_numbers_in_a_float_column_keep_every_digit(tmp_path, run):
    """pyarrow writes 123456789012345.0 as 1.23456789012345e+14: a permit number stored
    as a float is written out in full (and two above 2**53 stay two)."""
    import pyarrow.parquet as pq

    permits = [123456789012345.0, 1e16, 1.0000000000000002e16, 2.5, -0.0]
    table = pa.table(
        {
            "project": pa.array(permits, pa.float64()),
            "land_acquisition": ["2023-01-01"] * 5,
            "construction_permit": ["2023-01-05"] * 5,
        }
    )
    path = tmp_path / "permits.parquet"
    pq.write_table(table, path)
    assert read_table(path).table.column(0).to_pylist() == [
        "123456789012345",
        "10000000000000000",
        "10000000000000002",
        "2.5",
        "-0",
    ]
    records = json.loads(run("projects", path, "--json").stdout)["projects"]
    assert len(records) == 5
