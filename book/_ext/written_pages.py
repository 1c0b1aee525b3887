"""Shared by the local extensions that correct the HTML pages the build has written.

Some markup comes from theme templates or other extensions and cannot be changed where it is made
(unique_scripts.py, accessibility.py). They rewrite each written page once the build is done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sphinx.application import Sphinx


def rewrite_written_pages(app: Sphinx, exception: Exception | None, correct: Callable[[str], str]) -> None:
    """Apply ``correct`` to every HTML page of a successful HTML build; write back only changes."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        corrected = correct(html)
        if corrected != html:
            page.write_text(corrected, encoding="utf-8")
