"""Shared fixtures of the browser tests: the built site on a loopback port, and Chromium.

The site is ``_build/html`` unless ``KLTOOLS_SITE`` names another built site (for example a
build into a scratch folder with ``jupyter-book build . --path-output DIR``: then
``KLTOOLS_SITE=DIR/_build/html``). Without Chromium, Playwright or a built site the tests skip
and say why, unless KLTOOLS_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("KLTOOLS_SITE", ROOT / "_build" / "html"))
SCREENSHOTS = SITE.parent / "screenshots"
CHROMIUM = os.environ.get("KLTOOLS_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("KLTOOLS_REQUIRE_BROWSER") == "1"
# On a fresh profile pydata-sphinx-theme logs this before a theme mode has been stored.
ALLOWED_CONSOLE_ERRORS = ("Got invalid theme mode",)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these Chromium phones home on start-up, which is neither the site's doing nor
    # possible on this network.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE_WIDTH = 390

# Opens every folded solution and hidden cell, as a reader would.
OPEN_EVERY_DROPDOWN = """async () => {
  // The solutions are collapsed (sphinx-togglebutton); open them as a reader would.
  for (const button of document.querySelectorAll('.toggle.toggle-hidden button.toggle-button')) {
    button.click();
  }
  document.querySelectorAll('details').forEach(details => { details.open = true; });
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return document.querySelectorAll('.toggle-hidden').length;
}"""


def unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (KLTOOLS_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(reason)


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    # The chapters of every part ("parts:"), or of the one list a toc without parts has.
    files = [toc["root"]] + [chapter["file"] for part in toc.get("parts", [toc])
                             for chapter in part.get("chapters", [])]
    return [f"{name}.html" for name in files]


PAGES = toc_pages()
# The executed notebooks the book is built from (each has a text source, book/<chapter>.md).
CHAPTERS = sorted(path.removeprefix("book/").removesuffix(".html") for path in PAGES
                  if (ROOT / path.replace(".html", ".ipynb")).is_file())


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def site_url():
    if not (SITE / "index.html").is_file():
        unavailable(f"no built site at {SITE}: run `make book` first")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        unavailable(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (or set KLTOOLS_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (it is in requirements.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_for_math(page) -> None:
    """Wait until MathJax (if the page loads it) has typeset every formula of the page.

    The site typesets lazily (a formula when it comes into view, _config.yml); the checks look at
    every formula, so the rest are typeset first, as MathJax does before printing.
    """
    page.wait_for_function(
        "() => !document.querySelector('script[src*=\"tex-chtml\"]') || "
        "(window.MathJax && MathJax.startup && MathJax.startup.document && MathJax.startup.promise)",
        timeout=20_000,
    )
    page.evaluate(
        """async () => {
          if (!(window.MathJax && MathJax.startup)) return;
          await MathJax.startup.promise;
          const document = MathJax.startup.document;
          if (document.lazyTypesetAll) await document.lazyTypesetAll();
          // The theme makes a box that now scrolls sideways (a table widened by its formulas)
          // a tab stop 300 ms after the page changes; let it.
          await new Promise(resolve => setTimeout(resolve, 400));
        }"""
    )
