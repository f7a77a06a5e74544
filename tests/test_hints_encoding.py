"""Following the encoding etown suggests for a file that is not UTF-8 keeps every name:
Western European text is named Windows-1252 first (Windows-1250 would turn ``Ørsted``
into ``Řrsted``), Central European text Windows-1250; the group names and numbers
after following the hint are those computed here."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

# -- encodings ---------------------------------------------------------------------------

WESTERN = [
    "Ørsted A/S",
    "“Nordisk” Bygg",  # curly quotes
    "Société Générale",
    "Müller\xa0GmbH",  # a no-break space
    "Åkerblom & Løvstad",
    "Peña y Hijos",
    "Crème Brûlée SARL",
]
#: Danish offshore wind permits: the detector alone names Windows-1250 first for these.
DANISH = ["Ørsted Wind Power A/S", "Vattenfall “Nordsøen”", "Ørsted\xa0A/S", "Hornsea Øst"]
CENTRAL = ["Stavební společnost Říčany", "Zakład Budowlany Łódź", "Příliš žluťoučký kůň"]


def _events(companies: list[str]) -> tuple[str, dict[str, float]]:
    """A long file: project i gets its permit 3 + 7i days after land; by company, the
    median days computed here."""
    lines, days = ["project,event,date,company"], {}
    spans: dict[str, list[int]] = {}
    for i in range(40):
        company = companies[i % len(companies)]
        quoted = '"' + company.replace('"', '""') + '"'
        span = 3 + 7 * i
        lines.append(f"P{i},land acquisition,2023-01-01,{quoted}")
        lines.append(
            f"P{i},construction permit,{(pd.Timestamp('2023-01-01') + pd.Timedelta(days=span)).date()},{quoted}"
        )
        spans.setdefault(company, []).append(span)
    for company, values in spans.items():
        days[company] = float(pd.Series(values).median())
    return "\n".join(lines) + "\n", days


@pytest.mark.parametrize(
    ("companies", "encoding"),
    [(DANISH, "cp1252"), (WESTERN, "cp1252"), (CENTRAL, "cp1250")],
    ids=["danish", "west", "central"],
)
def test_following_the_encoding_hint_keeps_every_name(run, write, companies, encoding):
    text, medians = _events(companies)
    path = write(text.encode(encoding))
    refused = run("summary", path, expect=3)
    found = re.search(r"give it with --encoding (\S+)", refused.stderr)
    assert found, refused.stderr
    assert found.group(1) == encoding
    doc = json.loads(
        run("summary", path, "--encoding", found.group(1), "--group-by", "company", "--json").stdout
    )
    assert {g["group"]: g["days"]["median"] for g in doc["groups"]} == medians
