"""Every command under --lang zh-CN on the hostile corpus (tests/fixtures/bad): no
English word is printed outside names, codes and the file's own content.

What may stay as written: the program and its commands and options (a command line in
a hint is code), finding types, encodings and other codes, the file's name, and any
word of the file itself (names, headers, values), and the reason a library gives for
a damaged file (:data:`LIBRARY_REASONS`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from etown_approvals.cli import cli

from .conftest import FIXTURES, SAMPLE

BAD = FIXTURES / "bad"
FILES = sorted(p for p in BAD.iterdir() if p.is_file() and not p.name.endswith(".py"))

#: Each command with the options it needs, and whether it measures (takes --as-of).
COMMANDS = {
    "summary": ["--as-of", "2024-06-30"],
    "projects": ["--as-of", "2024-06-30"],
    "stages": [],
    "trend": [],
    "timeline": ["--as-of", "2024-06-30"],
    # Markdown: a finding a line, so that a message is never wrapped over two lines.
    "validate": ["--format", "markdown"],
    "check": ["--max-open", "1000"],
}

#: Words that are codes, names of formats and standards, or units, in any language.
CODES = {
    "etown",
    "csv",
    "tsv",
    "json",
    "ndjson",
    "utf",
    "gb18030",
    "bom",
    "nul",
    "excel",
    "xlsx",
    "xls",
    "ods",
    "parquet",
    "arrow",
    "html",
    "xml",
    "zip",
    "gzip",
    "xz",
    "bzip2",
    "zstd",
    "opendocument",
    "office",
    "rmst",
    "mwu",
    "km",
    "toml",
    "fy",
    "mb",
    "cp",
    "iso",
    "mac",
    "roman",
    "shift",
    "jis",
    "euc",
    "kr",
    "le",
    "koi",  # koi8_r
    "be",
    "rows",  # rows.after_as_of, rows.notes: keys of the JSON document
    "after",
    "as",
    "of",
    "notes",
    "url",
    "kib",
    "mib",
    "gib",
    "tib",
}

#: What a library says of a damaged file, passed on as it says it (in parentheses or
#: after a colon): the only English a message may hold besides codes and names.
LIBRARY_REASONS = [
    r"Corrupt input data",
    r"Compressed file ended before the end-of-stream marker was reached",
    r"File is not a zip file",
    r"Cannot detect file format",
    r"Could not open Parquet input source .*",
    r"Invalid IPv6 URL",
    r"Parquet file size is .*",
]
_LIBRARY = re.compile("|".join(f"(?:{p})" for p in LIBRARY_REASONS))
_WORD = re.compile(r"[A-Za-z][A-Za-z]{2,}")


def _names() -> set[str]:
    """Codes a message may name: finding types, the columns etown looks for, the
    built-in stages' event names (what a file may call a stage)."""
    from etown_approvals.findings import REGISTRY
    from etown_approvals.stages import (
        DATE_COLUMN_ALIASES,
        ETOWN,
        EVENT_COLUMN_ALIASES,
        PROJECT_COLUMN_ALIASES,
    )

    texts = [*REGISTRY, *PROJECT_COLUMN_ALIASES, *EVENT_COLUMN_ALIASES, *DATE_COLUMN_ALIASES]
    texts += [*ETOWN.lookup, *ETOWN.stages]
    texts += list(cli.commands)  # a command named in a hint wrapped onto its own line
    return {w.lower() for text in texts for w in _WORD.findall(text)}


_NAMES = _names()


def _file_words(path: Path, *, cells: bool = True) -> set[str]:
    """Every word the file holds, as any common encoding reads it (names, headers);
    ``cells``: a workbook's cells too (not for workbooks built to exhaust a reader)."""
    data = path.read_bytes() if path.is_file() else b""
    words: set[str] = set()
    for encoding in ("utf-8", "utf-16", "utf-32", "gb18030", "latin-1"):
        words |= {w.lower() for w in _WORD.findall(data.decode(encoding, "replace"))}
    if cells and path.suffix in (
        ".xlsx",
        ".xls",
        ".ods",
    ):  # a workbook's cells, as calamine reads them
        import python_calamine

        try:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                words |= {w.lower() for w in _WORD.findall(name)}
                for row in book.get_sheet_by_name(name).to_python():
                    words |= {w.lower() for cell in row for w in _WORD.findall(str(cell))}
        except Exception:  # a damaged workbook: only its name counts
            pass
    if path.suffix in (".gz", ".xz", ".zip", ".xlsx", ".xls", ".parquet", ".odt", ".docx"):
        words |= {w.lower() for w in _WORD.findall(path.name)}
    return words


def english_words(text: str, path: Path, *, cells: bool = True) -> list[str]:
    """The English words of ``text`` that are neither code nor the file's content."""
    allowed = (
        CODES
        | _NAMES
        | _file_words(path, cells=cells)
        | {w.lower() for w in _WORD.findall(str(path))}
    )
    found = []
    for line in text.splitlines():
        line = _LIBRARY.sub(" ", line)
        line = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", " ", line)  # data quoted, code spans
        line = re.sub(r"etown [a-z]+\b.*", " ", line)  # a command line to copy: code
        line = re.sub(r"--[a-z][a-z-]*", " ", line)  # options
        line = re.sub(r"\bETOWN_[A-Z_]+\b", " ", line)  # environment variables
        line = re.sub(r"\\?\[[a-z]+\\?\] [a-z_]+", " ", line)  # [dates] earliest: a setting
        line = re.sub(r"\b[a-z]+(?:[-_.][a-z0-9]+)+\b", " ", line)  # invalid-date, days.median
        line = re.sub(r"\S*[/\\]\S*", " ", line)  # paths
        found += [
            word
            for word in _WORD.findall(line)
            if word.lower() not in allowed
            # a name cut to fit a column: the start of a word of the file
            and not any(known.startswith(word.lower()) for known in allowed)
        ]
    return found


def _chinese(command: str, path: Path) -> tuple[str, int]:
    """stdout and stderr of ``command`` on ``path`` under zh-CN, and its exit code
    (whatever it is: the corpus is made of files that fail)."""
    result = CliRunner().invoke(
        cli, [command, str(path), *COMMANDS[command], "--lang", "zh-CN", "--no-cache"]
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout + result.stderr, result.exit_code


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_command_speaks_chinese_on_hostile_files(path, command):
    text, code = _chinese(command, path)
    assert code in (0, 1, 2, 3, 4, 5)
    words = english_words(text, path)
    assert words == [], (command, path.name, words, text)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_sample_in_chinese(command):
    text, code = _chinese(command, SAMPLE)
    assert code in (0, 1)
    assert english_words(text, SAMPLE) == []


def test_the_check_finds_english():
    words = english_words("etown: 错误: something broke beyond repair", SAMPLE)
    assert words == ["something", "broke", "beyond", "repair"]
    assert english_words("etown: 警告: 3 行被拒绝（1 invalid-date）", SAMPLE) == []  # noqa: RUF001


# -- the hostile-input corpus (fixtures/hostile/expected.json) ---------------------------

HOSTILE = FIXTURES / "hostile"
#: Cases whose message is not etown's reading of the input: a configuration error and
#: a malformed --where are said in English, click writes its own usage errors, and
#: ``etown schema`` has no --lang; the downloads and large files need the corpus
#: test's server and files.
_NOT_HERE = ("{server}", "{large}")
HOSTILE_CASES = [
    case
    for case in json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
    if case["args"][0] != "schema"
    and case["exit"] != 5
    and not any(part in arg for arg in case["args"] for part in _NOT_HERE)
    and not {"--where", "--withdrawn"} & set(case["args"])
    and "Invalid value" not in case.get("stderr", "")
]
#: Workbooks built to exhaust a reader: their cells are not read for allowed words.
_EXHAUSTING = ("cell_at_", "styled_empty_", "value_repeated_")


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c["name"] for c in HOSTILE_CASES])
def test_the_hostile_corpus_speaks_chinese(case):
    """Each case of the hostile corpus under --lang zh-CN, as its own process (a reader
    that aborts would take pytest with it): its exit code, and no English word."""
    args = [arg.replace("{corpus}", str(HOSTILE)) for arg in case["args"]]
    cwd = HOSTILE / case["cwd"] if "cwd" in case else None
    env = {**os.environ, **case.get("env", {})}
    result = subprocess.run(
        [sys.executable, "-m", "etown_approvals", *args, "--lang", "zh-CN", "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == case["exit"], result.stderr
    assert "Traceback" not in result.stderr
    path = (cwd or Path.cwd()) / args[1] if len(args) > 1 and args[1] != "-" else HOSTILE
    cells = not path.name.startswith(_EXHAUSTING)
    assert english_words(result.stderr, path, cells=cells) == [], result.stderr
    assert result.stderr.strip() == "" or re.search(r"[\u4e00-\u9fff]", result.stderr)
