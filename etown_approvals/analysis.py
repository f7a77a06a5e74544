"""Step 3: an input read and measured — the starting point of every command.

:func:`analyze` loads a file and builds its per-project table. The resulting
:class:`Analysis` is also the notebook API: ``analyze("data/projects.csv").summary()``
gives the same result as ``etown summary``, and shows itself as a table in Jupyter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from . import calendars, metrics
from .errors import UsageError
from .i18n import gettext
from .loader import LoadResult
from .measuring import measure
from .options import DEFAULT_INPUT, EVERYTHING, InputOptions, Selection, command_line
from .stages import StageSet

if TYPE_CHECKING:
    import pandas as pd

    from .results import Result
else:
    from ._lazy import pandas as pd


@dataclass
class Analysis:
    """An input file read and measured.

    ``projects`` holds only computed columns (stage dates, days, status, flags,
    waiting days); the file's own attribute columns are in ``attributes``, on
    the same index, so a file column called ``status`` or ``days`` can never
    collide with a computed one.
    """

    loaded: LoadResult
    projects: pd.DataFrame
    options: metrics.MetricOptions
    selection: Selection = EVERYTHING
    #: How the input was named and read (for commands suggested in hints).
    inputs_path: str = "-"
    inputs: InputOptions = DEFAULT_INPUT
    #: Years with dates but no official working calendar (workdays only).
    unofficial_years: list[int] = field(default_factory=list)
    #: With ``options.as_of``: the events as known then (see :func:`metrics.snapshot`);
    #: ``projects`` is measured from them.
    snapshot: metrics.Snapshot | None = None

    @property
    def events(self) -> pd.DataFrame:
        """The events measured: the file's, or those known on ``--as-of``."""
        return self.loaded.events if self.snapshot is None else self.snapshot.events

    @property
    def rows_after_as_of(self) -> int:
        """Rows whose every event is dated after ``--as-of`` (0 without it)."""
        return 0 if self.snapshot is None else self.snapshot.rows_after

    @property
    def rows_used(self) -> int:
        """Rows read, less those rejected, filtered, ignored or after ``--as-of``."""
        return self.loaded.rows_used - self.rows_after_as_of

    @property
    def stages(self) -> StageSet:
        """The stage set the input was read with."""
        return self.loaded.stages

    @property
    def source(self) -> str:
        """The input's name as messages show it (``<stdin>`` for standard input)."""
        return self.loaded.source

    @cached_property
    def attributes(self) -> pd.DataFrame:
        """The file's attribute columns, one row per project of ``projects``."""
        return self.loaded.attributes.reindex(self.projects.index)

    def command_options(self, *, metric: bool = True, selection: bool = True) -> list[str]:
        """The command-line options that reproduce how this input was read (and, if
        asked, measured and selected): only those that differ from the defaults."""
        # The stage set read (a configuration's) is the input's: its words come along.
        words = self.inputs.command_words()
        if metric:
            words += self._metric_words()
        if selection:
            words += self._selection_words()
        return words

    def _metric_words(self) -> list[str]:
        options = self.options
        words: list[str] = []
        if options.fast_track_days != metrics.DEFAULT_FAST_TRACK_DAYS:
            words += ["--fast-track-days", str(options.fast_track_days)]
        if options.unit != "calendar":
            words += ["--days", options.unit]
        if options.calendar.upper() != "CN":
            words += ["--calendar", options.calendar]
        if options.as_of is not None:
            words += ["--as-of", options.as_of.isoformat()]
        if options.stage_date != "earliest":
            words += ["--stage-date", options.stage_date]
        return words

    def _selection_words(self) -> list[str]:
        selection = self.selection
        words: list[str] = []
        if selection.since is not None:
            words += ["--since", selection.since.isoformat()]
        if selection.until is not None:
            words += ["--until", selection.until.isoformat()]
        return words

    def check_calendar(self) -> None:
        """Note the years whose working calendar is not official (once)."""
        calendar = self.options.calendar
        years = _years(self.projects, self.stages)
        found = calendars.unofficial_years(calendar, years)
        if found and found != self.unofficial_years:
            listed = ", ".join(str(y) for y in found)
            self.loaded.notes.append(
                gettext("warning")
                + ": "
                + gettext(
                    "no official {calendar} working calendar for {years}: adjusted working "
                    "weekends are unknown there, so workday counts in those years may be off"
                ).format(calendar=calendar.upper(), years=listed)
            )
        self.unofficial_years = found

    def group_keys(self, column: str) -> pd.Series:
        """The value of attribute ``column`` for each project (a usage error if unknown)."""
        if column not in self.loaded.attributes.columns:
            listed = ", ".join(repr(c) for c in self.loaded.attribute_columns) or "none"
            raise UsageError(
                f"no column {column!r} to group by (attribute columns: {listed})",
                source=self.source,
                field=column,
            )
        return self.attributes[column]

    def grouped(self, column: str | None) -> list[tuple[str | None, pd.DataFrame]]:
        """The projects split by an attribute column (one group of all when None)."""
        if column is None:
            return [(None, self.projects)]
        return metrics.groups(self.projects, self.group_keys(column))

    # -- the notebook API: one method per command ------------------------
    def summary(self, *, group_by: str | None = None) -> Result:
        """The ``etown summary`` result: headline numbers, by ``group_by`` too if given."""
        from . import results

        return results.summary(self, group_by=group_by)

    def stage_transitions(self, *, group_by: str | None = None) -> Result:
        """The ``etown stages`` result: days between consecutive stages."""
        from . import results

        return results.stages(self, group_by=group_by)

    def trend(self, *, by: str = "year", group_by: str | None = None) -> Result:
        """The ``etown trend`` result: one row per ``by`` period of the start stage's date."""
        from . import results

        return results.trend(self, by=by, group_by=group_by)

    def project_list(self, **filters: Any) -> Result:
        """The ``etown projects`` result; ``filters`` as :func:`etown_approvals.results.projects`
        takes them."""
        from . import results

        return results.projects(self, **filters)

    def __repr__(self) -> str:
        """A line naming the input and its size (never the data itself)."""
        return (
            f"Analysis(source={self.source!r}, projects={len(self.projects):,}, "
            f"rows_read={self.loaded.rows_read:,}, metric={self.stages.start!r} -> "
            f"{self.stages.end!r})"
        )

    def _repr_html_(self) -> str:
        """The summary as HTML tables in a notebook."""
        return self.summary()._repr_html_()


def analyze(
    path: str | Path,
    inputs: InputOptions = DEFAULT_INPUT,
    options: metrics.MetricOptions = metrics.MetricOptions(),
    *,
    selection: Selection = EVERYTHING,
    stdin: BinaryIO | None = None,
    progress: Callable[[str], None] | None = None,
    keep_raw: bool = True,
) -> Analysis:
    """Load ``path`` and build its per-project table (projects in ``selection`` only).

    ``progress``, if given, is called with a short description of each step.
    ``keep_raw=False`` lets the file's text cells go once the events are read
    (``loaded.rejected_rows()`` then has no cells), which the command line does
    to keep its memory down.
    """
    if options.unit == "workdays" or options.target_workdays is not None:
        calendars.require(options.calendar)
    if progress:
        progress("reading")
    from .cache import load_cached

    arguments = load_arguments(inputs, options)
    loaded = load_cached(path, stdin=stdin, cache=inputs.cache, **arguments)
    see_them = gettext("see them with: {command}").format(
        command=command_line("validate", str(path), inputs.command_words())
    )
    loaded.require_rows(hint=see_them)
    loaded.require_share(options.max_rejected, hint=see_them)
    if not keep_raw:
        loaded.raw = None
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    if progress:
        progress(f"measuring {loaded.rows_used:,} events")
    projects, snapshot = measure(loaded, options, selection)
    analysis = Analysis(
        loaded=loaded,
        projects=projects,
        options=options,
        selection=selection,
        inputs_path=str(path),
        inputs=inputs,
        snapshot=snapshot,
    )
    if options.unit == "workdays" or options.target_workdays is not None:
        analysis.check_calendar()
    return analysis


def load_arguments(inputs: InputOptions, options: metrics.MetricOptions) -> dict[str, Any]:
    """The arguments of :func:`etown_approvals.loader.load` for a file measured with
    ``options``: dates are plausible up to a year after today, or after a later as-of
    date (the measure's, else the configuration's)."""
    as_of = options.as_of if options.as_of is not None else inputs.as_of
    return inputs.load_arguments() | {"as_of": as_of}


def _years(projects: pd.DataFrame, stages: StageSet) -> set[int]:
    years: set[int] = set()
    for stage in stages.stages:
        years.update(int(y) for y in projects[stage].dt.year.dropna().unique())
    return years
