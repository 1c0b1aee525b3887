"""The built website, as a reader's browser sees it.

Serves the built site (tests/browser/conftest.py) and drives Debian's Chromium with Playwright. Every page in
the table of contents must load without console errors or off-site requests, typeset all its
math, show all its images with alt text, link only to things that exist, and fit a 390 px wide
phone screen. Full-page screenshots go to _build/screenshots/.

Without Chromium, Playwright or a built site these tests skip and say why, unless
KLTOOLS_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import functools
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import (  # the shared fixtures (site_url, browser) and constants of tests/browser
    ALLOWED_CONSOLE_ERRORS,
    CHAPTERS,
    PAGES,
    PHONE_WIDTH,
    SCREENSHOTS,
    wait_for_math,
)


INSPECT_PAGE = """() => {
  const maths = [...document.querySelectorAll('.math, span.math, div.math')];
  const untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
  const prose = document.querySelector('main').cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, mjx-container, .highlight, .MathJax').forEach(e => e.remove());
  const text = prose.innerText;
  const images = [...document.querySelectorAll('main img')].map(img => ({
    src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0,
    naturalWidth: img.naturalWidth, shownWidth: img.getBoundingClientRect().width,
    alt: (img.getAttribute('alt') || '').trim(),
  }));
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  const firstCell = document.querySelector('main .cell');
  const openingCell = firstCell && {
    tagged: firstCell.classList.contains('tag_hide-cell'),
    sourceShown: firstCell.querySelector('.cell_input').checkVisibility(),
  };
  return {mathCount: maths.length, untypeset, text, images, links, openingCell,
          typeset: document.querySelectorAll('mjx-container').length};
}"""


# A formula MathJax could not read shows up as an error node (a parse error: a missing argument,
# an unbalanced \\left) or, for an unknown command, as the command's name in red.
FIND_MATH_ERRORS = """() => {
  const broken = new Map();  // one entry per formula, however many error nodes it holds
  for (const node of document.querySelectorAll(
      'mjx-merror, [data-mjx-error], mjx-mtext[style*="color: red"]')) {
    const container = node.closest('mjx-container') || node;
    if (broken.has(container)) continue;
    const items = MathJax.startup.document.getMathItemsWithin(container);
    const source = items.length ? items[0].math : node.textContent;
    const reason = node.getAttribute('data-mjx-error') || 'undefined control sequence';
    broken.set(container, `${reason} in ${source.slice(0, 100)}`);
  }
  return [...broken.values()];
}"""


@pytest.fixture(scope="session")
def reports(browser, site_url):
    """Load every page once in a fresh profile and record what a reader would meet."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for path in PAGES:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        console_errors, page_errors, failed, requests = [], [], [], []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        # An uncaught exception is not a console message: it needs its own listener.
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
        page.on("request", lambda r: requests.append(r.url))
        response = page.goto(f"{site_url}/{path}", wait_until="networkidle")
        wait_for_math(page)
        page.wait_for_load_state("networkidle")
        info = page.evaluate(INSPECT_PAGE)
        info["math_errors"] = page.evaluate(FIND_MATH_ERRORS)
        page.screenshot(path=str(SCREENSHOTS / (path.replace("/", "_").removesuffix(".html") + ".png")), full_page=True)
        results[path] = dict(status=response.status, console_errors=console_errors,
                             page_errors=page_errors, failed=failed,
                             requests=requests, **info)
        context.close()
    return results


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_and_stays_on_site(reports, site_url, path):
    report = reports[path]
    assert report["status"] == 200
    errors = [e for e in report["console_errors"] if not any(a in e for a in ALLOWED_CONSOLE_ERRORS)]
    assert errors == [], f"console errors on {path}"
    assert report["page_errors"] == [], f"uncaught JavaScript errors on {path}"
    assert report["failed"] == [], f"failed requests on {path}"
    foreign = [u for u in report["requests"] if not u.startswith((site_url, "data:", "blob:"))]
    assert foreign == [], f"{path} requested other hosts"


@pytest.mark.parametrize("path", PAGES)
def test_every_math_element_is_typeset(reports, path):
    report = reports[path]
    assert report["untypeset"] == [], f"math left untypeset on {path}"
    leftovers = re.findall(r"\$\$|\\\(|\\\)|\\\[|\\\]|\$[^$\s][^$]*\$", report["text"])
    assert leftovers == [], f"raw TeX delimiters in the text of {path}"


@pytest.mark.parametrize("path", PAGES)
def test_no_formula_fails_to_typeset(reports, path):
    assert reports[path]["math_errors"] == [], f"MathJax could not typeset formulas on {path}"


def test_the_math_error_check_finds_planted_broken_formulas(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/book/entropy.html", wait_until="networkidle")
    wait_for_math(page)
    assert page.evaluate(FIND_MATH_ERRORS) == []
    page.evaluate(
        r"""async () => {
          const scratch = document.createElement('p');
          scratch.innerHTML = String.raw`\(r = q/p \undefinedcommand 0\) and \(x^\) and \(\left( x\)`;
          document.querySelector('main').appendChild(scratch);
          await MathJax.typesetPromise([scratch]);
          // Formulas are typeset as they come into view: typeset these now.
          await MathJax.startup.document.lazyTypesetAll();
        }"""
    )
    errors = page.evaluate(FIND_MATH_ERRORS)
    context.close()
    assert len(errors) == 3, errors
    assert "undefined control sequence in r = q/p \\undefinedcommand 0" in errors
    assert any(error.endswith("in x^") for error in errors), errors
    assert any(error.endswith("in \\left( x") for error in errors), errors


def evaluate_typeset(browser, site_url, path: str, script: str):
    """The value of `script` on a freshly loaded page, once MathJax has finished."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="networkidle")
    wait_for_math(page)
    value = page.evaluate(script)
    context.close()
    return value


def test_student_t_solution_typesets_its_limit(browser, site_url):
    """The formula once stored with a tab for "\\t" and shown as "r = q/po0"."""
    sources = evaluate_typeset(browser, site_url, "book/estimating-kl.html",
                               "() => Array.from(MathJax.startup.document.math).map(item => item.math)")
    assert "r = q/p \\to 0" in sources


def test_formulas_are_not_tab_stops(browser, site_url):
    """Except a display formula wider than its column: it scrolls sideways, and the keyboard can
    only scroll what it can focus (tests/browser/test_accessibility.py)."""
    formulas, tab_stops = evaluate_typeset(browser, site_url, "book/kl-divergence.html", """() => [
        document.querySelectorAll('mjx-container').length,
        [...document.querySelectorAll('mjx-container[tabindex]:not([tabindex="-1"])')]
            .filter(formula => formula.scrollWidth <= formula.clientWidth + 1).length]""")
    assert formulas > 100 and tab_stops == 0, (formulas, tab_stops)


def test_chapters_have_typeset_math(reports):
    for path in PAGES:
        if "entropy" in path or "kl-" in path:
            assert reports[path]["typeset"] > 5, f"{path} shows (almost) no math"


@pytest.mark.parametrize("path", PAGES)
def test_every_image_loads_and_has_alt_text(reports, path):
    for image in reports[path]["images"]:
        assert image["loaded"], f"{image['src']} did not load on {path}"
        assert image["alt"], f"{image['src']} on {path} has no alt text"


def test_chapters_show_their_figures(reports):
    figures = {path: len(reports[path]["images"]) for path in PAGES}
    for chapter in CHAPTERS:
        assert figures[f"book/{chapter}.html"] >= 1, f"{chapter} shows no figure"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_figures_have_twice_the_pixels_they_are_shown_at(reports, chapter):
    for image in reports[f"book/{chapter}.html"]["images"]:
        assert image["naturalWidth"] >= 1.9 * image["shownWidth"] > 0, image


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opening_cell_is_collapsed(reports, chapter):
    opening = reports[f"book/{chapter}.html"]["openingCell"]
    assert opening == {"tagged": True, "sourceShown": False}, opening


@functools.lru_cache(maxsize=None)
def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status, body
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_internal_links_and_anchors_resolve(reports, site_url):
    broken = []
    for path in PAGES:
        for link in reports[path]["links"]:
            if not link.startswith(site_url):
                continue
            target, _, anchor = link.partition("#")
            status, body = fetch(target)
            if status != 200:
                broken.append(f"{path} -> {link} (HTTP {status})")
            elif anchor and target.endswith(".html"):
                name = re.escape(urllib.parse.unquote(anchor))
                if not re.search(rf'\bid="{name}"', body):
                    broken.append(f"{path} -> {link} (no element with id {anchor!r})")
    assert broken == []


@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_scrolling_on_a_phone(browser, site_url, path):
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 844})
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="networkidle")
    wait_for_math(page)
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " viewport: document.documentElement.clientWidth})"
    )
    context.close()
    assert widths["page"] <= widths["viewport"] and widths["body"] <= widths["viewport"], widths


def test_search_finds_the_kl_divergence_chapter(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/search.html?q=divergence", wait_until="networkidle")
    page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    hits = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    context.close()
    assert any("book/kl-divergence.html" in hit for hit in hits), hits


def test_dark_mode_toggle_and_figures_stay_legible(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/book/entropy.html", wait_until="networkidle")
    for _ in range(3):  # the switch cycles light -> dark -> auto
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        page.click("button.theme-switch-button")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    # Figures keep an opaque light background of their own, so dark axes and labels stay
    # readable on the dark page (a transparent figure would vanish into it).
    corners = page.evaluate("""() => [...document.querySelectorAll('main figure img')].map(img => {
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const px = g.getImageData(2, 2, 1, 1).data;
        return {alpha: px[3], brightness: (px[0] + px[1] + px[2]) / 3, shown: img.getBoundingClientRect().width};
    })""")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "book_entropy_dark.png"), full_page=True)
    context.close()
    assert background != "rgb(255, 255, 255)"
    assert corners, "no figure found on the entropy page"
    for corner in corners:
        assert corner["alpha"] == 255 and corner["brightness"] > 200 and corner["shown"] > 100, corner


def test_notebook_download_is_offered_and_is_the_chapter(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/book/entropy.html", wait_until="networkidle")
    hrefs = page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.href)")
    context.close()
    assert hrefs, "no .ipynb download link on the entropy page"
    status, body = fetch(hrefs[0])
    assert status == 200 and '"cells"' in body and "kltools" in body
    # The opening cell, collapsed on the page, is in the notebook that runs in plain Jupyter.
    assert "from myst_nb import glue" in body and "def glue(" in body
