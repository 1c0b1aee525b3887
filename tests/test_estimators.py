"""Monte Carlo and k-nearest-neighbour estimators against exact divergences."""

import math

import numpy as np
import pytest
from scipy import stats

from kltools import MonteCarloEstimate, kl, kl_knn, kl_monte_carlo

# q is chosen so that r = q/p has a finite variance under p (for normals: sigma_q^2 < 2 sigma_p^2);
# otherwise k3 has infinite variance and no sample standard error can describe its spread.
PAIRS = [
    (stats.norm(0, 1), stats.norm(1, 0.8)),
    (stats.gamma(3.0), stats.gamma(2.0, scale=1.3)),
    (stats.poisson(4.0), stats.poisson(5.0)),
]


@pytest.mark.parametrize("estimator", ["k1", "k3"])
@pytest.mark.parametrize("pair", PAIRS, ids=["norm", "gamma", "poisson"])
def test_k1_and_k3_are_unbiased(pair, estimator):
    p, q = pair
    exact = kl(p, q)
    # Average many independent estimates: the grand mean must sit within a few of its own
    # standard errors of the exact value.
    estimates = [kl_monte_carlo(p, q, n=2_000, estimator=estimator, rng=seed) for seed in range(200)]
    values = np.array([e.value for e in estimates])
    grand_stderr = values.std(ddof=1) / math.sqrt(len(values))
    assert abs(values.mean() - exact) < 4 * grand_stderr
    # and each reported stderr describes the spread of its own estimates
    assert np.mean([e.stderr for e in estimates]) == pytest.approx(values.std(ddof=1), rel=0.15)


def test_k2_is_biased_as_theory_says():
    # For N(0,1) against N(mu,1): log r = mu x - mu^2/2 with x ~ N(0,1), so
    # E[(log r)^2 / 2] = (mu^2 + mu^4/4) / 2, larger than KL = mu^2 / 2 by mu^4 / 8.
    mu = 1.0
    p, q = stats.norm(0, 1), stats.norm(mu, 1)
    estimate = kl_monte_carlo(p, q, n=400_000, estimator="k2", rng=3)
    expected_mean = (mu**2 + mu**4 / 4) / 2
    assert abs(estimate.value - expected_mean) < 4 * estimate.stderr
    assert estimate.value - kl(p, q) > 10 * estimate.stderr  # clearly biased upwards


def test_k3_has_lower_variance_than_k1_for_close_distributions():
    p, q = stats.norm(0, 1), stats.norm(0.1, 1)
    k1 = kl_monte_carlo(p, q, n=50_000, estimator="k1", rng=5)
    k3 = kl_monte_carlo(p, q, n=50_000, estimator="k3", rng=5)
    assert k3.stderr < k1.stderr / 5


def test_same_seed_same_value_and_generator_is_accepted():
    p, q = PAIRS[0]
    assert kl_monte_carlo(p, q, rng=42) == kl_monte_carlo(p, q, rng=42)
    assert kl_monte_carlo(p, q, rng=np.random.default_rng(42)) == kl_monte_carlo(p, q, rng=42)
    assert kl_monte_carlo(p, q, rng=1).value != kl_monte_carlo(p, q, rng=2).value


def test_result_is_a_named_tuple():
    result = kl_monte_carlo(*PAIRS[0], n=100, rng=0)
    assert isinstance(result, MonteCarloEstimate)
    assert result.n == 100 and result.estimator == "k3"
    value, stderr, n, estimator = result
    assert stderr > 0


def test_mass_outside_q_gives_inf():
    result = kl_monte_carlo(stats.uniform(0, 2), stats.uniform(0, 1), n=1000, rng=0)
    assert result.value == math.inf


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"estimator": "k4"}, ValueError, "estimator must be one of"),
        ({"n": 1}, ValueError, "n must be >= 2"),
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": 10.0}, TypeError, "n must be an integer"),
        ({"rng": "seed"}, TypeError, "rng must be"),
    ],
)
def test_monte_carlo_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        kl_monte_carlo(stats.norm(), stats.norm(1), **kwargs)


def test_monte_carlo_bad_distributions():
    with pytest.raises(TypeError, match="p must be a frozen"):
        kl_monte_carlo(np.zeros(3), stats.norm())
    with pytest.raises(ValueError, match="cannot compare a discrete p with a continuous q"):
        kl_monte_carlo(stats.poisson(3), stats.norm(3))


# ---------------------------------------------------------------------------------------------
# kNN estimator


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
