"""Keep each chapter's text source and its executed notebook in step.

Every chapter is a pair in ``book/``:

* ``ch.md``, a MyST Markdown notebook (jupytext's ``md:myst`` format): the file people edit and
  review; the build never reads it (``_config.yml`` excludes it);
* ``ch.ipynb``, the same cells with their outputs: the file the book is built from, that nbval
  re-runs in strict mode and that readers download.

``python book/_tools/notebooks.py [CHAPTER ...]`` (``make notebooks``) brings each pair in sync
with ``jupytext --sync`` (the more recently modified file wins, as when Jupyter saves a paired
notebook), re-executes the notebook in ``book/`` and writes it without per-run metadata and with
each cell's printed text in one output, so that re-running an unchanged chapter leaves
``git status`` clean. With no argument it does every chapter; ``CHAPTER`` is a name such as
``entropy``.

The tests import :func:`chapter_pairs`, :data:`VOLATILE_CELL_METADATA` and
:data:`CONTROL_CHARACTERS` from here, so the definition of a chapter, of volatile metadata and of
a forbidden character lives in one place.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent.parent

# Written by the kernel or by an editor on each run or view, never by an author.
VOLATILE_CELL_METADATA = frozenset({"execution", "ExecuteTime", "collapsed", "scrolled"})
VOLATILE_NOTEBOOK_METADATA = frozenset({"widgets", "papermill"})

# A string escape turns TeX commands into these: "\to" -> TAB + "o", "\beta" -> BACKSPACE + "eta",
# "\frac" -> FORM FEED + "rac", "\right" -> CARRIAGE RETURN + "ight", "\vec" -> VERTICAL TAB + "ec".
CONTROL_CHARACTERS = {
    "\t": "tab (\\t, as in a mangled \\to or \\theta)",
    "\b": "backspace (\\b, as in a mangled \\beta or \\bar)",
    "\f": "form feed (\\f, as in a mangled \\frac)",
    "\r": "carriage return (\\r, as in a mangled \\right or \\rho)",
    "\v": "vertical tab (\\v, as in a mangled \\vec or \\varepsilon)",
}

EXECUTION_TIMEOUT_SECONDS = 600

# Where each figure output records the size of its smallest text (see FIGURE_TEXT_PROBE).
SMALLEST_TEXT_KEY = "smallest_text_px"

# Run silently in the kernel before a chapter's cells. Each figure the chapter shows as a retina
# PNG also records, next to the width and height IPython already writes in the output's
# ``image/png`` metadata, the font size of its smallest visible text, in CSS px at the figure's
# natural width (points x dpi / 72; the retina PNG has twice the pixels of that width). The phone
# test (tests/browser/test_phone.py) scales it by how wide a phone shows the figure. Measured on
# the drawn figure, after the draw that creates tick labels, rather than taken from rcParams, so
# that a fontsize= argument in a chapter counts too.
FIGURE_TEXT_PROBE = f"""
def _record_smallest_text():
    import IPython.core.pylabtools as pylabtools
    from matplotlib.text import Text

    formatted = pylabtools.retina_figure

    def retina_figure(fig, base64=False, **kwargs):
        result = formatted(fig, base64=base64, **kwargs)
        if result is None:
            return result
        sizes = [text.get_fontsize() for text in fig.findobj(Text)
                 if text.get_visible() and text.get_text().strip()]
        data, metadata = result
        if sizes:
            metadata[{SMALLEST_TEXT_KEY!r}] = round(min(sizes) * fig.dpi / 72, 2)
        return data, metadata

    pylabtools.retina_figure = retina_figure

_record_smallest_text()
del _record_smallest_text
"""


def chapter_pairs() -> list[tuple[Path, Path]]:
    """Every ``(text source, notebook)`` pair in ``book/``, sorted by name.

    A chapter is a ``.md`` file whose jupytext front matter pairs it with an ``.ipynb``.
    """
    import jupytext

    pairs = []
    for text in sorted(BOOK.glob("*.md")):
        formats = jupytext.read(text).metadata.get("jupytext", {}).get("formats", "")
        if "ipynb" in formats.split(","):
            pairs.append((text, text.with_suffix(".ipynb")))
    return pairs


def strip_volatile_metadata(notebook) -> None:
    """Remove, in place, the metadata that changes from one run (or one machine) to the next."""
    for key in VOLATILE_NOTEBOOK_METADATA:
        notebook.metadata.pop(key, None)
    # The patch level of the interpreter that last ran the chapter is not part of the chapter.
    notebook.metadata.get("language_info", {}).pop("version", None)
    for cell in notebook.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)


def coalesce_streams(notebook) -> None:
    """Join consecutive stdout (or stderr) outputs of a cell, in place.

    How printed text is cut into stream messages depends on when the kernel flushed, so the same
    cell can be recorded as one output or as several from one run to the next.
    """
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        joined = []
        for output in cell.outputs:
            previous = joined[-1] if joined else None
            if (output.output_type == "stream" and previous is not None
                    and previous.output_type == "stream" and previous.name == output.name):
                previous.text += output.text
            else:
                joined.append(output)
        cell.outputs = joined


def sync(text: Path) -> None:
    """Bring a pair in sync: the more recently modified of the two files wins."""
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", "--quiet", str(text)], check=True)


def execute(notebook_path: Path) -> None:
    """Run a notebook top to bottom in ``book/`` and write it back without volatile metadata."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=EXECUTION_TIMEOUT_SECONDS,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(BOOK)}},
    )

    async def probe_figure_text(notebook) -> None:
        # silent: no output and no execution count, so the chapter's cells are numbered from 1
        msg_id = client.kc.execute(FIGURE_TEXT_PROBE, silent=True, store_history=False)
        reply = await client.async_wait_for_reply(msg_id)
        if reply is None or reply["content"]["status"] != "ok":
            raise RuntimeError(f"the figure text probe failed in the kernel: {reply}")

    client.on_notebook_start = probe_figure_text
    client.execute()
    coalesce_streams(notebook)
    strip_volatile_metadata(notebook)
    nbformat.write(notebook, notebook_path)


def main(names: list[str]) -> int:
    pairs = chapter_pairs()
    known = {text.stem: (text, notebook) for text, notebook in pairs}
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown chapter(s) {unknown}; chapters are {sorted(known)}", file=sys.stderr)
        return 2
    for name in names or sorted(known):
        text, notebook = known[name]
        print(f"{name}: sync, execute", flush=True)
        sync(text)
        execute(notebook)
        # The notebook is now the newer file: syncing again rewrites the text source in jupytext's
        # own layout (a hand-edited source may differ in blank lines or option syntax), so that the
        # next run, from either file, finds nothing to change.
        sync(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
