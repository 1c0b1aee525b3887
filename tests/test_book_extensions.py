"""The book's local Sphinx extensions (book/_ext), as plain functions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

# As the book build does for its local extensions: they import their shared helper module.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
_spec = importlib.util.spec_from_file_location(
    "unique_scripts", Path(__file__).resolve().parent.parent / "book" / "_ext" / "unique_scripts.py"
)
unique_scripts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unique_scripts)


def test_a_repeated_inline_script_is_kept_once():
    page = (
        "<head>\n"
        '    <script>const THEBE_JS_URL = "x"</script>\n'
        '    <script src="a.js"></script>\n'
        "    <script>var toggle = 1;</script>\n"
        '    <script>const THEBE_JS_URL = "x"</script>\n'
        '    <script src="a.js"></script>\n'
        "    <script>var other = 2;</script>\n"
        "</head>\n"
    )
    corrected = unique_scripts._without_repeats(page)
    assert corrected.count("THEBE_JS_URL") == 1
    assert corrected.count("var toggle") == 1 and corrected.count("var other") == 1
    # Scripts with attributes (files) are Sphinx's business: left as they are.
    assert corrected.count('src="a.js"') == 2
    assert unique_scripts._without_repeats(corrected) == corrected


# The PDF's layout corrections (book/_ext/pdf_layout.py), on small document trees.
_pdf_layout_spec = importlib.util.spec_from_file_location(
    "pdf_layout", Path(__file__).resolve().parent.parent / "book" / "_ext" / "pdf_layout.py"
)
pdf_layout = importlib.util.module_from_spec(_pdf_layout_spec)
_pdf_layout_spec.loader.exec_module(pdf_layout)


def _document(*children: nodes.Node) -> nodes.document:
    document = new_document("test", get_default_settings(Parser))
    document.extend(children)
    return document


def test_a_proof_gets_a_title_and_loses_the_repeated_word():
    proof = nodes.admonition("", nodes.paragraph("", "Proof. Sum only over the outcomes."),
                             classes=["proof", "proof"])
    titled = nodes.admonition("", nodes.title("", "Note"), nodes.paragraph("", "Proof. Kept."),
                              classes=["proof"])
    document = _document(proof, titled)
    pdf_layout._title_proofs(document)
    assert proof[0].astext() == "Proof" and isinstance(proof[0], nodes.title)
    assert proof[1].astext() == "Sum only over the outcomes."
    assert titled.astext() == "Note\n\nProof. Kept."


def _table(rows: list[list[str]]) -> nodes.table:
    tgroup = nodes.tgroup(cols=len(rows[0]))
    tgroup.extend(nodes.colspec(colwidth=100 // len(rows[0])) for _ in rows[0])
    tgroup += nodes.tbody("", *(nodes.row("", *(nodes.entry("", nodes.paragraph("", text))
                                                for text in row)) for row in rows))
    return nodes.table("", tgroup, classes=["colwidths-auto"])


def test_only_long_tables_get_column_widths_from_their_text():
    row = ["kl: multivariate_normal ‖ multivariate_normal", "dimension 1..8, " * 12, "2.5e-08"]
    long_table, short_table = _table([row] * 31), _table([row] * 3)
    pdf_layout._widen_long_tables(_document(long_table, short_table))
    assert "colwidths-given" in long_table["classes"]
    assert "colwidths-auto" not in long_table["classes"]
    widths = [colspec["colwidth"] for colspec in long_table.findall(nodes.colspec)]
    # The line is shared out; the wordy column gets most of it; each column keeps room for its
    # widest word (the number, the long name) and the column's padding.
    assert pdf_layout.LINE_WIDTH - len(widths) < sum(widths) <= pdf_layout.LINE_WIDTH
    assert widths[1] == max(widths)
    assert widths[0] >= pdf_layout.COLUMN_PADDING + pdf_layout._word_width("multivariate_normal")
    assert widths[2] >= pdf_layout.COLUMN_PADDING + pdf_layout._word_width("2.5e-08")
    # Set in the smaller type of book/_latex/pdflayout.sty.
    assert [node.astext() for node in long_table.parent.findall(nodes.raw)] == [
        r"\begin{pdflayoutlongtable}", r"\end{pdflayoutlongtable}"]
    assert short_table["classes"] == ["colwidths-auto"]


def test_column_widths_take_the_fewest_lines():
    # A wordy column beside short ones: an even split of the line would wrap it into many lines.
    rows = [["kl: norm", "scale 1e-300..1e300, scale ratio 1e-20..1e20, " * 3, "3.9e-16", "none"]] * 40
    widths = pdf_layout.column_weights(rows)

    def lines(widths):
        return sum(max(pdf_layout._line_count([pdf_layout._word_width(word) for word in text.split()],
                                              width - pdf_layout.COLUMN_PADDING)
                       for text, width in zip(row, widths)) for row in rows)

    even = [pdf_layout.LINE_WIDTH // len(widths)] * len(widths)
    assert lines(widths) < lines(even)
    assert lines(widths) == len(rows) * 2  # 150 characters: two lines of the wide column


def test_docstring_references_stay_in_place_and_the_bibliography_keeps_its_own():
    docstring_reference = nodes.citation("", nodes.label("", "1"),
                                         nodes.paragraph("", "C. E. Shannon, 1948."), ids=["r1a"])
    bibliography_entry = nodes.citation("", nodes.label("", "CT06"),
                                        nodes.paragraph("", "Cover and Thomas."), ids=["id5"])
    text = nodes.paragraph("", "As shown in ",
                           nodes.citation_reference("", "1", refname="r1a", ids=["id1"]),
                           nodes.Text("."))
    # numpydoc's LaTeX-only line that cites every entry of a References section.
    citing_all = nodes.paragraph("", "", nodes.citation_reference("", "1", refname="r1a"))
    document = _document(text, docstring_reference, citing_all, bibliography_entry)
    pdf_layout._keep_docstring_citations_in_place(document)
    assert [type(child) for child in document.children] == [
        nodes.paragraph, nodes.paragraph, nodes.citation]
    assert document[0].astext() == "As shown in [1]."
    assert document[1].astext() == "[1] C. E. Shannon, 1948."
    assert document[2] is bibliography_entry


def test_links_to_the_sites_downloads_become_text_in_the_pdf():
    download = nodes.reference("", "kltools-book.zip", refuri="../downloads/kltools-book.zip",
                               classes=["site-download"])
    elsewhere = nodes.reference("", "joschu.net", refuri="http://joschu.net/blog/kl-approx.html")
    document = _document(nodes.paragraph("", "", nodes.Text("Take "), download, nodes.Text(" or "),
                                         elsewhere))
    pdf_layout._unlink_site_downloads(document)
    assert document.astext() == "Take kltools-book.zip or joschu.net"
    assert [reference["refuri"] for reference in document.findall(nodes.reference)] == [
        "http://joschu.net/blog/kl-approx.html"]
