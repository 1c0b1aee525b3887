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


def test_many_rows_go_through_in_blocks():
    # 150 rows of 1000 classes span three blocks of rows; every third row is confident
    rng = np.random.default_rng(150)
    z = rng.normal(scale=3.0, size=(150, 1000))
    labels = rng.integers(0, 1000, size=150)
    z[np.arange(0, 150, 3), labels[::3]] += 60.0
    rows = np.r_[0:150:13, 1:150:29, 149]
    expected = np.array([mp_log_softmax(list(z[i])) for i in rows])
    log_q, q, losses = log_softmax(z), softmax(z), cross_entropy_from_logits(labels, z)
    np.testing.assert_allclose(log_q[rows], expected, rtol=1e-13)
    np.testing.assert_allclose(q[rows], np.exp(expected), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(losses[rows], -expected[np.arange(len(rows)), labels[rows]], rtol=1e-13)
    # the class axis first: the same numbers
    np.testing.assert_array_equal(log_softmax(z.T, axis=0), log_q.T)
    np.testing.assert_array_equal(cross_entropy_from_logits(labels, z.T, axis=0), losses)
    assert cross_entropy_from_logits(np.zeros(0, dtype=int), np.zeros((0, 4))).shape == (0,)


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


# --- issue #9 (3): kl_divergence_from_logits -------------------------------------------------------

from kltools import entropy, kl_divergence, kl_divergence_from_logits  # noqa: E402


def mp_kl_from_logits(a, b, dps=50):
    """KL(softmax(a) || softmax(b)) of one row in `dps`-digit arithmetic (-inf allowed).

    log p_i - log q_i = (a_i - max a) - (b_i - max b) - (log1p(r_a) - log1p(r_b)), r the sum of
    the other shifted exponentials: every difference is exact at 50 digits, so what is left is
    the cancellation of the sum itself, about 20 digits for the nearly equal rows used here.
    """
    a, b = [float(v) for v in a], [float(v) for v in b]
    with mpmath.workdps(dps):
        support = [i for i, v in enumerate(a) if v != -math.inf]
        if any(b[i] == -math.inf for i in support):
            return math.inf
        ka, kb = a.index(max(a)), b.index(max(b))
        ma, mb = mpmath.mpf(a[ka]), mpmath.mpf(b[kb])
        log_a = mpmath.log1p(mpmath.fsum(mpmath.exp(mpmath.mpf(a[i]) - ma) for i in support if i != ka))
        log_b = mpmath.log1p(mpmath.fsum(
            mpmath.exp(mpmath.mpf(v) - mb) for i, v in enumerate(b) if i != kb and v != -math.inf
        ))
        total = mpmath.mpf(0)
        for i in support:
            log_p = (mpmath.mpf(a[i]) - ma) - log_a
            total += mpmath.exp(log_p) * ((mpmath.mpf(a[i]) - ma) - (mpmath.mpf(b[i]) - mb) - (log_a - log_b))
        return float(total)


def assert_matches_mpmath(a, b, rtol):
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = np.atleast_1d(kl_divergence_from_logits(a, b))
    expected = np.array([mp_kl_from_logits(x, y) for x, y in zip(a, b)])
    assert np.all(got >= 0)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)
    return got, expected


@pytest.mark.parametrize("n", [2, 3, 10, 100])
@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0, 30.0, 300.0])
def test_kl_from_logits_matches_mpmath_on_random_logits(n, scale):
    rng = np.random.default_rng(n * 1000 + int(scale * 10))
    a = rng.normal(scale=scale, size=(12, n))
    b = rng.normal(scale=scale * rng.uniform(0.3, 3.0), size=(12, n)) + rng.normal(scale=scale, size=(12, 1))
    assert_matches_mpmath(a, b, rtol=1e-13)


@pytest.mark.parametrize("epsilon", [1e-2, 1e-5, 1e-8, 1e-10])
@pytest.mark.parametrize("shift", [0.0, 3.7, -1e4])
def test_kl_from_logits_nearly_equal_rows_keep_relative_accuracy(epsilon, shift):
    # KL ~ epsilon^2 / 2, down to 1e-20: all of it comes from digits that kl_divergence of two
    # rounded softmax outputs would not have. A common shift of q's logits changes nothing.
    rng = np.random.default_rng(int(-math.log10(epsilon)))
    a = rng.normal(scale=3.0, size=(10, 20))
    b = a + shift + epsilon * rng.normal(size=a.shape)
    got, expected = assert_matches_mpmath(a, b, rtol=1e-12)
    assert np.all(expected < epsilon**2 * 20)


def test_kl_from_logits_tiny_logits_against_the_quadratic_closed_form():
    # For logits of size h -> 0, p and q are within O(h) of uniform and, to second order,
    # KL = (1/2) Var_u(a - b) with u the uniform distribution; the next term is O(h^3).
    rng = np.random.default_rng(21)
    for h in (1e-30, 1e-100, 1e-150):
        a, b = h * rng.normal(size=(5, 8)), h * rng.normal(size=(5, 8))
        d = a - b
        expected = 0.5 * ((d - d.mean(axis=1, keepdims=True)) ** 2).mean(axis=1)
        np.testing.assert_allclose(kl_divergence_from_logits(a, b), expected, rtol=1e-12)
    # below ~1e-162 the divergence underflows: 0 is the correctly rounded value
    assert np.all(kl_divergence_from_logits(1e-200 * rng.normal(size=(3, 4)), np.zeros(4)) == 0.0)


@pytest.mark.parametrize("scale", [1e5, 1e10, 1e100, 1e300, 1.79e308])
def test_kl_from_logits_extreme_magnitudes_match_mpmath(scale):
    rng = np.random.default_rng(int(math.log10(scale)))
    a = rng.uniform(-1.0, 1.0, size=(30, 5)) * scale
    b = rng.uniform(-1.0, 1.0, size=(30, 5)) * scale
    b[:10] = a[:10]  # identical rows: exactly 0
    b[10:20, :] = a[10:20, :] * (1.0 + 1e-6 * rng.normal(size=(10, 5)))  # same winner, q nearly one-hot
    got, expected = assert_matches_mpmath(a, b, rtol=1e-13)
    assert np.all(got[:10] == 0.0)


@pytest.mark.parametrize("a,b", [
    ([0.0, 0.0], [1e308, -1e308]),            # p = (1/2, 1/2), log q_2 = -2e308: KL = 1e308 - log 2
    ([1e308, -1e308], [-1e308, 1e308]),       # -log q_1 overflows: inf is the rounded value
    ([-1e308, -1e308 + 1.0], [1e308, 1e308]),
    ([1.0, -750.0], [1e308, 1.0]),            # p_2 = e^-751 underflows, yet p_2 log(p_2/q_2) ~ 7e-19
    ([-750.0, 1.0, -1e300], [-1e10, 1e308, 1e10]),
    ([1000.0, 0.0], [0.0, 1000.0]),
])
def test_kl_from_logits_overflowing_differences(a, b):
    assert_matches_mpmath(a, b, rtol=1e-13)


def test_kl_from_logits_minus_infinity():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # p rules out a class that q allows: finite, -log(1 - q_2) plus the rest
        assert kl_divergence_from_logits([0.0, -np.inf], [0.0, 0.0]) == pytest.approx(math.log(2.0), rel=1e-15)
        # p allows a class that q rules out: infinite, however small p's probability is
        assert kl_divergence_from_logits([0.0, 0.0], [0.0, -np.inf]) == math.inf
        assert kl_divergence_from_logits([0.0, -1e4], [0.0, -np.inf]) == math.inf
        # both rule it out: it plays no part
        assert kl_divergence_from_logits([0.0, -np.inf, 1.0], [2.0, -np.inf, 0.5]) == pytest.approx(
            kl_divergence_from_logits([0.0, 1.0], [2.0, 0.5]), rel=1e-15)
        assert kl_divergence_from_logits([0.0, -np.inf, 2.0], [0.0, -np.inf, 2.0]) == 0.0
    rng = np.random.default_rng(5)
    a, b = rng.normal(scale=4.0, size=(40, 6)), rng.normal(scale=4.0, size=(40, 6))
    a[rng.random(a.shape) < 0.3] = -np.inf
    b[rng.random(b.shape) < 0.1] = -np.inf
    a[:, 0], b[:, 0] = 1.0, 1.0  # keep a finite logit in every row
    got, expected = assert_matches_mpmath(a, b, rtol=1e-13)
    assert np.isinf(expected).any() and np.isfinite(expected).any()


def test_kl_from_logits_float32_logits():
    rng = np.random.default_rng(32)
    a = rng.normal(scale=10.0, size=(20, 7)).astype(np.float32)
    b = (a + rng.normal(scale=0.01, size=a.shape)).astype(np.float32)
    biggest = np.finfo(np.float32).max
    a[0], b[0] = [biggest, -biggest, 0, 0, 0, 0, 0], [-biggest, biggest, 0, 0, 0, 0, 0]
    assert_matches_mpmath(a.astype(np.float64), b.astype(np.float64), rtol=1e-13)
    np.testing.assert_array_equal(kl_divergence_from_logits(a, b), kl_divergence_from_logits(a.astype(float), b.astype(float)))


def test_kl_from_logits_identical_rows_are_exactly_zero():
    rng = np.random.default_rng(0)
    for scale in (1e-300, 1.0, 1e3, 1e300):
        a = rng.normal(size=(50, 9)) * scale
        assert np.all(kl_divergence_from_logits(a, a.copy()) == 0.0)
    # probabilities at the subnormal edge (e^-745 / 2 rounds to 0): both sides round alike
    edge = np.array([[0.0, 0.0, 745.0, 745.0], [-745.0, 0.0, -744.5, -np.inf]])
    assert np.all(kl_divergence_from_logits(edge, edge.copy()) == 0.0)


def test_kl_from_logits_agrees_with_kl_divergence_of_softmax_where_that_is_accurate():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(200, 10)), rng.normal(size=(200, 10))
    np.testing.assert_allclose(kl_divergence_from_logits(a, b), kl_divergence(softmax(a), softmax(b)), rtol=1e-12)


def test_kl_from_logits_many_rows_both_routes_and_several_blocks():
    # 300 rows of 1000 classes: several blocks, ordinary rows (fast route) and nearly equal rows
    # (careful route) interleaved.
    rng = np.random.default_rng(300)
    a = rng.normal(size=(300, 1000))
    b = rng.normal(size=(300, 1000))
    b[1::2] = a[1::2] + 1e-7 * rng.normal(size=(150, 1000))
    got = kl_divergence_from_logits(a, b)
    rows = np.r_[0:300:37, 1:300:37]
    expected = np.array([mp_kl_from_logits(a[i], b[i]) for i in rows])
    np.testing.assert_allclose(got[rows], expected, rtol=1e-12)


def test_kl_from_logits_batching_axis_and_base():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 1, 5)), rng.normal(size=(1, 4, 5))
    got = kl_divergence_from_logits(a, b)
    assert got.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert got[i, j] == pytest.approx(mp_kl_from_logits(a[i, 0], b[0, j]), rel=1e-13)
    np.testing.assert_array_equal(kl_divergence_from_logits(a[0, 0], b[0]), got[0])
    np.testing.assert_allclose(kl_divergence_from_logits(np.moveaxis(a, -1, 0), np.moveaxis(b, -1, 0), axis=0),
                               got, rtol=1e-15)
    np.testing.assert_allclose(kl_divergence_from_logits(a, b, base=2), got / math.log(2.0), rtol=1e-15)
    assert type(kl_divergence_from_logits([0.0, 1.0], [1.0, 0.0])) is float


def test_distillation_loss_equals_soft_cross_entropy_minus_teacher_entropy():
    # T^2 KL(softmax(t/T) || softmax(s/T)) = T^2 (H(p_T, q_T) - H(p_T)), from two other functions
    rng = np.random.default_rng(2015)
    teacher, student = rng.normal(scale=5.0, size=(16, 10)), rng.normal(scale=5.0, size=(16, 10))
    for T in (1.0, 2.0, 8.0):
        soft = softmax(teacher / T)
        expected = T**2 * (cross_entropy_from_logits(soft, student / T) - entropy(soft))
        np.testing.assert_allclose(T**2 * kl_divergence_from_logits(teacher / T, student / T), expected, rtol=1e-11)


@pytest.mark.parametrize(
    "p,q,error,message",
    [
        ([np.nan, 0.0], [0.0, 0.0], ValueError, "p_logits contains NaN"),
        ([0.0, 0.0], [np.inf, 0.0], ValueError, r"q_logits contains \+inf"),
        ([-np.inf, -np.inf], [0.0, 0.0], ValueError, "p_logits has a distribution whose logits are all -inf"),
        ([0.0, 0.0], [0.0, 0.0, 0.0], ValueError, "same length"),
        (np.zeros((2, 3)), np.zeros((3, 3)), ValueError, "do not broadcast"),
        (1.0, [0.0], ValueError, "p_logits must be an array of logits, got a scalar"),
        ([0.0], [], ValueError, "q_logits is empty"),
        (["a"], [0.0], TypeError, "p_logits must be an array of real numbers"),
        ([0.0, 1.0], [True, False], TypeError, "q_logits must be an array of real numbers"),
    ],
)
def test_kl_from_logits_bad_input(p, q, error, message):
    with pytest.raises(error, match=message):
        kl_divergence_from_logits(p, q)


def test_kl_from_logits_bad_base():
    with pytest.raises(ValueError, match="base must be"):
        kl_divergence_from_logits([0.0, 1.0], [1.0, 0.0], base=1)
    with pytest.raises(TypeError, match="base must be"):
        kl_divergence_from_logits([0.0, 1.0], [1.0, 0.0], base="2")


from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

_any_logit = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-np.inf, 0.0, -745.0, 1e308, -1e308, 5e-324]),
)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=_any_logit),
       arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=_any_logit))
def test_kl_from_logits_is_never_nan_negative_or_noisy(a, b):
    n = min(a.shape[1], b.shape[1])
    a, b = a[:1, :n].copy(), b[:, :n].copy()
    a[:, 0] = np.where(np.isinf(a[:, 0]), 0.0, a[:, 0])  # every row needs a finite logit
    b[:, 0] = np.where(np.isinf(b[:, 0]), 0.0, b[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = kl_divergence_from_logits(a, b)
        assert np.all(got >= 0)  # also False for NaN
        assert np.all(kl_divergence_from_logits(b, b) == 0.0)
    ruled_out = ((b == -np.inf) & (a > -np.inf)).any(axis=1)
    assert np.all(np.isinf(got[ruled_out]))
