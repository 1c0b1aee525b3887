"""The chapters' sources: text and notebook in sync, no mangled TeX, no per-run metadata.

Each check is a function that returns the problems it finds, tested twice: on the committed
chapters (no problem) and on a planted defect (the problem is reported), so a check that has
silently stopped looking fails too.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
import tokenize
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def _load_book_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


notebooks = _load_book_module("book_notebooks", BOOK / "_tools" / "notebooks.py")

PAIRS = notebooks.chapter_pairs()
PAIR_IDS = [text.stem for text, _ in PAIRS]


def _cell_summary(cell) -> tuple:
    metadata = {
        key: value
        for key, value in cell.metadata.items()
        if key not in notebooks.VOLATILE_CELL_METADATA
    }
    return cell.cell_type, cell.source, metadata


def source_differences(text_notebook, executed_notebook) -> list[str]:
    """Where two versions of a chapter disagree on a cell's type, source or metadata."""
    text_cells = [_cell_summary(cell) for cell in text_notebook.cells]
    notebook_cells = [_cell_summary(cell) for cell in executed_notebook.cells]
    problems = []
    for index, (in_text, in_notebook) in enumerate(zip(text_cells, notebook_cells)):
        if in_text != in_notebook:
            first_line = in_text[1].splitlines()[0] if in_text[1] else ""
            problems.append(f"cell {index} ({in_text[0]}, starting {first_line!r}) differs")
    if len(text_cells) != len(notebook_cells):
        problems.append(f"{len(text_cells)} cells in the text source, {len(notebook_cells)} in the notebook")
    return problems


def control_characters(text: str) -> list[str]:
    """Each control character in ``text`` (a TeX command mangled by a string escape)."""
    problems = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        for character, meaning in notebooks.CONTROL_CHARACTERS.items():
            column = line.find(character)
            if column >= 0:
                excerpt = line[max(0, column - 20) : column + 20].replace(character, "<?>")
                problems.append(f"line {line_number}: {meaning}: ...{excerpt}...")
    return problems


def per_run_differences(notebook) -> list[str]:
    """What differs between two runs of an unchanged notebook: metadata, stream chunking."""
    problems = [
        f"notebook metadata {key!r}"
        for key in notebooks.VOLATILE_NOTEBOOK_METADATA
        if key in notebook.metadata
    ]
    if "version" in notebook.metadata.get("language_info", {}):
        problems.append("notebook metadata language_info.version")
    for index, cell in enumerate(notebook.cells):
        problems += [
            f"cell {index} metadata {key!r}"
            for key in notebooks.VOLATILE_CELL_METADATA
            if key in cell.metadata
        ]
        streams = [output.get("name") if output.output_type == "stream" else None
                   for output in cell.get("outputs", [])]
        if any(a is not None and a == b for a, b in zip(streams, streams[1:])):
            problems.append(f"cell {index}: printed text split over consecutive outputs")
    return problems


def test_every_chapter_notebook_has_a_text_source_and_is_built_from_the_notebook():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [entry["file"] for part in toc.get("parts", [toc]) for entry in part.get("chapters", [])]
    built_notebooks = [name for name in chapters if (ROOT / f"{name}.ipynb").exists()]
    assert built_notebooks, "no chapter notebook found through _toc.yml"
    paired_notebooks = {notebook.relative_to(ROOT).with_suffix("").as_posix() for _, notebook in PAIRS}
    assert sorted(set(built_notebooks) - paired_notebooks) == [], (
        "chapter notebooks without a paired text source (book/<chapter>.md)"
    )
    excluded = set(yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"])
    missing = [text.relative_to(ROOT).as_posix() for text, _ in PAIRS]
    missing = [name for name in missing if name not in excluded]
    assert missing == [], f"add these text sources to exclude_patterns in _config.yml: {missing}"


@pytest.mark.parametrize(("text", "notebook"), PAIRS, ids=PAIR_IDS)
def test_text_source_and_notebook_agree_on_every_cell(text, notebook):
    problems = source_differences(jupytext.read(text), nbformat.read(notebook, as_version=4))
    assert problems == [], (
        f"{text.stem}: {text.name} and {notebook.name} disagree; run `make notebooks "
        f'CHAPTERS="{text.stem}"` to sync them (the more recently modified file wins):\n'
        + "\n".join(problems)
    )


def test_the_sync_check_reports_an_edited_cell():
    text, notebook = PAIRS[0]
    edited = jupytext.read(text)
    markdown = next(index for index, cell in enumerate(edited.cells) if cell.cell_type == "markdown")
    edited.cells[markdown].source += " One more word."
    problems = source_differences(edited, nbformat.read(notebook, as_version=4))
    assert len(problems) == 1 and problems[0].startswith(f"cell {markdown} (markdown")

    shortened = jupytext.read(text)  # a fresh copy
    shortened.cells.pop()
    assert source_differences(shortened, nbformat.read(notebook, as_version=4))


TEXT_FILES = sorted(BOOK.glob("*.md"))


def control_characters_in_file(path: Path) -> list[str]:
    # Read bytes: text mode would turn a carriage return (a mangled "\\right") into a newline.
    return control_characters(path.read_bytes().decode("utf-8"))


@pytest.mark.parametrize("path", TEXT_FILES, ids=[path.name for path in TEXT_FILES])
def test_no_control_character_in_a_text_source(path):
    problems = control_characters_in_file(path)
    assert problems == [], f"{path.name}:\n" + "\n".join(problems)


def test_the_control_character_check_reads_a_carriage_return_in_a_file(tmp_path):
    planted = tmp_path / "planted.md"
    planted.write_bytes(b"$\\left(x\right)$\n")
    assert len(control_characters_in_file(planted)) == 1


@pytest.mark.parametrize("notebook", [nb for _, nb in PAIRS], ids=PAIR_IDS)
def test_no_control_character_in_a_markdown_cell(notebook):
    problems = [
        f"cell {index}, {problem}"
        for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells)
        if cell.cell_type == "markdown"
        for problem in control_characters(cell.source)
    ]
    assert problems == [], f"{notebook.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("written_in_python", "command"),
    [("$r = q/p \to 0$", "\\to"), ("$\beta$", "\\beta"), ("$\frac{1}{2}$", "\\frac"),
     ("$\\left(x\right)$", "\\right"), ("$\vec{v}$", "\\vec")],
)
def test_the_control_character_check_reports_a_mangled_tex_command(written_in_python, command):
    problems = control_characters("A fine line.\n" + written_in_python)
    assert len(problems) == 1 and problems[0].startswith("line 2:"), (command, problems)


@pytest.mark.parametrize("notebook", [nb for _, nb in PAIRS], ids=PAIR_IDS)
def test_committed_notebook_has_no_per_run_metadata(notebook):
    problems = per_run_differences(nbformat.read(notebook, as_version=4))
    assert problems == [], (
        f"{notebook.name} differs from a clean run; re-execute it with `make notebooks`, which "
        "strips per-run metadata and joins printed text:\n" + "\n".join(problems)
    )


def test_the_per_run_check_reports_timestamps_and_split_streams():
    executed = nbformat.read(PAIRS[0][1], as_version=4)
    code = next(cell for cell in executed.cells if cell.cell_type == "code")
    code.metadata["execution"] = {"iopub.status.busy": "2026-11-25T05:39:05.325855Z"}
    executed.metadata["language_info"]["version"] = "3.11.7"
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=line) for line in "ab"]
    assert len(per_run_differences(executed)) == 3


# Code in the book is read in a column: at 1280 px the site's code font (13 px monospace) fits 81
# characters, and PEP 8's 79 leaves room; longer lines scroll sideways, and what scrolls out of
# view is usually the end of a print() that says what an output means.
LONGEST_CODE_LINE = 79
# A solution sits in a box with its own padding, where 74 characters fit.
LONGEST_SOLUTION_CODE_LINE = 74
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\S*)")


def long_code_lines(text: str, name: str) -> list[str]:
    """Each line over LONGEST_CODE_LINE characters in a code cell or a plain code fence.

    Code cells are ```{code-cell} fences; plain fences (```python, ```bash, or none) are code
    shown as it is. Other directives (exercises, theorems, eval-rst) hold prose or markup, whose
    lines the renderer wraps. Between {solution-start} and {solution-end} the limit is
    LONGEST_SOLUTION_CODE_LINE.
    """
    problems = []
    closing = None
    in_solution = False
    for line_number, line in enumerate(text.split("\n"), start=1):
        if closing is None:
            fence = FENCE.match(line)
            if fence:
                if fence.group(2).startswith(("{solution-start}", "{solution-end}")):
                    in_solution = fence.group(2).startswith("{solution-start}")
                is_code = fence.group(2).startswith("{code-cell}") or "{" not in fence.group(2)
                closing, in_options, first = fence.group(1), False, True
            continue
        if line.strip() == closing:
            closing = None
            continue
        # A code cell's options (a YAML block between --- lines, or :key: lines) open the cell;
        # they are metadata (figure captions, alt text, tags), not code a reader sees.
        if first and line == "---":
            in_options, first = True, False
            continue
        if in_options:
            in_options = line != "---"
            continue
        first = first and line.startswith(":")
        longest = LONGEST_SOLUTION_CODE_LINE if in_solution else LONGEST_CODE_LINE
        if is_code and not first and len(line) > longest:
            problems.append(f"{name}:{line_number}: {len(line)} characters")
    return problems


@pytest.mark.parametrize("path", TEXT_FILES, ids=[path.name for path in TEXT_FILES])
def test_code_lines_fit_the_column(path):
    problems = long_code_lines(path.read_text(), path.relative_to(ROOT).as_posix())
    assert problems == [], (
        f"code lines longer than {LONGEST_CODE_LINE} characters scroll sideways on the "
        "website; rewrap them:\n" + "\n".join(problems)
    )


def test_the_code_line_check_reports_long_code_and_not_long_prose():
    too_long = "x = " + "1 + " * 18 + "1000"  # 80 characters
    assert len(too_long) == LONGEST_CODE_LINE + 1
    text = "\n".join([
        "A prose line that may be as long as it likes, " * 3,  # line 1
        "```{code-cell} ipython3",
        ":tags: [hide-cell]",
        "",
        too_long,  # line 5
        "x = 1",
        "```",
        "```{code-cell} ipython3",
        "---",
        "mystnb:",
        "  figure:",
        "    caption: " + "A caption that the cell's YAML options may fold. " * 2,
        "---",
        "x = 1",
        too_long,  # line 15
        "```",
        "```{exercise}",
        "An exercise's prose, " * 6,
        "```",
        "```python",
        too_long,  # line 21
        "```",
        "````{prf:proof}",
        too_long[:-1],  # 79 characters: fits, and in a directive anyway
        "````",
        "```{solution-start} ex-planted",
        "```",
        "```{code-cell} ipython3",
        too_long[:74],  # line 29: fits a solution
        too_long[:75],  # line 30
        "```",
        "```{solution-end}",
        "```",
        "```{code-cell} ipython3",
        too_long[:79],  # line 35: fits outside a solution again
        "```",
    ])
    assert long_code_lines(text, "planted.md") == [
        "planted.md:5: 80 characters", "planted.md:15: 80 characters",
        "planted.md:21: 80 characters", "planted.md:30: 75 characters",
    ]


# Reader-facing text says what holds, not how the project checks itself: the PDF and the
# downloads print every cell, the hidden opening cell included. Words that name the project's own
# verification machinery (its test files, test runners, CI, the build) have no place there.
BUILD_TALK = {
    "a test file": re.compile(r"\btests?/[\w/.]*|\btest_\w+\.py\b"),
    "a test runner": re.compile(r"\b(?:nbval|pytest)\b", re.IGNORECASE),
    "the browser tests": re.compile(r"\bbrowser[- ]tests?\b", re.IGNORECASE),
    "the project's tests": re.compile(
        r"\b(?:the|its)(?: book's| project's| library's)? tests\b|\btest suite\b|\bmake test\b",
        re.IGNORECASE),
    "glue": re.compile(r"\bglue[ds]?\b", re.IGNORECASE),
    "CI": re.compile(r"\bCI\b"),
    "the build": re.compile(
        r"\b(?:the|a|each|every) (?:book |site |website )?build\b|\bbook is built\b",
        re.IGNORECASE),
}
# A glue role is MyST markup for a number the code computed, not a word to the reader (the
# downloads and the website replace it with the number).
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")


def code_comments(source: str) -> str:
    """The comments of a code cell, one per line (IPython magics tokenize as operators)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return "\n".join(line[line.index("#"):] for line in source.splitlines() if "#" in line)
    return "\n".join(token.string for token in tokens if token.type == tokenize.COMMENT)


def notebook_reader_text(notebook) -> list[tuple[str, str]]:
    """(where, text) for each cell: Markdown as written, code cells' comments only."""
    texts = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            texts.append((f"cell {index}", GLUE_ROLE.sub("", cell.source)))
        elif cell.cell_type == "code":
            texts.append((f"cell {index} (comments)", code_comments(cell.source)))
    return texts


def build_talk(texts: list[tuple[str, str]], name: str) -> list[str]:
    """Each mention of the project's verification machinery, with an excerpt around it."""
    problems = []
    for where, text in texts:
        for meaning, pattern in BUILD_TALK.items():
            for match in pattern.finditer(text):
                start, end = max(0, match.start() - 40), match.end() + 40
                excerpt = " ".join(text[start:end].split())
                problems.append(f"{name}, {where}: {meaning}: ...{excerpt}...")
    return problems


READER_PAGES = [path for path in TEXT_FILES if path.name != "references.md"]


@pytest.mark.parametrize("path", READER_PAGES, ids=[path.name for path in READER_PAGES])
def test_reader_text_does_not_talk_about_the_tests_or_the_build(path):
    texts = notebook_reader_text(jupytext.read(path))
    problems = build_talk(texts, path.relative_to(ROOT).as_posix())
    assert problems == [], (
        "reader-facing text mentions the project's own checks or build; say what holds "
        "instead:\n" + "\n".join(problems)
    )


def test_the_clean_notebooks_and_the_bundle_readme_do_not_talk_about_the_tests():
    clean_notebook = _load_book_module("clean_notebook", BOOK / "_tools" / "clean_notebook.py")
    downloads = _load_book_module("book_downloads", BOOK / "_ext" / "downloads.py")
    problems = build_talk([("README.txt", downloads.README)], "the bundle's README.txt")
    chapters = clean_notebook.toc_chapters(ROOT)
    for name, notebook in clean_notebook.clean_chapters(
            chapters, BOOK / "references.bib", clean_notebook.toc_chapter_numbers(ROOT)).items():
        problems += build_talk(notebook_reader_text(notebook), f"clean {name}.ipynb")
    assert problems == [], "\n".join(problems)


def test_the_reader_text_check_reports_build_talk_in_prose_and_comments_only():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(
            "The numbers agree ({glue:text}`kl_value:.4f` nats); the browser tests check it."),
        nbformat.v4.new_code_cell(
            'glue("kl_value", 0.5, display=False)  # glued into the prose\n'
            'print("built for p")\n'
            "%config InlineBackend.figure_formats = ['retina']\n"
            "# wide enough (tests/browser/test_phone.py checks it)"),
        nbformat.v4.new_markdown_cell("A code built for $q$; a test set of 40,000 points."),
    ])
    problems = build_talk(notebook_reader_text(notebook), "planted")
    assert [problem.split(": ...")[0] for problem in problems] == [
        "planted, cell 0: the browser tests",
        "planted, cell 1 (comments): a test file",
        "planted, cell 1 (comments): glue",
    ], problems


# --- One reading order: no page relies on a later one -------------------------------------------

clean_notebook_module = _load_book_module("clean_notebook", BOOK / "_tools" / "clean_notebook.py")
LABEL_DEFINITION = re.compile(r"^\(([\w-]+)\)=\s*$|^:(?:label|name): *([\w-]+)\s*$", re.M)
REFERENCE = re.compile(r"\{(?:ref|prf:ref|numref|eq)\}`(?:[^`<]*<)?([\w-]+)>?`")
PAGE_REFERENCE = re.compile(r"\{doc\}`(?:[^`<]*<)?([\w./-]+?)>?`")
# A paragraph that points ahead says so in words.
FORWARD_CUE = re.compile(r"\b(later|will|ahead|comes after|below, in|next|following|"
                         r"the chapter on|the page on)\b", re.I)
# The Monte Carlo estimators are named k1, k2, k3 where the estimation chapter defines them.
ESTIMATOR_NAME = re.compile(r"\bk[123]\b")


def paragraphs(text: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", text) if block.strip()]


def reading_order_problems(pages: dict[str, str]) -> list[str]:
    """References to a label defined on a later page, and estimator names before their
    definition, outside a paragraph that says it points ahead. `pages` maps each page name, in
    reading order, to its text source."""
    order = list(pages)
    defined_on = {}
    for name, text in pages.items():
        for match in LABEL_DEFINITION.finditer(text):
            defined_on.setdefault(match.group(1) or match.group(2), name)
    k_defined = defined_on.get("sec-est-k1")
    problems = []
    for position, (name, text) in enumerate(pages.items()):
        for paragraph in paragraphs(text):
            cued = bool(FORWARD_CUE.search(paragraph))
            for label in REFERENCE.findall(paragraph):
                target = defined_on.get(label)
                if target is not None and order.index(target) > position and not cued:
                    problems.append(f"{name}: refers to {label} (defined later, on {target}) "
                                    f"without saying it points ahead: {paragraph[:80]!r}")
            for page in PAGE_REFERENCE.findall(paragraph):
                page = page.removesuffix(".md").split("/")[-1]
                if page in order and order.index(page) > position and not cued:
                    problems.append(f"{name}: points to the later page {page} without saying "
                                    f"it points ahead: {paragraph[:80]!r}")
            before_k = k_defined is not None and position < order.index(k_defined)
            if before_k and not cued and ESTIMATOR_NAME.search(paragraph):
                problems.append(f"{name}: names an estimator k1/k2/k3 before {k_defined} "
                                f"defines it: {paragraph[:80]!r}")
    return problems


def numbered_pages() -> dict[str, str]:
    return {name: (BOOK / f"{name}.md").read_text(encoding="utf-8")
            for name in clean_notebook_module.toc_chapters(ROOT)}


def test_no_page_relies_on_a_later_one():
    problems = reading_order_problems(numbered_pages())
    assert problems == [], "\n".join(problems)


def test_the_reading_order_check_reports_a_silent_forward_reference():
    pages = {
        "first": "As {ref}`sec-est-k1` shows, k1 is unbiased.\n\nThe chapter on estimation will "
                 "define {ref}`sec-est-k3`.\n\nSee {doc}`the estimates <second>`.\n",
        "second": "(sec-est-k1)=\n## k1\n\n(sec-est-k3)=\n## k3\n",
    }
    problems = reading_order_problems(pages)
    assert len(problems) == 3, problems
    assert all(problem.startswith("first:") for problem in problems)
    assert sum("k1" in problem for problem in problems) == 2 and "later page second" in problems[2]


# --- Visible code teaches: plumbing runs in cells the site does not show -------------------------

HIDDEN_ON_THE_SITE = {"remove-cell", "remove-input", "hide-cell", "hide-input"}
GLUE_CALL = re.compile(r"^\s*(?:myst_nb\.)?glue\(", re.M)


def visible_plumbing(notebook, name: str) -> list[str]:
    """Code cells the site shows that glue values into the prose (glue calls are plumbing: the
    reader sees the value where the text quotes it)."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or HIDDEN_ON_THE_SITE & set(cell.metadata.get("tags", [])):
            continue
        if GLUE_CALL.search(cell.source):
            problems.append(f"{name}, cell {index}: a glue call in a visible cell: "
                            f"{cell.source.strip().splitlines()[0][:60]!r}")
    return problems


@pytest.mark.parametrize("text", [text for text, _ in PAIRS], ids=PAIR_IDS)
def test_visible_cells_hold_no_glue_plumbing(text):
    problems = visible_plumbing(jupytext.read(text), text.name)
    assert problems == [], "move these into a cell tagged remove-cell:\n" + "\n".join(problems)


def test_the_plumbing_check_reports_a_visible_glue_call_only():
    hidden = nbformat.v4.new_code_cell('glue("a", 1.0, display=False)')
    hidden.metadata["tags"] = ["remove-cell"]
    notebook = nbformat.v4.new_notebook(cells=[
        hidden, nbformat.v4.new_code_cell('x = 1.0\nglue("b", x, display=False)'),
        nbformat.v4.new_code_cell("print(x)  # glue( is not a call here")])
    problems = visible_plumbing(notebook, "planted")
    assert len(problems) == 1 and "cell 1" in problems[0], problems


# --- Each page stands on its own: pictures, a summary, exercises ----------------------------------

FIGURE_NAME = re.compile(r"^\s*name: fig-", re.M)


def page_parts_missing(text: str) -> list[str]:
    missing = []
    if len(FIGURE_NAME.findall(text)) < 2:
        missing.append("two captioned figures")
    if not re.search(r"^## Summary\s*$", text, re.M):
        missing.append("a summary")
    if not re.search(r"^```\{exercise\}", text, re.M):
        missing.append("an exercise")
    return missing


@pytest.mark.parametrize("name", list(numbered_pages()))
def test_every_chapter_page_has_figures_a_summary_and_exercises(name):
    missing = page_parts_missing(numbered_pages()[name])
    assert missing == [], f"{name} lacks " + ", ".join(missing)


def test_the_page_parts_check_reports_what_is_missing():
    text = "## Summary\n\n```{code-cell}\n---\nmystnb:\n  figure:\n    name: fig-a\n---\n```\n"
    assert page_parts_missing(text) == ["two captioned figures", "an exercise"]
