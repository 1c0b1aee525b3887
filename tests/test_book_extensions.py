"""The book's local Sphinx extensions (book/_ext), as plain functions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "unique_scripts", Path(__file__).resolve().parent.parent / "book" / "_ext" / "unique_scripts.py"
)
unique_scripts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unique_scripts)


def test_a_repeated_inline_script_is_kept_once():
    page = (
        "<head>\n"
        '    <script>const THEBE_JS_URL = "x"</script>\n'
        '    <script src="a.js"></script>\n'
        "    <script>var toggle = 1;</script>\n"
        '    <script>const THEBE_JS_URL = "x"</script>\n'
        '    <script src="a.js"></script>\n'
        "    <script>var other = 2;</script>\n"
        "</head>\n"
    )
    corrected = unique_scripts._without_repeats(page)
    assert corrected.count("THEBE_JS_URL") == 1
    assert corrected.count("var toggle") == 1 and corrected.count("var other") == 1
    # Scripts with attributes (files) are Sphinx's business: left as they are.
    assert corrected.count('src="a.js"') == 2
    assert unique_scripts._without_repeats(corrected) == corrected
