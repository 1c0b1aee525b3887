"""kl_knn against exact Gaussian divergences, and its input errors."""

import numpy as np
import pytest

from scipy import stats

from kltools import kl, kl_knn


def gaussian_kl(mu_p, cov_p, mu_q, cov_q):
    """Textbook closed form with an explicit inverse (fine for these small, well-conditioned cases)."""
    d = len(mu_p)
    inv = np.linalg.inv(cov_q)
    diff = np.asarray(mu_q) - np.asarray(mu_p)
    return 0.5 * (np.trace(inv @ cov_p) + diff @ inv @ diff - d
                  + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1])


def test_knn_converges_on_gaussians():
    rng = np.random.default_rng(2009)
    mu_p, mu_q = np.zeros(2), np.array([1.0, -0.5])
    cov_p, cov_q = np.eye(2), np.array([[2.0, 0.3], [0.3, 1.0]])
    exact = gaussian_kl(mu_p, cov_p, mu_q, cov_q)
    errors = []
    for n in (300, 3_000, 30_000):
        estimates = [
            kl_knn(rng.multivariate_normal(mu_p, cov_p, size=n), rng.multivariate_normal(mu_q, cov_q, size=n), k=5)
            for _ in range(8)
        ]
        errors.append(np.sqrt(np.mean((np.array(estimates) - exact) ** 2)))
    assert errors[2] < errors[0]
    assert errors[2] < 0.05 * exact + 0.01


def test_knn_one_dimensional_input():
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 20_000), rng.normal(0, 2, 20_000)
    exact = kl(stats.norm(0, 1), stats.norm(0, 2))
    assert kl_knn(x, y, k=10) == pytest.approx(exact, abs=0.03)


def test_knn_is_near_zero_for_same_distribution():
    rng = np.random.default_rng(5)
    assert abs(kl_knn(rng.normal(size=(10_000, 3)), rng.normal(size=(10_000, 3)), k=5)) < 0.05


@pytest.mark.parametrize(
    "x,y,kwargs,error,message",
    [
        (np.zeros((5, 2)), np.ones((5, 2)), {}, ValueError, "x contains duplicate points"),
        (np.arange(5.0), np.arange(5.0), {}, ValueError, "a point of x also occurs in y"),
        (np.ones((5, 2)) * np.arange(5)[:, None], np.ones((5, 3)), {}, ValueError, "same dimension"),
        (np.arange(3.0), np.arange(3.0) + 0.5, {"k": 3}, ValueError, "needs more than k points"),
        (np.arange(3.0), np.arange(3.0) + 0.5, {"k": 0}, ValueError, "k must be >= 1"),
        (np.arange(3.0), np.arange(3.0) + 0.5, {"k": 1.5}, TypeError, "k must be an integer"),
        (np.array([0.0, np.nan, 1.0]), np.arange(3.0), {}, ValueError, "x contains NaN or infinite"),
        (np.arange(3.0), np.array([0.0, np.inf]), {}, ValueError, "y contains NaN or infinite"),
        (np.zeros((2, 2, 2)), np.arange(3.0), {}, ValueError, "x must be 1-D"),
        (np.zeros((0, 2)), np.zeros((3, 2)), {}, ValueError, "x is empty"),
        (["a", "b"], np.arange(3.0), {}, TypeError, "x must be an array of real numbers"),
    ],
)
def test_knn_bad_input(x, y, kwargs, error, message):
    with pytest.raises(error, match=message):
        kl_knn(x, y, **kwargs)


# --- issue #8 (15): scale invariance; issue #9: workers ----------------------------------------


def brute_force_knn_estimate(x, y, k):
    """The estimator of Wang, Kulkarni and Verdu from all pairwise distances (small samples)."""
    from scipy.spatial.distance import cdist

    n, d = x.shape
    within = np.sort(cdist(x, x), axis=1)[:, k]  # column 0 is the point itself
    between = np.sort(cdist(x, y), axis=1)[:, k - 1]
    return d * np.mean(np.log(between / within)) + np.log(len(y) / (n - 1))


@pytest.fixture
def samples():
    rng = np.random.default_rng(15)
    return rng.normal(size=(400, 3)), rng.normal(0.5, 1.5, size=(300, 3))


@pytest.mark.parametrize("k", [1, 4])
def test_knn_matches_brute_force(samples, k):
    x, y = samples
    assert kl_knn(x, y, k=k) == pytest.approx(brute_force_knn_estimate(x, y, k), rel=1e-12)


@pytest.mark.parametrize(
    "c", [2.0**-1070 * 2**60, 1e-300, 1e-170, 1e-80, 3.0e-7, 7.0, 1e80, 1e154, 1e200, 2.0**1000, 1e300]
)
def test_knn_is_scale_invariant(samples, c):
    x, y = samples
    expected = brute_force_knn_estimate(x, y, 3)  # at scale 1, where nothing over- or underflows
    # x -> c x changes the points by rounding only; the estimate must follow to rounding
    assert kl_knn(c * x, c * y, k=3) == pytest.approx(expected, rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("exponent", [-1000, -600, -300, -1, 1, 300, 700, 1000])
def test_knn_power_of_two_scaling_changes_nothing(samples, exponent):
    x, y = samples
    assert kl_knn(np.ldexp(x, exponent), np.ldexp(y, exponent), k=2) == kl_knn(x, y, k=2)


@pytest.mark.parametrize("c", [1e-170, 1e-300, 1e200, 1e300])
def test_knn_still_reports_genuine_duplicates_at_any_scale(samples, c):
    x, y = samples
    x = np.vstack([x, x[:1]])
    with pytest.raises(ValueError, match="x contains duplicate points"):
        kl_knn(c * x, c * y)
    with pytest.raises(ValueError, match="a point of x also occurs in y"):
        kl_knn(c * x[:-1], c * np.vstack([y, x[:1]]))


def test_knn_workers_give_identical_results():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(20_000, 4)), rng.normal(0.3, size=(15_000, 4))
    one = kl_knn(x, y, k=5, workers=1)
    assert kl_knn(x, y, k=5, workers=2) == one
    assert kl_knn(x, y, k=5, workers=-1) == one


@pytest.mark.parametrize(
    "workers,error,message",
    [(0, ValueError, "workers must be >= 1"), (-2, ValueError, "workers must be >= 1"),
     (1.0, TypeError, "workers must be an integer"), (True, TypeError, "workers must be an integer")],
)
def test_knn_bad_workers(samples, workers, error, message):
    x, y = samples
    with pytest.raises(error, match=message):
        kl_knn(x, y, workers=workers)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_knn_refuses_a_point_repeated_once_whatever_k(k):
    """A value twice leaves the k-th distance positive for k >= 2 but still biases the estimate."""
    rng = np.random.default_rng(21)
    x, y = rng.normal(size=200), rng.normal(size=200)
    with pytest.raises(ValueError, match="x contains duplicate points"):
        kl_knn(np.r_[x, x[0]], y, k=k)
    with pytest.raises(ValueError, match="a point of x also occurs in y"):
        kl_knn(x, np.r_[y, x[3]], k=k)
