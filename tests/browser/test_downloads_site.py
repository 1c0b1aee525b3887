"""What a reader takes away from the built site: downloads/ links, the clean notebooks, licences.

- Every link into downloads/ on every page answers 200 with the right kind of file; the PDF
  (made by ``make pdf`` after the HTML build) only when it is in the built site, unless
  KLTOOLS_REQUIRE_PDF=1. Seen to fail with the wheel deleted from the built site.
- Each chapter's download button (.ipynb) serves the clean notebook, the same bytes as in the zip,
  with no MyST role or directive left. Seen to fail with the committed notebook put back in
  _sources/ (as a build without the downloads extension serves it: 110 glue roles, citations).
- The zip holds every chapter, the wheel requirements.txt names, README.txt and LICENSE; the
  wheel holds LICENSE and py.typed.
- Every page's footer states the licences.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.request
import zipfile

import pytest

from conftest import CHAPTERS, PAGES, SITE

REQUIRE_PDF = os.environ.get("KLTOOLS_REQUIRE_PDF") == "1"
LICENCE_FOOTER = "Text licensed CC BY 4.0; code (kltools) MIT"
MYST_LEFT = re.compile(r"\{(glue|prf:|exercise|solution|cite)|\{[\w:.+-]+\}`|^(`{3,}|:{3,})\{", re.MULTILINE)
MAGIC = {".zip": b"PK\x03\x04", ".whl": b"PK\x03\x04", ".pdf": b"%PDF-"}


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def _links_and_footers(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    links, footers = {}, {}
    for path in PAGES:
        page.goto(f"{site_url}/{path}", wait_until="load")
        for href in page.eval_on_selector_all("a[href*='downloads/']", "els => els.map(e => e.href)"):
            links.setdefault(href, path)
        footers[path] = " ".join(page.eval_on_selector_all("footer", "els => els.map(e => e.innerText)"))
    context.close()
    return links, footers


@pytest.fixture(scope="module")
def site_downloads(browser, site_url):
    return _links_and_footers(browser, site_url)


def test_every_downloads_link_answers(site_downloads, site_url):
    links, _ = site_downloads
    names = {href.rsplit("/", 1)[-1] for href in links}
    # The contract's three files are linked from the site (the intro and the kltools page).
    assert {"kltools-book.zip", "kltools-book.pdf"} <= names and any(name.endswith(".whl") for name in names)
    for href, page in sorted(links.items()):
        assert href.startswith(f"{site_url}/downloads/"), (page, href)
        name = href.rsplit("/", 1)[-1]
        if name.endswith(".pdf") and not (SITE / "downloads" / name).is_file() and not REQUIRE_PDF:
            continue  # made by `make pdf`, after the HTML build
        status, body = fetch(href)
        assert status == 200, (page, href, status)
        assert body.startswith(MAGIC[os.path.splitext(name)[1]]), (page, href, body[:8])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_download_button_serves_the_clean_notebook(browser, site_url, chapter):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/book/{chapter}.html", wait_until="load")
    hrefs = page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.href)")
    context.close()
    assert hrefs == [f"{site_url}/_sources/book/{chapter}.ipynb"]
    status, body = fetch(hrefs[0])
    assert status == 200
    notebook = json.loads(body)
    markdown = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert MYST_LEFT.findall(markdown) == []
    assert any(cell["cell_type"] == "code" and cell["outputs"] for cell in notebook["cells"])
    with zipfile.ZipFile(SITE / "downloads" / "kltools-book.zip") as bundle:
        assert bundle.read(f"kltools-book/{chapter}.ipynb") == body


def test_bundle_and_wheel_contents():
    with zipfile.ZipFile(SITE / "downloads" / "kltools-book.zip") as bundle:
        names = set(bundle.namelist())
        requirements = bundle.read("kltools-book/requirements.txt").decode().split()
    wheel = requirements[-1].removeprefix("./")
    assert names == {f"kltools-book/{name}" for name in
                     [f"{chapter}.ipynb" for chapter in CHAPTERS] + ["LICENSE", "README.txt", "requirements.txt", wheel]}
    assert (SITE / "downloads" / wheel).is_file()
    with zipfile.ZipFile(io.BytesIO((SITE / "downloads" / wheel).read_bytes())) as archive:
        wheel_files = archive.namelist()
    assert "kltools/py.typed" in wheel_files
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_files)


def test_every_page_states_the_licences(site_downloads):
    _, footers = site_downloads
    assert {path: LICENCE_FOOTER in text for path, text in footers.items()} == {path: True for path in PAGES}


# What a reader sees as a number: "Theorem 3.1", "Exercise 3.4", "Fig. 3.2" (the notebooks say
# "Figure 3.2"); a number of chapter 3 is "3.<count>".
KIND = r"(Theorem|Lemma|Definition|Corollary|Proposition|Exercise|Fig\.|Figure)"
NUMBER = r"(\d+(?:\.\d+)*)"
# In reading order, as in _toc.yml (CHAPTERS is sorted by name).
CHAPTERS_IN_ORDER = [path.removeprefix("book/").removesuffix(".html") for path in PAGES
                     if path.removeprefix("book/").removesuffix(".html") in CHAPTERS]


def _markdown(chapter: str) -> str:
    notebook = json.loads((SITE / "_sources" / "book" / f"{chapter}.ipynb").read_text())
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")


def _page(chapter: str) -> str:
    return (SITE / "book" / f"{chapter}.html").read_text()


def _same_kind(kind: str) -> str:
    return "Figure" if kind == "Fig." else kind


def notebook_numbers(chapter: str) -> dict[str, str]:
    """Label -> "Kind N.M" of each labelled theorem, exercise and figure of the clean notebook."""
    return {label: f"{kind} {number}" for label, kind, number in re.findall(
        rf'<a id="([\w-]+)"></a>\n\**{KIND} {NUMBER}', _markdown(chapter))}


def site_numbers(chapter: str, labels) -> dict[str, str | None]:
    """Label -> "Kind N.M" the site's page shows in the caption of the element with that id."""
    page = _page(chapter)
    found = {}
    for label in labels:
        element = re.search(rf'id="{re.escape(label)}".*?<span class="caption-number">\s*{KIND} {NUMBER}',
                            page, re.DOTALL)
        found[label] = f"{_same_kind(element[1])} {element[2]}" if element else None
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_download_numbers_theorems_exercises_and_figures_as_the_site(chapter):
    """Each labelled theorem, exercise and figure of the clean notebook carries the number the
    site's page shows for the same label, and both number per chapter: the chapter's page title
    reads "N. <title>" (N its place among the chapters) and each kind runs N.1, N.2, ... down the
    page. Every cross-reference to a theorem, exercise or figure, on the page and in the notebook,
    shows its target's number. tests/test_pdf.py compares the PDF with the same notebooks.
    Seen to fail when the converter counted per chapter and the site through the book (the
    notebook's Theorem 1 was the site's Theorem 4), and on the build before _toc.yml numbered the
    chapters: no chapter number in the title, cross-entropy's exercises were 6 to 10."""
    in_notebook = notebook_numbers(chapter)
    assert in_notebook, f"{chapter}: no numbered label found in the clean notebook"
    assert site_numbers(chapter, in_notebook) == in_notebook

    page = _page(chapter)
    title = re.search(r'<h1><span class="section-number">(\d+)\. </span>', page)
    assert title, f"{chapter}: the page title has no chapter number"
    assert int(title[1]) == CHAPTERS_IN_ORDER.index(chapter) + 1
    captions: dict[str, list[str]] = {}
    for kind, number in re.findall(rf'<span class="caption-number">\s*{KIND} {NUMBER}', page):
        captions.setdefault(_same_kind(kind), []).append(number)
    for kind, numbers in captions.items():
        assert numbers == [f"{title[1]}.{count}" for count in range(1, len(numbers) + 1)], (kind, numbers)

    targets = {label: number for name in CHAPTERS for label, number in notebook_numbers(name).items()}
    link = r'<a class="reference internal" href="(?:[\w-]+\.html)?#([\w-]+)"[^>]*>(?:<span[^>]*>)?\s*'
    shown = [(label, f"{_same_kind(kind)} {number}")
             for label, kind, number in re.findall(rf"{link}{KIND} {NUMBER}", page)]
    shown += [(label, f"{kind} {number}") for kind, number, label in re.findall(
        rf"\[{KIND} {NUMBER}\]\((?:[\w-]+\.ipynb)?#([\w-]+)\)", _markdown(chapter))]
    assert shown, f"{chapter}: no cross-reference to a numbered element found"
    assert [(label, targets.get(label)) for label, _ in shown] == shown
