"""How long each chapter is to read: its height in screens at 1280 x 900.

A screen is the window's height. The page is measured as a reader first meets it: hidden cells and
solutions folded, every formula typeset. The test prints each page's length (``pytest -s``) and
holds every chapter to a readable length.
"""

from __future__ import annotations

import pytest

from conftest import CHAPTERS, wait_for_math

WIDTH, HEIGHT = 1280, 900
# d2l.ai and the QuantEcon lectures run about ten screens a page; a chapter past this is split.
MOST_SCREENS = 15


def screens(browser, site_url, chapter: str) -> float:
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.goto(f"{site_url}/book/{chapter}.html", wait_until="load")
        wait_for_math(page)
        height = page.evaluate("() => document.documentElement.scrollHeight")
    finally:
        page.close()
    return height / HEIGHT


@pytest.fixture(scope="module")
def lengths(browser, site_url):
    measured = {chapter: screens(browser, site_url, chapter) for chapter in CHAPTERS}
    print()
    for chapter, length in sorted(measured.items(), key=lambda item: -item[1]):
        print(f"page length at {WIDTH}x{HEIGHT}: {chapter:28s} {length:5.1f} screens")
    return measured


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_reads_in_a_sitting(lengths, chapter):
    assert lengths[chapter] <= MOST_SCREENS, (
        f"{chapter} runs {lengths[chapter]:.1f} screens at {WIDTH}x{HEIGHT}; "
        f"split it along a seam (at most {MOST_SCREENS})")
