"""The "fits" explorer (book/_ext/explorers/fits.js) in the KL chapter's forward/reverse section.

p = 0.5 N(-s/2, 0.6^2) + 0.5 N(s/2, 0.6^2), q = N(mu, sigma^2). The page computes D(p || q) and
D(q || p) by quadrature; here each readout is compared with kltools.kl for the same setting read
back from the sliders (after the browser clamps and rounds to the step), at 1e-4 relative (the
integrated values' tolerance in the explorers' brief). kltools.kl takes SciPy's Mixture objects
and handles every edge of the sliders, so it is the oracle throughout; no fallback is needed.

The maps' local minima are read from JSON data attributes the script sets on its container
(documented at the top of fits.js): data-forward-grid-minima and data-reverse-grid-minima (the
strict local minima of each 41 x 31 grid) and data-forward-fits / data-reverse-fits (the fits
marked on the maps, [mu, sigma, D]).
"""

from __future__ import annotations

import json
import math

import pytest
import scipy.stats as st

import kltools
from conftest import ALLOWED_CONSOLE_ERRORS, PHONE_WIDTH, SCREENSHOTS, wait_for_math

PAGE = "book/kl-fits.html"
HOST = '.kl-explorer[data-explorer="fits"]'
RTOL = 1e-4

# (mu, sigma, separation): the slider edges, the chapter's fits, interior points, a nearly
# Gaussian p (s = 1) with q near its moment match (small divergences), and values outside the
# ranges or off the steps, which the browser clamps and rounds (the test reads them back).
SETTINGS = [
    (mu, sigma, sep) for mu in (-4, 0, 4) for sigma in (0.3, 4) for sep in (1, 6)
] + [
    (0, 2.088, 4), (2, 0.6, 4), (-2, 0.6, 4), (0, 1.79, 4), (1, 1, 4), (0.35, 0.75, 2.5),
    (-1.55, 3.1, 5.3), (3.3, 0.45, 1.7), (0, 0.8, 1), (0.05, 0.75, 1), (5, 0.1, 9),
    (0.123, 1.234, 3.96), (-3.95, 3.95, 1.1),
]

SET = """([mu, sigma, sep]) => {
  const host = document.querySelector('.kl-explorer[data-explorer="fits"]');
  for (const [name, value] of [['separation', sep], ['mu', mu], ['sigma', sigma]]) {
    const input = host.querySelector(`input[name="${name}"]`);
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  }
  const read = name => host.querySelector(`input[name="${name}"]`).value;
  const out = name => host.querySelector(`output[name="${name}"]`).textContent;
  return {mu: read('mu'), sigma: read('sigma'), sep: read('separation'),
          forward: out('forward'), reverse: out('reverse')};
}"""


def mixture(sep: float):
    return st.Mixture([st.Normal(mu=-sep / 2, sigma=0.6), st.Normal(mu=sep / 2, sigma=0.6)],
                      weights=[0.5, 0.5])


def oracle(mu: float, sigma: float, sep: float) -> tuple[float, float]:
    p, q = mixture(sep), st.norm(mu, sigma)
    return float(kltools.kl(p, q)), float(kltools.kl(q, p))


class Watched:
    """A page of the chapter, with its console errors, page errors and requests recorded."""

    def __init__(self, browser, site_url, width=1280, height=900, **context_args):
        self.context = browser.new_context(viewport={"width": width, "height": height}, **context_args)
        self.page = self.context.new_page()
        self.console, self.errors, self.requests = [], [], []
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.site_url = site_url
        self.page.goto(f"{site_url}/{PAGE}", wait_until="networkidle")
        # Formulas typeset as they come into view would move the maps under a tap.
        wait_for_math(self.page)
        self.page.wait_for_selector(f'{HOST} output[name="reverse"]', timeout=15_000)
        self.host = self.page.locator(HOST)

    def check_clean(self):
        console = [e for e in self.console if not any(a in e for a in ALLOWED_CONSOLE_ERRORS)]
        errors = list(self.errors)
        foreign = [u for u in self.requests if not u.startswith((self.site_url, "data:", "blob:"))]
        assert console == [], console
        assert errors == [], errors
        assert foreign == [], foreign

    def close(self):
        self.context.close()


@pytest.fixture()
def watched(browser, site_url):
    w = Watched(browser, site_url)
    yield w
    w.close()


def test_contract_elements(watched):
    host = watched.host
    names = host.evaluate("h => [...h.querySelectorAll('input[type=range]')].map(i => i.name)")
    assert names == ["mu", "sigma", "separation"]
    for name in names:  # each slider sits in a visible label with text
        label = host.locator(f'label:has(input[name="{name}"])')
        assert label.is_visible() and label.inner_text().strip()
    outputs = host.evaluate("h => [...h.querySelectorAll('output')].map(o => o.getAttribute('name'))")
    assert outputs == ["forward", "reverse"]
    readout = host.locator(".kl-readout")
    assert readout.get_attribute("aria-live") == "polite"
    text = readout.inner_text()
    assert "D(p ‖ q)" in text and "D(q ‖ p)" in text and "nats" in text
    svgs = host.evaluate("h => [...h.querySelectorAll('svg')].map(s => [s.getAttribute('role'), s.getAttribute('aria-label'), s.getAttribute('viewBox')])")
    assert len(svgs) == 3
    for role, label, view_box in svgs:
        assert role == "img" and label and view_box
    maps_text = host.evaluate("h => [...h.querySelectorAll('svg')].slice(1).map(s => s.textContent)")
    assert "D(p ‖ q)" in maps_text[0] and "D(q ‖ p)" in maps_text[1]
    for t in maps_text:
        assert "μ" in t and "σ" in t
    watched.check_clean()


def test_readouts_match_kltools(watched):
    assert len(SETTINGS) >= 20
    worst = 0.0
    rows = []
    for setting in SETTINGS:
        shown = watched.page.evaluate(SET, list(setting))
        mu, sigma, sep = float(shown["mu"]), float(shown["sigma"]), float(shown["sep"])
        assert -4 <= mu <= 4 and 0.3 <= sigma <= 4 and 1 <= sep <= 6
        forward, reverse = oracle(mu, sigma, sep)
        for name, expected in (("forward", forward), ("reverse", reverse)):
            value = float(shown[name])
            rel = abs(value - expected) / abs(expected)
            worst = max(worst, rel)
            rows.append((mu, sigma, sep, name, value, expected, rel))
            assert rel <= RTOL, (mu, sigma, sep, name, value, expected)
    # The clamped and rounded settings read back as the nearest allowed values.
    assert watched.page.evaluate(SET, [5, 0.1, 9])["mu"] == "4"
    print(f"\nfits explorer: {len(rows)} readouts, largest relative difference from kltools {worst:.2e}")
    watched.check_clean()


def test_maps_minima_and_fits(watched):
    page = watched.page

    def data():
        return {k: json.loads(v) for k, v in watched.host.evaluate("h => ({...h.dataset})").items()
                if k != "explorer"}

    chapter = data()  # loaded at the chapter's separation, 4
    assert len(chapter["forwardGridMinima"]) == 1
    assert len(chapter["reverseGridMinima"]) >= 2
    (f_mu, f_sigma, f_value), = chapter["forwardFits"]
    assert f_mu == 0 and math.isclose(f_sigma, math.sqrt(4.36), rel_tol=1e-12)
    assert math.isclose(f_value, kltools.kl(mixture(4), st.norm(0, f_sigma)), rel_tol=RTOL)
    reverse = sorted(chapter["reverseFits"])
    assert len(reverse) == 3
    for (mu, sigma, value), (mu0, sigma0, value0) in zip(
            reverse, [(-1.9971, 0.6049, 0.6918), (0, 1.7903, 1.1384), (1.9971, 0.6049, 0.6918)]):
        assert abs(mu - mu0) < 2e-4 and abs(sigma - sigma0) < 2e-4 and abs(value - value0) < 1e-4
        assert math.isclose(value, kltools.kl(st.norm(mu, sigma), mixture(4)), rel_tol=RTOL)

    maps_before = watched.host.evaluate("h => [...h.querySelectorAll('svg')].slice(1).map(s => s.innerHTML)")
    page.evaluate(SET, [0, 1, 6])
    wide = data()
    maps_after = watched.host.evaluate("h => [...h.querySelectorAll('svg')].slice(1).map(s => s.innerHTML)")
    assert maps_after[0] != maps_before[0] and maps_after[1] != maps_before[1]
    assert len(wide["forwardGridMinima"]) == 1 and len(wide["reverseGridMinima"]) >= 2
    assert math.isclose(wide["forwardFits"][0][1], math.sqrt(0.36 + 9), rel_tol=1e-12)
    watched.check_clean()


def test_svg_changes_and_keyboard(watched):
    page, host = watched.page, watched.host
    densities = lambda: host.evaluate("h => h.querySelector('svg').innerHTML")  # noqa: E731
    before = densities()
    page.evaluate(SET, [-1.5, 0.8, 4])
    assert densities() != before

    slider = host.locator('input[name="mu"]')
    start = float(slider.input_value())
    output_before = host.locator('output[name="forward"]').inner_text()
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert math.isclose(float(slider.input_value()), start + 0.05, abs_tol=1e-9)
    assert host.locator('output[name="forward"]').inner_text() != output_before
    assert page.evaluate("() => document.activeElement.name") == "mu"
    watched.check_clean()


RING = """([k, mu, sigma]) => {
  const host = document.querySelector('.kl-explorer[data-explorer="fits"]');
  for (const [name, value] of [['mu', mu], ['sigma', sigma]]) {
    const input = host.querySelector(`input[name="${name}"]`);
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  }
  const r = host.querySelectorAll('svg')[1 + k].querySelector('circle').getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2];
}"""


def map_point(page, k: int, mu: float, sigma: float) -> tuple[float, float]:
    """Where (mu, sigma) lies on screen on map k (0 forward, 1 reverse), found as a reader would:
    from where the ring that marks q sits for two settings of the sliders."""
    (xa, ya), (xb, yb) = page.evaluate(RING, [k, -2, 1]), page.evaluate(RING, [k, 2, 3])
    return xa + (mu + 2) / 4 * (xb - xa), ya + (sigma - 1) / 2 * (yb - ya)


def check_placed(w: Watched, k: int, mu: float, sigma: float) -> list[list[float]]:
    shown = w.page.evaluate("""() => {
      const host = document.querySelector('.kl-explorer[data-explorer="fits"]');
      const read = name => host.querySelector(`input[name="${name}"]`).value;
      const out = name => host.querySelector(`output[name="${name}"]`).textContent;
      return {mu: read('mu'), sigma: read('sigma'), sep: read('separation'), forward: out('forward'),
              reverse: out('reverse'), labels: [...host.querySelectorAll('label')].map(l => l.textContent)};
    }""")
    got_mu, got_sigma, sep = float(shown["mu"]), float(shown["sigma"]), float(shown["sep"])
    # the point's values, rounded to the sliders' step of 0.05 (the click may land a hair off)
    assert abs(got_mu - mu) <= 0.05 + 1e-9 and abs(got_sigma - sigma) <= 0.05 + 1e-9, (k, mu, sigma, shown)
    assert f"μ = {got_mu:.2f}" in shown["labels"][0] and f"σ = {got_sigma:.2f}" in shown["labels"][1], shown
    forward, reverse = oracle(got_mu, got_sigma, sep)
    assert abs(float(shown["forward"]) - forward) <= RTOL * forward, (shown, forward)
    assert abs(float(shown["reverse"]) - reverse) <= RTOL * reverse, (shown, reverse)
    # both rings (q on each map) now sit at the new q
    rings = w.page.evaluate("""() => [...document.querySelectorAll('.kl-explorer[data-explorer="fits"] svg')].slice(1)
        .map(s => { const r = s.querySelector('circle').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })""")
    return rings


def test_clicking_a_map_places_q_there(watched):
    """Failed before: the maps took no clicks (the sliders stayed at mu = 1, sigma = 1)."""
    page = watched.page
    watched.host.scroll_into_view_if_needed()
    for k, (mu, sigma) in enumerate([(1.35, 0.8), (-1.65, 2.45)]):
        x, y = map_point(page, k, mu, sigma)
        page.evaluate(SET, [1, 1, 4])
        page.mouse.click(x, y)
        rings = check_placed(watched, k, mu, sigma)
        assert abs(rings[k][0] - x) <= 1.5 and abs(rings[k][1] - y) <= 1.5, (rings, x, y)
    # A mouse can drag the ring across a map; it ends where the pointer was let go.
    x0, y0 = map_point(page, 1, 0, 1.8)
    x1, y1 = map_point(page, 1, 2, 0.6)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()
    check_placed(watched, 1, 2, 0.6)
    # The keyboard still moves q through the sliders from wherever the click put it.
    slider = watched.host.locator('input[name="sigma"]')
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert math.isclose(float(slider.input_value()), 0.65, abs_tol=1e-9)
    watched.check_clean()


def test_tapping_a_map_on_a_phone_places_q_there(browser, site_url):
    """Failed before: a tap on a map did nothing."""
    w = Watched(browser, site_url, width=PHONE_WIDTH, height=1600, has_touch=True)
    try:
        w.host.scroll_into_view_if_needed()
        x, y = map_point(w.page, 1, 1.9, 0.65)
        w.page.evaluate(SET, [0, 2, 4])
        w.page.touchscreen.tap(x, y)
        check_placed(w, 1, 1.9, 0.65)
        w.check_clean()
    finally:
        w.close()


COLOUR_BARS = """() => [...document.querySelectorAll('.kl-explorer[data-explorer="fits"] svg')].slice(1).map(svg => {
  // The colour bar is what stands right of the map's frame (its unfilled rectangle).
  const frame = [...svg.querySelectorAll('rect')].find(r => r.getAttribute('fill') === 'none').getBoundingClientRect();
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].map(t => ({text: t.textContent, r: t.getBoundingClientRect()}))
    .filter(t => t.r.left > frame.right);
  return {texts: texts.map(t => ({text: t.text, left: t.r.left, right: t.r.right, top: t.r.top, bottom: t.r.bottom,
                                  y: t.r.top + t.r.height / 2})),
          svg: {left: box.left, right: box.right, top: box.top, bottom: box.bottom}};
})"""


def colour_bar_ticks(page) -> list[dict]:
    bars = page.evaluate(COLOUR_BARS)
    for bar in bars:
        bar["ticks"] = []
        bar["titles"] = []
        for t in bar["texts"]:
            try:
                bar["ticks"].append((float(t["text"]), t["y"]))
            except ValueError:
                bar["titles"].append(t["text"])
    return bars


def check_colour_bars(page, separation: float) -> None:
    forward_bar, reverse_bar = colour_bar_ticks(page)
    fit = math.sqrt(0.36 + separation ** 2 / 4)
    # D(p || q) over the maps' box lies between its minimum, the moment match, and its value at
    # the corner mu = +-4, sigma = 0.3 (the box's smallest sigma and largest |mu|).
    forward_range = (kltools.kl(mixture(separation), st.norm(0, fit)), kltools.kl(mixture(separation), st.norm(4, 0.3)))
    for bar, direction, low, high in ((forward_bar, "D(p ‖ q)", *forward_range),
                                      (reverse_bar, "D(q ‖ p)", 0.0, math.inf)):
        values = [v for v, _ in bar["ticks"]]
        assert len(values) >= 3, bar["texts"]
        assert all(low <= v <= high for v in values), (direction, values, low, high)
        assert any(direction in t and "nats" in t for t in bar["titles"]), bar["titles"]
        # read bottom to top the values grow, evenly in log D (the scale is logarithmic)
        ordered = sorted(bar["ticks"], key=lambda t: -t[1])
        assert [v for v, _ in ordered] == sorted(values) and len(set(values)) == len(values), ordered
        (v0, y0), (v1, y1) = ordered[0], ordered[-1]
        for v, y in ordered:
            expected = y0 + (math.log(v) - math.log(v0)) / (math.log(v1) - math.log(v0)) * (y1 - y0)
            assert abs(y - expected) <= 1.0, (direction, ordered)
        ticks = sorted((t for t in bar["texts"] if t["text"] not in bar["titles"]), key=lambda t: t["top"])
        for upper, lower in zip(ticks, ticks[1:]):
            assert upper["bottom"] <= lower["top"] + 0.5, ("tick labels overlap", upper, lower)
        for t in bar["texts"]:
            assert bar["svg"]["left"] <= t["left"] and t["right"] <= bar["svg"]["right"] + 0.5, (t, bar["svg"])
    # the reverse map's smallest value is its best local minimum, 0.6918 nats at s = 4
    if separation == 4:
        assert min(v for v, _ in reverse_bar["ticks"]) >= 0.6918


@pytest.mark.parametrize("width", [1280, PHONE_WIDTH])
def test_colour_bars_are_ticked_in_nats_and_say_what_the_colour_is(browser, site_url, width):
    """Failed before: each bar had two labels, its ends in log units (-0.6 and 4.7 for the
    forward map), and no title."""
    w = Watched(browser, site_url, width=width, height=1600)
    try:
        w.host.scroll_into_view_if_needed()
        check_colour_bars(w.page, 4)
        for separation in (1, 6):  # the maps are redrawn for a new p
            w.page.evaluate(SET, [1, 1, separation])
            check_colour_bars(w.page, separation)
        w.check_clean()
    finally:
        w.close()


def test_phone_width_no_horizontal_scroll(browser, site_url):
    w = Watched(browser, site_url, width=PHONE_WIDTH, height=1600)  # tall: the whole explorer in view
    try:
        w.host.scroll_into_view_if_needed()
        assert w.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
        assert w.host.bounding_box()["width"] <= PHONE_WIDTH
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        w.host.screenshot(path=str(SCREENSHOTS / "explorer_fits_phone.png"))
        w.check_clean()
    finally:
        w.close()


def axis_and_background(page):
    return page.evaluate("""() => {
      const t = document.querySelector('.kl-explorer[data-explorer="fits"] svg text');
      return {axis: getComputedStyle(t).fill, background: getComputedStyle(document.body).backgroundColor};
    }""")


def test_screenshots_light_and_dark(watched):
    page = watched.page
    wait_for_math(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watched.host.scroll_into_view_if_needed()
    colours = axis_and_background(page)
    assert colours["axis"] != colours["background"]
    watched.host.screenshot(path=str(SCREENSHOTS / "explorer_fits_light.png"))
    for _ in range(3):  # the switch cycles light -> dark -> auto
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        page.click("button.theme-switch-button")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    dark = axis_and_background(page)
    assert dark["background"] != "rgb(255, 255, 255)"
    assert dark["axis"] != dark["background"]
    assert dark["axis"] != colours["axis"]  # the text follows the theme
    watched.host.screenshot(path=str(SCREENSHOTS / "explorer_fits_dark.png"))
    watched.check_clean()
