"""Corrections of the PDF (the LaTeX builder of ``make pdf``); the website is untouched.

The LaTeX side of several of them is ``book/_latex/pdflayout.sty``.

* **The introduction had no title.** Sphinx's LaTeX writer takes the root page's heading for the
  title page and drops it from the text: the introduction began untitled, and the footers of its
  pages said "CONTENTS", the mark the table of contents leaves. It opens with its heading as an
  unnumbered chapter, listed in the contents, whose title is its pages' running mark.
* **Proofs had an empty title bar.** sphinx-proof writes a ``{prf:proof}`` as an admonition with
  no title (its first paragraph starts with "Proof. "), and Sphinx's LaTeX writer then takes that
  paragraph's first token as the box title: every proof box opened with an empty bar. The proof
  gets the title "Proof" and its first paragraph loses the repeated word.
* **Long tables ran off the page, then over seven.** Sphinx sets a table of more than 30 rows as
  a ``longtable`` with ``l`` columns, which never wrap: the accuracy table of the kltools page was
  1239 pt wider than the page, its right half cut off. Wrapping columns as wide as their mean
  cell took seven pages, broke numbers ("1.2e-" / "15") and set "de-" / "fects". Such tables are
  now set in 7 pt type, ragged right and never broken inside a word (pdflayout.sty), in columns
  whose widths make the table take the fewest lines (``column_weights``): three pages.
* **Boxes split across pages.** Theorems, proofs, exercises and solutions are framed boxes that
  break wherever the page ends; a box that fits on a page now starts on the next one instead.
* **The API's references were moved to the end of the book.** The numbered references of the
  docstrings (numpydoc's "References" sections, ``.. [1]``) are docutils citations, and Sphinx's
  LaTeX writer gathers every citation into the bibliography: each function's "References" heading
  was followed by a bare "[1]", and the bibliography opened with a dozen entries numbered [1] and
  [2]. They stay where the docstring puts them, as paragraphs starting "[1]", and the text cites
  them as "[1]"; numpydoc's LaTeX-only line that cites every entry once, to keep them from being
  dropped, goes.
* **The bibliography was a chapter of its own** after the one-sentence References chapter; its
  entries are now the References chapter's body (pdflayout.sty), labelled as the text cites
  them (reading.py does that for the website and the PDF alike).
* **Links to the website's downloads were dead in the PDF.** ``{site-download}`` (downloads.py)
  links a file relative to the page, ``../downloads/kltools-book.zip``, which a PDF read on its
  own cannot open. In the PDF the file's name stays, as text.
* **The library pages were chapters 8 to 10.** The website numbers only the seven chapters of
  _toc.yml's numbered part; kltools, API and references follow unnumbered. LaTeX numbers every
  chapter, so the PDF starts its appendix (A, B, C) at the first page after the numbered part.
"""

from __future__ import annotations

import functools
import math
import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import texescape

DOCSTRING_CITATION_LABEL = re.compile(r"^\d+$")
# The class downloads.py gives its {site-download} links.
SITE_DOWNLOAD_CLASS = "site-download"
PROOF_PREFIX = re.compile(r"^Proof\.\s*")
# Sphinx's LaTeX writer (Table.is_longtable) switches to longtable above this many rows.
LONGTABLE_ROWS = 30
# Long tables are set in \scriptsize (book/_latex/pdflayout.sty): 7 pt type on the 469.75 pt
# text width, 67 em. Widths are counted in half ems.
LINE_WIDTH = 134
# Each column loses 2 \tabcolsep (8 pt there, 1.1 em) to the space either side of its text.
COLUMN_PADDING = 3
# Advance widths of the Times glyphs (FreeSerif, the PDF's font, is a Times clone) in thousandths
# of an em; other characters count as 500.
GLYPH_WIDTHS = {
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (444, 500, 444, 500, 444, 333, 500, 500, 278, 278,
                                              500, 278, 778, 500, 500, 500, 500, 333, 389, 278,
                                              500, 500, 722, 500, 500, 444))),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (722, 667, 667, 722, 611, 556, 722, 722, 333, 389,
                                              722, 611, 889, 722, 722, 556, 722, 667, 556, 611,
                                              722, 722, 944, 722, 722, 611))),
    **dict.fromkeys(".,", 250), **dict.fromkeys(":;|/", 278), **dict.fromkeys("-()'", 333),
    **dict.fromkeys("=+", 564), "%": 833, "\u2026": 1000, "\u2016": 400,
}
SPACE_WIDTH = 250
# Headings are bold and some cells are: words are measured this much wider for a column's
# minimum width, so that the widest word never runs into the next column.
BOLD_FACTOR = 1.1


def _word_width(word: str) -> float:
    """Width of a word in half ems of the table's type."""
    return sum(GLYPH_WIDTHS.get(char, 500) for char in word) / 500


def _line_count(words: list[float], width: float) -> int:
    """Lines of ragged-right text with these word widths in a column of this width."""
    lines, used, space = 1, 0.0, SPACE_WIDTH / 500
    for word in words:
        if used and used + space + word > width:
            lines, used = lines + 1, word
        else:
            used += (space if used else 0.0) + word
    return lines


def column_weights(rows: list[list[str]], line_width: int = LINE_WIDTH) -> list[int]:
    """Widths (in half ems, padding included, adding up to ``line_width``) of a table's columns
    that make its rows, of equal length, take the fewest lines: no line breaks inside a word,
    so each column is at least as wide as its widest word, and the rest of the line goes step by
    step to the column where it saves the most lines per half em."""
    columns = [[[_word_width(word) for word in text.split()] for text in column]
               for column in zip(*rows)]
    widths = [COLUMN_PADDING + math.ceil(BOLD_FACTOR * max((width for cell in column
                                                            for width in cell), default=1))
              for column in columns]
    room = line_width - sum(widths)
    if room <= 0:
        return widths  # wider than the page however it is divided: each word keeps its room

    @functools.cache
    def lines(column: int, width: int) -> tuple[int, ...]:
        return tuple(_line_count(cell, width - COLUMN_PADDING) for cell in columns[column])

    def total(trial: list[int]) -> int:
        return sum(map(max, zip(*(lines(column, width) for column, width in enumerate(trial)))))

    while room > 0:
        current = total(widths)
        best = None  # (lines saved per half em, half ems, column)
        for column in range(len(widths)):
            for extra in range(1, room + 1):
                trial = widths[:column] + [widths[column] + extra] + widths[column + 1:]
                saved = current - total(trial)
                if saved > 0 and (best is None or saved / extra > best[0]):
                    best = (saved / extra, extra, column)
        if best is None:
            break
        widths[best[2]] += best[1]
        room -= best[1]
    # What no column needs goes to each in proportion to its width.
    shares = [room * width // sum(widths) for width in widths]
    return [width + share for width, share in zip(widths, shares)]


def _title_proofs(document: nodes.document) -> None:
    for proof in document.findall(nodes.admonition):
        if "proof" not in proof["classes"] or proof.next_node(nodes.title) is not None:
            continue
        first_paragraph = proof.next_node(nodes.paragraph)
        if first_paragraph is not None:
            first_text = first_paragraph.next_node(nodes.Text)
            if first_text is not None and PROOF_PREFIX.match(first_text):
                first_text.parent.replace(first_text, nodes.Text(PROOF_PREFIX.sub("", first_text)))
        proof.insert(0, nodes.title("", "Proof"))


def _widen_long_tables(document: nodes.document) -> None:
    for table in document.findall(nodes.table):
        if "colwidths-given" in table["classes"]:
            continue
        tgroup = table.next_node(nodes.tgroup)
        colspecs = [child for child in tgroup.children if isinstance(child, nodes.colspec)]
        rows = [[entry.astext() for entry in row.findall(nodes.entry)]
                for row in tgroup.findall(nodes.row)]
        if len(rows) <= LONGTABLE_ROWS or any(len(row) != len(colspecs) for row in rows):
            continue  # short tables are set with wrapping columns already; spans are left alone
        for colspec, weight in zip(colspecs, column_weights(rows)):
            colspec["colwidth"] = weight
        table["classes"] = [name for name in table["classes"] if name != "colwidths-auto"]
        table["classes"].append("colwidths-given")
        _wrap_in_environment(table, "pdflayoutlongtable")


def _wrap_in_environment(node: nodes.Element, environment: str) -> None:
    """Put the node's LaTeX inside an environment of book/_latex/pdflayout.sty."""
    parent = node.parent
    index = parent.index(node)
    parent.insert(index + 1, nodes.raw("", rf"\end{{{environment}}}", format="latex"))
    parent.insert(index, nodes.raw("", rf"\begin{{{environment}}}", format="latex"))


def _keep_boxes_together(document: nodes.document) -> None:
    # Theorems, proofs, exercises and solutions are admonitions; a box inside another one is
    # set in a minipage by Sphinx and cannot break anyway.
    for box in list(document.findall(nodes.Admonition)):
        if not any(isinstance(ancestor, nodes.Admonition) for ancestor in _ancestors(box)):
            _wrap_in_environment(box, "pdflayoutkeep")


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def _title_introduction(document: nodes.document, latex_engine: str) -> None:
    # Sphinx's LaTeX writer takes the root page's heading for the title page and drops it from
    # the text, so the introduction began untitled, and its pages' running footers still said
    # "CONTENTS" (the last mark set, by the table of contents). It becomes an unnumbered
    # chapter, listed in the contents, whose title is the mark of its pages.
    section = document.next_node(nodes.section)
    if section is None or not isinstance(section[0], nodes.title):
        return
    title = texescape.escape(section[0].astext(), latex_engine)
    section.insert(1, nodes.raw(
        "", rf"\chapter*{{{title}}}\phantomsection\addcontentsline{{toc}}{{chapter}}{{{title}}}"
            rf"\markboth{{{title}}}{{{title}}}", format="latex"))


def _keep_docstring_citations_in_place(document: nodes.document) -> None:
    cited_ids = {}
    for citation in list(document.findall(nodes.citation)):
        label = citation.next_node(nodes.label)
        if label is None or not DOCSTRING_CITATION_LABEL.match(label.astext()):
            continue
        body = [child for child in citation.children if not isinstance(child, nodes.label)]
        marker = nodes.Text(f"[{label.astext()}] ")
        if body and isinstance(body[0], nodes.paragraph):
            body[0] = nodes.paragraph("", "", marker, *body[0].children)
        else:
            body.insert(0, nodes.paragraph("", "", marker))
        citation.replace_self(body)
        cited_ids.update(dict.fromkeys(citation["ids"], label.astext()))
    # numpydoc follows each References section with a LaTeX-only line citing every entry
    # ("[1], [2]") so that LaTeX keeps them; with the entries in place that line is noise.
    for paragraph in list(document.findall(nodes.paragraph)):
        if paragraph.children and all(
            (isinstance(child, nodes.citation_reference) and child.get("refname") in cited_ids)
            or (isinstance(child, nodes.Text) and not child.strip(", \n"))
            for child in paragraph.children
        ):
            paragraph.parent.remove(paragraph)
    for reference in list(document.findall(nodes.citation_reference)):
        if reference.get("refname") in cited_ids:
            # An element, not bare text: it keeps the reference's ids (back-links point at them).
            reference.replace_self(nodes.inline("", f"[{cited_ids[reference['refname']]}]"))


def _unlink_site_downloads(document: nodes.document) -> None:
    for reference in list(document.findall(nodes.reference)):
        if SITE_DOWNLOAD_CLASS in reference["classes"]:
            reference.replace_self(nodes.inline("", reference.astext()))


def _show_setup_cells(document: nodes.document) -> None:
    # Each chapter's opening cell (imports, the seeded rng, figure style) is folded away on the
    # website; sphinx-jupyterbook-latex drops folded cells, which left the PDF's code using np,
    # kltools and rng that it never defined. A PDF cannot fold, so it prints the cell.
    for cell in document.findall(nodes.container):
        if "tag_hide-cell" in cell["classes"]:
            cell["classes"].remove("tag_hide-cell")


def _start_appendix_after_numbered_chapters(document: nodes.document, numbered: set[str],
                                             root: str) -> None:
    # The assembled book: each chapter is a start_of_file node, in reading order.
    for chapter in document.findall(addnodes.start_of_file):
        if chapter["docname"] not in numbered and chapter["docname"] != root:
            appendix = nodes.raw("", "\\appendix\n", format="latex")
            chapter.parent.insert(chapter.parent.index(chapter), appendix)
            return


class PdfLayout(SphinxPostTransform):
    # After Sphinx turns citation cross-references into citation_reference nodes (priority 5),
    # before it gathers citations into the bibliography (750).
    default_priority = 100
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        if self.app.project.path2doc(self.document["source"]) == self.config.root_doc:
            _title_introduction(self.document, self.config.latex_engine)
        _title_proofs(self.document)
        _widen_long_tables(self.document)
        _keep_boxes_together(self.document)
        _keep_docstring_citations_in_place(self.document)
        _unlink_site_downloads(self.document)
        _show_setup_cells(self.document)
        # Pages under a numbered toctree have section numbers; the root page has none.
        _start_appendix_after_numbered_chapters(self.document, set(self.env.toc_secnumbers),
                                                self.config.root_doc)


def setup(app: Sphinx) -> dict:
    app.add_post_transform(PdfLayout)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
