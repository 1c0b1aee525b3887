"""The entropy explorer (book/_ext/explorers/entropy.js) on the entropy chapter's page.

Drives its range inputs as a reader would (setting a slider's value and firing `input`, the
keyboard, dragging a bar with the mouse) and checks, after every input, that the probabilities
follow the documented rule (the moved slider's value, read back after the browser clamps it to its
step; the others rescaled in proportion, unrounded) and that every number shown agrees with
kltools for them, while the sliders and labels show them rounded to 0.001.

Without Chromium, Playwright or a built site these tests skip (see conftest.py).
"""

from __future__ import annotations

import math
import random

import pytest

import kltools
from conftest import ALLOWED_CONSOLE_ERRORS, PHONE_WIDTH, SCREENSHOTS, wait_for_math

PAGE = "book/entropy.html"
ROOT = '.kl-explorer[data-explorer="entropy"]'
STEP = 0.001

SET = """([name, value]) => {
  const input = document.querySelector(`%s input[name="${name}"]`);
  input.value = String(value);
  input.dispatchEvent(new Event('input', {bubbles: true}));
  return input.value;
}""" % ROOT

READ = """() => {
  const root = document.querySelector('%s');
  const out = name => root.querySelector(`output[name="${name}"]`).textContent;
  const sliders = [...root.querySelectorAll('input[type="range"][name^="p"]')];
  return {
    n: Number(root.querySelector('input[name="n"]').value),
    names: sliders.map(s => s.name),
    values: sliders.map(s => s.value),
    labels: sliders.map(s => s.labels[0].textContent),
    entropy: out('entropy_bits'),
    max: out('max_bits'),
    surprises: sliders.map((_, i) => out('surprise' + (i + 1))),
    barLabels: [...root.querySelectorAll('svg text.kl-surprise')].map(t => t.textContent),
    svg: root.querySelector('svg').innerHTML,
  };
}""" % ROOT


def uniform(n: int) -> list[float]:
    return [1 / n] * n


def after_input(probs: list[float], i: int, value: float) -> list[float]:
    """The documented rule, in the explorer's floating-point arithmetic: p(i) = value and the
    others rescaled by (1 - value) / (their sum), or sharing 1 - value equally if they are all 0."""
    others = 0.0
    for j, p in enumerate(probs):
        if j != i:
            others += p
    scale = (1 - value) / others if others > 0 else 0.0
    return [value if j == i else p * scale if others > 0 else (1 - value) / (len(probs) - 1)
            for j, p in enumerate(probs)]


def relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a)


def fresh_page(browser, site_url, **context_args):
    context = browser.new_context(**context_args)
    page = context.new_page()
    problems = {"console": [], "pageerrors": [], "foreign": []}
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["pageerrors"].append(str(e)))
    page.on("request", lambda r: None if r.url.startswith((site_url, "data:", "blob:"))
            else problems["foreign"].append(r.url))
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle")
    wait_for_math(page)
    page.wait_for_selector(f'{ROOT} output[name="entropy_bits"]')
    return context, page, problems


def assert_clean(problems):
    console = [e for e in problems["console"] if not any(a in e for a in ALLOWED_CONSOLE_ERRORS)]
    pageerrors = problems["pageerrors"]
    assert console == [], console
    assert pageerrors == [], pageerrors
    assert problems["foreign"] == [], problems["foreign"]


@pytest.fixture(scope="module")
def explorer(browser, site_url):
    context, page, problems = fresh_page(browser, site_url, viewport={"width": 1280, "height": 900})
    page.locator(ROOT).scroll_into_view_if_needed()
    yield page, problems
    context.close()


def check_state(state, probs, worst):
    """Compare every number shown with kltools for the probabilities `probs` the rule predicts,
    and the sliders and their labels with those probabilities rounded to the step."""
    n = state["n"]
    values = [float(v) for v in state["values"]]
    assert len(probs) == n and state["names"] == [f"p{i}" for i in range(1, n + 1)]
    assert [label.startswith(f"p({i})") for i, label in enumerate(state["labels"], 1)] == [True] * n
    shown_p = [float(label.split("=")[1].split()[0]) for label in state["labels"]]
    for value, label, p in zip(values, shown_p, probs):
        assert abs(value - p) <= STEP / 2 + 1e-12 and abs(label - p) <= STEP / 2 + 1e-12, (values, probs)
    assert abs(sum(values) - 1) <= n * STEP / 2, values
    expected = float(kltools.entropy(probs, normalize=True, base=2))
    shown = float(state["entropy"])
    if expected == 0:
        assert shown == 0 and max(probs) == 1, (state["entropy"], probs)
    else:
        worst["entropy"] = max(worst["entropy"], relative(shown, expected))
        assert relative(shown, expected) <= 1e-6, (shown, expected, probs)
    assert relative(float(state["max"]), math.log2(n)) <= 1e-6, state["max"]
    worst["max"] = max(worst["max"], relative(float(state["max"]), math.log2(n)))
    total = sum(probs)
    assert len(state["barLabels"]) == n
    for p, text, bar in zip(probs, state["surprises"], state["barLabels"]):
        if p == 0:
            assert text == "∞" and bar == "∞", (text, bar)
            continue
        surprise = -math.log2(p / total)
        if surprise == 0:
            assert float(text) == 0
        else:
            worst["surprise"] = max(worst["surprise"], relative(float(text), surprise))
            assert relative(float(text), surprise) <= 1e-6, (text, surprise)
        assert abs(float(bar) - surprise) <= 0.0005 + 1e-9, (bar, surprise)
    return expected


NO_WORST = {"entropy": 0.0, "max": 0.0, "surprise": 0.0}


def grid_of_settings():
    """Sequences of (slider, value) inputs; each starts by setting n, which resets to uniform."""
    settings = [
        [("n", 6)], [("n", 5)], [("n", 4)],                             # uniform, n = 6, 5, 4
        [("n", 6), ("p1", 1)],                                          # a certain outcome
        [("n", 4), ("p4", 1)], [("n", 5), ("p3", 1)],
        [("n", 6), ("p1", 1), ("p2", 0.5)],                             # two equal, rest 0
        [("n", 6), ("p1", 1), ("p1", 0.4)],                             # all others 0: equal shares
        [("n", 6), ("p1", 0)], [("n", 4), ("p2", 0), ("p3", 0)],
        [("n", 6), ("p1", 0.001)], [("n", 4), ("p4", 0.001)],           # very small probabilities
        [("n", 5), ("p1", 1), ("p2", 0.001)],                           # 0.999 and 0.001
        [("n", 6), ("p1", 0.999)],                                      # the rest share 0.001
        [("n", 6), ("p1", 0.995), ("p2", 0.001), ("p3", 0.001)],
        [("n", 4), ("p1", 0.001), ("p2", 0.001), ("p3", 0.001)],
        [("n", 6), ("p2", 0.5), ("p5", 0.25)],
        [("n", 5), ("p1", 0.3), ("p2", 0.3), ("p3", 0.2), ("p4", 0.1)],
        [("n", 6), ("p3", 1.5)], [("n", 6), ("p3", -0.2)],              # clamped to [0, 1]
        [("n", 4), ("p2", 0.12345)], [("n", 5), ("p5", 0.0004)],        # rounded to the step
        [("n", 4), ("n", 9)], [("n", 6), ("n", 2)],                     # n clamped to [4, 6]
    ]
    rng = random.Random(13)
    for _ in range(12):
        n = rng.choice([4, 5, 6])
        steps = [("n", n)]
        for _ in range(rng.randint(1, 6)):
            value = rng.choice([round(rng.random(), 3), round(rng.random() ** 4, 3), 0, 1, 0.001])
            steps.append((f"p{rng.randint(1, n)}", value))
        settings.append(steps)
    return settings


def test_outputs_match_kltools_over_a_grid_of_settings(explorer):
    page, problems = explorer
    worst = {"entropy": 0.0, "max": 0.0, "surprise": 0.0}
    settings = grid_of_settings()
    assert len(settings) >= 20
    seen_n, certain, uniform_seen, small_seen = set(), 0, 0, 0
    probs: list[float] = []
    for steps in settings:
        for name, value in steps:
            before = page.evaluate(READ)
            kept = page.evaluate(SET, [name, value])
            after = page.evaluate(READ)
            if name == "n":
                n = after["n"]
                assert n == min(6, max(4, value))
                probs = uniform(n)                        # n resets to the exact uniform
            else:
                i = int(name[1:]) - 1
                k = round(float(kept) * 1000)
                assert abs(float(kept) * 1000 - k) < 1e-9, kept     # on the step
                assert k == min(1000, max(0, round(value * 1000))) or abs(value * 1000 - k) <= 0.5
                probs = after_input(probs, i, float(kept))
                assert after["svg"] != before["svg"] or before["values"] == after["values"]
            check_state(after, probs, worst)              # after every input, not only the last
        seen_n.add(len(probs))
        certain += max(probs) == 1
        uniform_seen += len(steps) == 1
        small_seen += 0.001 in probs
    assert seen_n == {4, 5, 6} and certain >= 3 and uniform_seen >= 3 and small_seen >= 3
    print(f"\nlargest relative differences against kltools / log2: {worst}")
    assert_clean(problems)


def test_the_chart_changes_with_an_input(explorer):
    page, _ = explorer
    page.evaluate(SET, ["n", 6])
    before = page.evaluate(READ)
    page.evaluate(SET, ["p2", 0.6])
    after = page.evaluate(READ)
    assert after["svg"] != before["svg"]
    assert after["entropy"] != before["entropy"]
    assert after["barLabels"][1] == f"{-math.log2(0.6):.3f}"


def test_keyboard_moves_a_slider_by_one_step(explorer):
    page, problems = explorer
    page.evaluate(SET, ["n", 6])
    before = page.evaluate(READ)
    page.focus(f'{ROOT} input[name="p1"]')
    page.keyboard.press("ArrowRight")
    after = page.evaluate(READ)
    assert page.evaluate("() => document.activeElement.name") == "p1"
    assert round((float(after["values"][0]) - float(before["values"][0])) * 1000) == 1
    assert after["entropy"] != before["entropy"]
    check_state(after, after_input(uniform(6), 0, 0.168), dict(NO_WORST))
    # The number of outcomes too: one step left drops the sixth slider.
    page.focus(f'{ROOT} input[name="n"]')
    page.keyboard.press("ArrowLeft")
    state = page.evaluate(READ)
    assert state["n"] == 5 and state["names"] == ["p1", "p2", "p3", "p4", "p5"]
    assert [float(v) for v in state["values"]] == [0.2] * 5
    assert float(state["max"]) == pytest.approx(math.log2(5), rel=1e-6)
    assert page.evaluate("() => document.activeElement.name") == "n"
    assert_clean(problems)


def test_dragging_a_bar_with_the_mouse_sets_its_probability(explorer):
    page, problems = explorer
    page.evaluate(SET, ["n", 6])
    page.locator(ROOT).scroll_into_view_if_needed()
    before = page.evaluate(READ)
    # Screen position of the probability 0.75 on the chart, and of the third bar's column.
    target = page.evaluate("""() => {
      const svg = document.querySelector('%s svg');
      const bar = svg.querySelector('[data-bar="2"]').getBoundingClientRect();
      const m = svg.getScreenCTM(), p = svg.createSVGPoint();
      p.y = 210 - 0.75 * 166;  // Y0 - q * PH in the script's viewBox units
      return {x: bar.x + bar.width / 2, y0: bar.bottom - 5, y: p.matrixTransform(m).y};
    }""" % ROOT)
    page.mouse.move(target["x"], target["y0"])
    page.mouse.down()
    for fraction in (0.25, 0.5, 0.75, 1.0):
        page.mouse.move(target["x"], target["y0"] + fraction * (target["y"] - target["y0"]))
    page.mouse.up()
    after = page.evaluate(READ)
    assert abs(float(after["values"][2]) - 0.75) <= 0.01, after["values"]
    assert after["entropy"] != before["entropy"] and after["svg"] != before["svg"]
    # the drag ends as one slider input of the value it left on the slider
    probs = after_input(uniform(6), 2, float(after["values"][2]))
    check_state(after, probs, dict(NO_WORST))
    # Dragging the same bar down to the axis and below gives it probability 0 (surprise ∞).
    page.mouse.move(target["x"], target["y"])
    page.mouse.down()
    page.mouse.move(target["x"], target["y0"] + 60, steps=5)
    page.mouse.up()
    last = page.evaluate(READ)
    assert float(last["values"][2]) == 0 and last["surprises"][2] == "∞"
    check_state(last, after_input(probs, 2, 0.0), dict(NO_WORST))
    assert_clean(problems)


def test_dragging_a_bar_by_touch_on_a_phone(browser, site_url):
    """A finger dragging a bar up sets it to 1 and does not scroll the page (Chromium's touch
    events through the DevTools protocol; the drag targets must stay in the document)."""
    context, page, problems = fresh_page(browser, site_url, has_touch=True, is_mobile=True,
                                         viewport={"width": PHONE_WIDTH, "height": 844})
    page.locator(f"{ROOT} svg").scroll_into_view_if_needed()
    x, bottom, top = page.evaluate("""() => {
      const r = document.querySelector('%s [data-bar="1"]').getBoundingClientRect();
      return [r.x + r.width / 2, r.bottom - 3, r.top + 5];
    }""" % ROOT)
    scrolled = page.evaluate("() => window.scrollY")
    cdp = context.new_cdp_session(page)
    def touch(kind, y=None):
        points = [] if y is None else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", bottom)
    for k in range(1, 11):
        touch("touchMove", bottom + (top - bottom) * k / 10)
    touch("touchEnd")
    state = page.evaluate(READ)
    still = page.evaluate("() => window.scrollY")
    context.close()
    assert [float(v) for v in state["values"]] == [0, 1, 0, 0, 0, 0], state["values"]
    assert float(state["entropy"]) == 0 and still == scrolled
    assert_clean(problems)


def test_uniform_default_and_preset_show_the_maximum(browser, site_url):
    """Failed before: the default and the "uniform" button gave 0.167 four times and 0.166 twice,
    so H showed 2.584957 against a maximum of 2.584963 bits, with nothing saying why."""
    context, page, problems = fresh_page(browser, site_url, viewport={"width": 1280, "height": 900})
    try:
        state = page.evaluate(READ)
        assert state["n"] == 6 and state["entropy"] == state["max"] == "2.584963", state["entropy"]
        assert set(state["surprises"]) == {"2.584963"} and set(state["barLabels"]) == {"2.585"}
        button = page.get_by_role("button", name="uniform")
        for n, bits in ((6, "2.584963"), (5, "2.321928"), (4, "2.000000")):
            page.evaluate(SET, ["n", n])
            assert page.evaluate(READ)["entropy"] == bits
            page.evaluate(SET, ["p2", 0.5])
            assert page.evaluate(READ)["entropy"] != bits
            button.click()
            state = page.evaluate(READ)
            assert state["entropy"] == state["max"] == bits, (n, state["entropy"], state["max"])
            check_state(state, uniform(n), dict(NO_WORST))
        # The sliders cannot show 1/6 exactly; the explorer says that they are rounded.
        text = page.locator(ROOT).inner_text()
        assert "rounded to 0.001" in text and "unrounded" in text, text
        assert_clean(problems)
    finally:
        context.close()


def test_fits_a_phone_screen(browser, site_url):
    context, page, problems = fresh_page(browser, site_url,
                                         viewport={"width": PHONE_WIDTH, "height": 844})
    widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        explorer: document.querySelector('%s').getBoundingClientRect().right,
        svg: document.querySelector('%s svg').getBoundingClientRect().width})""" % (ROOT, ROOT))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(SCREENSHOTS / "explorer_entropy_phone.png"))
    context.close()
    assert widths["page"] <= PHONE_WIDTH and widths["explorer"] <= PHONE_WIDTH, widths
    assert widths["svg"] > 250, widths
    assert_clean(problems)


def test_accessible_names_and_live_readout(explorer):
    page, _ = explorer
    info = page.evaluate("""() => {
      const root = document.querySelector('%s'), svg = root.querySelector('svg');
      return {role: svg.getAttribute('role'), label: svg.getAttribute('aria-label') || '',
              live: root.querySelector('output[name="entropy_bits"]').closest('[aria-live]')
                    ?.getAttribute('aria-live'),
              unlabelled: [...root.querySelectorAll('input')].filter(i => !i.labels.length
                    || !i.labels[0].textContent.trim()).map(i => i.name),
              nLabel: root.querySelector('input[name="n"]').labels[0].textContent,
              viewBox: svg.getAttribute('viewBox')};
    }""" % ROOT)
    assert info["role"] == "img" and "entropy" in info["label"] and "surprise" in info["label"]
    assert info["live"] == "polite" and info["unlabelled"] == [] and info["viewBox"]
    assert "number of outcomes" in info["nLabel"]


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshots_and_legible_axes(browser, site_url, mode):
    context, page, problems = fresh_page(browser, site_url, viewport={"width": 1280, "height": 900})
    if mode == "dark":
        for _ in range(3):  # the switch cycles light -> dark -> auto
            if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
                break
            page.click("button.theme-switch-button")
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    colours = page.evaluate("""() => ({
        axis: getComputedStyle(document.querySelector('%s svg text.kl-axis')).fill,
        background: getComputedStyle(document.body).backgroundColor})""" % ROOT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(SCREENSHOTS / f"explorer_entropy_{mode}.png"))
    context.close()
    assert colours["axis"] != colours["background"], colours
    if mode == "dark":
        assert colours["background"] != "rgb(255, 255, 255)"
    assert_clean(problems)
