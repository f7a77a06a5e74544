"""Labels the text formats share (tables, timelines, Markdown): stages and statuses
in the user's language; data is shown as it is, made visible."""

from __future__ import annotations

from ..i18n import STAGE_LABELS, STATUS_LABELS, Translator
from ..i18n import stage_label as translated_stage
from ..terminal import visible

__all__ = ["english", "stage_label", "status_label"]


def english(message: str) -> str:
    """The translator of English: each message is its own label."""
    return message


def stage_label(stage: str, _: Translator = english, *, configured: bool = False) -> str:
    """A stage as tables show it: a built-in stage in the user's language, a
    configured one as written (underscores as spaces)."""
    if configured or stage not in STAGE_LABELS:
        return visible(stage.replace("_", " "))
    return visible(translated_stage(stage, _))


def status_label(status: str, _: Translator = english) -> str:
    """A project status in the user's language (another as written)."""
    message = STATUS_LABELS.get(status)
    return _(message) if message else visible(status)
