"""Checks of the PDF that ``make pdf`` builds (``_build/latex/kltools-book.pdf``).

The expectations come from the book's sources, not from the PDF: the figures stored in the
executed notebooks and written in the Markdown pages, the chapter titles (each page's first
heading, in the order of ``_toc.yml``), the glued numbers of the prose, formatted as the text
asks for, and the numbers of theorems, exercises and figures in the clean notebooks
(book/_tools/clean_notebook.py, which tests/browser/test_downloads_site.py holds equal to the
website's). The LaTeX log must hold no undefined reference or citation, nor a character missing from
its font, and the text no ``??`` (what LaTeX prints for an unresolved reference) and no ``{glue``
(a glued value left as source).

``make test-pdf`` builds the PDF and runs these checks; ``make test-module`` leaves this file out,
since it runs before any PDF is built. ``KLTOOLS_PDF`` names another build's PDF (for example
one built with ``--path-output DIR``: ``KLTOOLS_PDF=DIR/_build/latex/kltools-book.pdf``); its
LaTeX log is read beside it. Without the PDF or poppler's ``pdftotext``/``pdfimages`` the tests
skip and say why, unless ``KLTOOLS_REQUIRE_PDF=1`` (CI sets it), which makes that a failure.

Each check was seen to fail on a planted defect: a PDF with a figure's page removed (figure
count), a copy of the log with a planted ``Reference `x' on page 3 undefined`` line and one with a
``Citation`` line and one with a ``Missing character`` line, a chapter title changed in a notebook, a glued value formatted differently.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from html import unescape
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PDF = Path(os.environ.get("KLTOOLS_PDF", ROOT / "_build" / "latex" / "kltools-book.pdf"))
SITE_COPY = ROOT / "_build" / "html" / "downloads" / "kltools-book.pdf"
REQUIRE_PDF = os.environ.get("KLTOOLS_REQUIRE_PDF") == "1"
# 193 pages when written; far outside this range the build lost or duplicated whole parts.
PAGE_RANGE = range(100, 400)

IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]+\)|^[`:]{3,}\{(?:figure|image)\}", re.MULTILINE)
FIRST_HEADING = re.compile(r"^# +(.+?)\s*$", re.MULTILINE)
GLUE_TEXT = re.compile(r"\{glue(?::text)?\}`(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<spec>[^`]*))?`")
UNDEFINED = re.compile(
    r"^(?:LaTeX|Package \w+) Warning: (?:Hyper reference|Reference|Citation) .*undefined"
    r"|^LaTeX Warning: There were undefined references",
    re.MULTILINE,
)
# LaTeX logs these (\tracinglostchars=2) and leaves the character out of the PDF.
MISSING_GLYPH = re.compile(r"^Missing character: .*$", re.MULTILINE)


def unavailable(reason: str) -> None:
    if REQUIRE_PDF:
        pytest.fail(f"{reason} (KLTOOLS_REQUIRE_PDF=1 makes this a failure)")
    pytest.skip(reason)


def toc_sources() -> list[Path]:
    """Each page of the book as the build reads it: the executed notebook if there is one."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    sources = []
    chapters = [chapter["file"] for part in toc.get("parts", [toc]) for chapter in part.get("chapters", [])]
    for name in [toc["root"]] + chapters:
        notebook = ROOT / f"{name}.ipynb"
        sources.append(notebook if notebook.is_file() else ROOT / f"{name}.md")
    return sources


def markdown_cells(source: Path) -> list[str]:
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]
    return [source.read_text(encoding="utf-8")]


def page_title(source: Path) -> str:
    for text in markdown_cells(source):
        if match := FIRST_HEADING.search(text):
            return match.group(1)
    raise AssertionError(f"{source.relative_to(ROOT)} has no top-level heading")


def figure_count(source: Path) -> int:
    """Figures of a page: image outputs stored in a notebook, images written in its Markdown."""
    written = sum(len(MARKDOWN_IMAGE.findall(text)) for text in markdown_cells(source))
    if source.suffix != ".ipynb":
        return written
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    return written + sum(any(mime in output.get("data", {}) for mime in IMAGE_MIME_TYPES)
                         for output in outputs)


def glued_numbers(source: Path) -> list[tuple[str, str]]:
    """(role, text the reader should see) for each {glue:text} role of a notebook's prose."""
    if source.suffix != ".ipynb":
        return []
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    values = {}
    for output in (output for cell in cells for output in cell.get("outputs", [])):
        scrapbook = output.get("metadata", {}).get("scrapbook")
        if scrapbook:
            values[scrapbook["name"]] = output["data"][scrapbook["mime_prefix"] + "text/plain"]
    expected = []
    for text in markdown_cells(source):
        for role in GLUE_TEXT.finditer(text):
            value, spec = values[role["name"]], role["spec"]
            # (a glued string shows without the quotes of its repr)
            expected.append((role.group(0), format(glued_value(value, spec or ""), spec or "")))
    return expected


def glued_value(text: str, spec: str):
    """The Python value a glue output's text/plain shows, as myst-nb formats it with `spec`."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = float(text)  # e.g. "np.float64(0.5)" is not a literal
    if isinstance(value, str) or not spec:
        return value if isinstance(value, str) else text
    return float(value) if spec[-1] in "eEfFgG%" else value


def undefined_references(log: str) -> list[str]:
    """The LaTeX log's lines saying a reference or citation is undefined."""
    return UNDEFINED.findall(log)


def missing_glyphs(log: str) -> list[str]:
    """The LaTeX log's lines saying a font has no glyph for a character (it is left out)."""
    return MISSING_GLYPH.findall(log)


def normalized(text: str) -> str:
    """PDF text with runs of white space as one space and TeX's typographic minus as '-'."""
    return " ".join(text.replace("\u2212", "-").split())


@pytest.fixture(scope="module")
def pdf() -> Path:
    for tool in ("pdftotext", "pdfimages", "pdfinfo"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not found: install poppler-utils with TeX, as the README says")
    if not PDF.is_file():
        unavailable(f"no PDF at {PDF}: run `make pdf` (it needs TeX, see the README)")
    return PDF


@pytest.fixture(scope="module")
def pdf_lines(pdf: Path) -> str:
    """The PDF's text as pdftotext lays it out: a line per line, pages split by form feeds."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf_text(pdf_lines: str) -> str:
    return normalized(pdf_lines)


def test_pdf_is_newer_than_every_page(pdf: Path):
    stale = [str(source.relative_to(ROOT)) for source in toc_sources()
             if source.stat().st_mtime > pdf.stat().st_mtime]
    assert not stale, f"{pdf} is older than {stale}: run `make pdf`"


def test_page_count_is_sane(pdf: Path):
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert pages in PAGE_RANGE, f"{pages} pages, outside {PAGE_RANGE}"


def test_every_figure_of_the_book_is_in_the_pdf(pdf: Path):
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                             text=True).stdout.splitlines()[2:]
    # Each figure is one "image" row; its transparency is a separate "smask" row.
    images = sum(row.split()[2] == "image" for row in listing)
    expected = {str(source.relative_to(ROOT)): figure_count(source) for source in toc_sources()}
    assert images == sum(expected.values()), (
        f"the PDF holds {images} images, the book has {sum(expected.values())} figures: "
        f"{ {page: count for page, count in expected.items() if count} }")


def test_no_undefined_reference_or_citation(pdf: Path, pdf_text: str):
    log = pdf.with_suffix(".log")
    assert log.is_file(), f"no LaTeX log beside the PDF ({log})"
    undefined = undefined_references(log.read_text(encoding="utf-8", errors="replace"))
    assert not undefined, f"{log}: {undefined[:5]}"
    assert "??" not in pdf_text, f"'??' (an unresolved reference) at: {pdf_text[pdf_text.index('??') - 80:][:160]!r}"


def test_no_character_is_missing_from_the_fonts(pdf: Path):
    log = pdf.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    missing = missing_glyphs(log)
    assert not missing, f"characters left out of the PDF: {sorted(set(missing))[:5]}"


def chapter_opened(title: str, pdf_text: str) -> bool:
    """Whether the body typesets the chapter: it opens with "CHAPTER <NUMBER> <TITLE>" in capitals
    ("APPENDIX <LETTER> <TITLE>" for the pages after the numbered chapters)."""
    return re.search(r"(?:CHAPTER|APPENDIX) [A-Z]+ " + re.escape(title.upper()) + r"(?![A-Z])",
                     pdf_text) is not None


def test_each_chapter_title_is_in_the_pdf(pdf_text: str):
    """Every page after the root opens a chapter of the PDF's body. Not just "the title is in the
    text": the table of contents and the intro's own list name every chapter in the first pages,
    so a chapter whose body is missing would still pass that."""
    root, *chapters = [normalized(page_title(source)) for source in toc_sources()]
    assert root in pdf_text, f"the book's first page, {root!r}, is not in the PDF"
    missing = [title for title in chapters if not chapter_opened(title, pdf_text)]
    assert not missing, f"chapters not opened in the PDF's body: {missing}"
    # (chapter one: "Entropy" is no other chapter's title with words after it, as "Cross-entropy"
    # is of chapter four's, "Cross-entropy as a loss")
    planted = pdf_text.replace("CHAPTER ONE", "")
    assert not all(chapter_opened(title, planted) for title in chapters), \
        "a removed chapter opener is not seen"


def test_glued_numbers_are_rendered(pdf_text: str):
    assert "{glue" not in pdf_text, "a glue role is left as source text in the PDF"
    missing = [(str(source.relative_to(ROOT)), role, text) for source in toc_sources()
               for role, text in glued_numbers(source) if normalized(text) not in pdf_text]
    assert not missing, f"glued numbers not found in the PDF text: {missing[:5]}"


def test_the_site_serves_this_pdf(pdf: Path):
    if not SITE_COPY.parent.parent.is_dir() or PDF != ROOT / "_build" / "latex" / pdf.name:
        pytest.skip("no website built beside this PDF")
    assert SITE_COPY.is_file(), f"{SITE_COPY} missing: `make pdf` copies it when _build/html exists"
    assert SITE_COPY.read_bytes() == pdf.read_bytes(), f"{SITE_COPY} is not the PDF just built"


def test_undefined_references_are_found_in_a_planted_log():
    planted = (
        "Package hyperref Warning: Rerun to get /PageLabels entry.\n"
        "LaTeX Warning: Reference `book/entropy:fig-binary-entropy' on page 3 undefined on input line 12.\n"
        "LaTeX Warning: Citation `cover2006' on page 5 undefined on input line 40.\n"
        "LaTeX Warning: There were undefined references.\n"
    )
    assert len(undefined_references(planted)) == 3
    assert missing_glyphs(planted) == []
    assert missing_glyphs("Missing character: There is no \u225f (U+225F) in font FreeSerif:mapping=tex-text;!\n")
    assert undefined_references("LaTeX Warning: Label(s) may have changed.\n") == []



def test_each_chapters_setup_cell_is_printed(pdf_text: str):
    """The chapters' opening cells are folded away on the website; the PDF cannot fold, and its
    code uses np, kltools and the seeded rng that only those cells define. Seen to fail before
    book/_ext/pdf_layout.py printed them (no chapter's seed line was in the PDF)."""
    missing = []
    for source in toc_sources():
        if source.suffix != ".ipynb":
            continue
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        setup = ["".join(cell["source"]) for cell in cells
                 if "hide-cell" in cell.get("metadata", {}).get("tags", [])]
        seeds = [line for text in setup for line in text.splitlines() if line.startswith("rng = ")]
        missing += [f"{source.name}: {line}" for line in seeds if normalized(line) not in pdf_text]
        uses_rng = any(re.search(r"\brng\.", "".join(cell["source"])) for cell in cells)
        assert seeds or not uses_rng, f"{source.name}: its code draws from rng, not seeded first"
    assert not missing, f"setup cells not printed in the PDF: {missing}"


# ---------------------------------------------------------------------------------------------
# Numbers: the PDF against the clean notebooks (book/_tools/clean_notebook.py), which
# tests/browser/test_downloads_site.py holds equal to the website's numbers.

_spec = importlib.util.spec_from_file_location("clean_notebook", ROOT / "book" / "_tools" / "clean_notebook.py")
clean_notebook = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("clean_notebook", clean_notebook)
_spec.loader.exec_module(clean_notebook)

# fncychap's chapter opener spells the number out ("CHAPTER THREE").
NUMBER_WORDS = ["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN",
                "ELEVEN", "TWELVE", "THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN",
                "EIGHTEEN", "NINETEEN", "TWENTY"]
KINDS = "Theorem|Lemma|Definition|Corollary|Proposition|Exercise"
NUMBER = r"\d+(?:\.\d+)*"
# A heading of the clean notebooks ("**Theorem 3.1** (Gibbs' inequality)", "*Figure 3.1. ...")
# with the anchor of its label, and one of the PDF ("Theorem 3.1 (Gibbs' inequality)" or
# "Exercise 3.1" on a line of its own, "Fig. 3.1: ..."): not a mention in running text.
NOTEBOOK_HEADING = re.compile(rf'(?:<a id="(?P<label>[\w-]+)"></a>\n)?\*{{1,2}}(?P<kind>{KINDS}|Figure) '
                              rf"(?P<number>{NUMBER})(?:\*\*|\. )")
PDF_HEADING = re.compile(rf"^(?P<kind>{KINDS}|Fig\.) (?P<number>{NUMBER})(?= \(|: |\n)", re.MULTILINE)
PDF_SOLUTION = re.compile(rf"^Solution to Exercise (?P<number>{NUMBER})$", re.MULTILINE)
# The lines of a page's header and footer (the chapter, the book's title, the page number), which
# fall between a heading at the foot of a page and its text on the next.
BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
PAGE_FURNITURE = re.compile(rf"^\f?(?:(?:Chapter \d+|Appendix [A-Z])\. .*|{re.escape(BOOK_TITLE)}|\d+)$",
                            re.MULTILINE)


def first_word(text: str) -> str | None:
    """The first word of Latin letters, formulas and markup left out: what follows a heading."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>|\]\([^)]*\)", " ", PAGE_FURNITURE.sub(" ", text))
    word = re.search(r"[A-Za-z]+", text)
    return word[0] if word else None


def notebook_headings() -> dict[str, list[tuple[str, str, str | None]]]:
    """Kind -> (label, number, first word) of each numbered element, in the book's order."""
    chapters = clean_notebook.toc_chapters(ROOT)
    clean = clean_notebook.clean_chapters(chapters, ROOT / "book" / "references.bib",
                                          clean_notebook.toc_chapter_numbers(ROOT))
    headings: dict[str, list[tuple[str, str, str | None]]] = {}
    for notebook in clean.values():
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                for match in NOTEBOOK_HEADING.finditer(cell.source):
                    headings.setdefault(match["kind"], []).append(
                        (match["label"] or "", match["number"], first_word(cell.source[match.end():][:300])))
    return headings


def pdf_headings(pdf_lines: str) -> dict[str, list[tuple[str, str | None]]]:
    """Kind -> (number, first word) of each theorem, exercise and figure heading of the PDF."""
    headings: dict[str, list[tuple[str, str | None]]] = {}
    for match in PDF_HEADING.finditer(pdf_lines):
        kind = "Figure" if match["kind"] == "Fig." else match["kind"]
        headings.setdefault(kind, []).append((match["number"], first_word(pdf_lines[match.end():][:300])))
    return headings


def test_numbers_are_per_chapter_as_on_the_site(pdf_text: str, pdf_lines: str):
    """The PDF numbers as the website and the clean notebooks do: chapters 1 to 7 open as
    "CHAPTER ONE" to "CHAPTER SEVEN" (the library pages, unnumbered on the site, as appendices),
    and each theorem, lemma, exercise and figure, in the book's order, carries its notebook's
    number ("Exercise 3.1" is the first exercise of chapter 3), recognised by the number and the
    first word after it (title, first sentence or caption), so that a count shifted by one fails
    too. Each solution names the number of the exercise before it. Seen to fail on the PDF built
    before the chapters were numbered: the exercises ran 1 to 33 through the book, and the
    library pages opened as chapters EIGHT to TEN."""
    expected = notebook_headings()
    found = pdf_headings(pdf_lines)
    assert {"Theorem", "Lemma", "Exercise", "Figure"} <= set(expected)
    for kind, headings in expected.items():
        wrong = [(label, want, got) for (label, *want), got in zip(headings, found.get(kind, []))
                 if tuple(want) != got]
        assert not wrong and len(found.get(kind, [])) == len(headings), (
            f"{kind}: {len(headings)} in the notebooks, {len(found.get(kind, []))} in the PDF; "
            f"(label, notebook's, PDF's) where they differ: {wrong[:5]}")
    solutions = PDF_SOLUTION.findall(pdf_lines)
    assert solutions == [number for _, number, _ in expected["Exercise"]], solutions
    titles = {name: clean_notebook.chapter_title(clean_notebook.nbformat.read(path, as_version=4))
              for name, path in clean_notebook.toc_chapters(ROOT).items()}
    numbers = clean_notebook.toc_chapter_numbers(ROOT)
    unopened = [title for name, title in titles.items() if name in numbers and not re.search(
        rf"CHAPTER {NUMBER_WORDS[numbers[name] - 1]} {re.escape(normalized(title).upper())}(?![A-Z])",
        pdf_text)]
    assert not unopened, f"chapters not opened with their website's number: {unopened}"
    back_pages = [normalized(page_title(source)) for source in toc_sources()[1:]
                  if source.stem not in numbers]
    assert back_pages and all(re.search(rf"APPENDIX [A-Z] {re.escape(title.upper())}(?![A-Z])", pdf_text)
                              for title in back_pages), f"not opened as appendices: {back_pages}"


# What the PDF looks like to a reader: its pages, as pdftotext reads them.

@pytest.fixture(scope="module")
def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds); index 0 is page 1."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def word_boxes(pdf: Path, page: int) -> list[tuple[str, float]]:
    """(word, height in points) for each word of a page, from pdftotext's bounding boxes."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout
    return [(unescape(word), float(y_max) - float(y_min)) for y_min, y_max, word in re.findall(
        r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>', html)]


def first_words(source: Path, count: int) -> str:
    """The first words of a page's prose, below its heading, as the PDF prints them."""
    text = markdown_cells(source)[0]
    body = text[FIRST_HEADING.search(text).end():].strip().split("\n\n")[0]
    return normalized(re.sub(r"[*`]", "", body)).split(" ", count)[:count]


def test_the_introduction_has_its_title_and_its_own_running_footer(pdf: Path, pdf_pages: list[str]):
    """The introduction (the root page) opens with its heading set as a chapter title, and no page
    of it carries the "CONTENTS" mark. Seen to fail before book/_ext/pdf_layout.py titled it:
    Sphinx drops the root page's heading (it becomes the title page's), so the introduction began
    untitled and the footers of its four pages read "CONTENTS", the mark the table of contents
    leaves."""
    intro = toc_sources()[0]
    title, opening = normalized(page_title(intro)), " ".join(first_words(intro, 6))
    first = next(number for number, text in enumerate(pdf_pages, 1) if opening in normalized(text))
    chapter_one = next(number for number, text in enumerate(pdf_pages, 1)
                       if "CHAPTER ONE" in normalized(text))
    assert first < chapter_one, f"the introduction ({opening!r}) is not before chapter one"
    boxes = word_boxes(pdf, first)
    body_height = sorted(height for _, height in boxes)[len(boxes) // 2]
    large = {word.casefold() for word, height in boxes if height > 1.4 * body_height}
    missing = [word for word in title.split() if word.casefold() not in large]
    assert not missing, (f"page {first} opens the introduction without its title {title!r} "
                         f"as a heading (not in large type: {missing})")
    marked = [number for number in range(first, chapter_one) if "CONTENTS" in pdf_pages[number - 1]]
    assert not marked, f"pages of the introduction with the running mark CONTENTS: {marked}"


# A citation as the text shows it, author-year: "Cover and Thomas, 2006", "Blei et al., 2017".
CITATION = r"[A-Z][^\[\],]*?, \d{4}[a-z]?"
# "[Cover and Thomas, 2006]", "[Bishop, 2006, Murphy, 2022]"; bibliography entries open with one.
PARENTHETICAL_CITATION = re.compile(rf"\[((?:{CITATION})(?:, {CITATION})*)\]")
# "Cover and Thomas [2006]", "Kraskov et al. [2004]".
TEXTUAL_CITATION = re.compile(r"([A-Z][\w'’-]+(?: and [A-Z][\w'’-]+| et al\.)?) \[(\d{4}[a-z]?)\]")


def bracketed_works(text: str) -> set[str]:
    """The works in the text's brackets, as "Author, year"."""
    return {work for group in PARENTHETICAL_CITATION.findall(text)
            for work in re.findall(CITATION, group)}


def cited(text: str) -> set[str]:
    """Every work the text cites, as "Author, year"."""
    return bracketed_works(text) | {f"{names}, {year}"
                                    for names, year in TEXTUAL_CITATION.findall(text)}


def test_citations_find_their_entries_in_the_one_bibliography(pdf_text: str):
    """A reader who sees "[Cover and Thomas, 2006]" or "Cover and Thomas [2006]" finds an entry
    labelled "[Cover and Thomas, 2006]" in the bibliography, which is the References chapter's
    body. Seen to fail before book/_ext/pdf_layout.py relabelled the entries and
    book/_latex/pdflayout.sty set them in that chapter: the entries were labelled [CT06], [Bis06]
    (sphinxcontrib-bibtex's alpha labels, which the text never uses), in a "Bibliography" chapter
    of its own after the one-sentence References chapter."""
    references = normalized(page_title(toc_sources()[-1]))
    opener = re.search(r"(?:CHAPTER|APPENDIX) [A-Z]+ " + re.escape(references.upper()) + r"(?![A-Z])", pdf_text)
    assert opener, f"no chapter {references!r} in the PDF"
    body, bibliography = pdf_text[:opener.start()], pdf_text[opener.end():]
    labels = bracketed_works(bibliography)
    citations = cited(body)
    assert citations, "no author-year citation found in the text"
    missing = sorted(citations - labels)
    assert not missing, f"cited but not a bibliography label: {missing}; labels: {sorted(labels)}"
    assert "Bibliography" not in pdf_text, "a separate Bibliography beside the References chapter"


def accuracy_table() -> list[list[str]]:
    """The cells of the accuracy table of the kltools page, as `make accuracy` wrote them (the page
    includes book/_generated/accuracy.md)."""
    rows = [[cell.strip().replace("\\|", "|").replace("**", "")
             for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            for line in ACCURACY_TABLE.read_text(encoding="utf-8").splitlines()
            if line.startswith("|") and not line.startswith("| ---")]
    header = next(index for index, row in enumerate(rows) if ACCURACY_TABLE_HEADER in row)
    return [row for row in rows[header:] if len(row) == len(rows[header])]


ACCURACY_TABLE_HEADER = "inputs swept (ranges, count)"
ACCURACY_TABLE = ROOT / "book" / "_generated" / "accuracy.md"


def test_the_accuracy_table_fits_three_pages_without_breaking_a_word(pdf_pages: list[str]):
    """The kltools page's accuracy table (66 rows of six columns) takes at most three pages, and
    each word and number of its cells is printed whole, on one line. Seen to fail before
    book/_ext/pdf_layout.py gave its columns widths from their text and book/_latex/pdflayout.sty a
    smaller type: seven pages, with cells broken inside numbers ("1.2e-" / "15..9.5e-4") and words
    ("de-" / "fects", "gum-" / "bel_r") in columns too narrow for them."""
    rows = accuracy_table()
    assert len(rows) > 30, f"the accuracy table has {len(rows)} rows"
    # A long table repeats its header on each page.
    pages = [number for number, text in enumerate(pdf_pages, 1)
             if ACCURACY_TABLE_HEADER in normalized(text)]
    assert 1 <= len(pages) <= 3, f"the accuracy table takes {len(pages)} pages: {pages}"
    text = unicodedata.normalize("NFKC", " ".join(normalized(pdf_pages[number - 1])
                                                  for number in pages)).replace("’", "'")
    broken = sorted({word for row in rows for cell in row for word in cell.split()
                     if len(word) >= 3 and word not in text})
    assert not broken, f"{len(broken)} words of the table not printed whole: {broken[:10]}"


# Sphinx's LaTeX writer: theorems, proofs, exercises and solutions are "note" admonitions.
BOX = re.compile(r"\\begin\{sphinxadmonition\}\{note\}\{(.*?)\}\n(.*?)\\end\{sphinxadmonition\}",
                 re.DOTALL)
TEX_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]"
                      r"|\\begin\{(equation|align|gather|multline)\*?\}.*?\\end\{\1\*?\}", re.DOTALL)
# (Sphinx's list-label set-up names counters, "enumi", and a citation's link and role name its
# target, "cite.book/references:id4": none of them words of the text)
TEX_MARKUP = re.compile(r"\\sphinxsetlistlabels(?:\{[^}]*\})*|\\(?:hyperlink|DUrole)\{[^}]*\}"
                        r"|\\(?:begin|end)\{[^}]*\}(?:\{[^}]*\})?|\\(?:label|ref)\{[^}]*\}"
                        r"|\[\\detokenize\{[^}]*\}\]|\\[A-Za-z@]+\*?")


def prose_words(text: str) -> list[str]:
    """Words of four letters or more, hyphens dropped (so "cross-entropy" and a word hyphenated
    at a line's end compare equal); math, whose letters the PDF prints as math italics, left out."""
    return re.findall(r"[A-Za-z]{4,}", text.replace("-", ""))


def latex_words(latex: str) -> list[str]:
    return prose_words(TEX_MARKUP.sub(" ", TEX_MATH.sub(" ", latex.replace(r"\sphinxhyphen{}", "-"))))


def find_words(stream: list[tuple[str, int]], wanted: list[str], start: int, gap: int) -> int | None:
    """Index in ``stream`` of the last of ``wanted``, found in order from ``start`` with at most
    ``gap`` other words between two of them (pdftotext puts some words of a line with math out
    of order), or None."""
    words = [word for word, _ in stream]
    for first in (index for index in range(start, len(words)) if words[index] == wanted[0]):
        last = first
        for word in wanted[1:]:
            window = words[last + 1:last + 2 + gap]
            if word not in window:
                break
            last += 1 + window.index(word)
        else:
            return last
    return None


def test_boxes_shorter_than_a_page_are_not_split(pdf: Path, pdf_pages: list[str]):
    """A theorem, proof, exercise or solution box starts and ends on the same page when it is short
    (every box without code: at most 80 words and a display or two, a fraction of a page). Found
    in the PDF by its title and first words and, after them, its last words, taken from the LaTeX
    beside the PDF. Seen to fail before book/_latex/pdflayout.sty kept boxes together: 9 short
    boxes split across pages (Theorem 1, six proofs, Exercises 12 and 16)."""
    stream = [(word, number) for number, text in enumerate(pdf_pages, 1)
              for word in prose_words(unicodedata.normalize("NFKC", text).replace("-\n", ""))]
    latex = pdf.with_suffix(".tex").read_text(encoding="utf-8")
    split, checked, position = [], 0, 0
    for match in BOX.finditer(latex):
        title, body = match.groups()
        if "sphinxVerbatim" in body or "includegraphics" in body:
            continue  # code and figures: a box may be taller than a page
        words = latex_words(body)
        start = find_words(stream, latex_words(title)[:1] + words[:3], position, gap=6)
        assert start is not None, f"box {title!r} ({words[:3]}) not found in the PDF"
        start -= next(index for index, (word, _) in enumerate(reversed(stream[:start + 1]))
                      if word == latex_words(title)[0])
        end = find_words(stream, words[-3:], start, gap=12)
        assert end is not None, f"the end of box {title!r} ({words[-3:]}) not found in the PDF"
        if stream[start][1] != stream[end][1]:
            split.append(f"{title} (pages {stream[start][1]}-{stream[end][1]})")
        checked, position = checked + 1, start + 1
    assert checked > 50, f"only {checked} boxes without code found in {pdf.with_suffix('.tex')}"
    assert not split, f"short boxes split across pages: {split}"


# What Sphinx's LaTeX verbatim prints at the start of the rest of a code line too long for the
# page (\hookrightarrow).
CONTINUATION = "\u21aa"
# Code lines the chapters keep at most this long.
CODE_LINE_LENGTH = 79
# The continuations left where no chapter's code decides the length of a line: kltools' docstring
# examples on the API page, the errors and reprs kltools prints on the kltools page, and those
# pages' own code (18 when written, with every chapter line at most 79 characters).
MAX_CONTINUATIONS = 20


def chapter_pages(pdf_pages: list[str]) -> dict[Path, range]:
    """The pages of each chapter of the PDF's body (the pages after the root), by source."""
    sources = toc_sources()[1:]
    openers = []
    for source in sources:
        title = normalized(page_title(source)).upper()
        opener = re.compile(r"(?:CHAPTER|APPENDIX) [A-Z]+ " + re.escape(title) + r"(?![A-Z])")
        openers.append(next(number for number, text in enumerate(pdf_pages, 1)
                            if opener.search(normalized(text))))
    ends = openers[1:] + [len(pdf_pages) + 1]
    return {source: range(start, end) for source, start, end in zip(sources, openers, ends)}


def long_code_lines(source: Path) -> int:
    """Lines of a notebook's code and printed outputs longer than CODE_LINE_LENGTH."""
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    texts += ["".join(output.get("text") or output.get("data", {}).get("text/plain", ""))
              for cell in cells for output in cell.get("outputs", [])]
    return sum(len(line) > CODE_LINE_LENGTH for text in texts for line in text.splitlines())


def test_code_lines_fit_the_page(pdf_text: str, pdf_pages: list[str]):
    """No code or output line of the chapters is wrapped (a line of 79 characters fits: the PDF
    sets 86 of them on a line of code, 83 of output, 80 of output in a solution's box), and the
    book has at most MAX_CONTINUATIONS wrapped lines in all. Seen to fail on the PDF before the
    chapters' code lines were shortened to at most 79 characters: 533 wrapped lines, 515 of them
    in the chapters, where 685 code and output lines were longer than 79 characters."""
    wrapped = {source.name: sum(pdf_pages[number - 1].count(CONTINUATION) for number in pages)
               for source, pages in chapter_pages(pdf_pages).items() if source.suffix == ".ipynb"}
    long_lines = {source.name: long_code_lines(source) for source in toc_sources()
                  if source.suffix == ".ipynb"}
    assert not any(wrapped.values()), (
        f"wrapped code lines in the chapters: { {name: n for name, n in wrapped.items() if n} }; "
        f"lines longer than {CODE_LINE_LENGTH} characters in their notebooks: "
        f"{ {name: n for name, n in long_lines.items() if n} }")
    total = pdf_text.count(CONTINUATION)
    assert total <= MAX_CONTINUATIONS, f"{total} wrapped code lines in the PDF"
