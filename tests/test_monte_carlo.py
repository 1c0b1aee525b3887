"""kl_monte_carlo against exact divergences: bias, standard errors, conventions, errors."""

import math

import numpy as np
import pytest
from scipy import stats

from kltools import MonteCarloEstimate, kl, kl_monte_carlo

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


