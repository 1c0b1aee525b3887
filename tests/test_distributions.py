"""kl() and entropy_of() on frozen scipy.stats distributions.

Closed forms are checked against numerical integration or summation written here (not the
library's numeric route), against textbook formulas evaluated in 40-digit arithmetic (mpmath)
for nearly equal parameters, and against known values.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy import integrate, special, stats

import kltools
from kltools import entropy_of, kl

mpmath.mp.dps = 40
RNG_SEED = 7


def integrate_kl(p, q):
    """Reference: integrate p (log p - log q) over the support of p with quad.

    Unbounded tails are cut where p has 1e-16 of its mass left: SciPy's logpdf of some families
    (laplace) underflows to -inf far out, where the true integrand is negligible.
    """
    low, high = p.support()
    low = low if np.isfinite(low) else p.ppf(1e-16)
    high = high if np.isfinite(high) else p.isf(1e-16)
    # Break at both medians: for laplace they are the kinks of the integrand.
    breaks = sorted({low, high, *(m for m in (p.median(), q.median()) if low < m < high)})

    def f(x):
        density = p.pdf(x)
        return 0.0 if density == 0.0 else density * (p.logpdf(x) - q.logpdf(x))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        pieces = [integrate.quad(f, a, b, epsabs=1e-13, epsrel=1e-11, limit=400)[0]
                  for a, b in zip(breaks[:-1], breaks[1:])]
    return math.fsum(pieces)


def sum_kl(p, q, upper=2000):
    """Reference: sum p (log p - log q) over 0..upper with SciPy's pmfs."""
    k = np.arange(0, upper + 1)
    pk = p.pmf(k)
    mask = pk > 0
    return math.fsum(pk[mask] * (p.logpmf(k[mask]) - q.logpmf(k[mask])))


def draws(n=25):
    return np.random.default_rng(RNG_SEED).uniform(size=(n, 6))


# ---------------------------------------------------------------------------------------------
# Textbook values


def test_textbook_normal_value():
    assert kl(stats.norm(0, 1), stats.norm(1, 1)) == 0.5
    # log(2) + (1 + 0)/(2*4) - 1/2
    assert kl(stats.norm(0, 1), stats.norm(0, 2)) == pytest.approx(math.log(2) + 1 / 8 - 0.5, rel=1e-14)


def test_textbook_values_of_other_families():
    assert kl(stats.expon(scale=1), stats.expon(scale=2)) == pytest.approx(math.log(2) + 0.5 - 1, rel=1e-14)
    assert kl(stats.poisson(2), stats.poisson(1)) == pytest.approx(2 * math.log(2) - 1, rel=1e-14)
    assert kl(stats.bernoulli(0.5), stats.bernoulli(0.25)) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), rel=1e-14
    )
    assert kl(stats.uniform(0, 1), stats.uniform(-1, 3)) == pytest.approx(math.log(3), rel=1e-15)


# ---------------------------------------------------------------------------------------------
# Closed forms against integration / summation, many random parameter draws


CONTINUOUS_FAMILIES = {
    "norm": lambda u: (stats.norm(4 * u[0] - 2, 0.2 + 3 * u[1]), stats.norm(4 * u[2] - 2, 0.2 + 3 * u[3])),
    "laplace": lambda u: (stats.laplace(2 * u[0], 0.3 + 2 * u[1]), stats.laplace(2 * u[2], 0.3 + 2 * u[3])),
    "expon": lambda u: (stats.expon(loc=u[4], scale=0.2 + 3 * u[0]), stats.expon(loc=u[4] * u[5], scale=0.2 + 3 * u[1])),
    "gamma": lambda u: (stats.gamma(0.5 + 5 * u[0], scale=0.2 + 3 * u[1]), stats.gamma(0.5 + 5 * u[2], scale=0.2 + 3 * u[3])),
    "beta": lambda u: (stats.beta(1.0 + 5 * u[0], 1.0 + 5 * u[1]), stats.beta(0.5 + 5 * u[2], 0.5 + 5 * u[3])),
    "uniform": lambda u: (stats.uniform(u[0], 0.1 + u[1]), stats.uniform(u[0] - u[2], 0.1 + u[1] + u[2] + u[3])),
}


@pytest.mark.parametrize("family", CONTINUOUS_FAMILIES)
def test_continuous_closed_forms_match_integration(family):
    for u in draws():
        p, q = CONTINUOUS_FAMILIES[family](u)
        assert kl(p, q) == pytest.approx(integrate_kl(p, q), rel=1e-7, abs=1e-12)


DISCRETE_FAMILIES = {
    "bernoulli": lambda u: (stats.bernoulli(u[0]), stats.bernoulli(0.01 + 0.98 * u[1])),
    "binom": lambda u: (stats.binom(int(1 + 30 * u[2]), u[0]), stats.binom(int(1 + 30 * u[2]), 0.01 + 0.98 * u[1])),
    "geom": lambda u: (stats.geom(0.05 + 0.95 * u[0]), stats.geom(0.05 + 0.9 * u[1])),
    "poisson": lambda u: (stats.poisson(30 * u[0]), stats.poisson(0.1 + 30 * u[1])),
}


@pytest.mark.parametrize("family", DISCRETE_FAMILIES)
def test_discrete_closed_forms_match_summation(family):
    for u in draws():
        p, q = DISCRETE_FAMILIES[family](u)
        assert kl(p, q) == pytest.approx(sum_kl(p, q), rel=1e-9, abs=1e-13)


def test_multivariate_normal_matches_textbook_formula_with_inverse_and_determinant():
    rng = np.random.default_rng(RNG_SEED)
    for d in (1, 2, 3, 5):
        for _ in range(10):
            a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
            cov_p, cov_q = a @ a.T + 0.5 * np.eye(d), b @ b.T + 0.5 * np.eye(d)
            mu_p, mu_q = rng.normal(size=d), rng.normal(size=d)
            inv_q = np.linalg.inv(cov_q)
            diff = mu_q - mu_p
            expected = 0.5 * (
                np.trace(inv_q @ cov_p) + diff @ inv_q @ diff - d
                + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1]
            )
            got = kl(stats.multivariate_normal(mu_p, cov_p), stats.multivariate_normal(mu_q, cov_q))
            assert got == pytest.approx(expected, rel=1e-9)


def test_one_dimensional_multivariate_normal_is_the_normal():
    got = kl(stats.multivariate_normal([0.3], [[2.0]]), stats.multivariate_normal([-1.0], [[0.5]]))
    assert got == pytest.approx(integrate_kl(stats.norm(0.3, math.sqrt(2)), stats.norm(-1, math.sqrt(0.5))), rel=1e-9)


def test_dirichlet_matches_textbook_formula_and_beta():
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(25):
        alpha, beta = rng.uniform(0.3, 6, size=4), rng.uniform(0.3, 6, size=4)
        a0, b0 = alpha.sum(), beta.sum()
        expected = (
            special.gammaln(a0) - special.gammaln(alpha).sum() - special.gammaln(b0)
            + special.gammaln(beta).sum()
            + np.sum((alpha - beta) * (special.digamma(alpha) - special.digamma(a0)))
        )
        assert kl(stats.dirichlet(alpha), stats.dirichlet(beta)) == pytest.approx(expected, rel=1e-9)
    # a two-component Dirichlet is a beta distribution of the first component
    a, b = (2.5, 1.5), (0.7, 3.0)
    assert kl(stats.dirichlet(a), stats.dirichlet(b)) == pytest.approx(
        integrate_kl(stats.beta(*a), stats.beta(*b)), rel=1e-8
    )


# ---------------------------------------------------------------------------------------------
# Nearly equal parameters keep their relative accuracy (reference: 40-digit textbook formulas)


def mp_norm(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mpmath.mpf, (m1, s1, m2, s2))
    return mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2


def test_normal_with_tiny_mean_shift():
    got = kl(stats.norm(0, 1), stats.norm(1e-8, 1))
    assert got == pytest.approx(float(mp_norm(0, 1, 1e-8, 1)), rel=1e-12)
    assert got == pytest.approx(5e-17, rel=1e-8)


def test_normal_with_tiny_scale_change():
    s2 = 1 + 1e-9
    got = kl(stats.norm(0, 1), stats.norm(0, s2))
    assert got > 0
    assert got == pytest.approx(float(mp_norm(0, 1, 0, s2)), rel=1e-6)
    assert got == pytest.approx(1e-18, rel=1e-3)


def mp_gamma_kl(a1, s1, a2, s2):
    a1, s1, a2, s2 = map(mpmath.mpf, (a1, s1, a2, s2))
    return ((a1 - a2) * mpmath.digamma(a1) - mpmath.loggamma(a1) + mpmath.loggamma(a2)
            + a2 * (mpmath.log(s2) - mpmath.log(s1)) + a1 * (s1 - s2) / s2)


def mp_beta_kl(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mpmath.mpf, (a1, b1, a2, b2))
    lbeta = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)
    return (lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) * mpmath.digamma(a1)
            + (b1 - b2) * mpmath.digamma(b1) + (a2 - a1 + b2 - b1) * mpmath.digamma(a1 + b1))


def mp_laplace_kl(m1, b1, m2, b2):
    m1, b1, m2, b2 = map(mpmath.mpf, (m1, b1, m2, b2))
    d = abs(m1 - m2)
    return mpmath.log(b2 / b1) + d / b2 + b1 / b2 * mpmath.exp(-d / b1) - 1


def mp_bernoulli_kl(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return a * mpmath.log(a / b) + (1 - a) * mpmath.log((1 - a) / (1 - b))


NEAR_EQUAL = [
    ("norm", lambda e: (stats.norm(0.3, 2.0), stats.norm(0.3 + e, 2.0 * (1 + e))), lambda e: mp_norm(0.3, 2.0, 0.3 + e, 2.0 * (1 + e))),
    ("laplace", lambda e: (stats.laplace(1.0, 0.5), stats.laplace(1.0 + e, 0.5 * (1 - e))), lambda e: mp_laplace_kl(1.0, 0.5, 1.0 + e, 0.5 * (1 - e))),
    ("expon", lambda e: (stats.expon(scale=3.0), stats.expon(scale=3.0 * (1 + e))), lambda e: 3 / mpmath.mpf(3 * (1 + e)) - 1 - mpmath.log(3 / mpmath.mpf(3 * (1 + e)))),
    ("gamma", lambda e: (stats.gamma(2.5, scale=1.5), stats.gamma(2.5 + e, scale=1.5 * (1 + e))), lambda e: mp_gamma_kl(2.5, 1.5, 2.5 + e, 1.5 * (1 + e))),
    ("beta", lambda e: (stats.beta(2.0, 3.0), stats.beta(2.0 + e, 3.0 - e)), lambda e: mp_beta_kl(2.0, 3.0, 2.0 + e, 3.0 - e)),
    ("bernoulli", lambda e: (stats.bernoulli(0.3), stats.bernoulli(0.3 + e)), lambda e: mp_bernoulli_kl(0.3, 0.3 + e)),
    ("binom", lambda e: (stats.binom(10, 0.3), stats.binom(10, 0.3 + e)), lambda e: 10 * mp_bernoulli_kl(0.3, 0.3 + e)),
    ("geom", lambda e: (stats.geom(0.3), stats.geom(0.3 + e)), lambda e: mp_bernoulli_kl(0.3, 0.3 + e) / mpmath.mpf(0.3)),
    ("poisson", lambda e: (stats.poisson(4.0), stats.poisson(4.0 + e)), lambda e: 4 * mpmath.log(mpmath.mpf(4) / (4 + mpmath.mpf(4.0 + e) - 4)) - 4 + mpmath.mpf(4.0 + e)),
]


@pytest.mark.parametrize("family,make,reference", NEAR_EQUAL, ids=[c[0] for c in NEAR_EQUAL])
@pytest.mark.parametrize("eps", [1e-3, 1e-6, 1e-9])
def test_nearly_equal_parameters_keep_relative_accuracy(family, make, reference, eps):
    # The mpmath reference is evaluated at the very doubles the distributions hold.
    p, q = make(eps)
    expected = float(reference(eps))
    got = kl(p, q)
    assert expected > 0
    assert got == pytest.approx(expected, rel=1e-6)


def test_multivariate_normal_nearly_equal():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    eps = 1e-9
    got = kl(stats.multivariate_normal([0, 0], cov), stats.multivariate_normal([eps, 0], cov))
    inv = np.linalg.inv(cov)
    assert got == pytest.approx(0.5 * eps**2 * inv[0, 0], rel=1e-9)
    got = kl(stats.multivariate_normal([0, 0], cov), stats.multivariate_normal([0, 0], cov * (1 + 1e-8)))
    # Scaling the covariance by c: KL = d/2 (1/c - 1 + log c) ~ d/2 * (c-1)^2/2
    c = mpmath.mpf(1 + 1e-8)
    assert got == pytest.approx(float(2 / mpmath.mpf(2) * (1 / c - 1 + mpmath.log(c))), rel=1e-5)


# ---------------------------------------------------------------------------------------------
# Support: infinite where p has mass outside the support of q


@pytest.mark.parametrize(
    "p,q",
    [
        (stats.uniform(0, 2), stats.uniform(0, 1)),
        (stats.expon(loc=0), stats.expon(loc=1)),
        (stats.bernoulli(0.5), stats.bernoulli(0.0)),
        (stats.bernoulli(0.5), stats.bernoulli(1.0)),
        (stats.poisson(2), stats.poisson(0)),
        (stats.binom(20, 0.3), stats.binom(10, 0.3)),
        (stats.norm(0, 1), stats.expon()),
        (stats.poisson(3, loc=1), stats.poisson(3, loc=2)),
        (stats.beta(2, 2, loc=0, scale=2), stats.beta(2, 2)),
    ],
)
def test_mass_outside_support_of_q_gives_inf(p, q):
    assert kl(p, q) == math.inf


def test_mass_inside_support_of_q_is_finite():
    assert kl(stats.uniform(0, 1), stats.uniform(0, 2)) == pytest.approx(math.log(2), rel=1e-15)
    assert kl(stats.binom(10, 0.3), stats.binom(20, 0.3)) == pytest.approx(
        sum_kl(stats.binom(10, 0.3), stats.binom(20, 0.3)), rel=1e-10
    )
    assert kl(stats.bernoulli(0.0), stats.bernoulli(0.0)) == 0.0


# ---------------------------------------------------------------------------------------------
# Numerical route for pairs without a closed form


def test_numeric_continuous_pair_matches_high_precision_quadrature():
    nu = 5
    c = mpmath.gamma(mpmath.mpf(nu + 1) / 2) / (mpmath.sqrt(nu * mpmath.pi) * mpmath.gamma(mpmath.mpf(nu) / 2))
    t_pdf = lambda x: c * (1 + x**2 / nu) ** (-mpmath.mpf(nu + 1) / 2)
    n_pdf = lambda x: mpmath.exp(-(x**2) / 2) / mpmath.sqrt(2 * mpmath.pi)
    expected = mpmath.quad(lambda x: t_pdf(x) * mpmath.log(t_pdf(x) / n_pdf(x)), [-mpmath.inf, 0, mpmath.inf])
    assert kl(stats.t(nu), stats.norm()) == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize(
    "p,q",
    [
        (stats.norm(1, 2), stats.logistic(0, 1.5)),
        (stats.gamma(3), stats.lognorm(0.6, scale=2.5)),
        (stats.beta(2, 5), stats.uniform(0, 1)),
        (stats.laplace(0, 1), stats.t(3)),
    ],
)
def test_numeric_continuous_pairs_match_reference_integration(p, q):
    assert kl(p, q) == pytest.approx(integrate_kl(p, q), rel=1e-6)


@pytest.mark.parametrize(
    "p,q",
    [
        (stats.poisson(3), stats.nbinom(5, 0.6)),
        (stats.binom(12, 0.4), stats.poisson(5)),
        (stats.nbinom(3, 0.4), stats.geom(0.3, loc=-1)),
        (stats.poisson(3, loc=1), stats.poisson(3)),
    ],
)
def test_numeric_discrete_pairs_match_reference_summation(p, q):
    assert kl(p, q) == pytest.approx(sum_kl(p, q), rel=1e-9)


def test_numeric_route_agrees_with_closed_form_where_both_apply():
    # gamma with different locs has no closed form here; shifting both leaves KL unchanged.
    p, q = stats.gamma(2.0, loc=1.0, scale=1.5), stats.gamma(3.0, loc=0.5, scale=1.2)
    assert kl(p, q) == pytest.approx(integrate_kl(p, q), rel=1e-7)


# ---------------------------------------------------------------------------------------------
# entropy_of


@pytest.mark.parametrize(
    "dist",
    [stats.norm(1, 2), stats.expon(scale=3), stats.gamma(2.5, scale=0.7), stats.beta(2, 3),
     stats.laplace(0, 2), stats.uniform(1, 4), stats.t(4)],
)
def test_entropy_of_continuous_matches_integration(dist):
    def f(x):
        lp = dist.logpdf(x)
        return 0.0 if lp == -np.inf else -math.exp(lp) * lp

    low, high = dist.support()
    expected = integrate.quad(f, low, high, epsabs=1e-12, epsrel=1e-10, limit=400)[0]
    assert entropy_of(dist) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("dist", [stats.poisson(4), stats.binom(10, 0.3), stats.bernoulli(0.2), stats.geom(0.4)])
def test_entropy_of_discrete_matches_summation(dist):
    k = np.arange(0, 400)
    pk = dist.pmf(k)
    expected = -math.fsum(pk[pk > 0] * np.log(pk[pk > 0]))
    assert entropy_of(dist) == pytest.approx(expected, rel=1e-9)


def test_entropy_of_multivariate_normal():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    expected = 0.5 * np.linalg.slogdet(2 * np.pi * np.e * cov)[1]
    assert entropy_of(stats.multivariate_normal([0, 0], cov)) == pytest.approx(expected, rel=1e-12)


def test_kl_is_cross_entropy_minus_entropy():
    p, q = stats.gamma(2.0, scale=1.5), stats.lognorm(0.5, scale=3.0)

    def f(x):
        lp = p.logpdf(x)
        return 0.0 if lp == -np.inf else -math.exp(lp) * q.logpdf(x)

    cross = integrate.quad(f, 0, np.inf, epsabs=1e-12, epsrel=1e-10, limit=400)[0]
    assert kl(p, q) == pytest.approx(cross - entropy_of(p), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Errors


def test_mixing_discrete_and_continuous_is_an_error():
    with pytest.raises(ValueError, match="cannot compare a discrete p with a continuous q"):
        kl(stats.poisson(3), stats.norm(3, 1))


def test_different_dimensions_are_an_error():
    with pytest.raises(ValueError, match="different dimensions"):
        kl(stats.multivariate_normal(np.zeros(2)), stats.multivariate_normal(np.zeros(3)))
    with pytest.raises(ValueError, match="different dimensions"):
        kl(stats.dirichlet([1, 2]), stats.dirichlet([1, 2, 3]))
    with pytest.raises(ValueError, match="dimensions differ"):
        kl(stats.multivariate_normal(np.zeros(2)), stats.norm())


def test_unsupported_multivariate_pair_is_an_error():
    with pytest.raises(ValueError, match="no closed form"):
        kl(stats.multivariate_normal(np.zeros(2)), stats.multivariate_t(np.zeros(2)))


def test_singular_covariance_is_an_error():
    singular = stats.multivariate_normal([0, 0], [[1, 1], [1, 1]], allow_singular=True)
    with pytest.raises(ValueError, match="covariance of q is singular"):
        kl(stats.multivariate_normal([0, 0]), singular)


@pytest.mark.parametrize("bad", [stats.norm, 3.0, np.array([0.5, 0.5]), "norm", None])
@pytest.mark.parametrize("position", ["p", "q"])
def test_not_a_frozen_distribution_is_a_type_error(bad, position):
    args = (bad, stats.norm()) if position == "p" else (stats.norm(), bad)
    with pytest.raises(TypeError, match=f"^{position} must be a frozen"):
        kl(*args)
    if position == "p":
        with pytest.raises(TypeError, match="^dist must be a frozen"):
            entropy_of(bad)


def test_batch_parameters_broadcast_and_equal_the_loop():
    locs, scales = np.array([0.0, 1.0, -2.0]), np.array([[1.0], [3.0]])
    batch = kl(stats.norm(locs, 1), stats.norm(0, scales))
    assert batch.shape == (2, 3)
    for i, s in enumerate(scales[:, 0]):
        for j, m in enumerate(locs):
            assert batch[i, j] == kl(stats.norm(m, 1), stats.norm(0, s))
    entropies = entropy_of(stats.poisson([1.0, 1e6]))
    assert entropies.shape == (2,) and entropies[1] == entropy_of(stats.poisson(1e6))


def test_invalid_parameters_are_an_error():
    with pytest.raises(ValueError, match="q has parameters outside the domain of norm"):
        kl(stats.norm(0, 1), stats.norm(0, -1))


def test_heavy_tailed_discrete_pair_is_summed_to_its_closed_form():
    # KL(zipf(a) || zipf(b)) = (b - a) E_p[log k] + log(zeta(b) / zeta(a)), E_p[log k] = -zeta'(a)/zeta(a)
    a, b = mpmath.mpf(2.5), mpmath.mpf(3)
    truth = (b - a) * (-mpmath.zeta(a, 1, 1) / mpmath.zeta(a)) + mpmath.log(mpmath.zeta(b) / mpmath.zeta(a))
    assert kl(stats.zipf(2.5), stats.zipf(3.0)) == pytest.approx(float(truth), rel=1e-9)


def test_too_wide_support_is_an_error_not_a_wrong_number():
    with pytest.raises(ValueError, match="too wide"):
        kl(stats.zipf(1.01), stats.zipf(3.0))


def test_no_runtime_warning_from_kl():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl(stats.bernoulli(0.0), stats.bernoulli(0.5))
        kl(stats.bernoulli(1.0), stats.bernoulli(0.5))
        kl(stats.poisson(0), stats.poisson(2))
        kl(stats.uniform(0, 2), stats.uniform(0, 1))
        kl(stats.beta(2, 5), stats.uniform(0, 1))
