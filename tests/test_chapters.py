"""The chapters' sources: text and notebook in sync, no mangled TeX, no per-run metadata.

Each check is a function that returns the problems it finds, tested twice: on the committed
chapters (no problem) and on a planted defect (the problem is reported), so a check that has
silently stopped looking fails too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

_spec = importlib.util.spec_from_file_location("book_notebooks", BOOK / "_tools" / "notebooks.py")
notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks)

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
