"""Reading a page as it is shown: figures in their shape, formulas on their box, punctuation on its
line, search results in words, icons drawn; and screenshots of every chapter to look at.

- Figures keep the aspect ratio of their image file at 390 px and at 1280 px. Failed on the
  build before book/_ext/reading/kl-reading.css set ``height: auto``: myst-nb's inline height
  stayed fixed while the width shrank (1.58 became 0.99 on a phone).
- A display formula in a theorem, exercise or solution box has the box's colour around it, not
  a band of the page's: the pixel just inside the formula's box equals the pixel just above it,
  in light and dark mode. Failed on the build before kl-reading.js matched the scroll cue's
  covers to the box (white, or grey in dark mode, on sphinx-proof's tinted boxes).
- Punctuation right after an inline formula is never the first thing on a line, at 390 and
  1280 px. Failed before book/_ext/reading.py kept them together (7 places at 1280 px, 54 at
  390 px).
- A citation in the text ("Cover and Thomas, 2006") finds an entry of that label in the
  References page. Failed before book/_ext/reading.py relabelled the entries (they read [CT06]).
- Search results quote formulas without TeX. Failed before kl-search.js (``\\(p\\)``).
- The theme's icons (menu, search, colour mode) are drawn without Font Awesome's script, which
  the build no longer loads.
- Full-page screenshots of every chapter at 390 and 1280 px, light and dark, are written to
  _build/screenshots/ (CHAPTER-WIDTH-MODE.png) for a person to look at.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image  # installed with matplotlib

from conftest import CHAPTERS, OPEN_EVERY_DROPDOWN, PHONE_WIDTH, SCREENSHOTS, wait_for_math

WIDTHS = (PHONE_WIDTH, 1280)
MODES = ("light", "dark")
# Two renderings of one colour differ by rounding only.
SAME_COLOUR = 3


def _load(browser, site_url, path: str, width: int = 1280, mode: str = "light", height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=mode)
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="networkidle")
    wait_for_math(page)
    return context, page


def _pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((x, y))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figures_keep_their_shape(browser, site_url, chapter, width):
    context, page = _load(browser, site_url, f"book/{chapter}.html", width)
    shapes = page.evaluate("""() => [...document.querySelectorAll('main img')].map(img => {
        const box = img.getBoundingClientRect();
        return {src: img.getAttribute('src').split('/').pop(), file: img.naturalWidth / img.naturalHeight,
                shown: box.width / box.height};
    })""")
    context.close()
    assert shapes, f"no figure on {chapter}"
    squashed = [shape for shape in shapes if abs(shape["shown"] / shape["file"] - 1) > 0.01]
    assert squashed == [], f"figures shown in another shape at {width} px"


BOXED_FORMULAS = """() => [...document.querySelectorAll('.admonition div.math mjx-container[display="true"]')]
    .filter(container => container.checkVisibility())
    .map((container, index) => { container.dataset.klProbe = index; return index; })"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_formulas_in_boxes_have_the_box_colour_around_them(browser, site_url, chapter, mode):
    context, page = _load(browser, site_url, f"book/{chapter}.html", mode=mode)
    page.evaluate(OPEN_EVERY_DROPDOWN)
    wait_for_math(page)
    bands = []
    for index in page.evaluate(BOXED_FORMULAS):
        formula = page.locator(f'[data-kl-probe="{index}"]')
        formula.scroll_into_view_if_needed()
        box = formula.bounding_box()
        # Just inside the formula's box (its left margin, above any glyph) and just above it.
        clip = {"x": box["x"] + 2, "y": box["y"] - 4, "width": 2, "height": 7}
        png = page.screenshot(clip=clip)
        above, inside = _pixel(png, 0, 0), _pixel(png, 0, 5)
        if max(abs(a - b) for a, b in zip(above, inside)) > SAME_COLOUR:
            tex = page.evaluate("element => MathJax.startup.document.getMathItemsWithin(element)[0].math",
                                formula.element_handle())
            bands.append(f"{tex.strip()[:60]!r}: {inside} on {above}")
    context.close()
    assert bands == [], f"formulas on a band of another colour ({mode} mode)"


PUNCTUATION_STARTING_A_LINE = r"""() => {
  const offenders = [];
  for (const formula of document.querySelectorAll('main span.math')) {
    const container = formula.querySelector('mjx-container');
    if (!container || !container.checkVisibility()) continue;
    // The first text after the formula, in reading order.
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    walker.currentNode = formula;
    let next = walker.nextNode();
    while (next && formula.contains(next)) next = walker.nextNode();
    if (!next || !/^[.,;:!?)]/.test(next.data)) continue;
    const range = document.createRange();
    range.setStart(next, 0);
    range.setEnd(next, 1);
    const mark = range.getBoundingClientRect();
    const end = container.getBoundingClientRect();
    if (mark.height && mark.top >= end.bottom - 2) {
      offenders.push(formula.textContent.slice(0, 40) + next.data.slice(0, 10));
    }
  }
  return offenders;
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_punctuation_stays_on_the_line_of_its_formula(browser, site_url, chapter, width):
    context, page = _load(browser, site_url, f"book/{chapter}.html", width)
    page.evaluate(OPEN_EVERY_DROPDOWN)
    wait_for_math(page)
    offenders = page.evaluate(PUNCTUATION_STARTING_A_LINE)
    context.close()
    assert offenders == [], f"punctuation at the start of a line at {width} px"


def test_citations_find_an_entry_labelled_as_they_read(browser, site_url):
    context, page = _load(browser, site_url, "book/references.html")
    labels = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.citation')]
        .map(entry => [entry.id, entry.querySelector('.label').textContent.replace(/[\\[\\]]/g, '')]))""")
    citations = []
    for chapter in CHAPTERS:
        page.goto(f"{site_url}/book/{chapter}.html", wait_until="load")
        # A textual citation, "Cover and Thomas [2006]", links the year alone: read it with the
        # names before it.
        citations += page.evaluate("""() => [...document.querySelectorAll('main a[href*="references.html#"]')]
            .map(link => {
              const whole = (link.closest('.bibtex-citation') || link).textContent.trim();
              const textual = /^(.+?) [\\[(](\\d{4}[a-z]?)[\\])]$/.exec(whole);
              const text = textual && textual[2] === link.textContent
                ? textual[1] + ', ' + textual[2] : link.textContent;
              return [text, link.getAttribute('href').split('#')[1]];
            })""")
    context.close()
    unmatched = [f"{text!r} -> {labels.get(target)!r}" for text, target in citations
                 if text != labels.get(target)]
    assert len(citations) > 10 and unmatched == [], unmatched[:5]


@pytest.mark.parametrize("query", ["divergence", "surprise", "entropy"])
def test_search_results_quote_formulas_without_tex(browser, site_url, query):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/search.html?q={query}", wait_until="networkidle")
    page.wait_for_selector("#search-results ul.search li p.context", timeout=15_000)
    page.wait_for_timeout(1000)  # the snippets of the later results arrive one by one
    snippets = page.locator("#search-results p.context").all_inner_texts()
    context.close()
    raw = [snippet for snippet in snippets
           if any(mark in snippet for mark in ("\\(", "\\)", "\\[", "$$", "\\frac", "\\log", "\\mid"))]
    assert len(snippets) >= 3 and raw == [], raw[:3]


@pytest.mark.parametrize("width", WIDTHS)
def test_theme_icons_are_drawn(browser, site_url, width):
    context, page = _load(browser, site_url, "book/entropy.html", width)
    loads_icon_script = page.evaluate(
        "() => [...document.scripts].some(script => script.src.includes('fontawesome'))")
    names = ["Toggle primary sidebar", "Color mode: System Settings", "Download this page"]
    blank = []
    for name in names:
        button = page.get_by_role("button", name=name).filter(visible=True).first
        darkest, lightest = Image.open(io.BytesIO(button.screenshot())).convert("L").getextrema()
        if lightest - darkest < 100:
            blank.append(name)
    context.close()
    assert not loads_icon_script
    assert blank == [], f"buttons without a visible icon at {width} px"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_screenshots_of_every_chapter(browser, site_url, chapter):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        for mode in MODES:
            context, page = _load(browser, site_url, f"book/{chapter}.html", width, mode)
            path = SCREENSHOTS / f"{chapter}-{width}-{mode}.png"
            page.screenshot(path=str(path), full_page=True)
            context.close()
            assert path.stat().st_size > 50_000
