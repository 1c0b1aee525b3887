"""mutual_information (joint tables) and mutual_information_knn (KSG), against oracles.

Oracles: mpmath at 50 digits on the exact float inputs (marginals summed exactly), closed forms
derived here (Y = X, independence, correlated Gaussians), and SciPy's own pmfs.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import special, stats

import kltools

mpmath.mp.dps = 50
EPS = float(np.finfo(np.float64).eps)


def mutual_information_mp(table: np.ndarray, digits: int = 50) -> float:
    """I(X; Y) of the float table as given, divided exactly by its sum, at `digits` digits."""
    with mpmath.workdps(digits):
        p = [[mpmath.mpf(float(v)) for v in row] for row in np.asarray(table, dtype=np.float64)]
        total = mpmath.fsum(mpmath.fsum(row) for row in p)
        p = [[v / total for v in row] for row in p]
        px = [mpmath.fsum(row) for row in p]
        py = [mpmath.fsum(column) for column in zip(*p)]
        return float(mpmath.fsum(
            p[i][j] * mpmath.log(p[i][j] / (px[i] * py[j]))
            for i in range(len(px)) for j in range(len(py)) if p[i][j] > 0
        ))


def assert_relative(actual, expected, tolerance, absolute=0.0):
    assert abs(actual - expected) <= tolerance * abs(expected) + absolute, (actual, expected)


# ---------------------------------------------------------------------------------------------
# mutual_information


@pytest.mark.parametrize("shape", [(2, 2), (3, 5), (7, 4), (1, 6), (20, 30)])
def test_random_tables_against_mpmath(shape):
    rng = np.random.default_rng(sum(shape))
    for alpha in (0.1, 1.0, 10.0):
        table = rng.dirichlet(np.full(shape[0] * shape[1], alpha)).reshape(shape)
        # One row: X is constant and I = 0; rounding leaves a residue far below 1e-30.
        assert_relative(kltools.mutual_information(table), mutual_information_mp(table), 1e-12,
                        absolute=1e-30)


@pytest.mark.parametrize("epsilon", [1e-2, 1e-4, 1e-6, 1e-8, 1e-10])
def test_nearly_independent_tables_keep_relative_accuracy(epsilon):
    """I ~ epsilon^2: the difference of entropies would lose every digit below 1e-16.

    Rounding the entries by a relative eps moves I by about eps * |u| with u = p / (p_x p_y) - 1
    of order epsilon, a relative eps / epsilon: that is the conditioning of the problem, and the
    bound asserted here (the floats themselves are the exact input of the oracle).
    """
    rng = np.random.default_rng(3)
    px, py = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(5))
    perturbation = rng.normal(size=(4, 5))
    perturbation -= perturbation.mean(axis=1, keepdims=True)  # rows and columns sum to 0:
    perturbation -= perturbation.mean(axis=0, keepdims=True)  # the marginals stay px, py
    independent = np.outer(px, py)
    table = independent + epsilon * independent.min() * perturbation
    exact = mutual_information_mp(table)
    assert exact > 0
    assert_relative(kltools.mutual_information(table), exact, 1e-13 + 100 * EPS / epsilon)
    by_entropies = (kltools.entropy(table.sum(axis=1), normalize=True)
                    + kltools.entropy(table.sum(axis=0), normalize=True)
                    - kltools.entropy(table.ravel(), normalize=True))
    if epsilon <= 1e-8:  # what this function avoids: H(X) + H(Y) - H(X, Y) is noise here
        assert abs(by_entropies - exact) > 0.5 * exact


def test_relative_accuracy_from_nearly_independent_to_strongly_dependent():
    """Within 4 eps (1 + 1 / sqrt(2 I)), the documented accuracy, for I from about 1e-19 to 1;
    around I = 1e-3 a direct sum of p log(p / q) would carry the rounding of q (eps / I)."""
    rng = np.random.default_rng(8)
    worst = 0.0
    for _ in range(300):
        px, py = rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(4))
        perturbation = rng.normal(size=(2, 4))
        perturbation -= perturbation.mean(axis=1, keepdims=True)
        perturbation -= perturbation.mean(axis=0, keepdims=True)
        independent = np.outer(px, py)
        table = independent + 10 ** rng.uniform(-9, -0.6) * independent.min() * perturbation
        exact = mutual_information_mp(table)
        bound = 4 * EPS * (1 + 1 / math.sqrt(2 * exact))
        worst = max(worst, abs(kltools.mutual_information(table) - exact) / exact / bound)
    assert worst <= 1.0, worst


def test_large_tables_summing_to_one_within_rounding_keep_a_zero_zero():
    """A 1000 x 1000 table used as given may sum to 1 within 2e-10; the mutual information of
    the distribution it stands for is computed, not an error of (sum - 1)^2 / 2 ~ 1e-20."""
    rng = np.random.default_rng(9)
    product = np.outer(rng.dirichlet(np.ones(1000)), rng.dirichlet(np.ones(1000)))
    for scale in (1.0, 1.0 + 1e-10, 1.0 - 1.5e-10):
        assert kltools.mutual_information(product * scale) < 1e-28


def test_empty_batches_of_tables():
    assert kltools.mutual_information(np.zeros((0, 2, 2))).shape == (0,)
    assert kltools.mutual_information(np.zeros((3, 0, 2, 2)), normalize=True).shape == (3, 0)


def test_masked_and_wide_float_inputs_are_not_silently_changed():
    masked = np.ma.array([[0.4, 0.1, 9.0], [0.1, 0.4, 9.0]], mask=[[0, 0, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match="masked entries"):
        kltools.mutual_information(masked, normalize=True)
    with pytest.raises(ValueError, match="masked entries"):
        kltools.entropy(np.ma.array([0.5, 0.5, 0.2], mask=[0, 0, 1]))
    unmasked = np.ma.array([[0.4, 0.1], [0.1, 0.4]])
    assert kltools.mutual_information(unmasked) == kltools.mutual_information(unmasked.data)
    with pytest.raises(TypeError, match="real numbers"):
        kltools.mutual_information(np.ones((2, 2), dtype="m8[s]"), normalize=True)
    if np.finfo(np.longdouble).max > np.finfo(np.float64).max:  # a real extended type
        tiny = np.array([[1, 3], [2, 1]], dtype=np.longdouble) * np.longdouble("1e-320")
        with pytest.raises(ValueError, match="normal range of float64"):
            kltools.mutual_information(tiny, normalize=True)


def test_closed_forms():
    for n in (2, 3, 10, 1000):
        assert_relative(kltools.mutual_information(np.eye(n) / n), math.log(n), 1e-15)
        assert kltools.mutual_information(np.eye(n) / n, base=n) == pytest.approx(1.0, rel=1e-15)
    # An independent table built exactly from dyadic marginals: 0, not a rounding residue.
    assert kltools.mutual_information(np.outer([0.25, 0.75], [0.5, 0.125, 0.375])) == 0.0
    # A binary symmetric channel with crossover e on a fair input: I = log 2 - H_b(e).
    for e in (0.1, 1e-3, 1e-9):
        table = 0.5 * np.array([[1 - e, e], [e, 1 - e]])
        expected = math.log(2) + e * math.log(e) + (1 - e) * math.log1p(-e)
        assert_relative(kltools.mutual_information(table), expected, 1e-12)
    assert kltools.mutual_information(np.full((2, 2), 0.25)) == 0.0  # crossover 1/2


def test_equals_h_x_plus_h_y_minus_h_xy_away_from_independence():
    rng = np.random.default_rng(5)
    table = rng.dirichlet(np.ones(12)).reshape(3, 4)
    via_entropies = (kltools.entropy(table.sum(1), normalize=True)
                     + kltools.entropy(table.sum(0), normalize=True) - kltools.entropy(table.ravel()))
    assert_relative(kltools.mutual_information(table), via_entropies, 1e-12)
    assert kltools.mutual_information(table) <= min(kltools.entropy(table.sum(1), normalize=True),
                                                    kltools.entropy(table.sum(0), normalize=True))


def test_scipy_joint_pmf_of_a_binomial_channel():
    """X ~ Binomial(10, 0.3), Y | X ~ Binomial(X, 0.5): the joint from SciPy's pmfs."""
    x = np.arange(11)
    y = np.arange(11)
    table = stats.binom.pmf(x, 10, 0.3)[:, None] * stats.binom.pmf(y[None, :], x[:, None], 0.5)
    table /= table.sum()
    assert_relative(kltools.mutual_information(table), mutual_information_mp(table), 1e-12)


def test_batches_base_and_counts():
    rng = np.random.default_rng(6)
    tables = rng.dirichlet(np.ones(6), size=(4, 3)).reshape(4, 3, 2, 3)
    result = kltools.mutual_information(tables, base=2)
    assert result.shape == (4, 3)
    for index in np.ndindex(4, 3):
        assert_relative(result[index], mutual_information_mp(tables[index]) / math.log(2), 1e-12)
    counts = np.array([[30, 10], [10, 50]])
    assert kltools.mutual_information(counts, normalize=True) == pytest.approx(
        mutual_information_mp(counts / 100), rel=1e-13)
    assert isinstance(kltools.mutual_information(counts / 100), float)


def test_float32_tables_and_huge_counts():
    rng = np.random.default_rng(7)
    table32 = rng.dirichlet(np.ones(20)).reshape(4, 5).astype(np.float32)
    assert_relative(kltools.mutual_information(table32), mutual_information_mp(table32), 1e-12)
    huge = np.array([[1e308, 1e308], [1e308, 3e307]])  # the sum overflows float64
    assert_relative(kltools.mutual_information(huge, normalize=True),
                    mutual_information_mp(huge / huge.max()), 1e-12)


def test_tiny_and_subnormal_cells():
    # p(x) p(y) underflows below the normal range while p(x, y) > 0: the term stays finite.
    table = np.array([[1.0, 1e-200], [1e-200, 1e-300]])
    assert np.isfinite(kltools.mutual_information(table))
    # Ratios such as 1 - 1e-100 matter here: 50 digits would get the oracle wrong.
    assert_relative(kltools.mutual_information(table), mutual_information_mp(table, 400), 1e-12)
    table = np.array([[0.5, 5e-324], [5e-324, 0.5]])
    assert_relative(kltools.mutual_information(table), mutual_information_mp(table), 1e-12)
    # Counts whose probabilities underflow: normalized in log space.
    counts = np.array([[1e300, 1e-20], [1e-20, 1e300]])
    assert_relative(kltools.mutual_information(counts, normalize=True),
                    mutual_information_mp(counts / 1e300), 1e-12)


@pytest.mark.parametrize(
    ("joint", "error", "message"),
    [
        ([0.5, 0.5], ValueError, "at least 2-D"),
        (0.5, ValueError, "at least 2-D"),
        (np.zeros((0, 3)), ValueError, "empty"),
        ([[0.5, -0.1], [0.3, 0.3]], ValueError, "negative"),
        ([[0.5, np.nan], [0.25, 0.25]], ValueError, "NaN"),
        ([[0.5, np.inf], [0.25, 0.25]], ValueError, "infinite"),
        ([[0.5, 0.5], [0.5, 0.5]], ValueError, "sum to 1 over its last two axes"),
        ([[True, False], [False, True]], TypeError, "real numbers"),
        ([["a", "b"], ["c", "d"]], TypeError, "real numbers"),
    ],
)
def test_bad_tables(joint, error, message):
    with pytest.raises(error, match=message):
        kltools.mutual_information(joint)


def test_bad_options():
    with pytest.raises(ValueError, match="base"):
        kltools.mutual_information(np.eye(2) / 2, base=1)
    with pytest.raises(TypeError, match="normalize"):
        kltools.mutual_information(np.eye(2) / 2, normalize="yes")
    with pytest.raises(ValueError, match="sums to 0 over its last two axes"):
        kltools.mutual_information(np.zeros((2, 2)), normalize=True)


# ---------------------------------------------------------------------------------------------
# mutual_information_knn


def correlated_gaussians(rho: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, rho * x + math.sqrt(1 - rho**2) * rng.normal(size=n)


def ksg_brute_force(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """Algorithm 1 of Kraskov et al. with every pairwise distance: O(n^2), written here."""
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    dx = np.abs(x[:, None, :] - x[None, :, :]).max(axis=-1)
    dy = np.abs(y[:, None, :] - y[None, :, :]).max(axis=-1)
    dz = np.maximum(dx, dy)
    np.fill_diagonal(dz, np.inf)
    epsilon = np.sort(dz, axis=1)[:, k - 1]
    n_x = (dx < epsilon[:, None]).sum(axis=1) - 1  # the point itself is at distance 0
    n_y = (dy < epsilon[:, None]).sum(axis=1) - 1
    n = len(x)
    return float(special.digamma(k) + special.digamma(n)
                 - np.mean(special.digamma(n_x + 1) + special.digamma(n_y + 1)))


@pytest.mark.parametrize(("n", "dims", "k", "scales"), [
    (300, (1, 1), 3, (1.0, 1.0)),
    (500, (2, 3), 5, (1.0, 1.0)),
    (200, (1, 1), 1, (1e300, 1e-20)),   # very different scales, no false duplicate
    (200, (1, 2), 10, (1e-200, 1e200)),
])
def test_knn_matches_a_brute_force_ksg(n, dims, k, scales):
    rng = np.random.default_rng(n + k)
    x = rng.normal(size=(n, dims[0]))
    y = x[:, :1] + rng.normal(size=(n, dims[1]))
    x, y = x * scales[0], y * scales[1]
    assert kltools.mutual_information_knn(x, y, k=k) == pytest.approx(ksg_brute_force(x, y, k), abs=1e-12)


def test_knn_near_the_top_of_the_float_range():
    x, y = correlated_gaussians(0.5, 300, 15)
    reference = kltools.mutual_information_knn(x, y)
    # Coordinates near 1e308: differences would overflow, so both are divided by 4, exactly.
    assert kltools.mutual_information_knn(np.ldexp(x, 1021), np.ldexp(y, 1021)) == reference
    with pytest.raises(ValueError, match="too wide"):
        kltools.mutual_information_knn(np.r_[1.7e308, x[1:] * 1e-308], y)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6, 0.9])
def test_knn_converges_to_the_gaussian_closed_form(rho):
    exact = -0.5 * math.log1p(-rho**2)
    estimates = np.array([kltools.mutual_information_knn(*correlated_gaussians(rho, 4000, seed))
                          for seed in range(8)])
    # The mean of 8 independent estimates, within 4 of its standard errors plus a small bias.
    stderr = estimates.std(ddof=1) / math.sqrt(len(estimates))
    assert abs(estimates.mean() - exact) < 4 * stderr + 0.01 + 0.02 * exact, (estimates, exact)


def test_knn_underestimates_strong_dependence_until_n_is_large():
    rho = 0.9999
    exact = -0.5 * math.log1p(-rho**2)  # 4.26 nats
    small, large = (np.mean([kltools.mutual_information_knn(*correlated_gaussians(rho, n, seed))
                             for seed in range(4)]) for n in (100, 10_000))
    assert exact - small > 0.5
    assert abs(large - exact) < 0.06


def test_knn_multivariate_gaussian_closed_form():
    rng = np.random.default_rng(11)
    covariance = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
    z = rng.multivariate_normal(np.zeros(3), covariance, size=5000)
    exact = 0.5 * math.log(np.linalg.det(covariance[:2, :2]) * covariance[2, 2] / np.linalg.det(covariance))
    assert abs(kltools.mutual_information_knn(z[:, :2], z[:, 2]) - exact) < 0.03


def test_knn_independent_samples_scatter_around_zero():
    rng = np.random.default_rng(12)
    estimates = [kltools.mutual_information_knn(rng.normal(size=1000), rng.uniform(size=1000))
                 for _ in range(10)]
    assert abs(np.mean(estimates)) < 0.01
    assert min(estimates) < 0  # a consistent estimator, not a non-negative one


def test_knn_is_exactly_invariant_to_a_common_power_of_two_and_ignores_workers():
    x, y = correlated_gaussians(0.5, 500, 13)
    reference = kltools.mutual_information_knn(x, y, k=4)
    for exponent in (-900, -300, 300, 900):
        assert kltools.mutual_information_knn(np.ldexp(x, exponent), np.ldexp(y, exponent), k=4) == reference
    assert kltools.mutual_information_knn(x, y, k=4, workers=-1) == reference
    # Invertible maps of each variable change the mutual information not at all; the estimate
    # stays close (it is not invariant at finite n, because the neighbour ranks change).
    assert abs(kltools.mutual_information_knn(np.exp(x), y ** 3, k=4) - reference) < 0.1


def test_knn_bad_input():
    x, y = correlated_gaussians(0.5, 100, 14)
    with pytest.raises(ValueError, match="same length"):
        kltools.mutual_information_knn(x, y[:-1])
    with pytest.raises(ValueError, match="x contains duplicate points"):
        kltools.mutual_information_knn(np.round(x, 1), y)
    with pytest.raises(ValueError, match="y contains duplicate points"):
        kltools.mutual_information_knn(x, np.r_[y[:-1], y[0]])
    with pytest.raises(ValueError, match="more than k points"):
        kltools.mutual_information_knn(x[:3], y[:3], k=3)
    with pytest.raises(ValueError, match="NaN or infinite"):
        kltools.mutual_information_knn(np.r_[x[:-1], np.nan], y)
    with pytest.raises(TypeError, match="k must be an integer"):
        kltools.mutual_information_knn(x, y, k=2.5)
    with pytest.raises(ValueError, match="k must be >= 1"):
        kltools.mutual_information_knn(x, y, k=0)
    with pytest.raises(ValueError, match="workers"):
        kltools.mutual_information_knn(x, y, workers=0)
    with pytest.raises(ValueError, match="empty"):
        kltools.mutual_information_knn(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(TypeError, match="real numbers"):
        kltools.mutual_information_knn(x.astype(bool), y)
