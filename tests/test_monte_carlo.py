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
    assert result.n == 100 and result.estimator == "k3"  # "auto" resolved
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
# Unbiased for every pair it accepts, including q with mass outside p's support


def _grand_mean(p, q, n=2_000, seeds=150, **kwargs):
    estimates = [kl_monte_carlo(p, q, n=n, rng=seed, **kwargs) for seed in range(seeds)]
    values = np.array([e.value for e in estimates])
    return values.mean(), values.std(ddof=1) / math.sqrt(seeds), estimates


SUPPORT_MISMATCH = [
    # (p, q, exact KL derived by hand)
    (stats.uniform(0, 1), stats.uniform(0, 2), math.log(2)),
    (stats.uniform(0.2, 0.5), stats.norm(0, 1), None),  # q has mass on both sides of p
    (stats.expon(), stats.laplace(0, 1), math.log(2)),  # log 2 + E|X| - 1 = log 2
    (stats.binom(4, 0.5), stats.poisson(2.0), None),  # q has mass on 5, 6, ...
]


@pytest.mark.parametrize("case", range(len(SUPPORT_MISMATCH)))
def test_default_estimator_is_unbiased_when_q_has_mass_outside_p(case):
    p, q, exact = SUPPORT_MISMATCH[case]
    if exact is None:
        exact = kl(p, q)
    mean, grand_stderr, estimates = _grand_mean(p, q)
    assert abs(mean - exact) <= 4 * grand_stderr + 1e-12
    assert all(e.estimator in ("k1", "k3") for e in estimates)


def test_uniform_reproduction_of_the_bias():
    estimate = kl_monte_carlo(stats.uniform(0, 1), stats.uniform(0, 2), 10_000, rng=0)
    # r = 1/2 everywhere: the corrected k3 is exactly log 2, with a zero spread
    assert estimate.value == pytest.approx(math.log(2), rel=1e-15)


# ---------------------------------------------------------------------------------------------
# Standard errors that mean something: coverage of 95% intervals


def _coverage(p, q, exact, n=500, seeds=400, **kwargs):
    estimates = [kl_monte_carlo(p, q, n=n, rng=seed, **kwargs) for seed in range(seeds)]
    covered = [abs(e.value - exact) <= 1.96 * e.stderr for e in estimates]
    return float(np.mean(covered)), estimates


@pytest.mark.parametrize(
    "p,q,exact",
    [
        # sigma_q^2 = 4 >= 2 sigma_p^2: k3's variance is infinite; auto must not use it
        (stats.norm(0, 1), stats.norm(0, 2), math.log(2) + 1 / 8 - 0.5),
        (stats.norm(0, 1), stats.norm(1, 1), 0.5),
        (stats.poisson(4.0), stats.poisson(5.0), 4 * math.log(4 / 5) + 1),
    ],
)
def test_default_intervals_cover_at_their_nominal_rate(p, q, exact):
    rate, _ = _coverage(p, q, exact)
    # 400 intervals at 95%: the binomial standard deviation of the rate is 1.1%
    assert 0.91 <= rate <= 0.99


def test_k3_forced_where_its_variance_is_infinite_reports_an_infinite_stderr():
    estimate = kl_monte_carlo(stats.norm(0, 1), stats.norm(0, 2), 1000, estimator="k3", rng=0)
    assert estimate.stderr == math.inf and math.isfinite(estimate.value)


def test_no_estimator_with_finite_variance_gives_an_infinite_stderr():
    # KL(t(3) || N(0,1)) is finite, but -log r grows like x^2 and E_p[X^4] = inf
    estimate = kl_monte_carlo(stats.t(3), stats.norm(), 1000, rng=0)
    assert math.isfinite(estimate.value) and estimate.stderr == math.inf


def test_divergent_pair_gives_inf_not_a_sample_mean():
    for p, q in [(stats.cauchy(), stats.norm()), (stats.pareto(0.8), stats.expon())]:
        estimate = kl_monte_carlo(p, q, 1000, rng=0)
        assert estimate.value == math.inf and estimate.stderr == math.inf


# ---------------------------------------------------------------------------------------------
# Log-densities that SciPy underflows; multivariate families; batches; RandomState


def test_far_laplace_q_is_not_read_as_no_mass():
    # KL(N(0,1) || Laplace(1000, 1)) = -h(N) + log 2 + E|X - 1000| = 999.2742...
    estimate = kl_monte_carlo(stats.norm(), stats.laplace(1e3, 1), 1000, rng=0)
    exact = -0.5 * math.log(2 * math.pi * math.e) + math.log(2) + 1000.0
    assert abs(estimate.value - exact) < 5 * estimate.stderr


def test_multinomial_pair():
    p, q = stats.multinomial(5, [0.2, 0.3, 0.5]), stats.multinomial(5, [0.3, 0.3, 0.4])
    exact = 5 * sum(a * math.log(a / b) for a, b in zip([0.2, 0.3, 0.5], [0.3, 0.3, 0.4]))
    mean, grand_stderr, _ = _grand_mean(p, q, n=1000, seeds=60)
    assert abs(mean - exact) <= 4 * grand_stderr


def test_multinomial_q_with_mass_on_a_category_p_never_draws():
    p, q = stats.multinomial(3, [0.5, 0.5, 0.0]), stats.multinomial(3, [0.4, 0.4, 0.2])
    exact = 3 * 2 * 0.5 * math.log(0.5 / 0.4)
    mean, grand_stderr, _ = _grand_mean(p, q, n=1000, seeds=60)
    assert abs(mean - exact) <= 4 * grand_stderr + 1e-12


def test_dirichlet_pair_against_its_closed_form():
    from scipy.special import digamma, gammaln

    alpha, beta = np.array([2.0, 3.0, 4.0]), np.array([3.0, 3.0, 3.0])
    exact = (gammaln(alpha.sum()) - gammaln(alpha).sum() - gammaln(beta.sum()) + gammaln(beta).sum()
             + np.sum((alpha - beta) * (digamma(alpha) - digamma(alpha.sum()))))
    mean, grand_stderr, _ = _grand_mean(stats.dirichlet(alpha), stats.dirichlet(beta), n=1000, seeds=60)
    assert abs(mean - exact) <= 4 * grand_stderr


def test_multivariate_normal_pair():
    p = stats.multivariate_normal([0.0, 0.0], [[1.0, 0.3], [0.3, 1.0]])
    q = stats.multivariate_normal([0.5, 0.0], [[1.2, 0.0], [0.0, 0.9]])
    estimate = kl_monte_carlo(p, q, 50_000, rng=1)
    assert abs(estimate.value - kl(p, q)) < 5 * estimate.stderr


def test_batched_p_gives_one_estimate_per_member():
    sigmas = np.array([0.5, 1.0, 2.0])
    estimate = kl_monte_carlo(stats.norm(0, sigmas), stats.norm(1, 1), 20_000, rng=0)
    exact = -np.log(sigmas) + (sigmas**2 + 1) / 2 - 0.5
    assert estimate.value.shape == (3,)
    assert np.all(np.abs(estimate.value - exact) < 5 * estimate.stderr)


def test_random_state_is_accepted_and_reproducible():
    p, q = PAIRS[0]
    first = kl_monte_carlo(p, q, n=500, rng=np.random.RandomState(3))
    assert first == kl_monte_carlo(p, q, n=500, rng=np.random.RandomState(3))


def test_batches_broadcast_q_and_judge_each_member_on_its_own():
    # q broadcast over p's (2, 3) batch; members with p = q are exactly 0 with a zero spread
    estimate = kl_monte_carlo(stats.norm(np.zeros((2, 3)), 1), stats.norm([0.0, 1.0, 2.0], 1), 20_000, rng=0)
    exact = np.array([0.0, 0.5, 2.0])
    assert estimate.value.shape == (2, 3)
    assert np.all(estimate.value[:, 0] == 0) and np.all(estimate.stderr[:, 0] == 0)
    assert np.all(np.abs(estimate.value - exact) <= 5 * estimate.stderr + 1e-15)
    # one member divergent, the other finite but without a finite-variance estimator
    mixed = kl_monte_carlo(stats.t([3.0, 1.0]), stats.norm(), 1000, rng=0)
    assert math.isfinite(mixed.value[0]) and mixed.value[1] == math.inf
    assert np.all(mixed.stderr == math.inf)


def test_multivariate_dimensions_that_differ_are_named():
    with pytest.raises(ValueError, match="different dimensions: 2 and 3"):
        kl_monte_carlo(stats.multivariate_normal([0, 0]), stats.multivariate_normal([0, 0, 0]), 100, rng=0)
    with pytest.raises(ValueError, match="different dimensions: 3 and 4"):
        kl_monte_carlo(stats.dirichlet([1, 1, 1]), stats.dirichlet([1, 1, 1, 1]), 100, rng=0)


def test_stderr_never_claims_more_digits_than_the_mean_carries():
    # r is constant, so the terms agree to rounding: the interval must still cover log 2
    covered = 0
    for seed in range(50):
        e = kl_monte_carlo(stats.uniform(0, 1), stats.uniform(0, 2), 2000, rng=seed)
        covered += abs(e.value - math.log(2)) <= 1.96 * e.stderr
    assert covered == 50


def test_finite_discrete_p_uses_exact_spreads():
    # binom(10, .3) vs poisson(3): r = 137 at k = 10 (probability 6e-6) inflates k3's variance;
    # a sample of 2000 rarely sees it, so the sample stderr covered only 77% of the time
    p, q = stats.binom(10, 0.3), stats.poisson(3)
    k = np.arange(11)
    exact = float(np.sum(p.pmf(k) * (p.logpmf(k) - q.logpmf(k))))
    rate, estimates = _coverage(p, q, exact, n=2000, seeds=300)
    assert estimates[0].estimator == "k1"
    assert 0.92 <= rate <= 0.98
