"""Reading the book on a phone: a visible cue on display equations wider than their column.

At 390 px a long display equation does not fit the text column. The theme already lets each
equation (MathJax's ``mjx-container``) scroll sideways, but nothing shows that it does: the
equation looks cut off. The chapters break long derivations into aligned lines; for what still
does not fit (a single relation, or formulas from kltools' docstrings on the API page) the style
sheet in ``book/_ext/phone/`` adds shadows at the edge where more of the formula is hidden. They
appear only while there is something to scroll to (covers that scroll with the content hide
them otherwise), so equations that fit, including every one on a desktop screen, look as before.

The style sheet lives in its own folder, loaded on every page (the explorers extension loads only
``book/_ext/explorers/``); ``tests/browser/test_phone.py`` checks the result at 390 px.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

FOLDER = Path(__file__).resolve().parent / "phone"


def _register(app: Sphinx) -> None:
    app.config.html_static_path.append(str(FOLDER))
    for path in sorted(FOLDER.glob("*.css")):
        app.add_css_file(path.name)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _register)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
