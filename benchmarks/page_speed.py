"""How soon the book's longest pages are usable on a phone, with the CPU as it is and slowed 4x.

For each of the three longest chapter pages of the built site (``_build/html``, or the site that
``KLTOOLS_SITE`` names), loaded in Chromium at 390 x 844 px with an empty cache and Chrome's CPU
throttling (1x: this machine's speed; 4x: Lighthouse's "mid-tier mobile"), it prints

- *usable*: when the main thread is first quiet for good, i.e. the end of the last task longer
  than 50 ms (a "long task": a tap during it waits) that is followed by at least 3 s without one,
  and not before the DOM is ready (the definition of Lighthouse's time to interactive, measured
  here with the browser's Long Tasks API);
- *math done*: when every formula within the first screen is typeset, so that what the reader
  sees is final (with lazy typesetting the formulas further down are typeset as they come into
  view).

Times are milliseconds from the start of navigation, the median of ``--runs`` loads (3 by
default). It is a measurement, not a check: no test asserts on it. ``make bench`` runs it after
the kltools benchmarks when a site is built and Chromium is installed.

    python benchmarks/page_speed.py [--runs N] [--site DIR]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("KLTOOLS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
THROTTLING = (1, 4)
QUIET_MS = 3000
LONG_TASK_MS = 50

# Runs before the page's own scripts: records long tasks and the moment the first screen's
# formulas are all typeset.
RECORDER = """
window.__speed = {longTasks: [], mathDone: null};
new PerformanceObserver(list => {
  for (const task of list.getEntries()) {
    window.__speed.longTasks.push([task.startTime, task.startTime + task.duration]);
  }
}).observe({type: 'longtask', buffered: true});
(function watchMath() {
  // The formulas of the first screen are found once, when MathJax has started; then only their
  // state is polled (measuring every formula's position each time would itself keep the
  // throttled main thread busy).
  const typeset = math => {
    const container = math.querySelector('mjx-container');
    return container && !container.querySelector('mjx-lazy') && container.firstElementChild;
  };
  const whenStarted = () => {
    if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
      setTimeout(whenStarted, 50);
      return;
    }
    MathJax.startup.promise.then(() => {
      const firstScreen = [...document.querySelectorAll('main .math')].filter(math => {
        const box = math.getBoundingClientRect();
        return box.bottom > 0 && box.top < innerHeight;
      });
      const poll = () => {
        if (firstScreen.every(typeset)) window.__speed.mathDone = performance.now();
        else setTimeout(poll, 50);
      };
      poll();
    });
  };
  whenStarted();
})();
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def longest_chapters(site: Path, count: int = 3) -> list[str]:
    """The chapter pages with the most HTML (a stand-in for the most text and math)."""
    pages = sorted((site / "book").glob("*.html"), key=lambda page: page.stat().st_size)
    return [f"book/{page.name}" for page in pages[-count:][::-1]]


def measure(browser, url: str, rate: int) -> tuple[float, float]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    page.add_init_script(RECORDER)
    page.goto(url, wait_until="load", timeout=180_000)
    # Wait until the math of the first screen is done and the main thread has been quiet for
    # QUIET_MS after the last long task.
    page.wait_for_function(
        f"""() => {{
          const s = window.__speed;
          if (s.mathDone === null) return false;
          const last = s.longTasks.reduce((end, task) => Math.max(end, task[1]), 0);
          return performance.now() - last > {QUIET_MS};
        }}""",
        timeout=180_000, polling=250,
    )
    usable, math_done = page.evaluate(
        f"""() => {{
          const s = window.__speed;
          const ready = performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;
          const tasks = s.longTasks.filter(task => task[1] - task[0] >= {LONG_TASK_MS});
          const last = tasks.reduce((end, task) => Math.max(end, task[1]), 0);
          return [Math.max(ready, last), s.mathDone];
        }}"""
    )
    context.close()
    return usable, math_done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--site", type=Path,
                        default=Path(os.environ.get("KLTOOLS_SITE", ROOT / "_build" / "html")))
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        print(f"page speed skipped: no built site at {args.site} (make book)")
        return 0
    if not Path(CHROMIUM).is_file():
        print(f"page speed skipped: Chromium not found at {CHROMIUM} (see the README)")
        return 0
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(args.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"Page speed at {PHONE['width']} px, median of {args.runs} loads (ms from navigation start)")
    print(f"{'page':<34} {'CPU':>4} {'usable':>8} {'math done':>10}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in longest_chapters(args.site):
            for rate in THROTTLING:
                runs = [measure(browser, f"{base}/{path}", rate) for _ in range(args.runs)]
                usable = statistics.median(run[0] for run in runs)
                math_done = statistics.median(run[1] for run in runs)
                print(f"{path:<34} {rate:>3}x {usable:>8.0f} {math_done:>10.0f}")
        browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
