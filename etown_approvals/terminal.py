"""What reaches a terminal: data made visible, colour by convention, one message style.

Data (project names, group values, file names, cell values in messages) comes from
users' files and can hold anything: rich markup such as ``[/]`` or ``[link=...]``,
ANSI escape sequences that clear the screen, tabs and newlines that break a table's
lines, right-to-left overrides that reverse what follows, zero-width characters that
hide a difference between two names. :func:`visible` turns every such character into
a printable escape (``\\t``, ``\\x1b``, ``\\u202e``), and the table renderers put the
result into :class:`rich.text.Text`, which rich never reads as markup.

This module imports nothing heavy: the CLI uses it for its messages too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

#: Unicode categories shown as escapes: controls (Cc: tab, newline, ESC, DEL, C1),
#: format characters (Cf: zero-width space and joiners, bidi overrides and isolates,
#: soft hyphen, BOM), line and paragraph separators (Zl, Zp), lone surrogates (Cs,
#: from file names that are not valid UTF-8) and private-use characters (Co).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# Every character str.isprintable() rejects, tested one by one: the common case (a
# printable name) costs one C-level scan. Spaces other than " " (no-break space,
# ideographic space) are not printable for Python but are harmless, so they stay.
_SUSPECT = re.compile(r"[^\x20-\x7e]")


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if unicodedata.category(char) not in HIDDEN_CATEGORIES:
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


@lru_cache(maxsize=4096)
def _visible_slow(text: str) -> str:
    return _SUSPECT.sub(lambda match: _escape(match.group()), text)


#: Longest text shown whole: a longer value is cut, saying how long it is, since
#: a table of a 200 MB project name would keep rich busy for hours. JSON, CSV and
#: NDJSON carry every value whole.
LONGEST = 1_000
#: Longest message on stderr (messages quote values from the data).
LONGEST_MESSAGE = 10_000


def visible(text: object, longest: int = LONGEST) -> str:
    """``text`` with every control, format and separator character shown as an escape.

    >>> visible("tab\\there \\x1b[2J \\u202eevil")
    'tab\\\\there \\\\x1b[2J \\\\u202eevil'

    Backslashes are left alone (Windows paths stay readable), so a name that
    contains a literal backslash-t looks like one that contains a tab; the JSON
    output tells them apart. Rich markup is not touched here: put the result into
    a :class:`rich.text.Text` (never a markup string) or :func:`rich.markup.escape` it.
    """
    value = text if isinstance(text, str) else str(text)
    if len(value) > longest:
        value = f"{value[:longest]}... ({len(value):,} characters in all)"
    if value.isprintable():
        return value
    return _visible_slow(value)


def color_enabled(env: Mapping[str, str], is_terminal: bool) -> bool:
    """Whether to colour output, by the conventions users set in their environment.

    - ``NO_COLOR`` set to a non-empty value disables colour (https://no-color.org);
      set but empty, it means nothing.
    - ``FORCE_COLOR`` set to a non-empty value enables colour even when output is
      not a terminal (CI logs render it); ``NO_COLOR`` wins over it.
    - ``TERM=dumb`` disables colour on a terminal.
    - Otherwise colour exactly when the output is a terminal.
    """
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    return is_terminal


Level = Literal["error", "warning", "note"]


def message(text: str, *, level: Level | None = None, source: str | None = None) -> str:
    """One stderr line in etown's one style: ``etown: [LEVEL: ][SOURCE: ]TEXT``.

    ``source`` (a file name, any bytes a user's file system allows) is made
    visible; so is ``text``, which holds values from the data.
    """
    from .i18n import LEVEL_WORDS, gettext

    parts = ["etown"]
    if level is not None:
        parts.append(gettext(LEVEL_WORDS.get(level, level)))
    if source is not None:
        parts.append(visible(source))
    parts.append(visible(text, LONGEST_MESSAGE))
    return ": ".join(parts)
