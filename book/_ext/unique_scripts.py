"""Emit each inline script of a page once.

sphinx-thebe (loaded by Jupyter Book whether or not thebe is used) and sphinx-togglebutton add
their inline configuration scripts to every page, and the page template ends up writing them
twice: every page declared ``const THEBE_JS_URL`` twice, and the browser threw "Identifier
'THEBE_JS_URL' has already been declared" on every page. The duplicates are not in Sphinx's list
of the page's scripts (which holds each once) but in the rendered page, so the pages are
corrected after they are written: of identical inline ``<script>`` elements (no attributes, same
body) a page keeps the first.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx

from written_pages import rewrite_written_pages

_INLINE_SCRIPT = re.compile(r"[ \t]*<script>(?P<body>.*?)</script>\n?", re.DOTALL)


def _without_repeats(html: str) -> str:
    seen: set[str] = set()

    def keep_first(match: re.Match) -> str:
        body = match.group("body")
        if body in seen:
            return ""
        seen.add(body)
        return match.group(0)

    return _INLINE_SCRIPT.sub(keep_first, html)


def _drop_repeated_inline_scripts(app: Sphinx, exception: Exception | None) -> None:
    rewrite_written_pages(app, exception, _without_repeats)


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", _drop_repeated_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
