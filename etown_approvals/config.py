"""Stage configuration files (``--config FILE.toml``) for other permit systems.

::

    [columns]            # optional: the project key (and, for long files, event and date)
    project = "Permit Number"

    [stages]             # in process order: the event names or column headers meaning each
    application = ["Filed Date"]
    construction_permit = ["Issued Date"]
    construction_start = ["First Construction Document Date"]

    [metric]             # the headline duration: from one stage to another
    start = "application"
    end = "construction_permit"

Errors name the key at fault and raise :class:`~etown_approvals.errors.ConfigError`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .filters import rules_from_dict
from .stages import StageSet

# [filter], [outcomes], [ignore] and metric.stage_date are read by filters.rules_from_dict.
_SECTIONS = {"columns", "stages", "metric", "filter", "outcomes", "ignore"}
_COLUMN_KEYS = {"project", "event", "date"}
_METRIC_KEYS = {"start", "end", "stage_date"}


def load_config(path: str | Path) -> StageSet:
    """Read a TOML stage configuration into a :class:`StageSet`."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", source=name) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"malformed TOML: {error}", source=name) from None
    return stage_set_from_dict(data, source=name)


def stage_set_from_dict(data: dict[str, Any], *, source: str = "config") -> StageSet:
    unknown = set(data) - _SECTIONS
    if unknown:
        raise ConfigError(
            f"unknown section [{sorted(unknown)[0]}] "
            "(sections: columns, stages, metric, filter, outcomes, ignore)",
            source=source,
        )
    columns = _table(data, "columns", source)
    for key, value in columns.items():
        if key not in _COLUMN_KEYS:
            raise ConfigError(
                f"unknown key columns.{key} (keys: project, event, date)", source=source
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"columns.{key} must be a column name (a string)", source=source)

    stages = _table(data, "stages", source)
    if len(stages) < 2:
        raise ConfigError("[stages] must list at least two stages, in process order", source=source)
    aliases: dict[str, tuple[str, ...]] = {}
    for stage, names in stages.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(f"stages.{stage} must be a list of names (strings)", source=source)
        aliases[stage] = tuple(names)

    rules_from_dict(data, source=source)  # malformed [filter]/[outcomes]/[ignore]: fail early
    metric = _table(data, "metric", source)
    for key, value in metric.items():
        if key not in _METRIC_KEYS:
            raise ConfigError(
                f"unknown key metric.{key} (keys: start, end, stage_date)", source=source
            )
        if key != "stage_date" and value not in stages:
            raise ConfigError(
                f"metric.{key} = {value!r} is not a stage (stages: {', '.join(stages)})",
                source=source,
            )
    try:
        return StageSet(
            stages=tuple(stages),
            aliases=aliases,
            start=metric.get("start", ""),
            end=metric.get("end", ""),
            project_column=columns.get("project"),
            event_column=columns.get("event"),
            date_column=columns.get("date"),
            configured=True,
        )
    except ConfigError as error:
        raise ConfigError(error.message, source=source) from None


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a table ([{key}])", source=source)
    return value
