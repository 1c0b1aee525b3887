# The two commands of the README: `make book` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt whenever the lock or the package metadata change.
STAMP := $(VENV)/.installed
# Every package of the toolchain, transitive ones included, pinned: made from requirements.txt by
# `make lock` (pip-compile, from pip-tools); `make lock-upgrade` moves every pin to the newest
# release that requirements.txt allows.
LOCK := requirements.lock
PIP_COMPILE_FLAGS := --quiet --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
BOOK_FLAGS := -W -n --keep-going

.PHONY: book test test-module test-notebooks test-book test-site notebooks bench accuracy clean test-bundle
.PHONY: pdf test-pdf book-pdf-if-tex lock lock-upgrade
# The PDF: xelatex (TeX Live, see the README) through sphinx-jupyterbook-latex, named in _config.yml.
PDF := _build/latex/kltools-book.pdf
PDF_CONFIG := _build/pdf/_config.yml
PDF_IN_SITE := _build/html/downloads/kltools-book.pdf
XELATEX ?= xelatex

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## lock: pin every package that requirements.txt pulls in (after editing requirements.txt; the
## pins already in requirements.lock are kept where they still fit)
lock: $(STAMP)
	$(BIN)/pip-compile $(PIP_COMPILE_FLAGS) --output-file $(LOCK) requirements.txt

## lock-upgrade: the same, with every package at the newest release requirements.txt allows
lock-upgrade: $(STAMP)
	$(BIN)/pip-compile $(PIP_COMPILE_FLAGS) --upgrade --output-file $(LOCK) requirements.txt

# axe-core for the accessibility browser tests, pinned by package-lock.json (npm from apt).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

## book: build the website into _build/html with warnings as errors
book: $(STAMP)
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)
	@$(MAKE) --no-print-directory book-pdf-if-tex
	@echo "Open $(CURDIR)/_build/html/index.html"

# Without TeX the website is still built; the PDF is skipped with one line saying why.
book-pdf-if-tex:
	@if command -v $(XELATEX) >/dev/null; then $(MAKE) --no-print-directory pdf; \
	else echo "PDF skipped: xelatex not found (install TeX as the README says, then make pdf)"; fi

## pdf: build the book as _build/latex/kltools-book.pdf (Sphinx warnings are errors) and, when
## the website has been built, copy it to _build/html/downloads/ where the site links to it
pdf: $(STAMP)
	$(BIN)/python book/_tools/pdf_config.py $(PDF_CONFIG)
	$(BIN)/jupyter-book build . $(BOOK_FLAGS) --builder pdflatex --config $(PDF_CONFIG)
	if [ -d _build/html ]; then mkdir -p $(dir $(PDF_IN_SITE)) && cp $(PDF) $(PDF_IN_SITE); fi

## test: every check: module tests and doctests, notebooks (nbval strict), a fresh book build
## with warnings as errors, the PDF and its checks, and the browser tests of that build
test: test-module test-notebooks test-bundle test-book test-pdf test-site

test-module: $(STAMP)
	$(BIN)/python -m pytest --ignore=tests/browser --ignore=tests/test_pdf.py -m "not bundle"

# The zip readers download, unpacked into an empty folder and run in a fresh venv with only what
# it names (installed from PyPI): tests/test_bundle.py, about 3 minutes.
test-bundle: $(STAMP)
	$(BIN)/python -m pytest tests/test_bundle.py -m bundle

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval book/

test-book: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)

# Builds the PDF and checks it (pages, figures, references, chapter titles). Without TeX the checks
# skip and say why, unless KLTOOLS_REQUIRE_PDF=1 (CI sets it), which makes that a failure.
test-pdf: $(STAMP)
	@$(MAKE) --no-print-directory book-pdf-if-tex
	$(BIN)/python -m pytest tests/test_pdf.py

# Chromium drives the fresh build; without Chromium these tests skip and say why, unless
# KLTOOLS_REQUIRE_BROWSER=1 (CI sets it), which makes that a failure.
test-site: test-book $(NODE_STAMP)
	$(BIN)/python -m pytest tests/browser

## notebooks: sync each chapter's text source (book/<chapter>.md) with its notebook
## (book/<chapter>.ipynb), re-execute the notebook and drop per-run metadata; after changing a
## chapter or kltools. `make notebooks CHAPTERS="entropy kl-divergence"` does only those.
notebooks: $(STAMP)
	$(BIN)/python book/_tools/notebooks.py $(CHAPTERS)

## bench: time kltools against SciPy side by side and print the ratios; then, when the site is
## built and Chromium installed, how soon its three longest pages are usable on a phone
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/page_speed.py

## accuracy: measure every kltools route against mpmath (50 digits), print the Markdown table
## and write it to _build/accuracy.md (seeded; about 3 minutes on 2 cores)
accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

clean:
	rm -rf _build .pytest_cache .hypothesis
