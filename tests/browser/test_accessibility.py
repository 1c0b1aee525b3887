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


def settle(page) -> None:
    """Take the page's CSS transitions (colours fade when the mode changes) to their end, so
    styles are checked as they end up, not half-way."""
    page.evaluate("""() => document.getAnimations()
        .filter(animation => animation instanceof CSSTransition)
        .forEach(animation => animation.finish())""")


def switch_to_dark(page) -> None:
    """Press the colour mode button, as a reader does, until the page is dark."""
    for _ in range(3):  # the button cycles light -> dark -> auto
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        page.locator("button.theme-switch-button:visible").first.click()
    settle(page)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"


def blocking_violations(page) -> list[str]:
    """Every critical or serious axe violation on the page, as 'rule (impact): targets'."""
    if not AXE.is_file():
        unavailable(f"axe-core not found at {AXE}: run `npm ci` (make test does)")
    if not page.evaluate("() => Boolean(window.axe)"):
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
@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_critical_or_serious_violation(browser, site_url, path, width_name):
    """In light mode, then in dark mode switched to with the theme's button (one page load)."""
    context, page = open_page(browser, site_url, path, "light", WIDTHS[width_name])
    try:
        offenders = {"light": blocking_violations(page)}
        switch_to_dark(page)
        offenders["dark"] = blocking_violations(page)
    finally:
        context.close()
    report = "\n".join(f"{mode}: {offender}" for mode, found in offenders.items() for offender in found)
    assert report == "", f"axe on {path} ({width_name}):\n{report}"


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


# After a Tab press: the element that has the focus, described for a failure message, whether it
# is shown, and what a focus indicator can change (outline, shadow, border, background) with the
# focus and once it has lost the focus. Each look is read with the CSS transitions (buttons fade
# their colours) taken to their end, so styles are compared as they end up, not half-way. The element
# that lost the focus stays the starting point of the next Tab press.
INSPECT_FOCUS = """() => {
    const element = document.activeElement;
    if (!element || element === document.body || element === window.firstTabStop) return null;
    window.firstTabStop = window.firstTabStop || element;
    const settle = () => document.getAnimations()
        .filter(animation => animation instanceof CSSTransition)
        .forEach(animation => animation.finish());
    const look = () => {
        const style = getComputedStyle(element);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
            && !/rgba\\(.*, 0\\)$/.test(style.outlineColor)
            ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : 'none';
        return {outline, boxShadow: style.boxShadow,
                border: `${style.borderColor} ${style.borderWidth}`, background: style.backgroundColor};
    };
    const box = element.getBoundingClientRect();
    const label = (element.getAttribute('aria-label') || element.title || element.textContent || '')
        .trim().replace(/\\s+/g, ' ').slice(0, 60);
    settle();
    const withFocus = look();
    element.blur();
    settle();
    return {tag: element.tagName.toLowerCase(), label, id: element.id,
            className: String(element.className).slice(0, 60),
            shown: box.width > 0 && box.height > 0 && element.checkVisibility(),
            withFocus, withoutFocus: look()};
}"""

MAX_TAB_STOPS = 400  # a page with more stops than this is a failure of its own


def tab_through(page) -> list[dict]:
    """Press Tab until the focus leaves the page or comes back round to the first stop."""
    stops = []
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        stop = page.evaluate(INSPECT_FOCUS)
        if stop is None:
            return stops
        stops.append(stop)
    pytest.fail(f"more than {MAX_TAB_STOPS} tab stops")


# Both widths (the phone layout has controls of its own) and both modes, in two walks a page.
FOCUS_VIEWS = {"desktop-light": (1280, "light"), "phone-dark": (PHONE_WIDTH, "dark")}


@pytest.mark.parametrize("view", FOCUS_VIEWS)
@pytest.mark.parametrize("path", BUILT_PAGES)
def test_every_focused_control_shows_it(browser, site_url, path, view):
    width, mode = FOCUS_VIEWS[view]
    context, page = open_page(browser, site_url, path, mode, width)
    try:
        stops = tab_through(page)
    finally:
        context.close()
    assert len(stops) > 5, stops
    unmarked = [f"<{s['tag']} id={s['id']!r} class={s['className']!r}> {s['label']!r}"
                for s in stops if s["shown"] and s["withFocus"] == s["withoutFocus"]]
    assert unmarked == [], f"controls on {path} ({view}) that show no focus:\n" + "\n".join(unmarked)


def test_the_colour_mode_button_names_the_current_mode(browser, site_url):
    """The icons are decorative, so the button's name says the mode (in the theme's words)."""
    theme_words = {"light": "Light", "dark": "Dark", "auto": "System Settings"}
    context, page = open_page(browser, site_url, "book/intro.html", "light", 1280)
    button = page.locator("button.theme-switch-button:visible").first
    seen = []
    for _ in range(4):
        mode = page.evaluate("() => document.documentElement.dataset.mode")
        seen.append((button.get_attribute("aria-label"), f"Color mode: {theme_words[mode]}"))
        button.click()
    context.close()
    assert all(name == expected for name, expected in seen), seen
    assert len(set(seen)) == 3, seen


WIDE_FORMULA = r"\[" + " + ".join(f"x_{{{i}}}^2" for i in range(60)) + r"\]"


def test_a_formula_wider_than_a_phone_can_be_scrolled_with_the_keyboard(browser, site_url):
    """A planted display formula far wider than 390 px becomes a tab stop (the keyboard scrolls
    only what it can focus); the page's formulas that fit do not."""
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 844})
    page = context.new_page()

    def plant_formula(route):
        html = route.fetch().text()
        html = html.replace("</main>", f'<div id="planted" class="math notranslate nohighlight">{WIDE_FORMULA}</div></main>', 1)
        route.fulfill(body=html, content_type="text/html")

    page.route("**/book/entropy.html", plant_formula)
    page.goto(f"{site_url}/book/entropy.html", wait_until="networkidle")
    wait_for_math(page)
    formulas = page.evaluate("""() => [...document.querySelectorAll('mjx-container')].map(formula => ({
        source: MathJax.startup.document.getMathItemsWithin(formula)[0].math.slice(0, 60),
        wide: /auto|scroll/.test(getComputedStyle(formula).overflowX)  // scrolls sideways
            && formula.scrollWidth > formula.clientWidth + 1,
        stop: formula.hasAttribute('tabindex') && formula.tabIndex >= 0}))""")
    reached = False
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        if page.evaluate("() => Boolean(document.activeElement.closest('#planted'))"):
            reached = True
            break
    context.close()
    assert any(formula["wide"] and formula["source"].startswith("x_{0}") for formula in formulas)
    assert [formula for formula in formulas if formula["stop"] != formula["wide"]] == []
    assert reached, "Tab never reached the wide formula"


def test_a_wide_formula_in_a_solution_becomes_a_tab_stop_when_opened(browser, site_url):
    """A formula inside a folded solution has no width until the reader opens it; opening it must
    make a formula that then scrolls sideways a tab stop too. Seen to fail when the check ran only
    on load and on resize."""
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 844})
    page = context.new_page()
    page.goto(f"{site_url}/book/entropy.html", wait_until="networkidle")
    wait_for_math(page)
    page.evaluate("""async (tex) => {
        const solution = document.querySelector('.solution.dropdown');
        const planted = document.createElement('div');
        planted.id = 'planted';
        planted.className = 'math notranslate nohighlight';
        planted.textContent = tex;
        solution.appendChild(planted);
        await MathJax.typesetPromise([planted]);
    }""", WIDE_FORMULA)
    page.locator(".solution.dropdown button.toggle-button").first.click()
    page.wait_for_timeout(600)
    state = page.evaluate("""() => {
        const formula = document.querySelector('#planted mjx-container');
        return {wide: formula.scrollWidth > formula.clientWidth + 1, stop: formula.tabIndex >= 0
                && formula.hasAttribute('tabindex')};
    }""")
    context.close()
    assert state == {"wide": True, "stop": True}
