"""Where results go: standard output, or a file written atomically.

A file is written to a temporary file in the same folder and renamed over the
target only when everything was written, so a failed run never leaves half a
file. Writing into an input file is refused. The temporary files being written
are known (:func:`remove_partial`), so that a signal ending the process (the
command line's SIGTERM and SIGHUP handler) leaves none behind either.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, cast, overload

from .errors import OutputError, UsageError

#: The temporary files of outputs being written now.
_PARTIAL: set[str] = set()


def remove_partial() -> None:
    """Remove the temporary file of every output being written (the process is ending
    before the output is complete)."""
    for path in list(_PARTIAL):
        _remove(path)
        _PARTIAL.discard(path)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_target(path: str, inputs: Sequence[str] = (), *, option: str = "--output") -> None:
    """Refuse to write ``path`` when it is one of the ``inputs`` or its folder is missing."""
    for source in inputs:
        if source != "-" and _same_file(path, source):
            raise UsageError(f"{option} {path} is the input file; refusing to overwrite it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a folder")


def check_folder(path: str, *, option: str) -> None:
    """Refuse a folder to write into that is a file, or that cannot be made."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputError(f"cannot write into {path} ({option}): it is a file, not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot make the folder {path} ({option}): {error.strerror}") from None


@overload
def open_output(
    path: str | None,
    *,
    binary: Literal[False] = False,
    inputs: Sequence[str] = (),
    option: str = "--output",
) -> contextlib.AbstractContextManager[TextIO]: ...


@overload
def open_output(
    path: str | None,
    *,
    binary: Literal[True],
    inputs: Sequence[str] = (),
    option: str = "--output",
) -> contextlib.AbstractContextManager[BinaryIO]: ...


def open_output(
    path: str | None,
    *,
    binary: bool = False,
    inputs: Sequence[str] = (),
    option: str = "--output",
) -> contextlib.AbstractContextManager[Any]:
    """A stream to write a result to: standard output when ``path`` is None or ``-``,
    else a temporary file renamed to ``path`` when the block ends without error.

    Errors while writing (a full disk, no permission) become :class:`OutputError`.
    """
    return _open_output(path, binary=binary, inputs=inputs, option=option)


@contextlib.contextmanager
def _open_output(
    path: str | None, *, binary: bool, inputs: Sequence[str], option: str
) -> Iterator[IO[Any]]:
    if path is None or path == "-":
        stream = cast(IO[Any], sys.stdout.buffer if binary else sys.stdout)
        try:
            yield stream
            stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write the output: {error.strerror or error}") from None
        return
    check_target(path, inputs, option=option)
    target = Path(path)
    if target.exists() and not target.is_file():
        # A device or a pipe (/dev/stdout, a FIFO): write to it; never rename over it.
        yield from _write_directly(path, binary=binary)
        return
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent if str(target.parent) else ".",
            prefix=f".{target.name}.",
            suffix=".tmp",
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    _PARTIAL.add(temporary)
    try:
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        newline = None if binary else ""
        with open(descriptor, mode, encoding=encoding, newline=newline) as handle:
            yield handle
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:  # Ctrl-C (KeyboardInterrupt) too
        _remove(temporary)
        raise
    finally:
        _PARTIAL.discard(temporary)


def _write_directly(path: str, *, binary: bool) -> Iterator[IO[Any]]:
    try:
        handle: IO[Any] = open(path, "wb") if binary else open(path, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with handle:
            yield handle
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
