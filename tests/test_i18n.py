"""Labels in Chinese: every marked message translated, catalogs compiled, languages resolved."""

from __future__ import annotations

import gettext
import json
import re
import string
from pathlib import Path

import pytest

from etown_approvals import i18n
from etown_approvals.config import load_config
from etown_approvals.errors import ExitCode, UnknownLanguageError
from etown_approvals.stages import ETOWN

from .conftest import ROOT

babel_messages = pytest.importorskip("babel.messages", reason="babel is in the test extra")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.frontend import parse_mapping_cfg  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "etown.po"
MO = PO.with_suffix(".mo")


#: The marks pybabel looks for (README, Translations): gettext's and counted's.
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "counted": (2, 3),
}


def extracted_all() -> set[str | tuple[str, str]]:
    """Every message marked in the code and the report template, as pybabel finds them:
    a text, or a (singular, plural) pair."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message if isinstance(message, str) else tuple(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS
        )
    }


def extracted() -> set[str]:
    """The singular messages marked (a pair counts by its singular)."""
    return {m if isinstance(m, str) else m[0] for m in extracted_all()}


def catalog() -> dict[str, str]:
    """Message -> translation (a pair by its singular, with its one Chinese form)."""
    with open(PO, "rb") as po:
        return {
            (m.id if isinstance(m.id, str) else m.id[0]): (
                m.string if isinstance(m.string, str) else m.string[0]
            )
            for m in read_po(po)
            if m.id and not m.fuzzy
        }


#: A count placeholder, then a plural English word: "{count} rows".
_COUNT_THEN_PLURAL = re.compile(
    r"\{(?:count|rejected|read|failed|shown|total|errors|warnings)\}\s+(?:more\s+)?"
    r"(rows|projects|errors|warnings|groups|events|checks|entries|files|lines|days|notes)\b"
)


def test_counts_go_through_ngettext_never_1_plural():
    """A message with a count before a plural word is only ever the plural of a pair:
    "1 errors", "1 projects without ..." cannot be printed."""
    singles = [m for m in extracted_all() if isinstance(m, str) and _COUNT_THEN_PLURAL.search(m)]
    assert singles == [], f"counts not through ngettext: {singles!r}"
    pairs = [m for m in extracted_all() if isinstance(m, tuple)]
    assert len(pairs) >= 20
    for singular, _plural in pairs:
        said = singular.replace("{count}", "1")
        assert not re.search(r"\b1 (rows|projects|errors|warnings|groups|events|checks)\b", said)
    english = i18n.plural_translator("en")
    assert english("{count} row", "{count} rows", 1) == "{count} row"
    assert english("{count} row", "{count} rows", 2) == "{count} rows"


def test_every_plural_pair_has_its_chinese_form():
    with open(PO, "rb") as po:
        found = {tuple(m.id): m.string for m in read_po(po) if isinstance(m.id, tuple)}
    pairs = {m for m in extracted_all() if isinstance(m, tuple)}
    assert pairs <= set(found)
    assert all(found[pair] and all(found[pair]) for pair in pairs)


def test_messages_are_found():
    messages = extracted()
    # from the report template, the report's Python code and the table labels
    assert {"Headline numbers", "median days", "land acquisition", "Rows"} <= messages


def test_every_marked_message_has_a_translation():
    translations = catalog()
    missing = sorted(m for m in extracted() if not translations.get(m))
    assert missing == [], (
        "messages without a Chinese translation (see README, Translations): " + repr(missing)
    )


def test_catalog_has_no_obsolete_messages():
    obsolete = sorted(set(catalog()) - extracted())
    assert obsolete == [], f"translations of messages no longer in the code: {obsolete!r}"


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_translations_keep_the_placeholders():
    wrong = {k: v for k, v in catalog().items() if _fields(k) != _fields(v)}
    assert wrong == {}


def test_compiled_catalog_matches_its_source():
    with open(MO, "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = {k: v for k, v in catalog().items() if compiled.gettext(k) != v}
    assert stale == {}, "the .mo is older than the .po: run pybabel compile (README)"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("land acquisition", "拿地"),
        ("project approval", "立项"),
        ("planning permit", "规划许可"),
        ("construction permit", "施工许可"),
        ("calendar days", "自然日"),
        ("workdays", "工作日"),
        ("same day", "当天办结"),
        ("median", "中位数"),
    ],
)
def test_the_terms_users_know(english, chinese):
    assert i18n.translator("zh-CN")(english) == chinese


def test_english_is_the_messages_themselves():
    _ = i18n.translator("en")
    assert _("land acquisition") == "land acquisition"
    assert _("a message nobody marked") == "a message nobody marked"


@pytest.mark.parametrize("tag", ["zh-CN", "zh_CN", "zh", "ZH-cn", "zh-Hans", "zh_CN.UTF-8"])
def test_chinese_tags(tag):
    assert i18n.resolve(tag) == "zh-CN"


@pytest.mark.parametrize("tag", ["en", "en-US", "en_GB", "C", "C.UTF-8", "EN"])
def test_english_tags(tag):
    assert i18n.resolve(tag) == "en"


def test_environment_variable(monkeypatch):
    monkeypatch.setenv("ETOWN_LANG", "zh-CN")
    assert i18n.resolve(None) == "zh-CN"
    assert i18n.translator()("median") == "中位数"
    assert i18n.resolve("en") == "en"  # the option wins over the variable
    monkeypatch.setenv("ETOWN_LANG", "")
    assert i18n.resolve(None) == "en"
    monkeypatch.delenv("ETOWN_LANG")
    assert i18n.resolve(None) == "en"


def test_system_locale_is_not_used(monkeypatch):
    monkeypatch.delenv("ETOWN_LANG", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert i18n.resolve(None) == "en"


@pytest.mark.parametrize(("value", "source"), [("fr", "--lang"), ("klingon", "--lang")])
def test_unknown_language_is_a_usage_error(value, source):
    with pytest.raises(UnknownLanguageError) as caught:
        i18n.resolve(value)
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value) == (f"{source}: unknown language {value!r} (supported: en, zh-CN)")


def test_unknown_language_from_the_environment_names_it(monkeypatch):
    monkeypatch.setenv("ETOWN_LANG", "de")
    with pytest.raises(UnknownLanguageError, match=r"^ETOWN_LANG: unknown language 'de'"):
        i18n.resolve(None)


def test_builtin_stage_names_translate():
    _ = i18n.translator("zh-CN")
    labels = [i18n.stage_label(s, _, configured=ETOWN.configured) for s in ETOWN.stages]
    assert labels == ["拿地", "立项", "规划许可", "施工许可"]


def test_configured_stage_names_pass_through():
    stages = load_config(ROOT / "examples" / "sf_building_permits.toml")
    _ = i18n.translator("zh-CN")
    # even "construction_permit", spelled like a built-in stage, is the user's own word here
    assert [i18n.stage_label(s, _, configured=stages.configured) for s in stages.stages] == list(
        stages.stages
    )


def test_catalog_files_are_package_data():
    """pyproject ships the compiled catalog with the package (no build step)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in text
    assert Path(MO).stat().st_size > 0


# -- the command line: every terminal table in Chinese, JSON unchanged ---------------------

SAMPLE = ROOT / "data" / "projects.csv"


def test_summary_table_in_chinese(run):
    result = run("summary", SAMPLE, "--lang", "zh-CN")
    assert "拿地" in result.stdout and "中位数" in result.stdout
    assert "自然日" in result.stdout and "当天办结" in result.stdout
    assert "median" not in result.stdout and "land acquisition" not in result.stdout
    # warnings on stderr are in the same language
    assert result.stderr.startswith("etown: 警告: ") and "行被拒绝" in result.stderr


def test_environment_variable_gives_the_same_table(run):
    by_option = run("summary", SAMPLE, "--lang", "zh-CN")
    by_environment = run("summary", SAMPLE, env={"ETOWN_LANG": "zh-CN"})
    assert by_environment.stdout == by_option.stdout
    # --lang wins over the environment
    english = run("summary", SAMPLE, "--lang", "en", env={"ETOWN_LANG": "zh-CN"})
    assert english.stdout == run("summary", SAMPLE, env={"ETOWN_LANG": ""}).stdout
    assert "median" in english.stdout


@pytest.mark.parametrize(
    ("args", "words", "exit_code"),
    [
        (["summary", "--group-by", "zone"], ["按zone", "中位天数", "项目数"], 0),
        (["projects"], ["个项目", "状态", "已办结", "在办"], 0),
        (["stages"], ["环节间天数", "拿地 -> 立项", "最慢"], 0),
        (["trend"], ["按拿地所在年", "期间"], 0),
        (["timeline"], ["1 拿地", "已办结"], 0),
        # the sample has errors: validate exits 1 in every language
        (["validate"], ["无效", "个错误", "第 "], 1),
        (["check", "--max-median-days", "120"], ["检查：", "指标", "通过"], 0),  # noqa: RUF001
        (["compare", "--group-by", "zone"], ["与", "参照组", "项目数", "至"], 0),
    ],
)
def test_every_table_in_chinese(run, args, words, exit_code):
    command, *options = args
    english = run(command, SAMPLE, *options, expect=exit_code)
    chinese = run(command, SAMPLE, *options, "--lang", "zh-CN", expect=exit_code)
    for word in words:
        assert word in chinese.stdout, (word, chinese.stdout)
    assert chinese.stdout != english.stdout
    # messages on stderr in the same language: the level words and the counts
    for level in ("warning", "error", "note"):
        assert f"etown: {level}:" not in chinese.stderr
    assert bool(chinese.stderr) == bool(english.stderr)


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (["summary", "--group-by", "zone"], 0),
        (["projects"], 0),
        (["stages"], 0),
        (["trend"], 0),
        (["validate"], 1),
        (["check", "--max-median-days", "120"], 0),
        (["compare", "--group-by", "zone"], 0),
    ],
)
def test_json_does_not_change_with_the_language(run, args, exit_code):
    command, *options = args
    english = run(command, SAMPLE, *options, "--json", expect=exit_code)
    chinese = run(command, SAMPLE, *options, "--json", "--lang", "zh-CN", expect=exit_code)
    # Keys, codes, names and numbers stay; only messages for people (a finding's
    # ``message``) are in the language asked for.
    assert _without_messages(json.loads(chinese.stdout)) == _without_messages(
        json.loads(english.stdout)
    )
    assert all(key.isascii() for key in _keys(json.loads(chinese.stdout)))


def _without_messages(document: object) -> object:
    if isinstance(document, dict):
        return {k: _without_messages(v) for k, v in document.items() if k != "message"}
    if isinstance(document, list):
        return [_without_messages(item) for item in document]
    return document


def _keys(document: object) -> list[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(document, dict):
        return [*document, *(k for v in document.values() for k in _keys(v))]
    if isinstance(document, list):
        return [k for item in document for k in _keys(item)]
    return []
