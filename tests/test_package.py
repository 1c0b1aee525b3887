"""The package as people reuse it: public API, docstrings, typing marker, import cost."""

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kltools
from kltools import js_divergence

REQUIRED_SECTIONS = ["Parameters", "Returns", "Raises", "Notes", "Examples"]


@pytest.mark.parametrize("name", [n for n in kltools.__all__ if inspect.isfunction(getattr(kltools, n))])
def test_public_functions_are_documented_and_typed(name):
    func = getattr(kltools, name)
    doc = inspect.getdoc(func)
    for section in REQUIRED_SECTIONS:
        assert f"\n{section}\n---" in doc, f"{name} lacks a {section} section"
    signature = inspect.signature(func)
    assert signature.return_annotation is not inspect.Signature.empty
    for parameter in signature.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, f"{name}({parameter.name})"


def test_all_names_exist_and_private_modules_stay_private():
    for name in kltools.__all__:
        assert hasattr(kltools, name)
    assert not any(name.startswith("_") for name in kltools.__all__)


def test_py_typed_marker_ships():
    assert (Path(kltools.__file__).parent / "py.typed").is_file()


def test_import_is_light():
    code = (
        "import sys, time; t = time.perf_counter(); import kltools; "
        "print(time.perf_counter() - t); "
        "print(any(m.startswith(('matplotlib', 'scipy.stats')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy = out.stdout.split()
    assert heavy == "False", "import kltools must not import matplotlib or scipy.stats"
    # Generous bound (the measured cost is about 0.07 s); catches an eager heavy import.
    assert float(seconds) < 0.5


# JS divergence shares the validation of kl_divergence: every bad input, both arguments.
@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize(
    "bad,error,message",
    [
        ([1.5, -0.5], ValueError, "negative"),
        ([np.nan, 1.0], ValueError, "NaN"),
        ([np.inf, 0.0], ValueError, "infinite"),
        ([0.3, 0.3], ValueError, "normalize=True"),
        ([], ValueError, "empty"),
        (["a", "b"], TypeError, "must be an array of real numbers"),
    ],
)
def test_js_divergence_bad_input(position, bad, error, message):
    args = [[0.5, 0.5], [0.5, 0.5]]
    args[position] = bad
    with pytest.raises(error, match=message) as info:
        js_divergence(*args)
    assert str(info.value).startswith("pq"[position])


def test_js_divergence_length_and_base_errors():
    with pytest.raises(ValueError, match="same length"):
        js_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="base must be"):
        js_divergence([0.5, 0.5], [0.5, 0.5], base=1)
