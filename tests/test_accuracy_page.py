"""The kltools page's accuracy table is the one `make accuracy` wrote, dated, and the sentences
about it say what its rows say.

`benchmarks/accuracy.py` writes book/_generated/accuracy.md (date, machine, table, summary);
book/kltools.md includes that file and types none of it. These checks read only the files: the
measurement itself takes minutes (`make accuracy`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "book" / "_generated" / "accuracy.md"
PAGE = ROOT / "book" / "kltools.md"


def table_rows(text: str) -> list[list[str]]:
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            for line in text.splitlines() if line.startswith("|") and not line.startswith("| ---")]
    return rows[1:]  # without the header


def test_the_page_includes_the_generated_table_and_types_no_row_of_it():
    page = PAGE.read_text(encoding="utf-8")
    assert "```{include} _generated/accuracy.md" in page
    assert not [line for line in page.splitlines() if line.startswith("| kl")], \
        "rows of the accuracy table typed into book/kltools.md"
    assert "beyond its promise" not in page and "Measured at commit" not in page


def test_the_table_carries_its_date_not_a_commit():
    text = GENERATED.read_text(encoding="utf-8")
    assert re.search(r"^Measured on \d{4}-\d{2}-\d{2} by `make accuracy`", text, re.M), text[:300]
    assert "commit" not in text and " at git " not in text


def test_the_summary_names_exactly_the_rows_with_a_defect():
    text = GENERATED.read_text(encoding="utf-8")
    with_defect = {row[0] for row in table_rows(text)
                   if row[5] != "none" and not row[0].startswith("kl_monte_carlo")}
    named = set(re.findall(r"`([^`]+)` \(", text.split("Routes with a defect:")[-1].split("\n")[0]))
    if with_defect:
        assert named == {name.replace("\\|", "|") for name in with_defect}, (named, with_defect)
    else:
        assert "Every route is within its promise" in text


def test_coverage_rows_use_enough_seeds_and_the_summary_names_those_outside_the_band():
    text = GENERATED.read_text(encoding="utf-8")
    rows = [row for row in table_rows(text) if row[0].startswith("kl_monte_carlo")]
    assert rows
    outside = set()
    for name, swept, coverage, bias, _, _ in rows:
        seeds = int(re.match(r"(\d+) seeds", swept).group(1))
        assert seeds >= 1000, f"{name}: {seeds} seeds cannot place a coverage within a point"
        half = 200 * math.sqrt(0.95 * 0.05 / seeds)
        percent = float(re.match(r"coverage ([\d.]+)%", coverage).group(1))
        claims_interval = "stderr inf in" not in swept or \
            int(re.search(r"stderr inf in (\d+)", swept).group(1)) < seeds
        if claims_interval and "estimates constant" not in bias and abs(percent - 95) > half:
            outside.add(name)
    sentence = text.split("two binomial standard")[-1]
    for name in outside:
        assert f"`{name}`" in sentence, f"{name} is outside the band and the summary does not say so"
    if not outside:
        assert "every one is inside that band" in sentence
