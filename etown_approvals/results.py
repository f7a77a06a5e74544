"""Step 4: results of each command as plain data, ready for any output format.

A :class:`Result` has a :class:`Kind`, a JSON-ready ``document`` and, where the
result is a list of things, the rows (``frame``, or ``records``) for CSV and
NDJSON. The per-project table and the summary numbers are put together here
with the input's row counts into what a user sees; rendering lives in
:mod:`etown_approvals.formats`, whose formats each declare the kinds they render.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import metrics
from .errors import DataError
from .kinds import Kind
from .options import command_line as options_command_line
from .rawtable import ATTRIBUTE_PREFIX as ATTRIBUTE_PREFIX
from .records import attribute_dicts as attribute_dicts
from .records import flat_columns as flat_columns
from .records import flat_record, frame_records
from .rows import Picked, Rows
from .stages import StageSet

if TYPE_CHECKING:
    import pandas as pd

    from .analysis import Analysis
    from .checks import CheckResult
    from .validation import Validation
else:
    from ._lazy import pandas as pd


class Extras(TypedDict, total=False):
    """What a table needs beyond the JSON document."""

    #: summary: the same-day and fast-track projects listed, and how many there are.
    flagged: list[dict[str, Any]]
    flagged_total: int
    #: A command that lists everything a table leaves out, with the options that matter.
    more_command: str
    #: projects, timeline: the stage set, for column order.
    stages: StageSet
    #: timeline: the date open projects are drawn up to.
    as_of: date
    #: projects, timeline: the unit durations are in (``calendar_days`` or ``workdays``).
    unit: str
    #: projects: how many projects the limit left out.
    left_out: int
    #: timeline: how many projects have a start date (and could be drawn).
    total: int


# ``from`` is a Python keyword, so this one is declared functionally.
MetricDocument = TypedDict(
    "MetricDocument",
    {
        "from": str,
        "to": str,
        "unit": str,
        "calendar": NotRequired[str],
        "unofficial_years": NotRequired[list[int]],
    },
)


class RowsDocument(TypedDict):
    """``read = used + rejected + filtered + ignored + after_as_of``; blank rows and the
    notes after the table are apart (not read)."""

    read: int
    used: int
    rejected: int
    filtered: int
    ignored: int
    after_as_of: int
    blank: int
    notes: int


class HeaderDocument(TypedDict):
    """The keys every JSON document of a measuring command starts with."""

    schema_version: int
    source: str
    metric: MetricDocument
    rows: RowsDocument
    window: NotRequired[dict[str, str | None]]


#: Bumped when a key is removed or changes meaning (adding keys does not bump it).
SCHEMA_VERSION = 3


@dataclass
class Result:
    """What a command produced, ready for any output format."""

    kind: Kind
    #: The JSON document as made: its long lists may be :class:`Rows` kept as
    #: columns (the JSON writer's fast path); :attr:`document` is it made plain.
    #: None when the result is the list of ``frame``'s rows.
    content: Any
    #: One dict per item for CSV/NDJSON output; None when the result is not a list.
    records: Sequence[dict[str, Any]] | None = None
    #: What a table needs beyond the document.
    extras: Extras = field(default_factory=lambda: Extras())
    #: A long list kept as columns, so that JSON, NDJSON and CSV are written in bulk
    #: (:attr:`frame` is it).
    bulk: pd.DataFrame | None = None
    #: The file's own columns for each row of ``bulk`` (same order): nested as
    #: ``attributes`` in JSON, columns in CSV and tables (see :func:`flat_columns`).
    attributes: pd.DataFrame | None = None
    #: Where the document holds its list under another key than the kind's, or where
    #: a result has several lists: sheet name -> the list's key in the document
    #: (``xlsx`` writes one sheet per list).
    lists: dict[str, str] = field(default_factory=dict)
    #: Makes ``records`` on first use (a summary's or comparison's rows, flattened).
    make_records: Callable[[], Sequence[dict[str, Any]]] | None = None

    @property
    def document(self) -> Any:
        """The JSON document: dicts, lists, texts, numbers and None (``json.dumps``
        writes it). Lists kept as columns become lists of dicts on first use, and
        then are the result's content (a project list kept as a frame too)."""
        content = self.content
        if isinstance(content, dict) and content.get("projects", 0) is None:
            content = {**content, "projects": list(self.rows() or [])}
        self.content = plain(content)
        return self.content

    def rows(self) -> Sequence[dict[str, Any]] | None:
        """The records (attributes nested), made from ``bulk`` on first use."""
        if self.records is None and self.bulk is not None:
            self.records = frame_records(self.bulk, self.attributes)
        if self.records is None and self.make_records is not None:
            self.records = self.make_records()
        return self.records

    def sheets(self) -> dict[str, Sequence[dict[str, Any]]]:
        """Every list of the result by name (one sheet each in a workbook): the rows
        under the kind's name, or each list the result declares."""
        if not self.lists:
            rows = self.rows()
            return {} if rows is None else {str(self.kind): rows}
        document = self.document
        sheets: dict[str, Sequence[dict[str, Any]]] = {}
        for name, key in self.lists.items():
            if key == ".":  # the document's own numbers, as one row
                sheets[name] = [
                    flat_record({k: v for k, v in document.items() if k not in _SUMMARY_CONTEXT})
                ]
            else:
                sheets[name] = [flat_record(row) for row in document[key]]
        return sheets

    def to_json(self) -> str:
        """The result as the JSON text ``--format json`` prints."""
        from .formats import render_text

        return render_text(self, "json")

    @property
    def frame(self) -> pd.DataFrame | None:
        """The result's rows as a DataFrame (None for a result that is not a list):
        the project list as computed (the file's columns are in :attr:`attributes`),
        other lists one row per record, a group of several columns as one column each."""
        if self.bulk is not None:
            return self.bulk
        cached = self.__dict__.get("_frame")
        if cached is None:
            rows = self.rows()
            if rows is None:
                return None
            cached = pd.DataFrame([_group_columns(row) for row in rows])
            self.__dict__["_frame"] = cached
        return cached

    def __repr__(self) -> str:
        """A line naming the result: its kind, input and size (never the whole data)."""
        document = self.content if isinstance(self.content, dict) else {}
        rows = self.bulk if self.bulk is not None else self.records
        size = "" if rows is None else f", rows={len(rows):,}"
        return f"Result(kind={str(self.kind)!r}, source={document.get('source')!r}{size})"

    def _repr_html_(self) -> str:
        """The result as HTML tables in a notebook: each of its lists (its first
        :data:`HTML_ROWS` rows and how many there are)."""
        import html

        heading = f"<p><b>etown {html.escape(str(self.kind))}</b>"
        source = self.content.get("source") if isinstance(self.content, dict) else None
        if source:
            heading += f": {html.escape(str(source))}"
        parts = [heading + "</p>"]
        if self.bulk is not None:  # a long list: only the rows shown are made
            attributes = None if self.attributes is None else self.attributes.head(HTML_ROWS)
            tables = {"": (flat_columns(self.bulk.head(HTML_ROWS), attributes), len(self.bulk))}
        else:
            tables = {
                name: (pd.DataFrame([_group_columns(r) for r in rows[:HTML_ROWS]]), len(rows))
                for name, rows in self.sheets().items()
            }
        for name, (frame, count) in tables.items():
            if len(tables) > 1:
                parts.append(f"<p>{html.escape(name)}</p>")
            parts.append(frame.to_html(index=False, na_rep="", escape=True))
            if count > HTML_ROWS:
                parts.append(f"<p>{HTML_ROWS:,} of {count:,} rows</p>")
        return "\n".join(parts)


#: Rows a notebook shows of each list.
HTML_ROWS = 20


def _group_columns(row: dict[str, Any]) -> dict[str, Any]:
    """A record with a group of several columns as one key each, flags as text."""
    group = row.get("group")
    if isinstance(group, dict):
        row = {**group, **{k: v for k, v in row.items() if k != "group"}}
    return row


def metric_block(analysis: Analysis) -> MetricDocument:
    """The ``metric`` block of a document: from, to and unit (and calendar)."""
    stages, options = analysis.stages, analysis.options
    block: MetricDocument = {"from": stages.start, "to": stages.end, "unit": options.unit_name}
    if options.unit == "workdays":
        block["calendar"] = options.calendar.upper()
        block["unofficial_years"] = analysis.unofficial_years
    return block


def rows_block(analysis: Analysis) -> RowsDocument:
    """The ``rows`` block of a document: how every row read was used."""
    loaded = analysis.loaded
    return {
        "read": loaded.rows_read,
        "used": analysis.rows_used,
        "rejected": loaded.rows_rejected,
        "filtered": loaded.rows_filtered,
        "ignored": loaded.rows_ignored,
        "after_as_of": analysis.rows_after_as_of,
        "blank": loaded.rows_blank,
        "notes": loaded.rows_notes,
    }


def header(analysis: Analysis) -> HeaderDocument:
    """Keys every JSON document of a measuring command starts with."""
    document: HeaderDocument = {
        "schema_version": SCHEMA_VERSION,
        "source": source_text(analysis.source),
        "metric": metric_block(analysis),
        "rows": rows_block(analysis),
    }
    selection = analysis.selection
    if not selection.is_everything:
        document["window"] = {"since": _iso(selection.since), "until": _iso(selection.until)}
    return document


def source_text(name: str) -> str:
    """A file name as valid UTF-8 text: bytes a file system allows but UTF-8 does not
    (held as surrogates) are shown as ``\\xff``, so a JSON document stays valid."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def command_line(analysis: Analysis, command: str, *arguments: str) -> str:
    """A runnable ``etown`` command on the same input with the options that matter
    (how to read it: every reading option given, the configuration, the columns and
    rules; for commands that measure, what to measure and which projects), for hints
    in tables and messages."""
    measures = command not in ("validate",)
    options = analysis.command_options(metric=measures, selection=measures)
    return options_command_line(command, analysis.inputs_path, [*options, *arguments])


#: How many same-day and fast-track projects the summary table lists.
FLAGGED_SHOWN = 20


def summary(
    analysis: Analysis,
    *,
    group_by: GroupBy = None,
    survival: bool = False,
    percentiles: Sequence[float] = (),
) -> Result:
    """The ``etown summary`` result; with ``group_by``, a ``groups`` list too; with a
    target in the options, a ``target`` block counting the complete projects that met it;
    with ``survival``, the Kaplan-Meier estimate counting open projects."""
    projects, options = analysis.projects, analysis.options
    document: dict[str, Any] = {
        **header(analysis),
        **metrics.summarize(projects, options=options, percentiles=percentiles),
    }
    if survival:
        from .survival import survival as estimate

        document["survival"] = estimate(projects, analysis.stages, options)
    if options.target_workdays is not None:
        document["target"] = metrics.target(
            projects, analysis.stages, options.target_workdays, options
        )
        document["target"]["unofficial_years"] = analysis.unofficial_years
    columns = _columns(group_by)
    if columns:
        document.update(_group_by_value(group_by))
        keys = _group_keys(analysis, group_by)
        assert keys is not None
        grouped = metrics.grouping(keys, len(projects))
        summaries = metrics.summarize_groups(
            projects, grouped, options=options, percentiles=percentiles
        )
        document["groups"] = _grouped_rows(
            summaries.with_first("group", Picked(np.arange(grouped.size), grouped.labels)),
            group_by,
        )
    # The first fast-track projects, by position (not a copy of every flagged row).
    flagged = np.flatnonzero(projects["fast_track"].to_numpy(dtype=bool))
    result = Result(
        kind=Kind.SUMMARY,
        content=document,
        lists={"summary": ".", **({"groups": "groups"} if columns else {})},
        extras={
            "flagged": project_records(projects.iloc[flagged[:FLAGGED_SHOWN]], analysis.stages),
            "flagged_total": int(flagged.size),
            "more_command": command_line(analysis, "projects", "--flag", "fast_track"),
        },
    )
    result.make_records = lambda: _summary_rows(result.document)
    return result


#: Keys of a summary that are not numbers of its projects (they are in every row's file).
_SUMMARY_CONTEXT = ("schema_version", "source", "metric", "rows", "window", "group_by", "groups")


def _summary_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A summary as rows: one per group when grouped, else one; nested numbers as
    ``projects_total``, ``days_median`` ... (the lists of names stay in the JSON)."""
    if "groups" in document:
        return [flat_record(group) for group in document["groups"]]
    return [flat_record({k: v for k, v in document.items() if k not in _SUMMARY_CONTEXT})]


GroupBy = str | Sequence[str] | None


def plain(document: Any) -> Any:
    """``document`` with each :class:`Rows` in it (a value of a dict, at any depth
    of dicts) as a list of dicts; the same object when it has none."""
    if not isinstance(document, dict):
        return document
    changed = {}
    for key, value in document.items():
        if isinstance(value, Rows):
            changed[key] = value.dicts()
        elif isinstance(value, dict):
            inner = plain(value)
            if inner is not value:
                changed[key] = inner
    return {**document, **changed} if changed else document


def _columns(group_by: GroupBy) -> list[str]:
    if group_by is None:
        return []
    return [group_by] if isinstance(group_by, str) else list(group_by)


def _group_by_value(group_by: GroupBy) -> dict[str, Any]:
    """``group_by`` in a document: the column's name, or the list of several."""
    columns = _columns(group_by)
    if not columns:
        return {}
    return {"group_by": columns[0] if len(columns) == 1 else columns}


def _grouped_rows(rows: Rows, group_by: GroupBy) -> Rows:
    """Rows grouped by one column carry the group's value itself; by several, an object
    keyed by column."""
    columns = _columns(group_by)
    if len(columns) != 1:
        return rows
    column = columns[0]
    return rows.with_picked_mapped("group", lambda label: label[column])


def _group_keys(analysis: Analysis, group_by: GroupBy) -> pd.DataFrame | None:
    columns = _columns(group_by)
    if not columns:
        return None
    return pd.DataFrame({column: analysis.group_keys(column) for column in columns})


def stages(
    analysis: Analysis,
    *,
    group_by: GroupBy = None,
    pairs: str = "consecutive",
    percentiles: Sequence[float] = (),
) -> Result:
    """The ``etown stages`` result: days between consecutive stages (or every ordered
    pair of stages with ``pairs="all"``)."""
    rows = metrics.stage_transitions(
        analysis.projects,
        analysis.stages,
        analysis.options,
        pairs=pairs,
        group_keys=_group_keys(analysis, group_by),
        percentiles=percentiles,
    )
    rows = _grouped_rows(rows, group_by)
    document = {
        **header(analysis),
        "pairs": pairs,
        **_group_by_value(group_by),
        "transitions": rows,
    }
    return Result(kind=Kind.STAGES, content=document, records=rows)


def trend(
    analysis: Analysis,
    *,
    by: str = "year",
    group_by: GroupBy = None,
    period_of: str | None = None,
    fiscal_year_start: int = 1,
    survival: bool = False,
    percentiles: Sequence[float] = (),
) -> Result:
    """The ``etown trend`` result: one row per period of a stage's date (the start
    stage's unless ``period_of``); fiscal years from ``fiscal_year_start``."""
    stage = period_of or analysis.stages.start
    rows = metrics.trend(
        analysis.projects,
        analysis.stages,
        by=by,
        period_of=stage,
        fiscal_year_start=fiscal_year_start,
        group_keys=_group_keys(analysis, group_by),
        percentiles=percentiles,
        options=analysis.options,
        survival=survival,
    )
    rows = _grouped_rows(rows, group_by)
    undated = int(analysis.projects[stage].isna().sum())
    document = {
        **header(analysis),
        "by": by,
        "period_of": stage,
        "fiscal_year_start": fiscal_year_start,
        "undated_projects": undated,
        **_group_by_value(group_by),
        "periods": rows,
    }
    return Result(kind=Kind.TREND, content=document, records=rows)


def projects(
    analysis: Analysis,
    *,
    status: str | None = None,
    flags: tuple[str, ...] = (),
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> Result:
    """The ``etown projects`` result: one record per project, filtered and sorted.

    ``sort`` is one of :data:`etown_approvals.metrics.SORT_KEYS`: ``start``/``end``
    are the metric's stage dates, ``waiting`` the waiting days of open projects;
    missing values sort last.
    """
    table = analysis.projects
    # Projects picked by position, so that their attributes (on the same rows) are
    # too: looking a thousand names up among a million hashes them all.
    keep = np.ones(len(table), dtype=bool)
    if status:
        keep &= (table["status"] == status).to_numpy(dtype=bool)
    for flag in flags:
        keep &= table[flag].to_numpy(dtype=bool)
    rows = np.flatnonzero(keep)
    if sort:
        order = metrics.sort_order(table.iloc[rows], analysis.stages, sort, descending=descending)
        rows = rows[order]
    left_out = 0
    if limit is not None:
        left_out = max(0, rows.size - limit)
        rows = rows[:limit]
    picked, attributes = table, analysis.attributes
    if rows.size < len(table) or sort:  # every project in file order needs no copy
        picked, attributes = table.iloc[rows], attributes.iloc[rows]
    return Result(
        kind=Kind.PROJECTS,
        content={**header(analysis), "projects": None},
        bulk=project_frame(picked, analysis.stages),
        attributes=attributes.reset_index(drop=True),
        extras={
            "stages": analysis.stages,
            "unit": analysis.options.unit_name,
            "left_out": left_out,
        },
    )


def timeline(
    analysis: Analysis, *, names: tuple[str, ...] = (), limit: int | None = None
) -> Result:
    """The ``etown timeline`` result: projects with a start date, earliest first (at
    most ``limit``), for drawing; ``shown`` of ``total`` says how many were left out."""
    table = analysis.projects
    if names:
        missing = [n for n in names if n not in table.index]
        if missing:
            raise DataError(f"no project named {missing[0]!r}", source=analysis.source)
        table = table.loc[list(names)]
    table = table[table[analysis.stages.start].notna().to_numpy(dtype=bool)]
    # By start date, ties in file order: a stable numpy sort of the date's integers
    # (pandas' sort_values costs several times more on a million projects).
    starts = table[analysis.stages.start].to_numpy(dtype="datetime64[s]").view(np.int64)
    order = np.argsort(starts, kind="stable")
    total = len(table)
    table = table.iloc[order if limit is None else order[:limit]]
    records = project_records(table, analysis.stages)
    as_of = analysis.options.as_of or date.today()
    document = {
        **header(analysis),
        "as_of": as_of.isoformat(),
        "shown": len(records),
        "total": total,
        "projects": records,
    }
    return Result(
        kind=Kind.TIMELINE,
        content=document,
        records=records,
        extras={
            "stages": analysis.stages,
            "as_of": as_of,
            "unit": analysis.options.unit_name,
            "total": total,
            "more_command": command_line(analysis, "timeline", "--limit", str(max(total, 1))),
        },
    )


def project_columns(stages: StageSet) -> list[str]:
    """Keys of a project record, in order (the file's attributes come after, apart)."""
    gaps = [f"gap_{stage}" for stage in stages.stages[1:]]
    return ["project", *stages.stages, "days", "status", "flags", "waiting_days", *gaps]


def project_frame(projects: pd.DataFrame, stages: StageSet) -> pd.DataFrame:
    """The per-project table as users see it: name, ISO stage dates, days, status,
    flags (tuples), waiting days and the gap before each stage. Built from whole
    columns (pyarrow writes the ISO dates), so a million projects take well under
    a second."""

    def numbers(column: str) -> pd.Series:
        # The table's own column, shared (copy-on-write) instead of copied.
        return projects[column].reset_index(drop=True)

    out: dict[str, Any] = {"project": projects.index.astype(str).array}
    for stage in stages.stages:
        out[stage] = _iso_dates(projects[stage])
    out["days"] = numbers("days")
    out["status"] = _category_text(projects["status"])
    out["flags"] = metrics.flag_names(projects)
    out["waiting_days"] = numbers("waiting_days")
    for stage in stages.stages[1:]:
        out[f"gap_{stage}"] = numbers(f"gap_{stage}")
    return pd.DataFrame(out, columns=project_columns(stages), copy=False)


def _category_text(values: pd.Series) -> Any:
    """A categorical column as text, as ``astype(str)`` gives it: the few categories
    written once and picked per row (``astype`` writes each row's text again)."""
    codes = values.cat.codes.to_numpy()
    names = pa.array([str(c) for c in values.cat.categories], pa.string())
    picked = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), names)
    # The text type astype(str) gives in this pandas (asked of an empty slice).
    return pd.array(picked.dictionary_decode(), dtype=values.iloc[:0].astype(str).dtype)


def _iso_dates(dates: pd.Series) -> Any:
    values = dates.to_numpy(dtype="datetime64[s]")
    days = pa.array(values.astype("datetime64[D]"), mask=np.isnat(values))
    # Each distinct date written once (a million projects share a few thousand days).
    encoded = pc.dictionary_encode(days)
    text = pa.DictionaryArray.from_arrays(encoded.indices, encoded.dictionary.cast(pa.string()))
    return text.dictionary_decode().to_pandas().array


def project_records(projects: pd.DataFrame, stages: StageSet) -> list[dict[str, Any]]:
    """One JSON-ready dict per project (see :func:`project_frame`)."""
    return frame_records(project_frame(projects, stages))


def finding_records(found: pd.DataFrame) -> list[dict[str, Any]]:
    """Findings as JSON-ready dicts (without ``severity``, which the list they are in says)."""
    columns = ["type", "row", "field", "value", "project", "message"]
    frame = found[columns].astype(object).where(found[columns].notna(), None)
    records = frame.to_dict("records")
    for record in records:
        if record["row"] is not None:
            record["row"] = int(record["row"])
    return records


def validation(
    checked: Validation, *, limit: int = 1000, warnings_as_errors: bool = False
) -> Result:
    """The ``etown validate`` result; ``limit`` caps each list, not the counts."""
    errors, warnings = checked.errors, checked.warnings
    valid = checked.valid and not (warnings_as_errors and len(warnings))
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": source_text(checked.source),
        "valid": valid,
        "stats": {
            "rows": checked.rows,
            "projects": checked.projects,
            "errors": len(errors),
            "warnings": len(warnings),
        },
        "errors": finding_records(errors.head(limit)),
        "warnings": finding_records(warnings.head(limit)),
    }
    records = [
        {"severity": severity, **record}
        for severity, frame in (("error", errors), ("warning", warnings))
        for record in finding_records(frame.head(limit))
    ]
    return Result(
        kind=Kind.VALIDATE,
        content=document,
        records=records,
        lists={"errors": "errors", "warnings": "warnings"},
    )


def compare(
    analysis: Analysis,
    *,
    by: Sequence[str] = (),
    split_date: date | None = None,
    split_stage: str | None = None,
    reference: Sequence[str] | None = None,
    horizon: float | None = None,
    survival: bool = False,
) -> Result:
    """The ``etown compare`` result: groups by attribute columns or by a date of a
    stage (before / on or after), each against the reference group (``reference``:
    its value of each column; default a split's ``before`` group, else the largest)."""
    from . import compare as comparing

    if split_date is not None:
        keys = comparing.split_keys(analysis.projects, analysis.stages, split_date, split_stage)
    else:
        keys = _group_keys(analysis, list(by))
        assert keys is not None
    compared = comparing.compare(
        analysis.projects,
        analysis.stages,
        keys,
        analysis.options,
        reference=reference,
        horizon=horizon,
        survival=survival,
    )
    if len(keys.columns) == 1:  # one column: a group is its value, as in other commands
        (column,) = keys.columns
        for row in compared["groups"]:
            row["group"] = row["group"][column]
        for row in compared["comparisons"]:
            row["group"] = row["group"][column]
            row["reference"] = row["reference"][column]
        if compared["reference"] is not None:
            compared["reference"] = compared["reference"][column]
    document = {
        **header(analysis),
        **({"split_date": split_date.isoformat()} if split_date else _group_by_value(list(by))),
        **compared,
    }
    result = Result(
        kind=Kind.COMPARE,
        content=document,
        lists={"groups": "groups", "comparisons": "comparisons"},
    )
    result.make_records = lambda: _compare_rows(result.document)
    return result


def _compare_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A comparison as rows: one per group, its numbers then its comparison with the
    reference (empty for the reference itself), nested estimates as
    ``km_median_difference_estimate`` ...; the curves stay in the JSON."""
    compared = {_key(c["group"]): c for c in document["comparisons"]}
    rows = []
    for group in document["groups"]:
        row = flat_record(group)
        against = compared.get(_key(group["group"]))
        if against is not None:
            pair = flat_record({k: v for k, v in against.items() if k != "group"})
            pair["comparison_note"] = pair.pop("note", None)
            row.update(pair)
        rows.append(row)
    return rows


def _key(group: Any) -> Any:
    return tuple(group.items()) if isinstance(group, dict) else group


def check(
    analysis: Analysis, results: list[CheckResult], summary_document: dict[str, Any]
) -> Result:
    """The ``etown check`` result: each threshold with its measured value."""
    checks = [r.as_dict() for r in results]
    document = {
        "schema_version": SCHEMA_VERSION,
        "source": source_text(analysis.source),
        "passed": all(r.passed for r in results),
        "checks": checks,
        "summary": summary_document,
    }
    return Result(kind=Kind.CHECK, content=document, records=checks)
