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


# --- issue #8 (19): any finite logits, of any magnitude, without a RuntimeWarning ------------------


def mp_log_softmax(z):
    """log softmax of one row of float logits (-inf allowed) in 50-digit arithmetic.

    (z_i - max) - log1p(sum of the other shifted exponentials): the differences are exact at 50
    digits, and log1p keeps a dominant class's tiny deficit.
    """
    with mpmath.workdps(50):
        top = max(range(len(z)), key=lambda i: z[i])
        m = mpmath.mpf(float(z[top]))
        rest = mpmath.fsum(
            mpmath.exp(mpmath.mpf(float(v)) - m) for i, v in enumerate(z) if i != top and v != -math.inf
        )
        log_norm = mpmath.log1p(rest)
        return [-math.inf if v == -math.inf else float((mpmath.mpf(float(v)) - m) - log_norm) for v in z]


def random_logit_rows(rng, scale, rows=20, n=6):
    """Rows of uniform(-1, 1) * scale logits (normal draws would overflow near 1e308)."""
    return rng.uniform(-1.0, 1.0, size=(rows, n)) * scale


@pytest.mark.parametrize("scale", [1e-300, 1e-30, 1e-5, 1.0, 30.0, 700.0, 1e4, 1e100, 1e300, 1.7e308])
def test_log_softmax_and_softmax_match_mpmath_at_every_magnitude(scale):
    rng = np.random.default_rng(int(math.log10(scale) + 400))
    z = random_logit_rows(rng, scale)
    expected = np.array([mp_log_softmax(list(row)) for row in z])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = log_softmax(z)
        probabilities = softmax(z)
    # (z_i - max) - log(sum): both parts <= 0, no cancellation. The sum's terms e^(z_j - max)
    # carry the rounding of z_j - max, |z_j - max| ulps each, which is what the tiny
    # log-probability of a dominant class is made of; past 745 they underflow to nothing.
    spread = 2.0 * np.minimum(z.max(axis=1, keepdims=True) / 2 - z.min(axis=1, keepdims=True) / 2, 375.0)
    allowed = 1.2e-16 * (8.0 + spread) * np.abs(expected)
    with np.errstate(invalid="ignore"):  # -inf - -inf where both are -inf (equal: fine)
        assert np.all((got == expected) | (np.abs(got - expected) <= allowed))
    # exp turns the rounding of z_i - max into a relative error of about |z_i - max| ulps
    finite = np.where(np.isfinite(expected), expected, 0.0)
    exact = np.exp(finite) * np.isfinite(expected)
    allowed = 1e-15 * (2.0 + np.abs(finite)) * exact + 1e-320  # subnormals: absolute
    assert np.all(np.abs(probabilities - exact) <= allowed)


@pytest.mark.parametrize("logits,expected", [
    ([1e308, -1e308], [0.0, -np.inf]),                   # -2e308 is below the float64 range
    ([-1e308, 1e308], [-np.inf, 0.0]),
    ([1.7e308, -1.7e308, 0.0], [0.0, -np.inf, -1.7e308]),
    ([0.0, -np.inf, -1e308, 1e308], [-1e308, -np.inf, -np.inf, 0.0]),
    ([-1e308, -1e308], [-math.log(2.0)] * 2),
])
def test_opposite_huge_logits_give_exact_results_without_warning(logits, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = log_softmax(logits)
        probabilities = softmax(logits)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(probabilities, np.exp(expected))


def test_cross_entropy_from_opposite_huge_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cross_entropy_from_logits(0, [-1e308, 1e308]) == math.inf  # the loss is 2e308
        assert cross_entropy_from_logits(1, [-1e308, 1e308]) == 0.0
        assert cross_entropy_from_logits([0, 1], [[-1e308, 1e308]] * 2).tolist() == [math.inf, 0.0]
        assert cross_entropy_from_logits([0.5, 0.5], [-1e308, 1e308]) == math.inf
        assert cross_entropy_from_logits([0.0, 1.0], [-1e308, 1e308]) == 0.0


def test_float32_logits_at_the_float32_limit():
    biggest = np.finfo(np.float32).max
    z = np.array([[biggest, -biggest, 0.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    expected = np.array([mp_log_softmax([float(v) for v in row]) for row in z])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(log_softmax(z), expected, rtol=1e-15)
        np.testing.assert_allclose(softmax(z), np.exp(expected), rtol=1e-15)
        assert cross_entropy_from_logits(1, z[0]) == pytest.approx(2.0 * float(biggest), rel=1e-15)


@pytest.mark.parametrize("confident_rows", [1, 100])  # a few rows, or every row: two code paths
def test_confident_prediction_keeps_its_tiny_loss(confident_rows):
    rng = np.random.default_rng(8)
    z = rng.normal(size=(100, 5))
    labels = rng.integers(0, 5, size=100)
    z[np.arange(confident_rows), labels[:confident_rows]] += 45.0  # others' mass ~ 4 e^-45 ~ 1e-19
    expected = np.array([reference_softmax_cross_entropy(y, list(row)) for y, row in zip(labels, z)])
    losses = cross_entropy_from_logits(labels, z)
    assert np.all(losses[:confident_rows] < 1e-17)
    np.testing.assert_allclose(losses, expected, rtol=1e-14)
    log_q = log_softmax(z)
    np.testing.assert_allclose(-log_q[np.arange(100), labels], expected, rtol=1e-14)


def test_tied_maxima_are_not_mistaken_for_a_confident_class():
    # the sum of shifted exponentials is 2 + tiny: log 2, not log1p of the tiny rest
    np.testing.assert_allclose(log_softmax([0.0, 0.0, -50.0])[:2], -math.log1p(1.0 + math.exp(-50.0)), rtol=1e-15)
    assert cross_entropy_from_logits(0, [3.0, 3.0]) == pytest.approx(math.log(2.0), rel=1e-15)


def test_validation_precedence_is_kept():
    # one reduction finds all three faults; NaN is reported first, as before
    with pytest.raises(ValueError, match="NaN"):
        log_softmax([[0.0, np.inf], [np.nan, 0.0]])
    with pytest.raises(ValueError, match=r"\+inf"):
        log_softmax([[0.0, np.inf], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="all -inf"):
        softmax([[0.0, 1.0], [-np.inf, -np.inf]])
    assert log_softmax(np.zeros((0, 3))).shape == (0, 3)
