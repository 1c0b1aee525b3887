"""Serve MathJax 3 from the built site itself, so every page typesets math with no network.

MathJax comes from the PyPI package django-static-mathjax (pinned in requirements.txt). It is
copied to ``_mathjax/`` in the build output, not into ``_static/``: Jupyter Book would add every
``.js`` file found there to every page. If the package is missing the build stops with a clear
error; there is deliberately no fallback to a CDN, so a built site never needs the network.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

TARGET = "_mathjax"


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec("mathjax")
    locations = list(spec.submodule_search_locations or []) if spec else []
    es5 = Path(locations[0]) / "static" / "mathjax" / "es5" if locations else None
    if es5 is None or not (es5 / "tex-chtml.js").is_file():
        raise ExtensionError(
            "local MathJax 3 not found: install the pinned 'django-static-mathjax' from "
            "requirements.txt (make book does this). The book does not fall back to a CDN."
        )
    return es5


def _use_local_copy(app: Sphinx, config: Config) -> None:
    _mathjax_source()  # fail at the start of the build, not after executing every notebook
    # Sphinx puts "_static/" in front of a relative mathjax_path; step back out of it.
    config.mathjax_path = f"../{TARGET}/tex-chtml.js"


def _copy_into_site(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        shutil.copytree(_mathjax_source(), Path(app.outdir) / TARGET, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _use_local_copy)
    app.connect("build-finished", _copy_into_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
