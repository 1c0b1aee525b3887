"""Reading the book on a phone: formulas that say they scroll, punctuation kept with its formula.

At 390 px a long display equation does not fit the text column. The theme already lets each
equation (MathJax's ``mjx-container``) scroll sideways, but nothing shows that it does: the
equation looks cut off. The chapters break long derivations into aligned lines; for what still
does not fit (a single relation, or formulas from kltools' docstrings on the API page) the style
sheet in ``book/_ext/reading/`` adds shadows at the edge where more of the formula is hidden. They
appear only while there is something to scroll to (covers that scroll with the content hide
them otherwise), so equations that fit, including every one on a desktop screen, look as before.

Punctuation right after an inline formula ("where $q > 0$.") could be set at the start of the
next line, since the browser may break between the formula and the text after it (7 places at
1280 px, 54 at 390 px). The formula and the punctuation that follows it are wrapped in one
``<span class="kl-nowrap">``, which the style sheet keeps on one line.

Figures keep their shape at every width (myst-nb writes a fixed height next to the width that
the theme narrows on a phone); search results quote formulas as text rather than raw TeX
(``reading/kl-search.js``).

Pages load faster on a phone without pydata-sphinx-theme's Font Awesome *script*, 1.5 MB that
replaces each icon by an SVG (about 0.7 s of a 4x-slowed phone's main thread on the KL page):
the theme's style sheet already carries Font Awesome's web font and icon classes, which draw the
same icons. The written pages are corrected once the build has finished, as in
unique_scripts.py.

The bibliography labels its entries as the text cites them ("Cover and Thomas, 2006", not
sphinxcontrib-bibtex's "CT06"), on the website and in the PDF.

The style sheets and scripts live in their own folder, loaded on every page (the explorers
extension loads only ``book/_ext/explorers/``).
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinxcontrib.bibtex.style.template import join, year

from written_pages import rewrite_written_pages

FOLDER = Path(__file__).resolve().parent / "reading"
NO_WRAP_CLASS = "kl-nowrap"
# Closing punctuation a reader expects on the formula's line.
TRAILING_PUNCTUATION = re.compile(r"^[.,;:!?)\]\u2019\u201d]+")
ICON_SCRIPT = re.compile(r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')


class KeepPunctuationWithFormula(SphinxPostTransform):
    """Wrap each inline formula and the punctuation right after it in one unbreakable span."""

    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for formula in list(self.document.findall(nodes.math)):
            parent = formula.parent
            index = parent.index(formula)
            following = parent[index + 1] if index + 1 < len(parent) else None
            if not isinstance(following, nodes.Text):
                continue
            punctuation = TRAILING_PUNCTUATION.match(str(following))
            if punctuation is None:
                continue
            rest = str(following)[punctuation.end():]
            kept = nodes.inline("", "", classes=[NO_WRAP_CLASS])
            parent.replace(formula, kept)
            kept += [formula, nodes.Text(punctuation.group())]
            if rest:
                parent.replace(following, nodes.Text(rest))
            else:
                parent.remove(following)


def _register(app: Sphinx) -> None:
    app.config.html_static_path.append(str(FOLDER))
    for path in sorted(FOLDER.glob("*.css")):
        app.add_css_file(path.name)
    for path in sorted(FOLDER.glob("*.js")):
        app.add_js_file(path.name, defer="defer")


def author_year_labels(document: nodes.document, domain) -> None:
    """Label the bibliography's entries as the text cites them: "Cover and Thomas, 2006".

    sphinxcontrib-bibtex labels entries with its formatting style (alpha: "CT06") and cites
    them with its reference style (author_year: "[Cover and Thomas, 2006]"), so a reader who
    saw "Cover and Thomas, 2006" looked for it among labels such as [CT06]. The label is
    rendered here with the reference style's own author and year templates, in each builder's
    doctree (the env keeps the labels sphinxcontrib-bibtex gave).
    """
    style = getattr(domain, "reference_style", None)
    if not (hasattr(style, "person") and hasattr(style, "author_year_sep")):
        return  # not an author-year reference style: the text cites the labels themselves
    template = join(sep=style.author_year_sep)[style.person.author_or_editor_or_title(full=False),
                                               year]
    entries = {(citation.bibliography_key.docname, citation.citation_id): citation.entry
               for citation in domain.citations}
    for citation in document.findall(nodes.citation):
        entry = entries.get((citation.get("docname"), (citation["ids"] or [None])[0]))
        label = citation.next_node(nodes.label)
        if entry is not None and label is not None:
            text = template.format_data({"entry": entry, "style": style}).render_as("text")
            label.replace_self(nodes.label("", text, support_smartquotes=False))


class LabelEntriesAsCited(SphinxPostTransform):
    """The bibliography's entries carry the labels the text cites them by (all builders)."""

    # After Sphinx turns citation cross-references into citation_reference nodes (priority 5),
    # before the LaTeX builder gathers citations into the bibliography (750).
    default_priority = 100

    def run(self, **kwargs) -> None:
        author_year_labels(self.document, self.env.get_domain("cite"))


def without_icon_script(html: str) -> str:
    return ICON_SCRIPT.sub("", html)


def _drop_icon_script(app: Sphinx, exception: Exception | None) -> None:
    rewrite_written_pages(app, exception, without_icon_script)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _register)
    app.add_post_transform(KeepPunctuationWithFormula)
    app.add_post_transform(LabelEntriesAsCited)
    app.connect("build-finished", _drop_icon_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
