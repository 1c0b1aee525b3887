"""The book on a phone (390 px wide): display equations and figure text.

Equations. Every display equation (MathJax's ``mjx-container[display="true"]``) on every page,
including those inside proofs, exercises and the solutions a reader opens, either fits its column
or sits in a box that scrolls sideways and shows that it does: shadows at the edge where part of
the formula is hidden (book/_ext/reading/kl-reading.css). The check reads the computed style of the
scrolling box: it scrolls sideways (overflow-x auto or scroll) and has the two shadow gradients
fixed to the box plus the two covers that scroll with the formula (background-attachment local),
which hide a shadow when that edge of the formula is in view. An offender is reported with its
page and TeX source. Chapters break long derivations into aligned lines: for them
(BROKEN_INTO_LINES, every chapter) a second check keeps every equation within a short scroll of its column on a
phone and a third finds nothing that scrolls on a desktop screen; the breaks are chosen to read
well at both widths. Seen to fail on the build before this file: every chapter page and the API
page had overflowing equations with no cue (99 at 390 px, 21 even at 1280 px), the Gibbs proof
chain among them; 90 chapter equations were then broken into aligned lines.

Figures. Figure text must be readable at a phone's width: at least 9 CSS px as shown. What the
reader sees is the font size the figure was drawn with, scaled by how wide the page shows the
figure against its natural width. Neither can be read from the PNG, so they are measured where
they are known: ``make notebooks`` runs a probe in the kernel (book/_tools/notebooks.py,
FIGURE_TEXT_PROBE) that records in each figure output's ``image/png`` metadata the size of the
smallest visible text of the drawn figure (every Text artist, tick labels, legends and
annotations included, so a ``fontsize=`` argument in a chapter counts), in CSS px at the figure's
natural width. This test takes the committed notebook's figures in order, checks that the page
shows the same figures (same count, same natural width: the site re-executes the same code), and
scales each by the width the page shows it at 390 px. Subscripts and superscripts of mathtext are
drawn smaller than their text's size, as in the body text; the check is on the text's own size.
Seen to fail: with the chapters' figures before this change (6.4 to 9.6 inches wide, 10 point
text, 8 point legends) and with a planted ``font.size`` of 8.
"""

from __future__ import annotations

import json

import pytest

from conftest import CHAPTERS, OPEN_EVERY_DROPDOWN, PAGES, PHONE_WIDTH, ROOT, wait_for_math

SMALLEST_READABLE_TEXT_PX = 9.0
# A chapter equation may still need a short scroll (one relation that cannot be broken well);
# beyond this, a derivation is hidden and must be broken into lines instead.
LONGEST_CHAPTER_EQUATION = 1.25
# Every chapter breaks its long derivations into aligned lines (the API page's formulas come from
# kltools docstrings and keep only the scroll cue).
BROKEN_INTO_LINES = CHAPTERS
DESKTOP_WIDTH = 1280
SMALLEST_TEXT_KEY = "smallest_text_px"  # as in book/_tools/notebooks.py

MEASURE_EQUATIONS = """() => {
  const cue = box => {
    const style = getComputedStyle(box);
    const attachments = style.backgroundAttachment.split(',').map(a => a.trim());
    const gradients = (style.backgroundImage.match(/gradient\\(/g) || []).length;
    return ['auto', 'scroll'].includes(style.overflowX) && gradients >= 4
      && attachments.filter(a => a === 'local').length >= 2
      && attachments.filter(a => a === 'scroll').length >= 2;
  };
  return [...document.querySelectorAll('mjx-container[display="true"]')].map(container => {
    const items = MathJax.startup.document.getMathItemsWithin(container);
    const formula = container.querySelector('mjx-math').getBoundingClientRect().width;
    // The box that scrolls: the container itself (the theme) or an ancestor.
    let box = container;
    while (box && box.scrollWidth <= box.clientWidth + 1 && box !== document.body) {
      box = box.parentElement;
    }
    const column = container.clientWidth;
    return {
      tex: items.length ? items[0].math.trim() : container.textContent,
      visible: container.checkVisibility(),
      formula, column,
      fits: container.scrollWidth <= container.clientWidth + 1,
      cue: box !== document.body && cue(box),
    };
  });
}"""

MEASURE_FIGURES = """() => [...document.querySelectorAll('main .cell_output img')].map(img => ({
  src: img.getAttribute('src'),
  shown: img.getBoundingClientRect().width,
  natural: img.naturalWidth,
}))"""


def load(browser, site_url, path: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="networkidle")
    wait_for_math(page)
    return context, page


@pytest.fixture(scope="session")
def phone(browser, site_url):
    """Every page at 390 px with its dropdowns open: its display equations and figures."""
    results = {}
    for path in PAGES:
        context, page = load(browser, site_url, path, PHONE_WIDTH)
        still_hidden = page.evaluate(OPEN_EVERY_DROPDOWN)
        results[path] = dict(still_hidden=still_hidden, equations=page.evaluate(MEASURE_EQUATIONS),
                             figures=page.evaluate(MEASURE_FIGURES))
        context.close()
    return results


def describe(path: str, equation: dict) -> str:
    tex = " ".join(equation["tex"].split())
    return (f"{path}: {equation['formula']:.0f} px in a {equation['column']} px column: "
            f"{tex[:160]}")


@pytest.mark.parametrize("path", PAGES)
def test_every_display_equation_fits_or_shows_that_it_scrolls(phone, path):
    report = phone[path]
    assert report["still_hidden"] == 0, f"{path}: dropdowns left closed, their equations unmeasured"
    hidden = [describe(path, e) for e in report["equations"] if not e["visible"]]
    assert hidden == [], "equations not shown even with every dropdown open"
    offenders = [describe(path, e) for e in report["equations"] if not e["fits"] and not e["cue"]]
    assert offenders == [], "wider than the column with no visible scroll cue:\n" + "\n".join(offenders)


@pytest.mark.parametrize("chapter", BROKEN_INTO_LINES)
def test_chapter_derivations_are_broken_into_lines_that_fit(phone, chapter):
    path = f"book/{chapter}.html"
    too_wide = [describe(path, e) for e in phone[path]["equations"]
                if e["formula"] > LONGEST_CHAPTER_EQUATION * e["column"]]
    assert too_wide == [], (
        f"more than {LONGEST_CHAPTER_EQUATION:g} times the column at {PHONE_WIDTH} px; break it "
        "into aligned lines:\n" + "\n".join(too_wide))


def test_gibbs_proof_chain_fits_on_a_phone(phone):
    """The issue's example: the chain of the Gibbs proof showed 46% and ended at "<= lo"."""
    chain = [e for e in phone["book/kl-divergence.html"]["equations"]
             if r"\log 1 = 0" in e["tex"] and "q(x)" in e["tex"]]
    assert chain, "the Gibbs inequality proof chain is not on the KL page any more"
    for equation in chain:
        assert equation["fits"], describe("book/kl-divergence.html", equation)


@pytest.mark.parametrize("path", PAGES)
def test_on_a_desktop_equations_fit_or_show_that_they_scroll(browser, site_url, path):
    context, page = load(browser, site_url, path, DESKTOP_WIDTH)
    page.evaluate(OPEN_EVERY_DROPDOWN)
    equations = page.evaluate(MEASURE_EQUATIONS)
    context.close()
    unmarked = [describe(path, e) for e in equations if not e["fits"] and not e["cue"]]
    assert unmarked == [], "wider than the column with no visible scroll cue"
    overflowing = [describe(path, e) for e in equations if not e["fits"]]
    if path.removeprefix("book/").removesuffix(".html") in BROKEN_INTO_LINES:
        # The line breaks made for phones are enough on a desktop: nothing scrolls there.
        assert overflowing == []


def committed_figures(chapter: str) -> list[dict]:
    notebook = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    figures = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                figures.append(output.get("metadata", {}).get("image/png", {}))
    return figures


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figure_text_is_readable_on_a_phone(phone, chapter):
    recorded = committed_figures(chapter)
    shown = phone[f"book/{chapter}.html"]["figures"]
    assert len(recorded) == len(shown), (
        f"{chapter}: {len(recorded)} figures in the notebook, {len(shown)} on the page")
    unreadable = []
    for index, (figure, image) in enumerate(zip(recorded, shown), start=1):
        assert SMALLEST_TEXT_KEY in figure, (
            f"{chapter} figure {index}: no {SMALLEST_TEXT_KEY} recorded; run `make notebooks`")
        # Retina PNGs: twice the pixels of the natural CSS width the notebook records (halved,
        # rounded down, by IPython).
        assert image["natural"] // 2 == figure["width"], (
            f"{chapter} figure {index}: the page shows another figure than the notebook holds "
            f"({image['natural']} px PNG, notebook {figure['width']} CSS px); run `make notebooks`")
        assert image["shown"] <= PHONE_WIDTH
        text_px = figure[SMALLEST_TEXT_KEY] * image["shown"] / figure["width"]
        if text_px < SMALLEST_READABLE_TEXT_PX:
            unreadable.append(f"figure {index} ({image['src']}): {figure['width']} px wide shown at "
                              f"{image['shown']:.0f} px, smallest text {text_px:.1f} px")
    assert unreadable == [], f"{chapter}: figure text under {SMALLEST_READABLE_TEXT_PX:g} px at " \
                             f"{PHONE_WIDTH} px:\n" + "\n".join(unreadable)
