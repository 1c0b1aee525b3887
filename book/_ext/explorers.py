"""Interactive explorers: small hand-written JavaScript + SVG, no library, no network.

Every ``.js`` and ``.css`` file in ``book/_ext/explorers/`` is copied into the site's ``_static/``
and loaded on every page. Each script looks for its own element,
``<div class="kl-explorer" data-explorer="NAME">``, and does nothing on a page without one, so a
chapter shows an explorer by holding that element (a raw HTML block in a markdown cell). In a
downloaded notebook or plain Jupyter the element is empty and the chapter's static figure beside
it still says what the explorer shows.

The contract every explorer follows (the browser tests in ``tests/browser/test_explorer_NAME.py``
drive it): inputs are ``<input type="range">`` with a visible ``<label>`` and a ``name``; outputs
are ``<output>`` elements with a ``name`` whose text is the number alone; both update on the
``input`` event.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

FOLDER = Path(__file__).resolve().parent / "explorers"


def _register(app: Sphinx) -> None:
    app.config.html_static_path.append(str(FOLDER))
    for path in sorted(FOLDER.glob("*.css")):
        app.add_css_file(path.name)
    for path in sorted(FOLDER.glob("*.js")):
        app.add_js_file(path.name, defer="defer")


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _register)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
