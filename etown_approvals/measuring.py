"""The per-project table of a loaded input as every command measures it: the as-of
snapshot, each stage's date by ``--stage-date``, the one status rule, the selection.

Apart from :mod:`etown_approvals.analysis` so that :mod:`etown_approvals.validation`
measures as the commands do without reaching results or output formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import metrics
from .errors import NoUsableRowsError
from .i18n import gettext
from .options import EVERYTHING, Selection

if TYPE_CHECKING:
    import pandas as pd

    from .loader import LoadResult


def measure(
    loaded: LoadResult,
    options: metrics.MetricOptions = metrics.MetricOptions(),
    selection: Selection = EVERYTHING,
) -> tuple[pd.DataFrame, metrics.Snapshot | None]:
    """The per-project table of ``loaded`` as every command measures it, and the
    snapshot it was measured from (None without ``options.as_of``).

    With an as-of date, the events known then (:func:`metrics.snapshot`); each
    stage's date as ``options.stage_date`` says; statuses by the one rule
    (:func:`metrics.status_codes`); the projects in ``selection``. ``etown validate``
    decides its invalid projects here too, so that it can never count them otherwise.
    """
    events, withdrawn, snapshot = loaded.events, loaded.withdrawn, None
    if options.as_of is not None:  # a snapshot: what was known on that date
        snapshot = metrics.snapshot(events, loaded.stages, options.as_of, withdrawn)
        events, withdrawn = snapshot.events, snapshot.withdrawn
        if not len(events):
            # Events without a usable date (implausible ones) have none to name.
            dated = loaded.events["date"].dropna()
            message = (
                gettext(
                    "no event is dated on or before --as-of {date} (the earliest is {earliest})"
                )
                if len(dated)
                else gettext(
                    "no event is dated on or before --as-of {date} (no event has a usable date)"
                )
            )
            raise NoUsableRowsError(
                message.format(
                    date=options.as_of.isoformat(),
                    earliest=f"{dated.min():%Y-%m-%d}" if len(dated) else "",
                ),
                source=loaded.source,
            )
    projects = metrics.project_table(events, loaded.stages, options=options, withdrawn=withdrawn)
    projects = metrics.in_window(projects, loaded.stages, selection.since, selection.until)
    return projects, snapshot
