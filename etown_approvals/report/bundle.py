"""The scripts and styles the page carries inline: Vega, Vega-Lite and vega-embed
(from vl-convert-python, which ships them), the page's own script and style."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def script() -> str:
    """Vega, Vega-Lite and vega-embed as one script that defines ``vegaEmbed``.

    The bundle is built once per process (it takes a second or two)."""
    import vl_convert

    text: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]
    # Inside <script>, only "</script" could end the element early.
    return text.replace("</script", "<\\/script")


def style() -> str:
    return files(__package__).joinpath("style.css").read_text(encoding="utf-8")


def page_script() -> str:
    return files(__package__).joinpath("page.js").read_text(encoding="utf-8")
