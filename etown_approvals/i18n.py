"""Labels in the user's language: English (the messages themselves) or Simplified Chinese.

Messages are marked in the code with ``_("...")`` (or ``N_("...")`` where the text
is only listed and translated later) and translated through gettext catalogs in
``etown_approvals/locale/<lang>/LC_MESSAGES/etown.po``, compiled to ``.mo`` files
that are committed next to them, so a plain ``pip install .`` needs no build step.
Babel extracts and compiles them (see the README's "Translations" section); a test
fails when a marked message has no translation or a ``.mo`` is older than its ``.po``.

Only labels are translated: JSON keys, finding types and option values stay English.
The language comes from ``--lang`` or the ``ETOWN_LANG`` environment variable (never
from the system locale, so that scripts reading tables keep getting the same text).
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from .errors import UnknownLanguageError

#: The gettext domain: the catalogs are ``etown.po`` / ``etown.mo``.
DOMAIN = "etown"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Environment variable read when no language is given.
ENV = "ETOWN_LANG"
DEFAULT = "en"

#: Language tag -> gettext catalog folder (None: the messages themselves).
LANGUAGES: dict[str, str | None] = {"en": None, "zh-CN": "zh_CN"}

# Tags users type for the supported languages, folded to lower case with "-".
_ALIASES = {
    "en": "en",
    "c": "en",
    "posix": "en",
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh-hans": "zh-CN",
    "zh-hans-cn": "zh-CN",
    "zh-sg": "zh-CN",
}

Translator = Callable[[str], str]
#: ``ngettext(singular, plural, count)``: the form of a message for ``count``.
PluralTranslator = Callable[[str, str, int], str]


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here (gettext's no-op)."""
    return message


def resolve(lang: str | None = None) -> str:
    """The supported language tag for ``lang``, else ``ETOWN_LANG``, else English.

    Accepts ``zh-CN``, ``zh_CN``, ``zh``, ``zh-Hans``, ``en``, ``en-US`` (any case; an
    encoding suffix such as ``.UTF-8`` is ignored). Anything else raises
    :class:`UnknownLanguageError` naming the supported tags.
    """
    source = "--lang"
    if lang is None or not lang.strip():
        lang, source = os.environ.get(ENV, ""), ENV
    if not lang.strip():
        return DEFAULT
    folded = lang.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    tag = _ALIASES.get(folded)
    if tag is None and folded.startswith("en-"):  # en-US, en-GB: the messages as written
        tag = DEFAULT
    if tag is None:
        supported = ", ".join(LANGUAGES)
        raise UnknownLanguageError(
            f"{source}: unknown language {lang.strip()!r} (supported: {supported})"
        )
    return tag


@cache
def _catalog(tag: str) -> _gettext.NullTranslations:
    folder = LANGUAGES[tag]
    if folder is None:
        return _gettext.NullTranslations()
    # fallback=False: a missing catalog is a packaging bug, not a reason for English.
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[folder])


def translator(lang: str | None = None) -> Translator:
    """A function that translates a message into ``lang`` (see :func:`resolve`).

    >>> translator("zh-CN")("median")
    '中位数'
    """
    return _catalog(resolve(lang)).gettext


#: The language of the messages the library writes (errors, warnings, notes, the
#: findings' messages): English unless :func:`use` chose another. The command line
#: chooses it from ``--lang`` or ``ETOWN_LANG`` before a command runs.
_current = DEFAULT


def use(lang: str | None) -> str:
    """Write the library's messages in ``lang`` from now on (see :func:`resolve`);
    returns the tag chosen."""
    global _current
    _current = resolve(lang)
    return _current


def current() -> str:
    """The language the library's messages are written in."""
    return _current


def gettext(message: str) -> str:
    """``message`` in the current language (:func:`use`)."""
    return _catalog(_current).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` in the current language: every count in a
    message goes through it ("1 row", "2 rows")."""
    return _catalog(_current).ngettext(singular, plural, count)


def plural_translator(lang: str | None = None) -> PluralTranslator:
    """gettext's ``ngettext`` for ``lang``: every count in a message goes through it,
    so that English says "1 project", "2 projects" and Chinese has its one form.

    >>> plural_translator("en")("{count} project", "{count} projects", 1)
    '{count} project'
    """
    return _catalog(resolve(lang)).ngettext


def counted(count: int, singular: str, plural: str, choose: PluralTranslator | None = None) -> str:
    """``singular`` or ``plural`` (messages with ``{count}``) for ``count``, the count
    written with thousands separators; in the current language unless ``choose``
    (another language's ``ngettext``) is given."""
    return (choose or ngettext)(singular, plural, count).format(count=f"{count:,}")


#: The level words of stderr lines (``etown: warning: ...``).
LEVEL_WORDS: dict[str, str] = {
    "error": N_("error"),
    "warning": N_("warning"),
    "note": N_("note"),
    "check failed": N_("check failed"),
    "headline": N_("headline"),
}


# The built-in E-Town stages and how they are called in each language. Stages
# named in a --config file are the user's own words and are shown as written.
STAGE_LABELS: dict[str, str] = {
    "land_acquisition": N_("land acquisition"),
    "project_approval": N_("project approval"),
    "planning_permit": N_("planning permit"),
    "construction_permit": N_("construction permit"),
}


def stage_label(stage: str, _: Translator, *, configured: bool = False) -> str:
    """How ``stage`` is shown: a built-in stage translated, a configured one as named.

    ``configured`` is the stage set's own flag (:attr:`StageSet.configured`): the
    names in a configuration file pass through unchanged, even one that happens
    to be spelled like a built-in stage.
    """
    if configured or stage not in STAGE_LABELS:
        return stage
    return _(STAGE_LABELS[stage])


#: Units of ``metric.unit`` as shown.
UNIT_LABELS: dict[str, str] = {
    "calendar_days": N_("calendar days"),
    "workdays": N_("workdays"),
}

#: Project statuses and flags as shown (the JSON keeps the English codes).
STATUS_LABELS: dict[str, str] = {
    "complete": N_("complete"),
    "open": N_("open"),
    "invalid": N_("invalid"),
    "withdrawn": N_("withdrawn"),
}
#: The counts lines of a summary (table, markdown, report): the first part always, then
#: each other count that is not zero, so that the line adds up: read = used + rejected
#: + filtered + ignored + after the as-of date; blank rows are apart (not read); total
#: = complete + open + invalid + withdrawn.
ROWS_LINE = N_("{read} read, {used} used, {rejected} rejected")
ROW_PARTS: dict[str, str] = {
    "filtered": N_(", {count} filtered out"),
    "ignored": N_(", {count} ignored"),
    "after_as_of": N_(", {count} after the as-of date"),
    "blank": N_("; {count} blank (not read)"),
    "notes": N_("; notes after the table (not read): {count}"),
}
PROJECTS_LINE = N_("{total} total, {complete} complete, {open} open, {invalid} invalid")
PROJECT_PARTS: dict[str, str] = {"withdrawn": N_(", {count} withdrawn")}


def shown_parts(counts: Mapping[str, Any], parts: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(key, message)`` of each part of ``parts`` whose count is not zero, in order."""
    return [(key, message) for key, message in parts.items() if counts.get(key)]


def shown_statuses(groups: Sequence[Mapping[str, Any]]) -> list[str]:
    """The statuses a summary's group table shows: complete and open always, invalid
    and withdrawn where a group has any (so the rows add up to each group's total)."""
    always = ("complete", "open")
    return [
        status
        for status in STATUS_LABELS
        if status in always or any(g["projects"].get(status) for g in groups)
    ]


FLAG_LABELS: dict[str, str] = {
    "same_day": N_("same day"),
    "fast_track": N_("fast track"),
    "out_of_order": N_("out of order"),
    "duplicate_stage": N_("duplicate stage"),
}
