"""Tests of the discrete core: entropy, cross_entropy, kl_divergence.

Reference values come from exact closed forms, term-by-term sums with math.fsum, or SciPy;
never from kltools itself.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy import stats

import kltools
from kltools import cross_entropy, entropy, js_divergence, kl_divergence

RNG_SEED = 20261124


def reference_kl(p, q):
    """KL by an independent route: exact fsum over terms, conventions spelt out."""
    terms = []
    for pi, qi in zip(p, q):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        terms.append(pi * (math.log(pi) - math.log(qi)))
    return math.fsum(terms)


def reference_cross_entropy(p, q):
    terms = []
    for pi, qi in zip(p, q):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        terms.append(-pi * math.log(qi))
    return math.fsum(terms)


def random_distributions(rng, count, size, zero_fraction=0.0):
    x = rng.dirichlet(np.full(size, 0.7), size=count)
    if zero_fraction:
        x[rng.random(x.shape) < zero_fraction] = 0.0
        x[:, 0] += 1e-3  # no row may be all zero
        x /= x.sum(axis=1, keepdims=True)
    return x


# ---------------------------------------------------------------------------------------------
# Known values


def test_fair_coin_has_one_bit():
    assert entropy([0.5, 0.5], base=2) == 1.0
    assert entropy([0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 10, 1000])
def test_uniform_distribution_has_entropy_log_n(n):
    assert entropy(np.full(n, 1 / n)) == pytest.approx(math.log(n), rel=1e-12, abs=1e-15)
    assert entropy(np.full(n, 1 / n), base=2) == pytest.approx(math.log2(n), rel=1e-12, abs=1e-15)


def test_certain_outcome_has_zero_entropy_not_negative_zero():
    h = entropy([0.0, 1.0, 0.0])
    assert h == 0.0 and math.copysign(1.0, h) == 1.0


def test_kl_of_identical_distributions_is_zero():
    rng = np.random.default_rng(RNG_SEED)
    for p in random_distributions(rng, 50, 7, zero_fraction=0.3):
        assert kl_divergence(p, p) == 0.0


def test_asymmetry_example_of_the_entropy_chapter():
    # p = (0.8, 0.2), q = (0.5, 0.5): exact values in bits from the definition.
    p, q = [0.8, 0.2], [0.5, 0.5]
    forward = 0.8 * math.log2(0.8 / 0.5) + 0.2 * math.log2(0.2 / 0.5)
    backward = 0.5 * math.log2(0.5 / 0.8) + 0.5 * math.log2(0.5 / 0.2)
    assert kl_divergence(p, q, base=2) == pytest.approx(forward, rel=1e-14)
    assert kl_divergence(q, p, base=2) == pytest.approx(backward, rel=1e-14)
    assert forward != pytest.approx(backward, rel=1e-3)


def test_base_converts_units():
    p, q = [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]
    nats = kl_divergence(p, q)
    assert kl_divergence(p, q, base=2) == pytest.approx(nats / math.log(2), rel=1e-14)
    assert kl_divergence(p, q, base=10) == pytest.approx(nats / math.log(10), rel=1e-14)
    assert kl_divergence(p, q, base=np.float32(2)) == pytest.approx(nats / math.log(2), rel=1e-14)


# ---------------------------------------------------------------------------------------------
# Agreement with independent references on many random distributions


@pytest.mark.parametrize("zero_fraction", [0.0, 0.3])
def test_agrees_with_term_by_term_reference(zero_fraction):
    rng = np.random.default_rng(RNG_SEED)
    ps = random_distributions(rng, 200, 9, zero_fraction)
    qs = random_distributions(rng, 200, 9, zero_fraction)
    for p, q in zip(ps, qs):
        expected_kl = reference_kl(p, q)
        expected_ce = reference_cross_entropy(p, q)
        if math.isinf(expected_kl):
            assert kl_divergence(p, q) == math.inf
            assert cross_entropy(p, q) == math.inf
        else:
            assert kl_divergence(p, q) == pytest.approx(expected_kl, rel=1e-12, abs=1e-15)
            assert cross_entropy(p, q) == pytest.approx(expected_ce, rel=1e-12, abs=1e-15)
        assert entropy(p) == pytest.approx(reference_cross_entropy(p, p), rel=1e-12, abs=1e-15)


def test_agrees_with_scipy_stats_entropy():
    rng = np.random.default_rng(RNG_SEED + 1)
    p = random_distributions(rng, 100, 20)
    q = random_distributions(rng, 100, 20)
    np.testing.assert_allclose(kl_divergence(p, q), stats.entropy(p, q, axis=1), rtol=1e-12)
    np.testing.assert_allclose(entropy(p, base=2), stats.entropy(p, base=2, axis=1), rtol=1e-12)


@pytest.mark.parametrize("zero_fraction", [0.0, 0.4])
def test_cross_entropy_is_entropy_plus_kl(zero_fraction):
    rng = np.random.default_rng(RNG_SEED + 2)
    p = random_distributions(rng, 500, 12, zero_fraction)
    q = random_distributions(rng, 500, 12, 0.0)  # q > 0 everywhere, so all three are finite
    lhs = cross_entropy(p, q)
    rhs = entropy(p) + kl_divergence(p, q)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12, atol=1e-14)
    assert np.all(kl_divergence(p, q) >= 0)
    assert np.all(cross_entropy(p, q) >= entropy(p))


# ---------------------------------------------------------------------------------------------
# Conventions and extreme values


def test_zero_probability_in_p_contributes_nothing_even_where_q_is_zero():
    assert kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert kl_divergence([0.0, 0.5, 0.5], [0.0, 0.25, 0.75]) == pytest.approx(
        reference_kl([0.5, 0.5], [0.25, 0.75]), rel=1e-14
    )


def test_mass_where_q_has_none_gives_inf():
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    # and not the other way round
    assert math.isfinite(kl_divergence([1.0, 0.0], [0.5, 0.5]))


def test_no_runtime_warning_on_valid_input():
    cases = [([0.5, 0.5], [1.0, 0.0]), ([0.0, 1.0], [0.0, 1.0]), ([1.0, 0.0], [1e-320, 1 - 1e-320])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for p, q in cases:
            entropy(p)
            cross_entropy(p, q)
            kl_divergence(p, q)


def test_tiny_probabilities_never_give_negative_kl():
    rng = np.random.default_rng(RNG_SEED + 3)
    exponents = rng.uniform(-320, -250, size=(200, 4))
    p = 10.0**exponents
    p[:, 0] = 1 - p[:, 1:].sum(axis=1)
    q = p * (1 + rng.uniform(-1e-12, 1e-12, size=p.shape))
    q[:, 0] = 1 - q[:, 1:].sum(axis=1)
    assert np.all(kl_divergence(p, q) >= 0)
    assert np.all(kl_divergence(q, p) >= 0)
    assert np.all(kl_divergence(p, p) == 0)


def test_ratio_that_would_overflow_is_computed_exactly():
    # p / q would be 0.5 / 1e-310 = 5e309 > max double; the divergence itself is finite.
    p, q = [0.5, 0.5], [1 - 1e-310, 1e-310]
    assert kl_divergence(p, q) == pytest.approx(reference_kl(p, q), rel=1e-14)
    assert math.isfinite(kl_divergence(p, q))


# ---------------------------------------------------------------------------------------------
# Shapes, axes, batches and return types


def test_single_distribution_gives_python_float():
    for value in (entropy([0.5, 0.5]), cross_entropy([0.5, 0.5], [0.5, 0.5]),
                  kl_divergence([0.5, 0.5], [0.5, 0.5])):
        assert type(value) is float


def test_axis_selects_the_distribution_axis():
    rng = np.random.default_rng(RNG_SEED + 4)
    p = random_distributions(rng, 5, 4)
    q = random_distributions(rng, 5, 4)
    np.testing.assert_array_equal(kl_divergence(p.T, q.T, axis=0), kl_divergence(p, q))
    np.testing.assert_array_equal(entropy(p.T, axis=0), entropy(p))
    stacked = np.stack([p, q])  # shape (2, 5, 4): distributions along the last axis
    np.testing.assert_array_equal(entropy(np.moveaxis(stacked, 2, 1), axis=1), entropy(stacked))


def test_batch_axes_broadcast():
    rng = np.random.default_rng(RNG_SEED + 5)
    p = random_distributions(rng, 1, 6)[0]
    qs = random_distributions(rng, 8, 6)
    result = kl_divergence(p, qs)
    assert result.shape == (8,)
    np.testing.assert_allclose(result, [reference_kl(p, q) for q in qs], rtol=1e-12)
    grid = cross_entropy(qs[:, None, :], qs[None, :, :])
    assert grid.shape == (8, 8)
    np.testing.assert_allclose(np.diag(grid), entropy(qs), rtol=1e-12)


def test_normalize_rescales_counts():
    counts = [3, 0, 1, 4]
    probs = np.array(counts) / 8
    assert entropy(counts, normalize=True) == pytest.approx(entropy(probs), rel=1e-15)
    assert kl_divergence(counts, [1, 1, 1, 1], normalize=True) == pytest.approx(
        reference_kl(probs, [0.25] * 4), rel=1e-14
    )
    # weights whose plain sum overflows are still normalized correctly
    assert entropy([1e308, 1e308], normalize=True) == pytest.approx(math.log(2), rel=1e-15)


def test_normalizing_overflowing_weights_keeps_subnormal_probabilities_exact():
    # Sum overflows, so the weights are rescaled; the third normalized q is subnormal (5e-319),
    # where p / q would overflow if the kernel took its fast path. The reference is exact
    # (mpmath on the weights): the subnormal double 1e-10 / 1e308 / 2 that this test used to
    # build its reference from keeps only 17 bits, so that reference was off by 2e-9 relative.
    weights_q = [1e308, 1e308, 1e-10]
    with mpmath.workdps(50):
        total = mpmath.fsum(mpmath.mpf(w) for w in weights_q)
        third = mpmath.mpf(1) / 3
        terms = (third * mpmath.log(third * total / mpmath.mpf(w)) for w in weights_q)
        expected = float(mpmath.fsum(terms))
    assert kl_divergence([1, 1, 1], weights_q, normalize=True) == pytest.approx(expected, rel=1e-14)


def test_sum_tolerance_is_documented_value():
    assert entropy([0.5, 0.5 + 0.9e-6]) > 0
    with pytest.raises(ValueError):
        entropy([0.5, 0.5 + 1.1e-6])


def test_public_api():
    assert set(kltools.__all__) >= {"entropy", "cross_entropy", "kl_divergence"}
    for name in kltools.__all__:
        assert getattr(kltools, name).__doc__


# ---------------------------------------------------------------------------------------------
# Bad input: every function, every problem, a clear message


def call_entropy(x, **kw):
    return entropy(x, **kw)


def call_cross_entropy_first(x, **kw):
    return cross_entropy(x, [0.5, 0.5], **kw)


def call_kl_first(x, **kw):
    return kl_divergence(x, [0.5, 0.5], **kw)


def call_cross_entropy_second(x, **kw):
    return cross_entropy([0.5, 0.5], x, **kw)


def call_kl_second(x, **kw):
    return kl_divergence([0.5, 0.5], x, **kw)


CALLERS = {
    "entropy(p)": (call_entropy, "p"),
    "cross_entropy(p, .)": (call_cross_entropy_first, "p"),
    "kl_divergence(p, .)": (call_kl_first, "p"),
    "cross_entropy(., q)": (call_cross_entropy_second, "q"),
    "kl_divergence(., q)": (call_kl_second, "q"),
}

BAD_VALUES = {
    "negative": ([1.5, -0.5], "negative"),
    "nan": ([np.nan, 1.0], "NaN"),
    "inf": ([np.inf, 0.0], "infinite"),
    "not normalized": ([0.3, 0.3], "sums to 0.6"),
    "empty": ([], "empty"),
    "scalar": (0.5, "scalar"),
}

BAD_TYPES = {
    "strings": ["a", "b"],
    "booleans": [True, False],
    "complex": [0.5 + 0j, 0.5],
    "objects": [object(), object()],
    "ragged": [[0.5, 0.5], [1.0]],
    "None": None,
}


@pytest.mark.parametrize("caller", CALLERS, ids=list(CALLERS))
@pytest.mark.parametrize("bad", BAD_VALUES, ids=list(BAD_VALUES))
def test_bad_values_raise_value_error_naming_argument_and_problem(caller, bad):
    func, arg = CALLERS[caller]
    value, problem = BAD_VALUES[bad]
    if bad == "empty" and arg == "q":
        # q = [] against p of length 2: either message is a correct diagnosis
        problem = "empty"
    with pytest.raises(ValueError) as info:
        func(value)
    message = str(info.value)
    assert message.startswith(f"{arg} ") and problem in message


@pytest.mark.parametrize("caller", CALLERS, ids=list(CALLERS))
def test_unnormalized_input_points_to_normalize(caller):
    func, _ = CALLERS[caller]
    with pytest.raises(ValueError, match="normalize=True"):
        func([2, 3])


@pytest.mark.parametrize("caller", CALLERS, ids=list(CALLERS))
@pytest.mark.parametrize("bad", BAD_TYPES, ids=list(BAD_TYPES))
def test_non_numeric_input_raises_type_error(caller, bad):
    func, arg = CALLERS[caller]
    with pytest.raises(TypeError, match=f"^{arg} must be an array of real numbers"):
        func(BAD_TYPES[bad])


@pytest.mark.parametrize("func", [cross_entropy, kl_divergence])
def test_lengths_that_differ_along_axis(func):
    with pytest.raises(ValueError, match="same length along axis"):
        func([0.5, 0.5], [0.2, 0.3, 0.5])


@pytest.mark.parametrize("func", [cross_entropy, kl_divergence])
def test_batch_shapes_that_do_not_broadcast(func):
    with pytest.raises(ValueError, match="do not broadcast"):
        func(np.full((2, 2), 0.5), np.full((3, 2), 0.5))


@pytest.mark.parametrize("func", [entropy, cross_entropy, kl_divergence, js_divergence])
@pytest.mark.parametrize("base", [1, 1.0, 0, -2, 0.5, 1 - 1e-16, np.inf, np.nan])
def test_invalid_base(func, base):
    # A base <= 1 would make every entropy and divergence negative (or undefined): refused.
    args = ([0.5, 0.5],) if func is entropy else ([0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^base must be finite and > 1"):
        func(*args, base=base)


@pytest.mark.parametrize("func", [entropy, cross_entropy, kl_divergence, js_divergence])
@pytest.mark.parametrize("base", ["2", True, 2 + 0j])
def test_non_numeric_base(func, base):
    args = ([0.5, 0.5],) if func is entropy else ([0.5, 0.5], [0.5, 0.5])
    with pytest.raises(TypeError, match="base must be a real number"):
        func(*args, base=base)


@pytest.mark.parametrize("func", [entropy, cross_entropy, kl_divergence])
def test_axis_out_of_range(func):
    args = ([0.5, 0.5],) if func is entropy else ([0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="axis 1 is out of bounds"):
        func(*args, axis=1)


@pytest.mark.parametrize("func", [entropy, cross_entropy, kl_divergence])
def test_normalize_refuses_all_zero_weights(func):
    args = ([0, 0],) if func is entropy else ([0, 0], [1, 1])
    with pytest.raises(ValueError, match="p sums to 0"):
        func(*args, normalize=True)
