"""The "gaussians" explorer of the KL chapter (book/_ext/explorers/gaussians.js) in a browser.

Sliders mu_p, sigma_p, mu_q, sigma_q set p = N(mu_p, sigma_p^2) and q = N(mu_q, sigma_q^2); the
outputs kl_pq, kl_qp and ratio must agree with kltools.kl on the same (browser-clamped) settings to
1e-6 relative, the SVG must redraw, the sliders must work from the keyboard, no slider may move the
axes (a curve moves only with its own sliders, and stays inside the plot), and the explorer must
stay on site, fit a phone and be legible in dark mode.
"""

from __future__ import annotations

import math
import re

import pytest
from scipy import stats

import kltools
from conftest import ALLOWED_CONSOLE_ERRORS, PHONE_WIDTH, SCREENSHOTS, wait_for_math

PAGE = "book/kl-divergence.html"
ROOT = '.kl-explorer[data-explorer="gaussians"]'
NAMES = ("mu_p", "sigma_p", "mu_q", "sigma_q")

# (mu_p, sigma_p, mu_q, sigma_q); some lie off the step grid or outside the range on purpose:
# the browser clamps them, and the test compares with the value it reads back.
SETTINGS = [
    (0, 1, 1, 2),            # the chapter's example
    (0, 1, 0, 1),            # equal: exactly 0 both ways
    (-5, 0.2, -5, 0.2),      # equal at the edges
    (5, 5, 5, 5),
    (0, 0.2, 0, 5),          # smallest sigma against largest
    (0, 5, 0, 0.2),
    (-5, 0.2, 5, 5),         # extreme means and sigmas
    (5, 0.2, -5, 5),
    (-5, 5, 5, 0.2),
    (-5, 0.2, 5, 0.2),
    (-5, 5, 5, 5),
    (0, 4.95, 0, 5),         # nearly equal sigmas (u = -0.0199)
    (0, 5, 0, 4.95),
    (0, 0.2, 0, 0.25),
    (0, 1, 0, 1.05),
    (0, 5, 0.1, 5),          # nearly equal means
    (1.3, 2.35, 1.2, 2.4),
    (0, 1, 3, 1),
    (0, 0.5, 0, 3),          # a tenfold pair candidate
    (2.2, 0.75, -1.7, 3.45),
    (-3.3, 1.65, 0.4, 0.9),
    (0.37, 1.234, -0.06, 7.0),   # off-grid and out of range: clamped by the browser
    (-9, 0.01, 9, 0.21),
]

SET_AND_READ = """([root, values]) => {
  const el = document.querySelector(root);
  for (const [name, value] of Object.entries(values)) {
    const input = el.querySelector(`input[name="${name}"]`);
    input.value = String(value);
    input.dispatchEvent(new Event('input', {bubbles: true}));
  }
  const read = {};
  for (const input of el.querySelectorAll('input[type="range"]')) read[input.name] = input.value;
  for (const out of el.querySelectorAll('output')) read[out.getAttribute('name')] = out.textContent;
  return read;
}"""


def kl_normal(m1: float, s1: float, m2: float, s2: float) -> float:
    return float(kltools.kl(stats.norm(m1, s1), stats.norm(m2, s2)))


def assert_close(shown: str, expected: float, what: str) -> None:
    value = float(shown)
    if expected == 0:
        assert abs(value) <= 1e-12, f"{what}: shown {shown}, expected 0"
    else:
        assert abs(value - expected) <= 1e-6 * abs(expected), f"{what}: shown {shown}, expected {expected!r}"


@pytest.fixture(scope="module")
def session(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log = {"console": [], "pageerrors": [], "requests": []}
    page.on("console", lambda m: log["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["pageerrors"].append(str(e)))
    page.on("request", lambda r: log["requests"].append(r.url))
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle")
    wait_for_math(page)
    page.wait_for_selector(f"{ROOT} svg")
    yield page, log
    context.close()


def test_contract_elements(session):
    page, _ = session
    info = page.evaluate("""(root) => {
      const el = document.querySelector(root);
      const svg = el.querySelector('svg');
      return {
        inputs: [...el.querySelectorAll('input[type="range"]')].map(i => ({
          name: i.name, labelled: !!i.closest('label') && i.closest('label').textContent.trim().length > 0,
          min: i.min, max: i.max, step: i.step, value: i.value})),
        outputs: [...el.querySelectorAll('output')].map(o => o.getAttribute('name')),
        live: !!el.querySelector('[aria-live="polite"] output'),
        role: svg.getAttribute('role'),
        label: svg.getAttribute('aria-label') || (svg.querySelector('title') || {}).textContent || '',
        readout: el.querySelector('.kl-readout').textContent,
        svgText: [...svg.querySelectorAll('text')].map(t => t.textContent),
      };
    }""", ROOT)
    assert [i["name"] for i in info["inputs"]] == list(NAMES)
    assert all(i["labelled"] for i in info["inputs"])
    assert {i["name"]: float(i["value"]) for i in info["inputs"]} == {
        "mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}
    assert [(i["min"], i["max"], i["step"]) for i in info["inputs"]] == [
        ("-5", "5", "0.1"), ("0.2", "5", "0.05"), ("-5", "5", "0.1"), ("0.2", "5", "0.05")]
    assert sorted(info["outputs"]) == ["kl_pq", "kl_qp", "ratio"]
    assert info["live"]
    assert info["role"] == "img" and "p = N(0, 1²)" in info["label"] and "q = N(1, 2²)" in info["label"]
    assert "D(p ‖ q)" in info["readout"] and "D(q ‖ p)" in info["readout"] and "nats" in info["readout"]
    assert "x" in info["svgText"] and "density" in info["svgText"]


def test_outputs_match_kltools_over_a_grid(session):
    page, _ = session
    worst = 0.0
    for setting in SETTINGS:
        read = page.evaluate(SET_AND_READ, [ROOT, dict(zip(NAMES, setting))])
        mp, sp, mq, sq = (float(read[name]) for name in NAMES)
        # the browser clamps to [min, max] and the step grid
        assert -5 <= mp <= 5 and -5 <= mq <= 5 and 0.2 <= sp <= 5 and 0.2 <= sq <= 5, read
        forward, reverse = kl_normal(mp, sp, mq, sq), kl_normal(mq, sq, mp, sp)
        assert_close(read["kl_pq"], forward, f"D(p||q) at {read}")
        assert_close(read["kl_qp"], reverse, f"D(q||p) at {read}")
        if forward == 0:
            assert read["kl_pq"] == read["kl_qp"] == "0" and reverse == 0, read
            assert not any(ch.isdigit() for ch in read["ratio"]), read
        else:
            assert_close(read["ratio"], forward / reverse, f"ratio at {read}")
            worst = max(worst, abs(float(read["ratio"]) / (forward / reverse) - 1))
            worst = max(worst, abs(float(read["kl_pq"]) / forward - 1), abs(float(read["kl_qp"]) / reverse - 1))
    print(f"largest relative difference from kltools: {worst:.3g}")
    # the edges were really reached
    read = page.evaluate(SET_AND_READ, [ROOT, {"mu_p": -9, "sigma_p": 0.01, "mu_q": 9, "sigma_q": 99}])
    assert (read["mu_p"], read["sigma_p"], read["mu_q"], read["sigma_q"]) == ("-5", "0.2", "5", "5")


def test_the_chapter_example_and_a_tenfold_pair(session):
    page, _ = session
    read = page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}])
    assert_close(read["kl_pq"], math.log(2) + 2 / 8 - 0.5, "chapter example")
    read = page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 0.5, "mu_q": 0, "sigma_q": 3}])
    assert float(read["ratio"]) < 0.1 or float(read["ratio"]) > 10, read


def test_svg_redraws_on_input(session):
    page, _ = session
    page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}])
    before = page.evaluate(f"() => document.querySelector('{ROOT} svg').innerHTML")
    page.evaluate(SET_AND_READ, [ROOT, {"sigma_q": 1.5}])
    after = page.evaluate(f"() => document.querySelector('{ROOT} svg').innerHTML")
    assert before != after
    label = page.evaluate(f"() => document.querySelector('{ROOT} svg title').textContent")
    assert "q = N(1, 1.5²)" in label


def test_keyboard_moves_a_slider_by_one_step(session):
    page, _ = session
    page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}])
    for name, step in (("mu_q", 0.1), ("sigma_p", 0.05)):
        slider = page.locator(f'{ROOT} input[name="{name}"]')
        before = float(slider.input_value())
        output = page.locator(f'{ROOT} output[name="kl_pq"]').text_content()
        slider.focus()
        page.keyboard.press("ArrowRight")
        after = float(slider.input_value())
        assert after == pytest.approx(before + step), (name, before, after)
        assert page.evaluate("() => document.activeElement.name") == name
        new_output = page.locator(f'{ROOT} output[name="kl_pq"]').text_content()
        assert new_output != output
        values = {n: float(page.locator(f'{ROOT} input[name="{n}"]').input_value()) for n in NAMES}
        assert_close(new_output, kl_normal(values["mu_p"], values["sigma_p"], values["mu_q"], values["sigma_q"]),
                     "after ArrowRight")


CURVES = """(root) => {
  const svg = document.querySelector(root + ' svg');
  const lines = [...svg.querySelectorAll('line')].map(l => ['x1', 'x2', 'y1', 'y2'].map(a => +l.getAttribute(a)));
  // The plot is the area between the axes: the y axis is the longest vertical line, and the
  // horizontal lines (the x axis and the grid) span the plot's width.
  const vertical = lines.filter(([x1, x2]) => x1 === x2).sort((a, b) => Math.abs(b[3] - b[2]) - Math.abs(a[3] - a[2]))[0];
  const horizontal = lines.filter(([, , y1, y2]) => y1 === y2);
  const plot = {left: vertical[0], top: Math.min(vertical[2], vertical[3]), bottom: Math.max(vertical[2], vertical[3]),
                right: Math.max(...horizontal.map(l => Math.max(l[0], l[1])))};
  const curves = [...svg.querySelectorAll('path[fill="none"]')].filter(c => c.getAttribute('stroke') !== 'currentColor');
  const solid = curves.filter(c => !c.getAttribute('stroke-dasharray'));
  const dashed = curves.filter(c => c.getAttribute('stroke-dasharray'));
  return {plot, p: solid.map(c => c.getAttribute('d')), q: dashed.map(c => c.getAttribute('d')),
          xTicks: [...svg.querySelectorAll('.kl-axis text')].map(t => t.textContent)};
}"""


def curves(page) -> dict:
    """The drawn curves of p (solid) and q (dashed) and the plot area, in the SVG's units."""
    drawn = page.evaluate(CURVES, ROOT)
    assert len(drawn["p"]) == 1 and len(drawn["q"]) == 1, drawn
    drawn["p"], drawn["q"] = drawn["p"][0], drawn["q"][0]
    return drawn


def points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)]


def assert_inside(drawn: dict, what: str) -> None:
    plot = drawn["plot"]
    for letter in "pq":
        pts = points(drawn[letter])
        assert pts, drawn[letter]
        outside = [(x, y) for x, y in pts if not (plot["left"] - 0.01 <= x <= plot["right"] + 0.01
                                                   and plot["top"] - 0.01 <= y <= plot["bottom"] + 0.01)]
        assert outside == [], f"{letter}'s curve leaves the plot {plot} at {outside[:3]} ({what})"


def test_a_curve_stays_put_while_only_the_other_distributions_sliders_move(session):
    """Failed before: both axes rescaled to the two curves on every input, so p's path changed
    (and p seemed to move) whenever q's mean or standard deviation did."""
    page, _ = session
    for fixed, moving in (("p", "q"), ("q", "p")):
        page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}])
        start = curves(page)
        for mu in (-5, -2.5, 0, 1, 3.7, 5):
            for sigma in (0.2, 0.35, 1, 2.5, 5):
                read = page.evaluate(SET_AND_READ, [ROOT, {f"mu_{moving}": mu, f"sigma_{moving}": sigma}])
                drawn = curves(page)
                assert drawn[fixed] == start[fixed], f"{fixed}'s curve moved at {read}"
                assert drawn["plot"] == start["plot"] and drawn["xTicks"] == start["xTicks"], read
                assert_inside(drawn, str(read))
    # A real drag of q's standard deviation from one end of its track to the other.
    page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 0.2}])
    start = curves(page)
    track = page.locator(f'{ROOT} input[name="sigma_q"]').bounding_box()
    y = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + 2, y)
    page.mouse.down()
    seen = set()
    for k in range(1, 21):
        page.mouse.move(track["x"] + 2 + (track["width"] - 4) * k / 20, y)
        drawn = curves(page)
        seen.add(drawn["q"])
        assert drawn["p"] == start["p"], f"p's curve moved during the drag, step {k}"
        assert_inside(drawn, f"drag step {k}")
    page.mouse.up()
    assert float(page.locator(f'{ROOT} input[name="sigma_q"]').input_value()) == 5 and len(seen) > 10


def test_fitting_the_view_is_a_discrete_action(session):
    """The button fits the axes to the present curves once; afterwards the sliders leave them
    alone, the curves are clipped to the plot, and a note says when one reaches outside.
    Failed before: there was no such button (the axes refit on every input)."""
    page, _ = session
    page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}])
    full = curves(page)
    note = page.locator(f"{ROOT} .kl-view-note")
    fit = page.get_by_role("button", name="fit to p and q now")
    assert fit.count() == 1
    fit.click()
    fitted = curves(page)
    assert fitted["xTicks"] != full["xTicks"] and fitted["p"] != full["p"]
    assert fit.get_attribute("aria-pressed") == "true"
    assert_inside(fitted, "fitted view")
    assert note.text_content() == ""
    for mu, sigma in ((-4, 3), (2, 0.2), (1, 1.9)):
        read = page.evaluate(SET_AND_READ, [ROOT, {"mu_q": mu, "sigma_q": sigma}])
        drawn = curves(page)
        assert drawn["p"] == fitted["p"] and drawn["xTicks"] == fitted["xTicks"], read
        clipped = page.evaluate("""(root) => [...document.querySelectorAll(root + ' svg path[stroke-dasharray]')]
            .filter(c => c.closest('[clip-path]')).length""", ROOT)
        assert clipped == 1, read
        if (mu, sigma) != (1, 1.9):
            assert "q" in note.text_content() and "outside" in note.text_content(), read
        else:
            assert note.text_content() == "", read
    # Keyboard: the buttons are reachable and work from the keyboard.
    full_button = page.get_by_role("button", name="full range")
    full_button.focus()
    page.keyboard.press("Enter")
    back = curves(page)
    assert back["xTicks"] == full["xTicks"] and full_button.get_attribute("aria-pressed") == "true"
    page.evaluate(SET_AND_READ, [ROOT, {"mu_q": 1, "sigma_q": 2}])
    assert curves(page)["p"] == full["p"] and note.text_content() == ""


def test_no_errors_and_no_foreign_requests(session, site_url):
    page, log = session
    page.evaluate(SET_AND_READ, [ROOT, {"mu_p": 0, "sigma_p": 1, "mu_q": 1, "sigma_q": 2}])
    errors = [e for e in log["console"] if not any(a in e for a in ALLOWED_CONSOLE_ERRORS)]
    page_errors = log["pageerrors"]
    assert errors == [] and page_errors == []
    foreign = [u for u in log["requests"] if not u.startswith((site_url, "data:", "blob:"))]
    assert foreign == []


def test_fits_a_phone(browser, site_url):
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 844})
    page = context.new_page()
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle")
    wait_for_math(page)
    page.wait_for_selector(f"{ROOT} svg")
    page.evaluate(SET_AND_READ, [ROOT, {"mu_p": -5, "sigma_p": 0.2, "mu_q": 5, "sigma_q": 5}])
    widths = page.evaluate(f"""() => {{
      const el = document.querySelector('{ROOT}');
      const svg = el.querySelector('svg').getBoundingClientRect();
      const text = [...el.querySelectorAll('svg text')].map(t => t.getBoundingClientRect());
      return {{page: document.documentElement.scrollWidth, root: el.getBoundingClientRect().right,
               svgRight: svg.right, textRight: Math.max(...text.map(r => r.right)),
               textLeft: Math.min(...text.map(r => r.left)), svgLeft: svg.left}};
    }}""")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(SCREENSHOTS / "explorer_gaussians_phone.png"))
    context.close()
    assert widths["page"] <= PHONE_WIDTH, widths
    assert widths["svgLeft"] - 0.5 <= widths["textLeft"] and widths["textRight"] <= widths["svgRight"] + 0.5, widths


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshot_and_legibility(browser, site_url, mode):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle")
    wait_for_math(page)
    page.wait_for_selector(f"{ROOT} svg")
    for _ in range(3):  # the switch cycles light -> dark -> auto
        if page.evaluate("() => document.documentElement.dataset.theme") == mode:
            break
        page.click("button.theme-switch-button")
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    colours = page.evaluate(f"""() => ({{
      background: getComputedStyle(document.body).backgroundColor,
      axisText: getComputedStyle(document.querySelector('{ROOT} svg .kl-axis text')).fill,
      readout: getComputedStyle(document.querySelector('{ROOT} output')).color,
    }})""")
    page.locator(ROOT).scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(SCREENSHOTS / f"explorer_gaussians_{mode}.png"))
    context.close()
    assert colours["axisText"] != colours["background"], colours
    assert colours["readout"] != colours["background"], colours
    if mode == "dark":
        assert colours["background"] != "rgb(255, 255, 255)", colours
