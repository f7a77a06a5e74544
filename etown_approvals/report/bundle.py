"""The scripts and styles the page carries inline: Vega, Vega-Lite and vega-embed
(from vl-convert-python, which ships them), the page's own script and style.

vl-convert builds the Vega bundle with a JavaScript engine, which takes two to
five seconds: longer than reading a million projects. The bundle depends only on
the installed vl-convert, so it is built once and kept beside the parse cache
(``ETOWN_CACHE_DIR`` or the user cache folder, see :mod:`etown_approvals.cache`),
named by vl-convert's version and the versions of the libraries inside. The
command line starts reading or building it on a thread before it reads the input
(:func:`prepare`). ``ETOWN_NO_CACHE`` does not apply: it is about the input, and
this file never depends on it. A folder that cannot be written only means the
bundle is built each time.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

_lock = threading.Lock()
_ready: list[str] = []


def bundle_name() -> str:
    """The cache file's name: the versions of vl-convert and of the bundled libraries."""
    import vl_convert

    parts = [
        version("vl-convert-python"),
        vl_convert.get_vega_version(),
        vl_convert.get_vegalite_versions()[-1],
        vl_convert.get_vega_embed_version(),
    ]
    return "vega-bundle-" + "-".join(p.lstrip("v") for p in parts) + ".js"


def _cached_path() -> Path:
    from ..cache import cache_dir

    return cache_dir() / bundle_name()


def _build() -> str:
    import vl_convert

    text: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]
    # Inside <script>, only "</script" could end the element early.
    return text.replace("</script", "<\\/script")


def _load() -> str:
    """The bundle from the cache folder, else built and written there (atomically)."""
    path = _cached_path()
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = path.read_text(encoding="utf-8")
        if "window.vegaEmbed=" in text:  # written whole (renamed into place), so complete
            return text
    text = _build()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return text


def script() -> str:
    """Vega, Vega-Lite and vega-embed as one script that defines ``vegaEmbed`` (read
    from the cache folder, or built once and kept there; once per process)."""
    with _lock:
        if not _ready:
            _ready.append(_load())
        return _ready[0]


def prepare() -> None:
    """Start reading (or building) the bundle on a daemon thread, so that it is ready
    when the page is written; a failure is left for :func:`script` to raise."""

    def load() -> None:
        with contextlib.suppress(BaseException):
            script()

    threading.Thread(target=load, name="etown-vega-bundle", daemon=True).start()


@cache
def style() -> str:
    """The page's stylesheet."""
    return files(__package__).joinpath("style.css").read_text(encoding="utf-8")


@cache
def page_script() -> str:
    """The page's own script."""
    return files(__package__).joinpath("page.js").read_text(encoding="utf-8")
