"""Code and printed output fit the text column of a desktop screen (1280 px).

A code cell or an output wider than its column scrolls sideways, and what scrolls out of view is
usually the end of a line: the part of a ``print(f"...")`` that says what a number means. On every
chapter page and on the library tour (book/kltools.md), with every folded cell and solution opened as a reader would open them, no code cell
(``.cell_input pre``), no output ``pre`` and no other code block may be wider than its box
(scrollWidth > clientWidth + 1). Offenders are reported by page, kind and first line.

The chapters' code lines are at most 79 characters (tests/test_chapters.py checks the text
sources) and their printed lines too; book/_ext/reading/kl-code.css sets the code font to 13 px, at
which 81 characters fit the 666 px code box. Seen to fail on the build before both changes: 214
of the 314 code blocks on the seven chapter pages scrolled (153 code cells, 61 outputs), lines up
to 138 characters long; on the library tour, kltools' error messages and estimates printed
whole (up to 194 characters).
"""

from __future__ import annotations

import pytest

from conftest import CHAPTERS, OPEN_EVERY_DROPDOWN, wait_for_math

DESKTOP_WIDTH = 1280
# The chapters, the library tour (its outputs are kltools' error messages and estimates) and
# the API reference (the docstrings' examples).
READER_PAGES = [*CHAPTERS, "kltools", "api"]

MEASURE_CODE = """() => [...document.querySelectorAll('main pre')]
  .filter(pre => pre.checkVisibility())
  .map(pre => {
    const lines = pre.textContent.split('\\n');
    return {
      kind: pre.closest('.cell_input') ? 'code cell'
          : pre.closest('.cell_output') ? 'output' : 'code block',
      scrolls: pre.scrollWidth > pre.clientWidth + 1,
      overflow: pre.scrollWidth - pre.clientWidth,
      first: (lines.find(line => line.trim()) || '').trim().slice(0, 70),
      longest: Math.max(...lines.map(line => line.length)),
    };
  })"""


@pytest.fixture(scope="module")
def code_blocks(browser, site_url):
    """Every chapter at 1280 px with its dropdowns open: each visible code or output block."""
    results = {}
    for chapter in READER_PAGES:
        context = browser.new_context(viewport={"width": DESKTOP_WIDTH, "height": 900})
        page = context.new_page()
        page.goto(f"{site_url}/book/{chapter}.html", wait_until="networkidle")
        wait_for_math(page)
        still_hidden = page.evaluate(OPEN_EVERY_DROPDOWN)
        results[chapter] = dict(still_hidden=still_hidden, blocks=page.evaluate(MEASURE_CODE))
        context.close()
    return results


@pytest.mark.parametrize("chapter", READER_PAGES)
def test_no_code_cell_or_output_scrolls_sideways_on_a_desktop(code_blocks, chapter):
    report = code_blocks[chapter]
    assert report["still_hidden"] == 0, f"{chapter}: dropdowns left closed, their code unmeasured"
    kinds = {block["kind"] for block in report["blocks"]}
    expected = {"code block"} if chapter == "api" else {"code cell", "output"}
    assert expected <= kinds, f"{chapter}: no {expected} found: {kinds}"
    offenders = [
        f"book/{chapter}.html: {block['kind']} {block['overflow']} px too wide "
        f"(longest line {block['longest']} characters), starting {block['first']!r}"
        for block in report["blocks"] if block["scrolls"]
    ]
    assert offenders == [], (
        f"{len(offenders)} of {len(report['blocks'])} code blocks scroll sideways at "
        f"{DESKTOP_WIDTH} px:\n" + "\n".join(offenders))
