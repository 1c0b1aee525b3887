"""Keyboard and screen-reader fixes to the theme's pages, checked by axe-core in the browser tests.

tests/browser/test_accessibility.py runs axe-core on every page the build writes (light and dark
mode, desktop and phone width) and tabs through every page. What it found in the themes' and
extensions' markup is corrected here, where it is made, rather than hidden from the checker:

- templates ``accessibility/templates/``, put in front of the themes' own: the search field's
  name now includes the shortcut it shows, and the colour mode icons are no longer named images
  that contradict the button's name (both label-content-name-mismatch);
- ``accessibility/static/accessibility.css``: a focus ring on the article header's buttons
  ("Toggle primary sidebar", "Download this page" had none) and on the buttons that open a
  solution (sphinx-togglebutton removed their outline), and colours that keep 4.5:1
  contrast (links inside tinted admonitions, search-term highlights in dark mode, the proof
  index's letter rows in dark mode, outline buttons of the explorers in dark mode);
- ``accessibility/static/accessibility.js``: a display formula wider than its column (it scrolls
  sideways on a phone) becomes a tab stop, so the keyboard can scroll it (axe:
  scrollable-region-focusable); other formulas stay out of the tab order. The colour mode
  button's name says the current mode;
- the written pages, corrected when the build has finished (like unique_scripts.py): citation
  lists (docutils) used the deprecated role ``doc-biblioentry`` for their items, which leaves a
  ``role="list"`` without list items (aria-required-children, critical) on the references and API
  pages; DPUB-ARIA 1.1 replaces it with ``listitem``. myst-nb named a hidden cell's summary
  "Toggle hidden content" while it shows "Show code cell content" (label-content-name-mismatch);
  the summary is now named by what it shows.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

from written_pages import rewrite_written_pages

FOLDER = Path(__file__).resolve().parent / "accessibility"
TEMPLATES = FOLDER / "templates"
STATIC = FOLDER / "static"

# (what docutils / myst-nb write, what the page gets instead); see the module docstring.
PAGE_CORRECTIONS = (
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
)


def corrected_page(html: str) -> str:
    for written, corrected in PAGE_CORRECTIONS:
        html = html.replace(written, corrected)
    return html


def _use_own_templates_first(app: Sphinx, config: Config) -> None:
    # The themes append their component folders to templates_path; a folder in front of them
    # overrides a component of the same name.
    config.templates_path.insert(0, str(TEMPLATES))


def _register_static_files(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("accessibility.css")
    app.add_js_file("accessibility.js", defer="defer")


def _correct_written_pages(app: Sphinx, exception: Exception | None) -> None:
    rewrite_written_pages(app, exception, corrected_page)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _use_own_templates_first)
    app.connect("builder-inited", _register_static_files)
    app.connect("build-finished", _correct_written_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
