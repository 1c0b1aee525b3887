"""softmax, log_softmax and cross_entropy_from_logits against exact-sum references."""

import math
import warnings

import mpmath
import numpy as np
import pytest

from kltools import cross_entropy, cross_entropy_from_logits, log_softmax, softmax


def reference_log_softmax(z):
    """The usual definition, evaluated with math.fsum on shifted values (one row)."""
    m = max(z)
    log_norm = m + math.log(math.fsum(math.exp(v - m) for v in z))
    return [v - log_norm for v in z]


def reference_softmax_cross_entropy(label, z):
    """Deep-learning softmax cross-entropy, logsumexp(z) - z[label], in 40-digit arithmetic."""
    with mpmath.workdps(40):
        values = [mpmath.mpf(float(v)) for v in z]
        top = max(range(len(values)), key=values.__getitem__)
        rest = mpmath.fsum(mpmath.exp(v - values[top]) for i, v in enumerate(values) if i != top)
        # log1p: a confident, correct prediction has a loss far below 1e-40
        return float(values[top] - values[label] + mpmath.log1p(rest))


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def test_log_softmax_matches_reference(rng):
    for scale in (1.0, 30.0, 1e4):
        z = rng.normal(scale=scale, size=(50, 7))
        expected = np.array([reference_log_softmax(list(row)) for row in z])
        np.testing.assert_allclose(log_softmax(z), expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(softmax(z), np.exp(expected), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("logits", [[1e4, -1e4, 0.0], [-1e4, -1e4 + 1, -1e4], [1e4, 1e4], [1e300, -1e300]])
def test_extreme_logits_no_overflow_no_nan(logits):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ls = log_softmax(logits)
        s = softmax(logits)
    assert np.all(np.isfinite(ls)) and np.all(np.isfinite(s))
    assert math.fsum(s) == pytest.approx(1.0, rel=1e-15)
    assert np.all(ls <= 0)


def test_mixed_extreme_logits_exact_values():
    np.testing.assert_array_equal(log_softmax([1e4, -1e4, 0.0]), [0.0, -2e4, -1e4])
    np.testing.assert_allclose(log_softmax([-1e4, -1e4]), [-math.log(2)] * 2, rtol=1e-15)


def test_minus_infinity_is_a_category_of_probability_zero():
    s = softmax([0.0, -np.inf, 0.0])
    np.testing.assert_array_equal(s, [0.5, 0.0, 0.5])
    assert log_softmax([0.0, -np.inf])[1] == -np.inf


def test_axis_argument(rng):
    z = rng.normal(size=(4, 5, 3))
    np.testing.assert_allclose(
        softmax(z, axis=1), np.moveaxis(softmax(np.moveaxis(z, 1, -1)), -1, 1), rtol=1e-15
    )
    np.testing.assert_allclose(softmax(z, axis=1).sum(axis=1), 1.0, rtol=1e-14)


def test_cross_entropy_from_logits_matches_deep_learning_definition(rng):
    for scale in (1.0, 50.0, 5e3):
        z = rng.normal(scale=scale, size=(200, 10))
        labels = rng.integers(0, 10, size=200)
        expected = np.array([reference_softmax_cross_entropy(y, list(row)) for y, row in zip(labels, z)])
        np.testing.assert_allclose(cross_entropy_from_logits(labels, z), expected, rtol=1e-10)
        one_hot = np.eye(10)[labels]
        np.testing.assert_allclose(cross_entropy_from_logits(one_hot, z), expected, rtol=1e-10)


def test_soft_targets_equal_cross_entropy_of_softmax(rng):
    z = rng.normal(size=(30, 4))
    y = rng.dirichlet(np.ones(4), size=30)
    np.testing.assert_allclose(
        cross_entropy_from_logits(y, z), cross_entropy(y, softmax(z)), rtol=1e-12
    )


def test_class_axis_other_than_last(rng):
    z = rng.normal(size=(5, 3))
    labels = np.array([0, 2, 1])
    np.testing.assert_allclose(
        cross_entropy_from_logits(labels, z, axis=0), cross_entropy_from_logits(labels, z.T), rtol=1e-15
    )


def test_single_sample_gives_float_and_huge_logit_gap_is_exact():
    loss = cross_entropy_from_logits(1, [1000.0, -1000.0])
    assert type(loss) is float and loss == 2000.0


def test_target_mass_on_masked_class_is_infinite():
    assert cross_entropy_from_logits(1, [0.0, -np.inf]) == math.inf
    assert cross_entropy_from_logits([1.0, 0.0], [0.0, -np.inf]) == 0.0


@pytest.mark.parametrize("func", [softmax, log_softmax])
@pytest.mark.parametrize(
    "bad,error,message",
    [
        ([np.nan, 0.0], ValueError, "logits contains NaN"),
        ([np.inf, 0.0], ValueError, r"logits contains \+inf"),
        ([-np.inf, -np.inf], ValueError, "all -inf"),
        ([], ValueError, "logits is empty"),
        (3.0, ValueError, "scalar"),
        (["a", "b"], TypeError, "logits must be an array of real numbers"),
        ([True, False], TypeError, "logits must be an array of real numbers"),
    ],
)
def test_bad_logits(func, bad, error, message):
    with pytest.raises(error, match=message):
        func(bad)
    with pytest.raises(error, match=message):
        cross_entropy_from_logits(0, bad)


@pytest.mark.parametrize(
    "target,error,message",
    [
        ([0, 3], ValueError, "class index outside 0 .. 2"),
        ([-1, 0], ValueError, "class index outside"),
        ([0, 1, 2], ValueError, "shape of logits without axis"),
        (np.full((2, 3), 0.5), ValueError, "target must sum to 1"),
        (np.array([[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]), ValueError, "target has a negative entry"),
        (np.full((2, 2), 0.5), ValueError, "must have the shape of logits"),
        (np.array([[np.nan, 1.0, 0.0], [1.0, 0.0, 0.0]]), ValueError, "target contains NaN"),
        (["a", "b"], TypeError, "target must be an array of real numbers"),
        ([True, False], TypeError, "target must be an array of real numbers"),
    ],
)
def test_bad_targets(target, error, message):
    with pytest.raises(error, match=message):
        cross_entropy_from_logits(target, np.zeros((2, 3)))
