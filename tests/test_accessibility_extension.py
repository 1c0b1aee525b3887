"""book/_ext/accessibility.py: the corrections it makes to written pages, and the theme templates
it overrides (the browser tests in tests/browser/test_accessibility.py check the built site)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As the book build does for its local extensions: they import their shared helper module.
sys.path.insert(0, str(ROOT / "book" / "_ext"))
_spec = importlib.util.spec_from_file_location("accessibility", ROOT / "book" / "_ext" / "accessibility.py")
accessibility = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(accessibility)

# As docutils 0.21 writes a citation list (references page, numpydoc "References" sections).
CITATIONS = """<div role="list" class="citation-list">
<div class="citation" id="id6" role="doc-biblioentry">
<span class="label"><span class="fn-bracket">[</span>Bis06<span class="fn-bracket">]</span></span>
<p>Christopher M. Bishop. <em>Pattern Recognition and Machine Learning</em>.</p>
</div>
<div class="citation" id="id11" role="doc-biblioentry">
<span class="label"><span class="fn-bracket">[</span>BKM17<span class="fn-bracket">]</span></span>
<p>Blei et al. <a class="reference external" href="https://doi.org/10.1080/01621459.2017.1285773">doi</a>.</p>
</div>
</div>
"""

# As myst-nb 1.4 writes a hidden code cell.
HIDDEN_CELL = """<details class="admonition hide above-input">
<summary aria-label="Toggle hidden content">
<p class="collapsed admonition-title">Show code cell content</p>
<p class="expanded admonition-title">Hide code cell content</p>
</summary>
"""


def test_citations_become_items_of_their_list():
    corrected = accessibility.corrected_page(CITATIONS)
    assert corrected.count('role="listitem"') == 2
    assert "doc-biblioentry" not in corrected
    assert corrected.count('<div role="list" class="citation-list">') == 1


def test_a_hidden_cell_is_named_by_the_text_it_shows():
    corrected = accessibility.corrected_page(HIDDEN_CELL)
    assert "aria-label" not in corrected
    assert "<summary>\n<p class=\"collapsed admonition-title\">Show code cell content</p>" in corrected


def test_correcting_twice_changes_nothing_more_and_other_markup_is_kept():
    page = "<main>" + CITATIONS + HIDDEN_CELL + "<p>role=&quot;doc-biblioentry&quot;</p></main>"
    once = accessibility.corrected_page(page)
    assert accessibility.corrected_page(once) == once
    # Text that quotes the markup (escaped, as in a code block) is not markup.
    assert "<p>role=&quot;doc-biblioentry&quot;</p>" in once


def test_the_overridden_templates_are_the_themes_components():
    import pydata_sphinx_theme

    components = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "components"
    for template in accessibility.TEMPLATES.glob("*.html"):
        assert (components / template.name).is_file(), f"{template.name} overrides no theme component"


def test_the_search_field_is_named_by_what_it_shows():
    field = (accessibility.TEMPLATES / "search-button-field.html").read_text()
    button = field[field.index("<button"):]
    assert "aria-label" not in button.split(">", 1)[0]
    assert "search-button__default-text" in button and "kbd-shortcut" in button


def test_the_colour_mode_icons_are_not_named():
    switcher = (accessibility.TEMPLATES / "theme-switcher.html").read_text()
    icons = [line for line in switcher.splitlines() if line.strip().startswith("<i ")]
    assert len(icons) == 3 and not any("title=" in icon for icon in icons)
    assert 'aria-label="{{ _(\'Color mode\') }}"' in switcher
