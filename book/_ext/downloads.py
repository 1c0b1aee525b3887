"""Everything a reader takes away from the website, built with every HTML build of the book.

- ``_sources/book/<chapter>.ipynb``, what each chapter's download button serves, is replaced by
  its clean version (book/_tools/clean_notebook.py): glued numbers, theorems, exercises and
  citations as plain Jupyter Markdown, instead of MyST that plain Jupyter shows as source.
- ``downloads/kltools-<version>-py3-none-any.whl``: the kltools wheel, built offline from this
  repository with ``pip wheel --no-deps --no-build-isolation --no-index`` (setuptools, the build
  backend, is pinned in requirements.txt). kltools is on no package index, so the chapters, which
  all import it, need it beside them.
- ``downloads/kltools-book.zip``: one folder, ``kltools-book/``, with the clean chapter
  notebooks, the wheel, a requirements.txt naming what the notebooks import (lower bounds; the
  wheel by relative path), README.txt (how to run them) and LICENSE. The zip's bytes depend only
  on its contents (fixed timestamps, sorted names).
- The role ``{site-download}`text <file>``` links a page to ``downloads/<file>`` relative to the
  page, at any depth, without Sphinx looking for the file (the PDF is made after the HTML build);
  ``{version}`` in the file name is kltools' version from pyproject.toml.

sphinx-tojupyter (0.6.0, QuantEcon's converter) was tried first: with this Sphinx 7.4 / myst-nb
1.4 stack it builds and fills in glue values and theorems, but writes every code cell as a
Markdown code fence (74 Markdown cells, no code cell, no output in the entropy chapter), so its
notebooks cannot be run; hence the small converter.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import ReferenceRole

DOWNLOADS = "downloads"
BUNDLE = "kltools-book.zip"
BUNDLE_FOLDER = "kltools-book"
# What the chapters import besides the standard library and kltools. Lower bounds, not the
# book's pins, so the bundle installs next to what a reader already has: numpy 2.0 is kltools'
# own floor; SciPy 1.13 and Matplotlib 3.9 are the first releases built for numpy 2.
BUNDLE_REQUIREMENTS = ["numpy>=2.0", "scipy>=1.13", "matplotlib>=3.9"]
# Zip entries get this timestamp, so rebuilding an unchanged book gives the same bytes.
FIXED_TIME = (2020, 1, 1, 0, 0, 0)

README = """\
{title}

The chapters of the book as Jupyter notebooks, with kltools, the small library they import
({wheel}). Read them in this order:

{chapters}

To run them you need Python 3.11 or later. In this folder:

    python3 -m venv .venv
    .venv/bin/python -m pip install -r requirements.txt jupyterlab
    .venv/bin/jupyter lab

(On Windows: py -m venv .venv, then .venv\\Scripts\\python -m pip install -r requirements.txt
jupyterlab, then .venv\\Scripts\\jupyter lab.) Any other Jupyter front end works too: install
requirements.txt into the environment of its kernel. Each notebook runs top to bottom; random
numbers come from seeded generators, so a run repeats itself. With library versions other than
the book's, the last digits of some outputs may differ from the stored ones.

requirements.txt installs NumPy, SciPy and Matplotlib (lower bounds only) and kltools from the
wheel in this folder. To use kltools in your own code, `pip install {wheel}`
installs it alone (it needs NumPy and SciPy).

Licences: the text of the book is licensed CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/); the code, kltools and the code cells, is MIT
(see LICENSE).
"""


def _load_converter():
    path = Path(__file__).resolve().parents[1] / "_tools" / "clean_notebook.py"
    spec = importlib.util.spec_from_file_location("clean_notebook", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("clean_notebook", module)
    spec.loader.exec_module(module)
    return module


def kltools_version(root: Path) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def wheel_name(root: Path) -> str:
    return f"kltools-{kltools_version(root)}-py3-none-any.whl"


def chapter_notebooks(app: Sphinx) -> dict[str, Path]:
    """docname -> executed notebook, for every notebook page of the book, in reading order."""
    chapters = {}
    for docname in app.env.found_docs:
        path = Path(app.env.doc2path(docname))
        if path.suffix == ".ipynb":
            chapters[docname] = path
    order = {name: index for index, name in enumerate(_reading_order(app))}
    return dict(sorted(chapters.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def _reading_order(app: Sphinx) -> list[str]:
    root = app.config.root_doc
    return [root, *app.env.toctree_includes.get(root, [])]


def build_wheel(root: Path, into: Path) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        # Built from a copy of what the wheel is made of: setuptools' build/ and *.egg-info
        # folders would otherwise land in the repository, and a stale build/lib could slip a
        # deleted module into the wheel.
        source = Path(scratch) / "source"
        shutil.copytree(root / "kltools", source / "kltools",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(root / name, source / name)
        # Wheel entries carry SOURCE_DATE_EPOCH as their time: same sources, same wheel bytes.
        env = dict(os.environ, SOURCE_DATE_EPOCH="1577836800")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--wheel-dir", scratch, str(source)],
            capture_output=True, text=True, env=env,
        )
        built = sorted(Path(scratch).glob("kltools-*.whl"))
        if result.returncode != 0 or len(built) != 1:
            raise ExtensionError(
                "building the kltools wheel failed (is setuptools from requirements.txt "
                f"installed?):\n{result.stdout}\n{result.stderr}"
            )
        into.mkdir(parents=True, exist_ok=True)
        for old in into.glob("kltools-*.whl"):
            old.unlink()
        return Path(shutil.copy2(built[0], into / built[0].name))


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(f"{BUNDLE_FOLDER}/{name}", date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def build_bundle(path: Path, notebooks: dict[str, bytes], wheel: Path, license_text: bytes,
                 title: str, chapter_titles: dict[str, str]) -> None:
    requirements = "\n".join(BUNDLE_REQUIREMENTS + [f"./{wheel.name}"]) + "\n"
    chapters = "\n".join(f"  {index}. {name} ({chapter_titles[name]})"
                         for index, name in enumerate(notebooks, start=1))
    readme = README.format(title=title, wheel=wheel.name, chapters=chapters)
    files = {f"{name}.ipynb": data for name, data in notebooks.items()}
    files |= {"requirements.txt": requirements.encode(), "README.txt": readme.encode(),
              "LICENSE": license_text, wheel.name: wheel.read_bytes()}
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(files):
            _add(archive, name, files[name])


def make_downloads(root: Path, downloads: Path, chapters: dict[str, Path], title: str) -> dict[str, bytes]:
    """Write the wheel and the bundle into ``downloads``; return each chapter's clean notebook.

    ``chapters`` maps chapter names (book/<name>.ipynb) to executed notebooks, in reading order.
    tests/test_bundle.py calls this too, so it tests the very code that makes the site's zip.
    """
    converter = _load_converter()
    clean = converter.clean_chapters(chapters, root / "book" / "references.bib",
                                     converter.toc_chapter_numbers(root))
    serialized = {name: nbformat.writes(clean[name]).encode() + b"\n" for name in chapters}
    wheel = build_wheel(root, downloads)
    titles = {name: converter.chapter_title(notebook) for name, notebook in clean.items()}
    build_bundle(downloads / BUNDLE, serialized, wheel, (root / "LICENSE").read_bytes(), title, titles)
    return serialized


def _make_downloads(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    docnames = {Path(docname).name: docname for docname in chapter_notebooks(app)}
    serialized = make_downloads(
        Path(app.srcdir), outdir / DOWNLOADS,
        {name: Path(app.env.doc2path(docname)) for name, docname in docnames.items()},
        app.config.html_title or app.config.project,
    )
    for name, docname in docnames.items():
        # What "Download this page" -> .ipynb serves (sphinx-book-theme links _sources/).
        source_copy = outdir / "_sources" / f"{docname}.ipynb"
        source_copy.parent.mkdir(parents=True, exist_ok=True)
        source_copy.write_bytes(serialized[name])


class SiteDownloadRole(ReferenceRole):
    """``{site-download}`text <file>```: a link to downloads/<file>, relative to the page."""

    def run(self):
        root = Path(self.env.srcdir)
        filename = self.target.replace("{version}", kltools_version(root))
        depth = self.env.docname.count("/")
        uri = "../" * depth + f"{DOWNLOADS}/{filename}"
        text = (self.title if self.has_explicit_title else filename).replace(
            "{version}", kltools_version(root))
        reference = nodes.reference(self.rawtext, text, refuri=uri, classes=["site-download"])
        return [reference], []


def setup(app: Sphinx) -> dict:
    app.add_role("site-download", SiteDownloadRole())
    app.connect("build-finished", _make_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
