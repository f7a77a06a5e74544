"""A cache of loaded inputs, so that a second command on the same file skips reading.

Reading and checking a large export is most of a command's time, and analysts
run several commands on one file (``summary``, then ``stages``, then
``projects``). :func:`load_cached` keeps what :func:`etown_approvals.loader.load`
returned — events, attributes, findings, row counts, notes, the day/month order
decided — as Arrow IPC files in the user's cache directory, and serves it back
memory-mapped when the same file is read again with the same options.

An entry is used only when everything that could change the result is the same:

* the file: absolute path, size, modification and change times (nanoseconds),
  inode and device — a changed file is never served from the cache, even one
  rewritten at the same size with its modification time put back (writing it
  moves its change time, which no program can set);
* the name the file was given as (it appears in messages and notes);
* every option that changes reading: the stage set (stages, names, columns,
  metric), encoding, delimiter, day/month order, Excel sheet;
* the etown version and this module's format number.

Standard input, URLs and anything that is not a regular file are never cached,
nor is a file modified in the last :data:`RACY_SECONDS` (a change within the
same clock tick could go unseen). A cached result's ``raw`` table holds only
the rejected records (what ``validate --invalid-rows`` writes out), with their
line numbers. An entry that cannot be read — cut short, corrupt, from another
version — is removed and the file read again; the cache never makes a command
fail.

Where: ``ETOWN_CACHE_DIR`` if set, else the platform's user cache directory
(``$XDG_CACHE_HOME/etown`` or ``~/.cache/etown`` on Linux,
``~/Library/Caches/etown`` on macOS, ``%LOCALAPPDATA%\\etown\\Cache`` on
Windows). Size: at most ``ETOWN_CACHE_MAX_MB`` megabytes (default
:data:`DEFAULT_MAX_BYTES`); the least recently used entries are removed first.
``ETOWN_NO_CACHE`` set to anything but ``0`` or empty turns the cache off.
Entries are written to a temporary folder and renamed into place, so a reader
never sees half an entry. The entries are copies of users' data: the cache folder
(when etown makes it) and each entry's folder are created readable by their owner
only (0700), and each file in them likewise (0600), from the start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import stat
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa

from . import __version__, i18n
from .dates import EARLIEST, latest_plausible
from .loader import LoadResult, load
from .options import InputLimits
from .rawtable import RawTable, source_name
from .stages import ETOWN, StageSet

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd

#: Bumped whenever what an entry holds, or how, changes.
FORMAT = 5
DEFAULT_MAX_BYTES = 4 * 1024**3
#: Files modified more recently than this are not cached.
RACY_SECONDS = 2.0
_META = "meta.json"
_FRAMES = ("events", "attributes", "findings")
_RAW = "rejected_records"
#: The fields of LoadResult this module stores or restores; a new field must be
#: added here (and handled) or cached results would silently lack it.
HANDLED_FIELDS = frozenset(
    {
        "source",
        "stages",
        "layout",
        "events",
        "attributes",
        "findings",
        "rows_read",
        "rows_rejected",
        "rows_blank",
        "rows_filtered",
        "rows_ignored",
        "rows_notes",
        "withdrawn",
        "dayfirst",
        "notes",
        "attribute_columns",
        "raw",
        "latest_read",
    }
)


def cache_dir() -> Path:
    """The folder entries are kept in (see the module documentation)."""
    configured = os.environ.get("ETOWN_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "etown" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "etown"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # XDG: a relative path in the variable is invalid and must be ignored.
    base_dir = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base_dir / "etown"


def max_bytes() -> int:
    """The size cap: ``ETOWN_CACHE_MAX_MB`` megabytes, or :data:`DEFAULT_MAX_BYTES`."""
    value = os.environ.get("ETOWN_CACHE_MAX_MB", "")
    try:
        return int(float(value) * 1024**2) if value else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def enabled() -> bool:
    """False when ``ETOWN_NO_CACHE`` is set (to anything but ``0`` or empty)."""
    return os.environ.get("ETOWN_NO_CACHE", "") in ("", "0")


@dataclass(frozen=True)
class CacheInfo:
    """What the cache holds: its folder, entry count and total size."""

    directory: Path
    entries: int
    bytes: int
    max_bytes: int


def info(directory: Path | None = None) -> CacheInfo:
    """Where the cache is (``directory``, else the default), its entries and their size."""
    folder = directory or cache_dir()
    entries = _entries(folder)
    return CacheInfo(folder, len(entries), sum(size for _, size, _ in entries), max_bytes())


def clear(directory: Path | None = None) -> int:
    """Remove every entry; returns how many there were. Other files are left alone."""
    folder = directory or cache_dir()
    removed = 0
    for entry, _, _ in _entries(folder):
        _remove(entry)
        removed += 1
    for leftover in folder.glob(".tmp-*") if folder.is_dir() else ():
        _remove(leftover)  # a write interrupted by a crash or Ctrl-C
    return removed


def load_cached(
    path: str | Path,
    *,
    stages: StageSet = ETOWN,
    encoding: str | None = None,
    delimiter: str | None = None,
    dayfirst: bool | None = None,
    sheet: str | int | None = None,
    stdin: BinaryIO | None = None,
    where: Sequence[Any] = (),
    withdrawn: Sequence[Any] = (),
    ignore_events: Sequence[str] = (),
    date_formats: Sequence[str] = (),
    attributes: bool | Sequence[str] = True,
    header_row: int | None = None,
    missing_values: Sequence[str] | None = None,
    earliest: date = EARLIEST,
    as_of: date | None = None,
    limits: InputLimits | None = None,
    cache: bool = True,
    directory: Path | None = None,
) -> LoadResult:
    """:func:`etown_approvals.loader.load`, served from the cache when the file and
    options are unchanged since an earlier call (``cache=False``: always read).
    ``limits`` only decide whether an input is read at all, so they are no part of
    the key."""
    options: dict[str, Any] = {
        "stages": stages,
        "encoding": encoding,
        "delimiter": delimiter,
        "dayfirst": dayfirst,
        "sheet": sheet,
        "where": tuple(where),
        "withdrawn": tuple(withdrawn),
        "ignore_events": tuple(ignore_events),
        "date_formats": tuple(date_formats),
        "attributes": attributes if isinstance(attributes, bool) else tuple(attributes),
        "header_row": header_row,
        "missing_values": None if missing_values is None else tuple(missing_values),
        "earliest": earliest,
        "as_of": as_of,
    }
    identity = _file_identity(path) if cache and stdin is None and enabled() else None
    if identity is None:
        return load(path, stdin=stdin, limits=limits, **options)
    folder = directory or cache_dir()
    # The plausible range ends a year after today (or a later as-of date), so the
    # day decides which dates count; an entry says which end it was read with and
    # is served on another day only when no date of the file lies near either end.
    key = entry_key(path, identity, options)
    entry = folder / key
    latest = latest_plausible(as_of)
    cached = _read(entry, key, path, stages, latest)
    if cached is not None:
        return cached
    loaded = load(path, limits=limits, **options)
    # Store only what was read from the file as it still is.
    if _file_identity(path) == identity and not _racy(identity):
        _write(folder, key, loaded, latest)
    return loaded


# -- keys -------------------------------------------------------------------


def _file_identity(path: str | Path) -> dict[str, Any] | None:
    """What identifies the file's current content; None when it must not be cached."""
    text = str(path)
    if text == "-" or "://" in text:
        return None
    try:
        absolute = os.path.abspath(text)
        found = os.stat(absolute)
    except (OSError, ValueError):
        return None  # the loader reports it
    if not stat.S_ISREG(found.st_mode):
        return None  # pipes, devices, /dev/stdin
    return {
        "path": absolute,
        "size": found.st_size,
        "mtime_ns": found.st_mtime_ns,
        "ctime_ns": found.st_ctime_ns,
        "inode": found.st_ino,
        "device": found.st_dev,
    }


def _racy(identity: Mapping[str, Any]) -> bool:
    return time.time() - identity["mtime_ns"] / 1e9 < RACY_SECONDS


def entry_key(path: str | Path, identity: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """The entry name: a hash of the file's identity, its given name and the options."""
    described = {
        "format": FORMAT,
        "etown": __version__,
        "pyarrow": pa.__version__,
        "source": source_name(path),
        "file": dict(identity),
        "options": {name: _plain(value) for name, value in sorted(options.items())},
        # The findings' messages and the notes are written in the language in use.
        "language": i18n.current(),
    }
    text = json.dumps(described, sort_keys=True, ensure_ascii=False, default=repr)
    # surrogateescape: a file name's bytes that are not UTF-8 are hashed as they are.
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def _plain(value: Any) -> Any:
    """A JSON-ready form of an option, with every field of a stage set."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


# -- writing ------------------------------------------------------------------


class _NotCacheable(Exception):
    """A value the entry format does not hold; the result is just not cached."""


def _write(folder: Path, key: str, loaded: LoadResult, latest: date) -> None:
    """Store ``loaded`` under ``key``; any failure leaves the cache as it was."""
    temporary = folder / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=_PRIVATE_FOLDER, exist_ok=True)  # (an existing one is left as it is)
        temporary.mkdir(mode=_PRIVATE_FOLDER)
        meta: dict[str, Any] = {
            "key": key,
            "format": FORMAT,
            "layout": loaded.layout,
            "rows_read": loaded.rows_read,
            "rows_rejected": loaded.rows_rejected,
            "rows_blank": loaded.rows_blank,
            "rows_filtered": loaded.rows_filtered,
            "rows_ignored": loaded.rows_ignored,
            "rows_notes": loaded.rows_notes,
            "withdrawn": None if loaded.withdrawn is None else loaded.withdrawn.tolist(),
            "source": loaded.source,
            "dayfirst": loaded.dayfirst,
            "notes": list(loaded.notes),
            "attribute_columns": list(loaded.attribute_columns),
            "latest": latest.isoformat(),
            "latest_read": None if loaded.latest_read is None else loaded.latest_read.isoformat(),
            "frames": {},
        }
        for name in _FRAMES:
            table, described = _encode_frame(getattr(loaded, name))
            _write_ipc(temporary / f"{name}.arrow", table)
            meta["frames"][name] = described
        if loaded.raw is not None:
            table, raw_meta = _rejected_records(loaded)
            _write_ipc(temporary / f"{_RAW}.arrow", table)
            meta["raw"] = raw_meta
        with _private_file(temporary / _META) as out:
            out.write(json.dumps(meta).encode("utf-8"))
        size = _folder_bytes(temporary)
        limit = max_bytes()
        if size > limit:
            return
        try:
            os.rename(temporary, folder / key)  # atomic: readers see all of it or nothing
        except OSError:
            return  # another process stored the same entry first
        _evict(folder, limit, keep=folder / key)
    except (_NotCacheable, OSError, pa.ArrowException):
        return
    finally:
        if temporary.exists():
            _remove(temporary)


def _write_ipc(path: Path, batch: pa.RecordBatch) -> None:
    """One record batch, written even when empty (it carries the dictionaries)."""
    with _private_file(path) as out, pa.ipc.new_file(out, batch.schema) as writer:
        writer.write_batch(batch)


#: Entries are copies of users' data: readable by their owner only, from the start.
_PRIVATE_FOLDER = 0o700
_PRIVATE_FILE = 0o600


def _private_file(path: Path) -> BinaryIO:
    """A new file readable and writable by its owner only (created so, never changed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_FILE)
    return os.fdopen(descriptor, "wb")


def _encode_frame(frame: pd.DataFrame) -> tuple[pa.RecordBatch, dict[str, Any]]:
    """An Arrow table with one field per column (``c0``, ``c1``, ...; the index
    last unless it is a plain range) and what it takes to rebuild the frame."""
    arrays: list[pa.Array] = []
    columns: list[dict[str, Any]] = []
    for position in range(frame.shape[1]):
        # Whole arrays, not Series: a Series attribute lookup may hash a large index.
        array, kind = _encode_values(frame.iloc[:, position].array)
        arrays.append(array)
        columns.append({"name": frame.columns[position], **kind})
    index: dict[str, Any] | None = None
    if not isinstance(frame.index, pd.RangeIndex):
        array, kind = _encode_values(frame.index.array)
        arrays.append(array)
        index = {"name": frame.index.name, **kind}
    elif frame.index.start != 0 or frame.index.step != 1:
        raise _NotCacheable("a range index not starting at 0")
    names = [f"c{i}" for i in range(len(arrays))]
    table = pa.RecordBatch.from_arrays(arrays, names=names)
    described = {"columns": columns, "index": index, "length": len(frame)}
    return table, described


def _encode_values(values: Any) -> tuple[pa.Array, dict[str, Any]]:
    """One column as Arrow, and how to turn it back into the same pandas dtype."""
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        values = values.to_numpy()
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.asarray(values.codes)
        categories, _ = _encode_values(dtype.categories.array)
        array = pa.DictionaryArray.from_arrays(
            pa.array(codes, mask=codes < 0), categories, ordered=bool(dtype.ordered)
        )
        described = {"type": "category", "ordered": bool(dtype.ordered)}
        return array, described | {"categories_name": dtype.categories.name}
    if isinstance(dtype, pd.StringDtype):
        arrow = getattr(values, "_pa_array", None)  # pyarrow-backed: no conversion
        if arrow is not None:
            return arrow.combine_chunks().cast(pa.large_string()), {"type": "str"}
        return pa.array(
            np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True
        ), {"type": "str"}
    if dtype == np.dtype(object):
        try:
            array = pa.array(np.asarray(values), type=pa.large_string(), from_pandas=True)
        except (pa.ArrowException, TypeError) as error:
            raise _NotCacheable(str(error)) from None
        return array, {"type": "object"}
    if isinstance(dtype, pd.Int64Dtype):
        data = np.asarray(values.to_numpy(dtype=np.int64, na_value=0))
        return pa.array(data, mask=np.asarray(values.isna())), {"type": "Int64"}
    if isinstance(dtype, np.dtype) and dtype.kind in "biufM":
        return pa.array(np.asarray(values)), {"type": "numpy", "dtype": dtype.str}
    raise _NotCacheable(f"dtype {dtype}")


def _rejected_records(loaded: LoadResult) -> tuple[pa.RecordBatch, dict[str, Any]]:
    """The raw cells and line numbers of the rejected records only."""
    raw = loaded.raw
    assert raw is not None
    lines = raw.line_numbers()
    wanted = loaded.rejected["row"].dropna().to_numpy(dtype=np.int64)
    keep = np.isin(lines, wanted)
    # Record 0 too: the rejected-rows writer takes position 0 for records it does
    # not find (malformed ones), so the table must not be empty when the file's is not.
    keep[:1] = True
    positions = np.flatnonzero(keep)
    # The columns the load parsed (a load for one command need not parse them all).
    taken = raw.table.take(pa.array(positions, type=pa.int64()))
    # As plain text: a taken dictionary column would still carry every distinct value.
    arrays = [
        _plain_text(column.chunk(0) if column.num_chunks == 1 else column.combine_chunks())
        for column in taken.columns
    ]
    arrays.append(pa.array(lines[positions], type=pa.int64()))
    table = pa.RecordBatch.from_arrays(arrays, names=[*taken.column_names, "line"])
    malformed = [dataclasses.asdict(record) for record in raw.malformed]
    return table, {"headers": list(raw.headers), "delimiter": raw.delimiter, "malformed": malformed}


def _plain_text(array: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(array.type):
        return array.dictionary_decode()
    return array


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def _entries(folder: Path) -> list[tuple[Path, int, float]]:
    """(entry, bytes, last use) of each complete entry."""
    found: list[tuple[Path, int, float]] = []
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        if entry.name.startswith(".") or not (entry / _META).is_file():
            continue
        try:
            found.append((entry, _folder_bytes(entry), (entry / _META).stat().st_mtime))
        except OSError:
            continue  # removed meanwhile
    return found


def _evict(folder: Path, limit: int, keep: Path) -> None:
    """Remove the least recently used entries until the cache fits ``limit``."""
    entries = sorted(_entries(folder), key=lambda e: e[2])
    total = sum(size for _, size, _ in entries)
    for entry, size, _ in entries:
        if total <= limit:
            break
        if entry != keep:
            _remove(entry)
            total -= size


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


# -- reading ------------------------------------------------------------------


def _read(
    entry: Path, key: str, path: str | Path, stages: StageSet, latest: date
) -> LoadResult | None:
    """The stored result, or None (a missing or unreadable entry, or one that ``latest``,
    the end of today's plausible range, would read differently: each is removed)."""
    if not (entry / _META).is_file():
        return None
    try:
        meta = json.loads((entry / _META).read_text(encoding="utf-8"))
        if meta.get("key") != key or meta.get("format") != FORMAT:
            raise ValueError("entry of another key or format")
        if not _same_reading(meta, latest):
            raise ValueError("entry read with another end of the plausible range")
        frames = {
            name: _decode_frame(_read_ipc(entry / f"{name}.arrow"), meta["frames"][name])
            for name in _FRAMES
        }
        raw = None
        if "raw" in meta:
            raw = _decode_raw(_read_ipc(entry / f"{_RAW}.arrow"), meta["raw"], source_name(path))
        withdrawn = meta["withdrawn"]
        result = LoadResult(
            source=str(meta["source"]),
            stages=stages,
            layout=meta["layout"],
            events=frames["events"],
            attributes=frames["attributes"],
            findings=frames["findings"],
            rows_read=int(meta["rows_read"]),
            rows_rejected=int(meta["rows_rejected"]),
            rows_blank=int(meta["rows_blank"]),
            rows_filtered=int(meta["rows_filtered"]),
            rows_ignored=int(meta["rows_ignored"]),
            rows_notes=int(meta["rows_notes"]),
            withdrawn=None if withdrawn is None else np.asarray(withdrawn, dtype=bool),
            dayfirst=meta["dayfirst"],
            notes=[str(note) for note in meta["notes"]],
            attribute_columns=[str(name) for name in meta["attribute_columns"]],
            raw=raw,
            latest_read=None
            if meta["latest_read"] is None
            else date.fromisoformat(meta["latest_read"]),
        )
    except Exception:  # any damage to an entry means: read the file again
        _remove(entry)
        return None
    with contextlib.suppress(OSError):
        os.utime(entry / _META)  # last use, for eviction
    return result


def _same_reading(meta: Mapping[str, Any], latest: date) -> bool:
    """Whether an entry read with the plausible range ending ``meta["latest"]`` is what
    a range ending ``latest`` reads: the same end, or no date of the file after the
    earlier of the two (then no date changes side)."""
    made_with = date.fromisoformat(meta["latest"])
    if made_with == latest or meta["latest_read"] is None:
        return True
    return date.fromisoformat(meta["latest_read"]) <= min(made_with, latest)


def _read_ipc(path: Path) -> pa.RecordBatch:
    """The record batch in an Arrow IPC file, memory-mapped (no copy is made)."""
    with pa.memory_map(str(path), "r") as source:
        reader = pa.ipc.open_file(source)
        if reader.num_record_batches != 1:
            raise ValueError("an entry file holds one record batch")
        return reader.get_batch(0)


def _decode_frame(table: pa.RecordBatch, described: Mapping[str, Any]) -> pd.DataFrame:
    length = int(described["length"])
    columns = list(described["columns"])
    has_index = described["index"] is not None
    if table.num_columns != len(columns) + has_index or table.num_rows != length:
        raise ValueError("entry does not match its description")
    index: pd.Index | None = None
    if has_index:
        values = _decode_series(table.column(len(columns)), described["index"])
        index = pd.Index(values, name=described["index"]["name"], copy=False)
    data = {i: _decode_series(table.column(i), column, index) for i, column in enumerate(columns)}
    # copy=False: each column keeps its own array (read from the mapped file), rather
    # than being copied into one block per dtype.
    frame = pd.DataFrame(
        data, index=index if index is not None else pd.RangeIndex(length), copy=False
    )
    if columns:  # a frame without columns keeps pandas' own empty column index
        frame.columns = pd.Index([column["name"] for column in columns])
    return frame


def _decode_series(
    array: pa.Array, kind: Mapping[str, Any], index: pd.Index | None = None
) -> pd.Series:
    name = kind["type"]
    values: Any
    if name == "category":
        from ._compat import categorical_from_codes

        categories = pd.Index(
            _decode_series(array.dictionary, {"type": "str"}),
            name=kind.get("categories_name"),
        )
        codes = array.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        if kind["ordered"]:
            values = pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(categories, ordered=True)
            )
        else:  # the categories were distinct when stored: no need to hash them again
            values = categorical_from_codes(codes, categories)
    elif name == "str":
        values = pd.array(array.cast(pa.large_string()).to_pandas(), dtype="str")
    elif name == "object":
        values = array.to_numpy(zero_copy_only=False).astype(object)
    elif name == "Int64":
        data = array.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        mask = array.is_null().to_numpy(zero_copy_only=False)
        values = pd.arrays.IntegerArray(data, mask)
    elif name == "numpy":
        values = array.to_numpy(zero_copy_only=False).astype(np.dtype(kind["dtype"]), copy=False)
    else:
        raise ValueError(f"unknown column kind {name!r}")
    # The dtype is given: pandas would otherwise turn object columns of text into "str".
    dtype = object if name == "object" else None
    return pd.Series(values, index=index, dtype=dtype, copy=False)


def _decode_raw(batch: pa.RecordBatch, described: Mapping[str, Any], source: str) -> RawTable:
    from .rawtable import MalformedRecord

    lines = batch.column(batch.num_columns - 1).to_numpy().astype(np.int64)
    cells = pa.Table.from_batches([batch]).drop_columns(["line"])
    malformed = [MalformedRecord(**record) for record in described["malformed"]]
    return RawTable(
        source=source,
        headers=list(described["headers"]),
        table=cells,
        delimiter=described["delimiter"],
        malformed=malformed,
        locate=lambda: lines,
    )
