"""Where an input's bytes come from, and what kind of container holds them.

An input is a local path, ``-`` for standard input, or an ``http://`` or
``https://`` URL. Its bytes end up memory-mapped: a regular file directly;
standard input, FIFOs, downloads and decompressed data through an unlinked
temporary file (in ``TMPDIR``), so that a large input is never held twice in
memory and never read whole before it is needed.

Compression (gzip, bzip2, xz, zstd) and containers (workbooks, Parquet, Arrow,
a zip archive of one table) are recognised by their first bytes, whatever the
file is called: exports are often misnamed, and downloads have no name at all.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import mmap
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from .errors import InputNotFoundError, UnreadableInputError, UsageError
from .i18n import N_, ngettext
from .i18n import gettext as _
from .options import (
    MAX_INPUT_SIZE_VARIABLE,
    URL_TIMEOUT_VARIABLE,
    InputLimits,
    describe_size,
)
from .rawtable import source_name

#: Called as bytes arrive: ``progress(what, done, total)``, ``what`` being
#: "downloading" or "decompressing", ``total`` None when it is not known.
Progress = Callable[[str, int, int | None], None]

_CHUNK = 1 << 20
#: How many layers of compression or archive are unwrapped (``.csv.gz`` inside a zip, say).
_MAX_LAYERS = 3
#: Seconds one read of a download may wait (the whole download has its own limit).
_URL_TIMEOUT_SECONDS = 60


class Kind(StrEnum):
    """What an input holds, told by its first bytes."""

    TEXT = "text"
    #: Office Open XML workbook (.xlsx, .xlsm, .xlsb).
    XLSX = "xlsx"
    #: OLE2 compound document: an .xls workbook (or a password-protected .xlsx).
    XLS = "xls"
    ODS = "ods"
    PARQUET = "parquet"
    #: Arrow IPC file format, which is also Feather version 2.
    ARROW = "arrow"
    ARROW_STREAM = "arrow-stream"
    FEATHER_V1 = "feather-v1"


WORKBOOKS = frozenset({Kind.XLSX, Kind.XLS, Kind.ODS})
COLUMNAR = frozenset({Kind.PARQUET, Kind.ARROW, Kind.ARROW_STREAM, Kind.FEATHER_V1})

_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Kind.XLS),
    (b"PAR1", Kind.PARQUET),
    (b"ARROW1", Kind.ARROW),
    (b"FEA1", Kind.FEATHER_V1),
    # An Arrow stream message starts with a continuation marker; text never does
    # (0xFF is not UTF-8, and a UTF-16 byte-order mark is FF FE).
    (b"\xff\xff\xff\xff", Kind.ARROW_STREAM),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass
class Source:
    """An input's bytes (decompressed, unpacked) and what they hold."""

    #: How messages name the input: its path, URL, or ``<stdin>``.
    name: str
    data: bytes | mmap.mmap
    kind: Kind = Kind.TEXT
    #: The compressions that were undone, outermost first ("gzip", "bz2", "xz", "zstd").
    compression: list[str] = field(default_factory=list)
    #: The file read from inside a zip archive, if any.
    member: str | None = None
    notes: list[str] = field(default_factory=list)


def is_url(path: str | Path) -> bool:
    """Whether ``path`` is an ``http://`` or ``https://`` URL rather than a file name."""
    text = str(path)
    return text[:8].lower() == "https://" or text[:7].lower() == "http://"


def open_source(
    path: str | Path,
    *,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    limits: InputLimits | None = None,
) -> Source:
    """The bytes ``path`` names (a file, ``-`` for standard input, or a URL), unwrapped.

    Compressed data is decompressed and a zip archive holding one file is
    opened, however the input is named; ``kind`` says what is left. ``limits``
    (None: the environment's, else the defaults) bound what a stream may bring
    and how long a download may take.
    """
    limits = limits or InputLimits.from_environment()
    name = _without_password(str(path)) if is_url(path) else source_name(path)
    if str(path) == "-":
        data = _spool((stdin or sys.stdin.buffer).read, name=name, most=limits.max_input_size)
    elif is_url(path):
        data = _download(str(path), name, progress, limits)
    else:
        data = _open_file(path, name, limits)
    source = Source(name, data)
    layers: list[str] = []  # outermost first
    for _layer in range(_MAX_LAYERS + 1):
        head = bytes(source.data[:16])
        compression = detect_compression(head)
        is_zip = head.startswith(_ZIP_MAGIC)
        if (compression is not None or is_zip) and len(layers) == _MAX_LAYERS:
            # Each layer multiplies what a small file becomes: a fixed depth, said plainly.
            inside = _(" inside ").join(reversed([*layers, compression or "zip"]))
            raise UnreadableInputError(
                ngettext(
                    "is packed in more than {count} layer ({inside}); etown unwraps "
                    "{count} at most: unpack it first",
                    "is packed in more than {count} layers ({inside}); etown unwraps "
                    "{count} at most: unpack it first",
                    _MAX_LAYERS,
                ).format(count=f"{_MAX_LAYERS:,}", inside=inside),
                source=name,
            )
        if compression is not None:
            source.data = _decompress(source.data, compression, name, progress, limits)
            source.compression.append(compression)
            layers.append(compression)
            continue
        if is_zip and not _open_zip(source, limits):
            layers.append("zip")
            continue  # unpacked the one file in the archive: look at what it is
        break
    if source.kind is Kind.TEXT:
        source.kind = detect_kind(bytes(source.data[:16]))
        if source.kind is Kind.TEXT:
            _refuse_markup(bytes(source.data[:1024]), name)
    return source


def _without_password(url: str) -> str:
    """``url`` for messages and JSON: a password in it (``user:secret@host``) is masked."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is no number is found here)
    except ValueError as error:  # an unclosed [ of an IPv6 address, a bad port
        raise UsageError(
            _("not a valid URL ({reason})").format(reason=_reason(error)), source=url
        ) from None
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def detect_compression(head: bytes) -> str | None:
    """The compression whose signature ``head`` (the first bytes) starts with, if any."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    # "BZh" and a block size digit, then the magic of a block or of the end of the stream:
    # ten bytes, so that a text file starting with "BZh9" is still text.
    if (
        head[:3] == b"BZh"
        and head[3:4] in b"123456789"
        and head[4:10]
        in (
            b"1AY&SY",
            b"\x17rE8P\x90",
        )
    ):
        return "bz2"
    return None


def is_plain_text(head: bytes) -> bool:
    """Whether data starting with ``head`` is text as it is: not compressed, not a
    container, not a web page or XML (which :func:`open_source` explains)."""
    return (
        detect_compression(head[:16]) is None
        and not head.startswith(_ZIP_MAGIC)
        and detect_kind(head[:16]) is Kind.TEXT
        and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    )


def detect_kind(head: bytes) -> Kind:
    """What non-zip, uncompressed data holds, from its first bytes."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return Kind.TEXT


# -- where the bytes come from ------------------------------------------------


def _open_file(path: str | Path, name: str, limits: InputLimits) -> bytes | mmap.mmap:
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below; the map outlives it)
    except FileNotFoundError:
        raise InputNotFoundError(_("no such file"), source=name) from None
    except IsADirectoryError:
        raise UnreadableInputError(_("is a directory, not a file"), source=name) from None
    except PermissionError:
        raise UnreadableInputError(_("permission denied: cannot read it"), source=name) from None
    except OSError as error:
        raise UnreadableInputError(error.strerror or str(error), source=name) from None
    with handle:
        try:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise UnreadableInputError(_("is a directory, not a file"), source=name)
            if not stat.S_ISREG(info.st_mode):
                # A FIFO, `<(command)`, a device: its size says nothing; read what comes.
                return _spool(handle.read, name=name, most=limits.max_input_size)
            if info.st_size == 0:
                return b""
            # Read, not mapped: a mapped file that another program truncates while
            # etown reads it kills the process (SIGBUS). One copy from the page cache
            # costs about 0.1-0.3 s for 175 MB.
            return handle.read()
        except OSError as error:
            raise UnreadableInputError(error.strerror or str(error), source=name) from None


def _download(
    url: str, name: str, progress: Progress | None, limits: InputLimits
) -> bytes | mmap.mmap:
    """The body of ``url``, streamed into a temporary file, within ``limits``."""
    import http.client
    import time
    import urllib.error
    import urllib.request

    from . import __version__

    deadline = time.monotonic() + limits.url_timeout
    too_slow = _(
        "the download took longer than {seconds} s, the limit "
        "(--url-timeout or {variable} raise it)"
    ).format(seconds=f"{limits.url_timeout:g}", variable=URL_TIMEOUT_VARIABLE)
    too_large = _(
        "the download is larger than {size}, the limit (--max-input-size or {variable} raise it)"
    ).format(size=describe_size(limits.max_input_size), variable=MAX_INPUT_SIZE_VARIABLE)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": f"etown/{__version__}"})
        # Each read waits a minute at most, or what is left of the whole download's time.
        wait = min(_URL_TIMEOUT_SECONDS, limits.url_timeout)
        response = urllib.request.urlopen(request, timeout=wait)
    except urllib.error.HTTPError as error:
        raise UnreadableInputError(
            _("cannot be downloaded: the server answered {code} {reason}").format(
                code=error.code, reason=error.reason
            ),
            source=name,
        ) from None
    except urllib.error.URLError as error:
        raise UnreadableInputError(
            _("cannot be downloaded: {reason}").format(reason=error.reason), source=name
        ) from None
    except (OSError, ValueError, http.client.HTTPException) as error:
        if time.monotonic() > deadline:
            raise UnreadableInputError(too_slow, source=name) from None
        raise UnreadableInputError(
            _("cannot be downloaded: {reason}").format(reason=error), source=name
        ) from None
    with response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        if total is not None and total > limits.max_input_size:
            raise UnreadableInputError(too_large, source=name)
        data = _spool(
            # read1: what has arrived, so that the time is looked at between reads
            # (read would wait for a whole chunk from a server sending a byte a second).
            getattr(response, "read1", response.read),
            name=name,
            what="downloading",
            total=total,
            progress=progress,
            failed=_("the download failed"),
            errors=(OSError, ValueError, http.client.HTTPException),
            most=limits.max_input_size,
            too_large=too_large,
            deadline=deadline,
            too_slow=too_slow,
        )
    if total is not None and len(data) < total:
        raise UnreadableInputError(
            ngettext(
                "the download ended early: {done} of {total} byte",
                "the download ended early: {done} of {total} bytes",
                total,
            ).format(done=f"{len(data):,}", total=f"{total:,}"),
            source=name,
        )
    return data


def _spool(
    read: Callable[[int], bytes],
    *,
    name: str,
    what: str = "reading",
    total: int | None = None,
    progress: Progress | None = None,
    failed: str | None = None,
    errors: tuple[type[BaseException], ...] = (OSError,),
    most: int | None = None,
    too_large: str | None = None,
    deadline: float | None = None,
    too_slow: str | None = None,
) -> bytes | mmap.mmap:
    """Everything ``read`` gives, through an unlinked temporary file, memory-mapped.

    More than ``most`` bytes is an error (``too_large``, else one that names the
    limit), and so is reading past ``deadline`` (a ``time.monotonic`` time).
    """
    import time

    try:
        spool = tempfile.TemporaryFile(prefix="etown-")  # noqa: SIM115 (a with block follows)
    except OSError as error:
        raise UnreadableInputError(
            _("no temporary file for the data ({reason}); set TMPDIR").format(
                reason=error.strerror
            ),
            source=name,
        ) from None
    with spool:
        done = 0
        while True:
            try:
                chunk = read(_CHUNK)
            except errors as error:
                if deadline is not None and time.monotonic() > deadline:
                    raise UnreadableInputError(
                        too_slow or _("took too long"), source=name
                    ) from None
                raise UnreadableInputError(
                    _("{failed} ({reason})").format(
                        failed=failed or _("cannot be read"), reason=_reason(error)
                    ),
                    source=name,
                ) from None
            if not chunk:
                break
            if most is not None and done + len(chunk) > most:
                raise UnreadableInputError(
                    too_large
                    or _(_GROWS[what]).format(
                        size=describe_size(most), variable=MAX_INPUT_SIZE_VARIABLE
                    ),
                    source=name,
                )
            if deadline is not None and time.monotonic() > deadline:
                raise UnreadableInputError(too_slow or _("took too long"), source=name)
            try:
                spool.write(chunk)
            except OSError as error:
                raise UnreadableInputError(
                    _(
                        "no room for a temporary copy of the data ({reason}); "
                        "set TMPDIR to a folder with more space"
                    ).format(reason=error.strerror),
                    source=name,
                ) from None
            done += len(chunk)
            if progress is not None:
                progress(what, done, total)
        if done == 0:
            return b""
        spool.flush()
        return mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ)


#: What the data read so far is, in the message that it is too large.
_GROWS = {
    "reading": N_("is more than {size}, the limit (--max-input-size or {variable} raise it)"),
    "decompressing": N_(
        "decompresses to more than {size}, the limit (--max-input-size or {variable} raise it)"
    ),
    "unzipping": N_(
        "unzips to more than {size}, the limit (--max-input-size or {variable} raise it)"
    ),
    "downloading": N_(
        "the download is more than {size}, the limit (--max-input-size or {variable} raise it)"
    ),
}


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# -- layers: compression and zip archives -----------------------------------------


def reader_of(data: bytes | mmap.mmap) -> BinaryIO:
    """A file object reading ``data`` from its start, without copying it."""
    return io.BufferedReader(_ViewReader(data), buffer_size=_CHUNK)  # type: ignore[arg-type]


class _ViewReader(io.RawIOBase):
    """Reads and seeks in memory (an mmap has no ``seekable`` before Python 3.13)."""

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self._view = memoryview(data)
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece = self._view[self._at : self._at + len(buffer)]
        buffer[: len(piece)] = piece
        self._at += len(piece)
        return len(piece)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: len(self._view)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at


class _Stream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


def _decompress(
    data: bytes | mmap.mmap,
    compression: str,
    name: str,
    progress: Progress | None,
    limits: InputLimits,
) -> bytes | mmap.mmap:
    stream: _Stream
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, lzma.LZMAError)
    if compression == "zstd":
        # The standard library has no zstd before Python 3.14; pyarrow, already here, does.
        import pyarrow as pa

        buffer = pa.py_buffer(data)
        stream = pa.CompressedInputStream(pa.BufferReader(buffer), "zstd")
        errors += (pa.ArrowException,)
    elif compression == "gzip":
        stream = gzip.GzipFile(fileobj=reader_of(data))
    elif compression == "bz2":
        stream = bz2.BZ2File(reader_of(data))
    else:
        stream = lzma.LZMAFile(reader_of(data))  # noqa: SIM115 (a with block follows)
    label = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz", "zstd": "zstd"}[compression]
    with contextlib.closing(stream):
        result = _spool(
            stream.read,
            name=name,
            what="decompressing",
            progress=progress,
            failed=_("is a damaged or truncated {format} file").format(format=label),
            errors=errors,
            most=limits.max_input_size,
        )
    return result


def _open_zip(source: Source, limits: InputLimits) -> bool:
    """Tell a workbook from a zip archive; unpack an archive of one file into ``source``.

    Returns whether ``source`` is now final (a workbook), False when the
    archive's one file was unpacked and must be looked at in turn.
    """
    import zipfile

    name = source.name
    try:
        archive = zipfile.ZipFile(reader_of(source.data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise UnreadableInputError(
            _(
                "is a damaged or truncated zip file (an .xlsx or .ods workbook is one): {reason}"
            ).format(reason=_reason(error)),
            source=name,
        ) from None
    with archive:
        names = archive.namelist()
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            source.kind = Kind.XLSX
            return True
        if "mimetype" in names:
            mimetype = archive.read("mimetype").strip()
            if mimetype == _ODS_MIMETYPE:
                source.kind = Kind.ODS
                return True
            kind = mimetype.decode(errors="replace")
            raise UnreadableInputError(
                _("is an OpenDocument file but not a spreadsheet ({kind})").format(kind=kind),
                source=name,
            )
        if "[Content_Types].xml" in names:
            raise UnreadableInputError(
                _("is an Office document but not an Excel workbook"), source=name
            )
        files = [
            n
            for n in names
            if not n.endswith("/")
            and not n.startswith("__MACOSX/")
            and Path(n).name not in (".DS_Store", "Thumbs.db")
        ]
        if len(files) != 1:
            shown = ", ".join(files[:5]) + (", ..." if len(files) > 5 else "")
            raise UnreadableInputError(
                ngettext(
                    "is a zip archive of {count} file, not a workbook or one table",
                    "is a zip archive of {count} files, not a workbook or one table",
                    len(files),
                ).format(count=f"{len(files):,}")
                + (
                    _(" ({shown}); unzip it and read the one you want").format(shown=shown)
                    if files
                    else ""
                ),
                source=name,
            )
        member = files[0]
        try:
            with archive.open(member) as stream:
                source.data = _spool(
                    stream.read,
                    name=name,
                    what="unzipping",
                    failed=_("has a damaged file {member}").format(member=repr(member)),
                    errors=(OSError, EOFError, zlib.error, zipfile.BadZipFile),
                    most=limits.max_input_size,
                )
        except RuntimeError as error:  # zipfile's word for an encrypted member
            raise UnreadableInputError(
                _("is a password-protected zip archive ({reason})").format(reason=_reason(error)),
                source=name,
            ) from None
        except NotImplementedError as error:  # a compression method zipfile lacks
            raise UnreadableInputError(
                _("cannot be unzipped ({reason})").format(reason=_reason(error)), source=name
            ) from None
    source.member = member
    source.notes.append(
        f"{name}: " + _("read {member}, the one file in the zip archive").format(member=member)
    )
    return False


def _refuse_markup(head: bytes, name: str) -> None:
    """Web pages and XML spreadsheets are not CSV: say what they are."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")):
        raise UnreadableInputError(
            _(
                "is an HTML page, not a table (a web page saved as .xls, or a server's error "
                "page instead of the file?)"
            ),
            source=name,
        )
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head or b"<workbook" in text:
            raise UnreadableInputError(
                _("is an Excel 2003 XML spreadsheet: save it as .xlsx or CSV"), source=name
            )
        raise UnreadableInputError(_("is an XML document, not a table"), source=name)
