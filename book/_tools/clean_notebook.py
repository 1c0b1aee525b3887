"""Turn the book's executed chapter notebooks into notebooks that read cleanly in plain Jupyter.

The committed notebooks (book/<chapter>.ipynb) are written for the website: their Markdown is
MyST, so plain Jupyter shows ``{glue:text}`name:.4f``` instead of a number and
``{prf:theorem}`` fences instead of a theorem. This module rewrites every MyST role and
directive the chapters use as plain Jupyter Markdown:

- glue roles become the glued value, formatted as the role's format spec says (the values are the
  ``application/papermill.record/text/plain`` outputs that ``myst_nb.glue`` stored in the
  notebook; those invisible outputs are dropped, as a re-run in plain Jupyter does not make them);
- theorems, exercises and admonitions become a bold label and their body set off by rules, numbered
  as on the website, per chapter ("Theorem 3.1 (Gibbs' inequality)" is the first theorem of
  chapter 3); a proof is "*Proof.*" ... "∎"; a solution follows its exercise ("Solution to
  Exercise 3.1"). Not blockquotes: JupyterLab takes the math out before Markdown sees the "> " of
  quoted lines;
- MyST comment lines (``%``) are dropped; figure and image directives are refused (the downloads
  carry no image files);
- ``{ref}``, ``{prf:ref}``, ``{numref}``, ``{eq}`` and ``{doc}`` become links to an anchor
  (``<a id="label">``, written where the label was) in the same or a sibling notebook;
- ``{cite}``, ``{cite:p}``, ``{cite:t}`` become author-year text linked to a References cell
  appended to the notebook, formatted from book/references.bib with pybtex;
- ``(label)=`` targets become anchors; a code cell's mystnb figure caption becomes a Markdown
  cell after it ("Figure 3.1. ...");
- the last cell names the book and its licences.

A role or directive it does not know is an error, so new MyST syntax in a chapter fails the
build instead of reaching readers. The output depends only on the input notebooks and the
bibliography (deterministic). Run as a script it writes the clean notebooks to a folder:
``python book/_tools/clean_notebook.py OUTDIR`` (all chapters of _toc.yml).
"""

from __future__ import annotations

import ast
import copy
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

GLUE_MIME = "application/papermill.record/text/plain"
GLUE_MIME_PREFIX = "application/papermill.record/"

# sphinx-proof's directives and the label the website shows for each.
PROOF_KINDS = {
    "algorithm": "Algorithm", "axiom": "Axiom", "conjecture": "Conjecture",
    "corollary": "Corollary", "criterion": "Criterion", "definition": "Definition",
    "example": "Example", "lemma": "Lemma", "observation": "Observation",
    "property": "Property", "proposition": "Proposition", "remark": "Remark",
    "theorem": "Theorem", "assumption": "Assumption", "notation": "Notation",
}
ADMONITIONS = {
    "note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important", "warning": "Warning",
    "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
    "seealso": "See also",
}
# Website-only directives with nothing to show in a notebook.
DROPPED_DIRECTIVES = {"bibliography", "tableofcontents"}

ROLE = re.compile(r"(?<![\\\w])\{(?P<name>[a-zA-Z][\w:.+-]*)\}`(?P<content>[^`]*)`")
DIRECTIVE_START = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[^}\s]+)\}[ \t]*(?P<argument>.*?)\s*$")
CODE_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)\s*$")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


class UnconvertedSyntax(ValueError):
    """A MyST role or directive the converter has no plain-Markdown rendering for."""


@dataclass(frozen=True)
class Target:
    """Where a label points: the notebook (chapter name) and the text a reference shows."""

    chapter: str
    text: str


@dataclass
class Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: str


# ---------------------------------------------------------------------------------------------
# Reading MyST Markdown: directives (with their options and bodies) and plain code fences.


def _split_blocks(source: str) -> list[str | Directive]:
    """Split Markdown into plain text runs and top-level directives; code fences stay text."""
    lines = source.split("\n")
    blocks: list[str | Directive] = []
    text: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        start = DIRECTIVE_START.match(line)
        fence = CODE_FENCE.match(line)
        if start:
            closing = start["fence"]
            i += 1
            options: dict[str, str] = {}
            if i < len(lines) and lines[i].strip() == "---":  # YAML options block
                i += 1
                while i < len(lines) and lines[i].strip() != "---":
                    key, _, value = lines[i].partition(":")
                    options[key.strip()] = value.strip()
                    i += 1
                i += 1
            while i < len(lines) and (option := OPTION.match(lines[i])):
                options[option["key"]] = option["value"]
                i += 1
            body: list[str] = []
            while i < len(lines) and lines[i].rstrip() != closing:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise UnconvertedSyntax(f"directive {{{start['name']}}} is never closed")
            i += 1
            if text:
                blocks.append("\n".join(text))
                text = []
            blocks.append(Directive(start["name"], start["argument"], options,
                                    "\n".join(body).strip("\n")))
            continue
        if fence:  # a plain code block: copied as it is, roles and all
            text.append(line)
            i += 1
            while i < len(lines):
                text.append(lines[i])
                i += 1
                if lines[i - 1].startswith(fence["fence"]) and lines[i - 1].strip() == fence["fence"]:
                    break
            continue
        text.append(line)
        i += 1
    if text:
        blocks.append("\n".join(text))
    return blocks


def _walk_directives(source: str):
    """Every directive in document order, nested ones included."""
    for block in _split_blocks(source):
        if isinstance(block, Directive):
            yield block
            yield from _walk_directives(block.body)


# ---------------------------------------------------------------------------------------------
# What the labels of all chapters point to, numbered as sphinx-proof, sphinx-exercise and Sphinx
# number them on the website (numfig with numfig_secnum_depth 1): the chapter's number, then a
# count per kind within the chapter, so "Theorem 3.1" (Gibbs' inequality) and "Lemma 3.1" are the
# first theorem and the first lemma of chapter 3, and "Figure 3.2" its second figure. A page
# outside the numbered part of _toc.yml has no chapter number; Sphinx then counts such pages
# together ("Figure 1", "Figure 2", ...), and so does this.


def chapter_title(notebook) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _dotted(prefix: tuple[int, ...], count: int) -> str:
    return ".".join(map(str, (*prefix, count)))


def collect_targets(chapters: dict[str, nbformat.NotebookNode],
                    chapter_numbers: dict[str, int]) -> dict[str, Target]:
    """Label -> Target for every chapter; ``chapter_numbers`` maps a chapter to its number on
    the website (toc_chapter_numbers); a chapter missing from it is unnumbered."""
    targets: dict[str, Target] = {}
    counters: Counter[tuple[str, tuple[int, ...]]] = Counter()
    for chapter, notebook in chapters.items():
        prefix = (chapter_numbers[chapter],) if chapter in chapter_numbers else ()

        def number(kind: str) -> str:
            counters[kind, prefix] += 1
            return _dotted(prefix, counters[kind, prefix])

        for cell in notebook.cells:
            if cell.cell_type == "code":
                figure = cell.metadata.get("mystnb", {}).get("figure", {})
                if figure.get("caption"):  # Sphinx numbers captioned figures only
                    text = f"Figure {number('figure')}"
                    if "name" in figure:
                        targets[figure["name"]] = Target(chapter, text)
                continue
            if cell.cell_type != "markdown":
                continue
            lines = cell.source.split("\n")
            for index, line in enumerate(lines):
                target = TARGET.match(line)
                if target:
                    following = [later for later in lines[index + 1:] if later.strip()]
                    heading = HEADING.match(following[0]) if following else None
                    title = heading["title"] if heading else target["label"]
                    targets[target["label"]] = Target(chapter, title)
            for directive in _walk_directives(cell.source):
                if "nonumber" in directive.options:
                    # The website leaves it out of the count; nothing here needs that yet.
                    raise UnconvertedSyntax(f"{{{directive.name}}} with :nonumber: in {chapter}")
                kind = directive.name.removeprefix("prf:")
                if directive.name.startswith("prf:") and kind in PROOF_KINDS:
                    text = f"{PROOF_KINDS[kind]} {number(kind)}"
                elif directive.name == "exercise":
                    text = f"Exercise {number('exercise')}"
                elif directive.name == "math":
                    text = f"({number('equation')})"
                else:
                    continue
                label = directive.options.get("label")
                if label:
                    targets[label] = Target(chapter, text)
    return targets


# ---------------------------------------------------------------------------------------------
# Citations, from the book's BibTeX file.


class Bibliography:
    def __init__(self, bibfile: Path):
        from pybtex.database import parse_file

        self.entries = parse_file(str(bibfile)).entries

    @staticmethod
    def _plain(latex: str) -> str:
        from pybtex.richtext import Text

        return Text.from_latex(latex).render_as("text")

    def authors(self, key: str) -> str:
        entry = self._entry(key)
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [self._plain(" ".join(person.prelast_names + person.last_names)) for person in people]
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return f"{names[0]} and {names[1]}"
        return f"{names[0]} et al."

    def year(self, key: str) -> str:
        return self._plain(self._entry(key).fields.get("year", "n.d."))

    def _entry(self, key: str):
        if key not in self.entries:
            raise UnconvertedSyntax(f"citation key {key!r} is not in the bibliography")
        return self.entries[key]

    def reference_list(self, keys: list[str]) -> str:
        """Full entries of the cited keys, sorted as the website's References page sorts them."""
        from pybtex.database import BibliographyData
        from pybtex.plugin import find_plugin

        style = find_plugin("pybtex.style.formatting", "plain")()
        data = BibliographyData(entries={key: self.entries[key] for key in keys})
        items = []
        for entry in style.format_bibliography(data):
            items.append(f'- <a id="cite-{entry.key}"></a>{entry.text.render_as("markdown")}')
        return "## References\n\n" + "\n".join(items)


# ---------------------------------------------------------------------------------------------
# The conversion itself.


def format_glue(text_plain: str, format_spec: str) -> str:
    """The glued value as the role ``{glue:text}`name:spec``` shows it."""
    try:
        value = ast.literal_eval(text_plain)
    except (SyntaxError, ValueError):
        value = text_plain
    if not format_spec:
        return str(value)
    kind = format_spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, format_spec)


def glued_values(notebook) -> dict[str, str]:
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None and GLUE_MIME in output.get("data", {}):
                values[name] = output["data"][GLUE_MIME]
    return values


def _is_glue_output(output) -> bool:
    data = output.get("data", {})
    return bool(data) and all(mime.startswith(GLUE_MIME_PREFIX) for mime in data)


LICENCE_NOTE = ("---\n\n*A chapter of the book \"KL divergence, entropy and cross-entropy\" by the "
                "kltools authors. Text licensed CC BY 4.0 "
                "(https://creativecommons.org/licenses/by/4.0/); code, kltools and the code cells, MIT.*")


def _boxed(label: str, body: str) -> str:
    """A theorem, proof, exercise or admonition: its label, its body, set off by rules.

    Not a blockquote: JupyterLab takes the math out of a cell before Markdown sees it, so the
    ``> `` of every quoted line would reach MathJax inside multi-line formulas.
    """
    parts = ["---", label] + ([body] if body else []) + ["---"]
    return "\n\n".join(part for part in parts if part)


def _anchor(label: str | None) -> str:
    return f'<a id="{label}"></a>\n' if label else ""


class Converter:
    def __init__(self, chapter: str, targets: dict[str, Target], bibliography: Bibliography,
                 chapter_titles: dict[str, str]):
        self.chapter = chapter
        self.targets = targets
        self.bibliography = bibliography
        self.chapter_titles = chapter_titles
        self.cited: list[str] = []
        self.glue: dict[str, str] = {}

    # Roles ------------------------------------------------------------------------------------

    def _number(self, label: str) -> str:
        if label not in self.targets:
            raise UnconvertedSyntax(f"reference to an unknown label {label!r} in {self.chapter}")
        return self.targets[label].text.rsplit(" ", 1)[-1].strip("()")

    def _link(self, label: str, text: str | None) -> str:
        if label not in self.targets:
            raise UnconvertedSyntax(f"reference to an unknown label {label!r} in {self.chapter}")
        target = self.targets[label]
        notebook = "" if target.chapter == self.chapter else f"{target.chapter}.ipynb"
        return f"[{text or target.text}]({notebook}#{label})"

    def _cite(self, style: str, keys: str) -> str:
        parts = []
        for key in (key.strip() for key in keys.split(",")):
            authors, year = self.bibliography.authors(key), self.bibliography.year(key)
            if key not in self.cited:
                self.cited.append(key)
            if style == "t":
                parts.append(f"[{authors} ({year})](#cite-{key})")
            else:
                parts.append(f"[{authors}, {year}](#cite-{key})")
        return "; ".join(parts) if style == "t" else "(" + "; ".join(parts) + ")"

    def _role(self, match: re.Match) -> str:
        name, content = match["name"], match["content"]
        explicit = EXPLICIT_TITLE.match(content)
        title, target = (explicit["title"], explicit["target"]) if explicit else (None, content)
        if name in ("glue", "glue:", "glue:text", "glue:any", "glue:md"):
            key, spec = content.rsplit(":", 1) if name == "glue:text" and ":" in content else (content, "")
            if key not in self.glue:
                raise UnconvertedSyntax(f"no glued value {key!r} in {self.chapter}")
            return format_glue(self.glue[key], spec)
        if name == "numref" and title and ("%s" in title or "{number}" in title):
            number = self._number(target.strip())
            return self._link(target.strip(), title.replace("%s", number).replace("{number}", number))
        if name in ("ref", "prf:ref", "numref", "eq", "exercise:ref"):
            return self._link(target.strip(), title)
        if name == "doc":
            chapter = target.strip().removesuffix(".md").removesuffix(".ipynb").split("/")[-1]
            text = title or self.chapter_titles.get(chapter, chapter)
            if chapter in self.chapter_titles:
                return f"[{text}]({chapter}.ipynb)"
            return f"{text} (on the book's website)"
        if name in ("cite", "cite:p", "cite:ps", "cite:t", "cite:ts"):
            return self._cite("t" if name.startswith("cite:t") else "p", content)
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        raise UnconvertedSyntax(f"no plain-Markdown rendering for the role {{{name}}} in {self.chapter}")

    def inline(self, text: str) -> str:
        """Roles replaced in text outside code blocks and inline code spans."""
        out = []
        for block in re.split(r"(^(?:`{3,}|~{3,}).*?^(?:`{3,}|~{3,})[ \t]*$)", text,
                              flags=re.MULTILINE | re.DOTALL):
            if CODE_FENCE.match(block):
                out.append(block)
            else:
                out.append(ROLE.sub(self._role, block))
        return "".join(out)

    # Directives -------------------------------------------------------------------------------

    def _directive(self, directive: Directive) -> str:
        name, options = directive.name, directive.options
        label = options.get("label") or options.get("name")
        body = self.markdown(directive.body)
        title = self.inline(directive.argument)
        kind = name.removeprefix("prf:")
        if name == "prf:proof":
            # Follows its theorem, whose closing rule sets it off; the square ends it.
            label = "*Proof.*" + (f" ({title})" if title else "")
            return "\n\n".join(part for part in (label, body, "∎") if part)
        if name.startswith("prf:") and kind in PROOF_KINDS:
            heading = self.targets[label].text if label else PROOF_KINDS[kind]
            return _boxed(_anchor(label) + f"**{heading}**" + (f" ({title})" if title else ""), body)
        if name == "exercise":
            heading = self.targets[label].text if label else "Exercise"
            return _boxed(_anchor(label) + f"**{heading}**" + (f" ({title})" if title else ""), body)
        if name in ("solution", "solution-start"):
            exercise = directive.argument.strip()
            heading = self.targets[exercise].text if exercise in self.targets else "the exercise"
            return f"**Solution to {heading}**" + (f"\n\n{body}" if body else "")
        if name == "solution-end":
            return ""
        if name in ADMONITIONS:
            return _boxed(f"**{ADMONITIONS[name]}**" + (f" {title}" if title else ""), body)
        if name == "admonition":
            return _boxed(f"**{title}**", body)
        if name in ("math", "prf:math"):
            number = f" \\tag{{{self.targets[label].text.strip('()')}}}" if label in self.targets else ""
            return _anchor(label) + f"$$\n{directive.body.strip()}{number}\n$$"
        if name in ("figure", "image"):
            # The bundle holds notebooks only: an image file beside a chapter would be missing.
            raise UnconvertedSyntax(f"{{{name}}} {directive.argument} in {self.chapter}: the "
                                    "downloads carry no image files; make the figure in a code cell")
        if name in ("code-block", "code", "sourcecode"):
            return f"```{directive.argument}\n{directive.body}\n```"
        if name in ("epigraph", "pull-quote", "margin", "sidebar", "highlights"):
            return _boxed(f"**{title}**" if title else "", body)
        if name in DROPPED_DIRECTIVES:
            return ""
        raise UnconvertedSyntax(f"no plain-Markdown rendering for the directive {{{name}}} in {self.chapter}")

    def markdown(self, source: str) -> str:
        parts = []
        for block in _split_blocks(source):
            if isinstance(block, Directive):
                # Blank lines around: a rule right under a line of text would make it a heading.
                parts.append("\n" + self._directive(block) + "\n")
            else:
                # A MyST comment line (%) is not for readers; plain Markdown would show it.
                lines = [f'<a id="{target["label"]}"></a>' if (target := TARGET.match(line)) else line
                         for line in block.split("\n") if not line.startswith("%")]
                parts.append(self.inline("\n".join(lines)))
        text = "\n".join(parts)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

    # Whole notebook ---------------------------------------------------------------------------

    def notebook(self, notebook) -> nbformat.NotebookNode:
        self.glue = glued_values(notebook)
        clean = copy.deepcopy(notebook)
        cells = []
        for cell in clean.cells:
            if cell.cell_type == "markdown":
                cell.source = self.markdown(cell.source)
                if cell.source.strip():
                    cells.append(cell)
                continue
            if cell.cell_type == "code":
                cell.outputs = [output for output in cell.get("outputs", []) if not _is_glue_output(output)]
                cells.append(cell)
                figure = cell.metadata.get("mystnb", {}).get("figure", {})
                if figure.get("caption"):
                    name = figure.get("name")
                    number = self.targets[name].text if name in self.targets else "Figure"
                    caption = self.markdown(figure["caption"])
                    cells.append(nbformat.v4.new_markdown_cell(f"{_anchor(name)}*{number}. {caption}*"))
                continue
            cells.append(cell)
        if self.cited:
            cells.append(nbformat.v4.new_markdown_cell(self.bibliography.reference_list(self.cited)))
        # A notebook downloaded on its own still says whose it is and on what terms.
        cells.append(nbformat.v4.new_markdown_cell(LICENCE_NOTE))
        for index, cell in enumerate(cells):  # ids stay unique and independent of the run
            cell["id"] = f"cell-{index}"
        clean.cells = cells
        # jupytext's pairing with book/<chapter>.md means nothing outside the repository.
        clean.metadata.pop("jupytext", None)
        return clean


def clean_chapters(chapter_paths: dict[str, Path], bibfile: Path,
                   chapter_numbers: dict[str, int]) -> dict[str, nbformat.NotebookNode]:
    """Clean notebook of every chapter; chapter_paths maps chapter name -> executed notebook,
    chapter_numbers chapter name -> its number on the website (toc_chapter_numbers)."""
    chapters = {name: nbformat.read(path, as_version=4) for name, path in chapter_paths.items()}
    targets = collect_targets(chapters, chapter_numbers)
    titles = {name: chapter_title(notebook) for name, notebook in chapters.items()}
    bibliography = Bibliography(bibfile)
    return {name: Converter(name, targets, bibliography, titles).notebook(notebook)
            for name, notebook in chapters.items()}


def _toc_parts(root: Path) -> list[dict]:
    """The parts of _toc.yml (a toc without parts is one part), each with its chapters."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return toc.get("parts", [toc])


def toc_chapters(root: Path) -> dict[str, Path]:
    """The executed chapter notebooks of _toc.yml, in reading order."""
    files = [chapter["file"] for part in _toc_parts(root) for chapter in part.get("chapters", [])]
    return {Path(file).name: root / f"{file}.ipynb" for file in files if (root / f"{file}.ipynb").is_file()}


def toc_chapter_numbers(root: Path) -> dict[str, int]:
    """Chapter name -> the number the website gives it: the chapters of the parts marked
    ``numbered`` in _toc.yml, counted in reading order through every such part (Jupyter Book's
    sphinx-multitoc-numbering continues the count from one numbered part to the next); the root
    page and the chapters of the other parts have none."""
    numbers: dict[str, int] = {}
    for part in _toc_parts(root):
        if part.get("numbered"):
            for chapter in part.get("chapters", []):
                numbers[Path(chapter["file"]).name] = len(numbers) + 1
    return numbers


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().split("\n")[0], "\nusage: clean_notebook.py OUTDIR", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[2]
    outdir = Path(argv[0])
    outdir.mkdir(parents=True, exist_ok=True)
    clean = clean_chapters(toc_chapters(root), root / "book" / "references.bib", toc_chapter_numbers(root))
    for name, notebook in clean.items():
        nbformat.write(notebook, outdir / f"{name}.ipynb")
        print(outdir / f"{name}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
