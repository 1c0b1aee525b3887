"""The built website for a reader with a keyboard or a screen reader.

axe-core (npm, pinned in package.json / package-lock.json, installed into node_modules by
`make test`) is injected into every page the build writes, in light and dark mode, at desktop
width and at a phone's 390 px: no page may have a critical or a serious violation. No axe rule is
disabled. Each page is then walked with the Tab key: every control that takes the focus must look
different when focused (outline, box shadow, border or background), so a keyboard user can see
where they are.

Seen to fail on the build before book/_ext/accessibility.py: label-content-name-mismatch on the
search buttons of every page, aria-required-children on the API and references pages,
color-contrast in dark mode on the search page and the proof index, and no focus indicator on
"Toggle primary sidebar" and "Download this page".
"""

from __future__ import annotations

import pytest

from conftest import PAGES, PHONE_WIDTH, ROOT, SITE, unavailable, wait_for_math

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("critical", "serious")
# The search page also shown with results, which it only lists once it has a query.
SEARCH_WITH_RESULTS = "search.html?q=divergence"
# Jupyter Book writes index.html as a bare redirect to the first page (checked separately).
REDIRECT = "index.html"


def built_pages() -> list[str]:
    """Every HTML page of the built site: the table of contents and every generated page
    (search, general index, the proof index, ...), but not the theme's template fragments
    under _static/."""
    if not SITE.is_dir():
        return PAGES + ["search.html", "genindex.html"]  # the tests skip: no site to look at
    found = sorted(
        path.relative_to(SITE).as_posix() for path in SITE.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(SITE).parts)
    )
    return [path for path in found if path != REDIRECT]


BUILT_PAGES = built_pages()
AXE_PAGES = BUILT_PAGES + [SEARCH_WITH_RESULTS]
MODES = ("light", "dark")
WIDTHS = {"desktop": 1280, "phone": PHONE_WIDTH}


def test_every_page_of_the_table_of_contents_is_checked():
    assert set(PAGES) <= set(BUILT_PAGES)
    assert {"search.html", "genindex.html"} <= set(BUILT_PAGES)


def open_page(browser, site_url, path: str, mode: str, width: int):
    """A fresh context showing `path` in `mode`, as the theme would after the reader chose it."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    # The theme reads the reader's choice from localStorage before it paints.
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="networkidle")
    wait_for_math(page)
    if path.startswith("search.html?"):
        page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    return context, page


def blocking_violations(page) -> list[str]:
    """Every critical or serious axe violation on the page, as 'rule (impact): targets'."""
    if not AXE.is_file():
        unavailable(f"axe-core not found at {AXE}: run `npm ci` (make test does)")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ['violations']});
        return results.violations.map(v => ({
            id: v.id, impact: v.impact,
            targets: v.nodes.map(n => n.target.join(' ')),
        }));
    }""")
    return [
        f"{v['id']} ({v['impact']}): {'; '.join(v['targets'])}"
        for v in violations if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.mark.parametrize("width_name", WIDTHS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_critical_or_serious_violation(browser, site_url, path, mode, width_name):
    context, page = open_page(browser, site_url, path, mode, WIDTHS[width_name])
    try:
        offenders = blocking_violations(page)
    finally:
        context.close()
    assert offenders == [], f"axe on {path} ({mode}, {width_name}):\n" + "\n".join(offenders)


def test_axe_reports_a_planted_violation(browser, site_url):
    """The check is live: a button with no name and an image with no alt text are found."""
    context, page = open_page(browser, site_url, "book/intro.html", "light", 1280)
    try:
        page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
            '<button id="planted-button"></button><img id="planted-image" src="x.png">')""")
        offenders = blocking_violations(page)
    finally:
        context.close()
    assert "button-name (critical): #planted-button" in offenders, offenders
    assert "image-alt (critical): #planted-image" in offenders, offenders


def test_the_root_redirects_to_the_first_page(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/{REDIRECT}")
    page.wait_for_url(f"{site_url}/{PAGES[0]}", timeout=10_000)
    context.close()


# What a focus indicator can change: the element's outline, shadow, border or background.
# Read for the active element, and for the same element once it has lost the focus.
FOCUS_LOOK = """element => {
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
        && !/rgba\\(.*, 0\\)$/.test(style.outlineColor)
        ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : 'none';
    return {outline, boxShadow: style.boxShadow, border: style.borderColor + ' ' + style.borderWidth,
            background: style.backgroundColor};
}"""

# The element the Tab key moved to, described for a failure message, and whether it is shown.
FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const box = element.getBoundingClientRect();
    const label = (element.getAttribute('aria-label') || element.title || element.textContent || '')
        .trim().replace(/\\s+/g, ' ').slice(0, 60);
    return {tag: element.tagName.toLowerCase(), label, id: element.id,
            className: String(element.className).slice(0, 60),
            shown: box.width > 0 && box.height > 0 && element.checkVisibility()};
}"""

MAX_TAB_STOPS = 400  # a page with more stops than this is a failure of its own


def tab_through(page) -> list[dict]:
    """Press Tab until the focus comes back round; for each stop, its look with and without focus."""
    stops, seen = [], []
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        handle = page.evaluate_handle("() => document.activeElement")
        focused = page.evaluate(FOCUSED)
        if focused is None or any(handle.evaluate("(a, b) => a === b", s) for s in seen[:1]):
            break
        seen.append(handle)
        with_focus = handle.evaluate(FOCUS_LOOK)
        # Losing the focus keeps the element as the starting point of the next Tab press.
        handle.evaluate("element => element.blur()")
        without_focus = handle.evaluate(FOCUS_LOOK)
        stops.append(dict(focused, with_focus=with_focus, without_focus=without_focus))
    else:
        pytest.fail(f"more than {MAX_TAB_STOPS} tab stops")
    return stops


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", BUILT_PAGES)
def test_every_focused_control_shows_it(browser, site_url, path, mode):
    context, page = open_page(browser, site_url, path, mode, 1280)
    try:
        stops = tab_through(page)
    finally:
        context.close()
    assert len(stops) > 5, stops
    unmarked = [f"<{s['tag']} id={s['id']!r} class={s['className']!r}> {s['label']!r}"
                for s in stops if s["shown"] and s["with_focus"] == s["without_focus"]]
    assert unmarked == [], f"controls on {path} ({mode}) that show no focus:\n" + "\n".join(unmarked)
