"""Approval stages: their process order, the names they go by, and the headline metric.

The built-in :data:`ETOWN` stage set describes Beijing E-Town's four approval
steps. Other permit systems bring their own :class:`StageSet` (see
:mod:`etown_approvals.config`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .errors import ConfigError

_SEPARATORS = re.compile(r"[\s_\-]+")
# Wide files name stage columns "Land Acquisition Date", "施工许可日期", ...
_DATE_SUFFIX = re.compile(r"(?:\s+(?:date|dt|day)|日期|时间)$")


def normalize_name(name: str) -> str:
    """Fold a column header or event name for case- and space-insensitive matching."""
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    return _SEPARATORS.sub(" ", folded)


def strip_date_suffix(normalized: str) -> str:
    """A column name without a trailing date word (``_date``, ``日期``)."""
    return _DATE_SUFFIX.sub("", normalized).strip()


PROJECT_COLUMN_ALIASES = ("project", "project_name", "project name", "项目", "项目名称")
EVENT_COLUMN_ALIASES = ("event", "stage", "milestone", "事项", "审批事项", "环节", "event_name")
DATE_COLUMN_ALIASES = ("date", "event_date", "日期", "办结日期", "办理日期")


@dataclass(frozen=True)
class StageSet:
    """An ordered set of stages, the names that mean each one, and the headline metric.

    ``stages`` is in process order. ``aliases`` maps each stage to the event
    names (long files) or column headers (wide files) that mean it; matching is
    case- and space-insensitive. The stage's own name matches too, except in a
    configured set whose stage lists names: then only those names apply (a
    file column that happens to be called like the stage is not taken for it).
    ``start`` and ``end`` name the stages the headline duration runs between.
    """

    stages: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    start: str = ""
    end: str = ""
    project_column: str | None = None
    event_column: str | None = None
    date_column: str | None = None
    #: Came from a configuration file (errors then name its keys).
    configured: bool = False
    #: What command-line options set (``project``, ``event``, ``date``, ``stages``):
    #: errors about those name the option, not a configuration key.
    from_options: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if len(self.stages) < 2:
            raise ConfigError("at least two stages are needed to measure a duration")
        if len(set(self.stages)) != len(self.stages):
            raise ConfigError("stage names must be unique")
        start = self.start or self.stages[0]
        end = self.end or self.stages[-1]
        for key, value in (("start", start), ("end", end)):
            if value not in self.stages:
                raise ConfigError(
                    f"metric {key} {value!r} is not a stage (stages: {', '.join(self.stages)})"
                )
        if self.stages.index(start) >= self.stages.index(end):
            raise ConfigError(f"metric start {start!r} must come before end {end!r}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Normalized name -> stage, for every stage name and alias."""
        table: dict[str, str] = {}
        for stage in self.stages:
            names = self.aliases.get(stage, ())
            for name in names if self.configured and names else (stage, *names):
                table.setdefault(normalize_name(name), stage)
        return table

    def stage_of_event(self, name: str) -> str | None:
        """The stage an event name means (None: not a stage)."""
        return self.lookup.get(normalize_name(name))

    def stage_of_header(self, header: str) -> str | None:
        """The stage a wide file's column header stands for, if any."""
        return self.stage_of_folded(normalize_name(header))

    def stage_of_folded(self, normalized: str) -> str | None:
        """:meth:`stage_of_header` of a header already folded by :func:`normalize_name`."""
        lookup = self.lookup
        return lookup.get(normalized) or lookup.get(strip_date_suffix(normalized))

    @property
    def intermediate(self) -> tuple[str, ...]:
        """Stages strictly between the metric's start and end."""
        return self.stages[self.stages.index(self.start) + 1 : self.stages.index(self.end)]

    def with_metric(self, start: str | None, end: str | None) -> StageSet:
        """The same stages measured between other start and end stages."""
        return StageSet(
            stages=self.stages,
            aliases=self.aliases,
            start=start or self.start,
            end=end or self.end,
            project_column=self.project_column,
            event_column=self.event_column,
            date_column=self.date_column,
            configured=self.configured,
            from_options=self.from_options,
        )


def _names(*names: str) -> tuple[str, ...]:
    return names


ETOWN = StageSet(
    stages=("land_acquisition", "project_approval", "planning_permit", "construction_permit"),
    aliases={
        "land_acquisition": _names(
            "land acquisition",
            "land",
            "拿地",
            "摘牌",
            "土地出让",
            "土地出让合同",
            "国有建设用地使用权出让合同",
            "土地成交确认书",
            "不动产权证书",
        ),
        "project_approval": _names(
            "project approval",
            "project filing",
            "approval",
            "立项",
            "核准",
            "备案",
            "项目备案",
            "项目核准",
            "项目审批",
        ),
        "planning_permit": _names(
            "planning permit",
            "planning",
            "规划许可",
            "建设用地规划许可证",
            "建设工程规划许可证",
        ),
        "construction_permit": _names(
            "construction permit",
            "construction readiness letter",
            "施工许可",
            "施工许可证",
            "建筑工程施工许可证",
        ),
    },
)
"""Beijing E-Town's approval stages, with English and Chinese names."""


def find_column(
    headers: Sequence[str],
    wanted: str | None,
    aliases: Iterable[str],
    *,
    folded: Sequence[str] | None = None,
) -> int | None:
    """Index of the header that is ``wanted`` (if given) or one of ``aliases``.

    ``folded``: the headers already folded by :func:`normalize_name` (a caller that
    looks for several columns folds a file's many headers once).
    """
    if folded is None:
        folded = [normalize_name(h) for h in headers]
    first: dict[str, int] = {}
    for position, name in enumerate(folded):
        first.setdefault(name, position)
    names = [wanted] if wanted else list(aliases)
    for name in names:
        found = first.get(normalize_name(name))
        if found is not None:
            return found
    return None
