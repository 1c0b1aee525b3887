"""The numerical route of kl() and entropy_of() for continuous pairs without a closed form.

Oracles: closed forms derived here (not in kltools) evaluated with mpmath at 50 digits, and
mpmath's own quadrature of integrands written here. Each class of pair is drawn at random over
its parameter range; the reproductions of the issue that found these defects come first.
"""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy import stats

import kltools
from kltools._distributions import tails
from kltools._distributions.adapters import describe
from kltools._distributions.quadrature import entropy_by_quadrature, kl_by_quadrature

mp.mp.dps = 50
PROMISE = 1e-6  # relative accuracy promised by the numerical route


def numeric_kl(p, q):
    """Force the numerical route, even for pairs that have a closed form."""
    return kl_by_quadrature(describe(p, "p"), describe(q, "q"))


def close(value, truth, rtol=PROMISE):
    return abs(value - float(truth)) <= rtol * abs(float(truth)) + 1e-15


# ---------------------------------------------------------------------------------------------
# Closed forms derived here, in mpmath


def kl_cauchy(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
    return mp.log(((s1 + s2) ** 2 + (m1 - m2) ** 2) / (4 * s1 * s2))


def kl_gamma_vs_expon(a, scale_q=1):
    # -h(Gamma(a)) + E[X]/s + log s with h = a + lgamma(a) + (1 - a) digamma(a)
    a, s = mp.mpf(a), mp.mpf(scale_q)
    return -(a + mp.loggamma(a) + (1 - a) * mp.digamma(a)) + a / s + mp.log(s)


def minus_entropy_beta(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    h = mp.log(mp.beta(a, b)) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b) + (a + b - 2) * mp.digamma(a + b)
    return -h


def kl_levy(c1, c2):
    c1, c2 = mp.mpf(c1), mp.mpf(c2)
    return mp.log(c1 / c2) / 2 + (c2 - c1) / (2 * c1)


def kl_pareto(b1, b2):  # same scale
    b1, b2 = mp.mpf(b1), mp.mpf(b2)
    return mp.log(b1 / b2) + (b2 - b1) / b1


def kl_lognorm(s1, s2):  # same scale: the normal KL of the logs
    s1, s2 = mp.mpf(s1), mp.mpf(s2)
    return mp.log(s2 / s1) + s1**2 / (2 * s2**2) - mp.mpf(1) / 2


def kl_norm_vs_laplace(mu_q, b):
    # -h(N(0,1)) + log(2b) + E|X - mu_q| / b, E|X - m| = m (2 Phi(m) - 1) + 2 phi(m)
    m, b = mp.mpf(mu_q), mp.mpf(b)
    mean_abs = m * (2 * mp.ncdf(m) - 1) + 2 * mp.npdf(m)
    return -mp.log(2 * mp.pi * mp.e) / 2 + mp.log(2 * b) + mean_abs / b


def kl_laplace_vs_norm(b, sigma):
    b, s = mp.mpf(b), mp.mpf(sigma)
    return -(1 + mp.log(2 * b)) + mp.log(2 * mp.pi * s**2) / 2 + (2 * b**2) / (2 * s**2)


def kl_t_vs_norm(df, sigma=1):
    """mpmath quadrature of the t density times log(p/q), written here."""
    nu, s = mp.mpf(df), mp.mpf(sigma)
    c = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2

    def f(x):
        log_p = c - (nu + 1) / 2 * mp.log1p(x * x / nu)
        log_q = -mp.log(2 * mp.pi * s * s) / 2 - x * x / (2 * s * s)
        return mp.exp(log_p) * (log_p - log_q)

    return 2 * mp.quad(f, [0, 1, 10, 100, mp.inf])


# ---------------------------------------------------------------------------------------------
# The reproductions first


def test_issue_reproductions_are_now_right():
    assert close(kltools.kl(stats.cauchy(0, 1), stats.cauchy(0, 2)), mp.log(mp.mpf(9) / 8))
    assert close(kltools.kl(stats.gamma(0.05), stats.expon()), kl_gamma_vs_expon(0.05))
    assert close(kltools.kl(stats.levy(), stats.levy(scale=2)), kl_levy(1, 2))
    assert close(kltools.kl(stats.beta(0.05, 0.05), stats.uniform()), minus_entropy_beta(0.05, 0.05))
    assert close(kltools.kl(stats.cauchy(0, 1e300), stats.cauchy(0, 1)), kl_cauchy(0, 1e300, 0, 1))
    for p, q in [(stats.cauchy(), stats.norm()), (stats.t(1.5), stats.norm()), (stats.pareto(1), stats.expon())]:
        assert kltools.kl(p, q) == math.inf


def test_lognormal_pair_with_heavy_tails():
    assert close(numeric_kl(stats.lognorm(5), stats.lognorm(6)), kl_lognorm(5, 6))


def test_beta_singular_at_one_against_normal():
    a, b, mu, sigma = 2.5, 0.4, 0.5, 2.0

    def f(x):
        log_p = (a - 1) * mp.log(x) + (b - 1) * mp.log(1 - x) - mp.log(mp.beta(a, b))
        log_q = -mp.log(2 * mp.pi * sigma**2) / 2 - (x - mu) ** 2 / (2 * sigma**2)
        return mp.exp(log_p) * (log_p - log_q)

    truth = mp.quad(f, [0, 0.5, 1])
    assert close(kltools.kl(stats.beta(a, b), stats.norm(mu, sigma)), truth)


def test_underflowing_scipy_logpdf_is_not_read_as_no_mass():
    # SciPy's laplace.logpdf is log(pdf): -inf beyond |x - loc| ~ 745
    assert close(kltools.kl(stats.norm(), stats.laplace(1e3, 1)), kl_norm_vs_laplace(1e3, 1))


# ---------------------------------------------------------------------------------------------
# Randomized families against derived closed forms


RNG = np.random.default_rng(20261125)


@pytest.mark.parametrize("trial", range(12))
def test_cauchy_pairs_over_the_float_range(trial):
    log_scale = RNG.uniform(-250, 250, size=2)
    s1, s2 = 10.0 ** log_scale
    m1, m2 = RNG.normal(size=2) * np.array([s1, s2]) * RNG.uniform(0, 5)
    value = numeric_kl(stats.cauchy(m1, s1), stats.cauchy(m2, s2))
    assert close(value, kl_cauchy(m1, s1, m2, s2))


@pytest.mark.parametrize("trial", range(10))
def test_heavy_and_singular_pairs(trial):
    a = 10.0 ** RNG.uniform(-2, 1)
    scale = 10.0 ** RNG.uniform(-3, 3)
    assert close(numeric_kl(stats.gamma(a), stats.expon(scale=scale)), kl_gamma_vs_expon(a, scale))
    b1, b2 = 10.0 ** RNG.uniform(-1, 1, size=2)
    assert close(numeric_kl(stats.pareto(b1), stats.pareto(b2)), kl_pareto(b1, b2))
    s1, s2 = 10.0 ** RNG.uniform(-1, 1, size=2)
    assert close(numeric_kl(stats.lognorm(s1), stats.lognorm(s2)), kl_lognorm(s1, s2))
    c1, c2 = 10.0 ** RNG.uniform(-3, 3, size=2)
    assert close(numeric_kl(stats.levy(scale=c1), stats.levy(scale=c2)), kl_levy(c1, c2))
    alpha, beta = 10.0 ** RNG.uniform(-1.3, 0.7, size=2)
    assert close(numeric_kl(stats.beta(alpha, beta), stats.uniform()), minus_entropy_beta(alpha, beta))
    bl, sigma = 10.0 ** RNG.uniform(-2, 2, size=2)
    assert close(numeric_kl(stats.laplace(0, bl), stats.norm(0, sigma)), kl_laplace_vs_norm(bl, sigma))


@pytest.mark.parametrize("df", [2.5, 3.0, 4.0, 7.5, 30.0])
def test_student_t_against_normal_by_mpmath_quadrature(df):
    assert close(kltools.kl(stats.t(df), stats.norm()), kl_t_vs_norm(df))


# ---------------------------------------------------------------------------------------------
# Divergence: p's tail against the growth of -log q decides, never a finite number


@pytest.mark.parametrize("df", [0.3, 0.8, 1.0, 1.5, 1.9, 2.0])
def test_t_with_infinite_variance_against_normal_is_infinite(df):
    # -log q grows like x^2, and E_p[X^2] = inf for df <= 2
    assert kltools.kl(stats.t(df), stats.norm(0, 10.0 ** RNG.uniform(-2, 2))) == math.inf


@pytest.mark.parametrize("df", [0.3, 0.7, 1.0])
def test_t_without_a_mean_against_laplace_or_logistic_is_infinite(df):
    # -log q grows like |x|, and E_p|X| = inf for df <= 1
    assert kltools.kl(stats.t(df), stats.laplace()) == math.inf
    assert kltools.kl(stats.t(df), stats.logistic()) == math.inf


@pytest.mark.parametrize("b", [0.3, 0.9, 1.0])
def test_pareto_without_a_mean_against_exponential_is_infinite(b):
    assert kltools.kl(stats.pareto(b), stats.expon()) == math.inf


def test_finite_heavy_tailed_pairs_stay_finite():
    # E_p[(log X)^2] < inf for every Pareto, so against a lognormal the divergence is finite
    value = numeric_kl(stats.pareto(0.5), stats.lognorm(1.0))
    assert math.isfinite(value) and value > 0
    assert math.isfinite(kltools.kl(stats.t(1.5), stats.laplace()))  # E|X| < inf for df > 1


def test_slowly_converging_integrals_are_an_error_not_a_number():
    # KL(t(2.01) || N(0,1)) is finite but its tail decays like v^-0.995: no quadrature in
    # double precision can promise 1e-6, so it must say so
    with pytest.raises(ArithmeticError, match="did not reach 1e-6"):
        kltools.kl(stats.t(2.01), stats.norm())


# ---------------------------------------------------------------------------------------------
# Histograms, support, circular distributions


def test_histogram_against_normal_by_bins():
    counts, edges = np.histogram(np.random.default_rng(0).normal(size=500), bins=12)
    h = stats.rv_histogram((counts, edges))
    mu, sigma = 0.3, 1.4
    truth = mp.mpf(0)
    for c, a, b in zip(counts, edges[:-1], edges[1:]):
        if c == 0:
            continue
        height = mp.mpf(int(c)) / counts.sum() / (mp.mpf(b) - mp.mpf(a))
        # integral over the bin of height * (log height - log q(x)), q normal
        a_, b_ = mp.mpf(a), mp.mpf(b)
        second = ((b_ - mu) ** 3 - (a_ - mu) ** 3) / 3
        truth += height * ((b_ - a_) * (mp.log(height) + mp.log(2 * mp.pi * sigma**2) / 2) + second / (2 * sigma**2))
    assert close(kltools.kl(h, stats.norm(mu, sigma)), truth)
    # and unfrozen objects are accepted as they are
    assert kltools.kl(h, stats.norm(mu, sigma)) == kltools.kl(h(), stats.norm(mu, sigma))


def test_histogram_q_with_an_empty_bin_under_p_is_infinite():
    q = stats.rv_histogram((np.array([1, 0, 1]), np.array([0.0, 1, 2, 3])))
    assert kltools.kl(stats.uniform(0, 3), q) == math.inf
    assert math.isfinite(kltools.kl(stats.uniform(2, 1), q))


def test_support_of_p_outside_q_is_infinite():
    assert kltools.kl(stats.norm(), stats.expon()) == math.inf
    assert kltools.kl(stats.beta(2, 3, loc=-1), stats.gamma(2)) == math.inf


def test_vonmises_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="circular"):
        kltools.kl(stats.vonmises(2.0), stats.norm())
    with pytest.raises(ValueError, match="circular"):
        kltools.kl(stats.norm(), stats.vonmises(2.0))


def test_batched_numeric_route_equals_the_loop():
    dfs = np.array([3.0, 5.0, 9.0])
    batch = kltools.kl(stats.t(dfs), stats.norm(0, np.array([[1.0], [2.0]])))
    assert batch.shape == (2, 3)
    for i, s in enumerate([1.0, 2.0]):
        for j, df in enumerate(dfs):
            assert batch[i, j] == kltools.kl(stats.t(df), stats.norm(0, s))


# ---------------------------------------------------------------------------------------------
# Entropy by quadrature; the honesty of the tail remainder


@pytest.mark.parametrize("df", [0.3, 1.0, 2.0, 7.0])
def test_entropy_by_quadrature_of_student_t(df):
    nu = mp.mpf(df)
    truth = (nu + 1) / 2 * (mp.digamma((nu + 1) / 2) - mp.digamma(nu / 2)) + mp.log(mp.sqrt(nu) * mp.beta(nu / 2, mp.mpf(1) / 2))
    assert close(entropy_by_quadrature(describe(stats.t(df), "p")), truth)


def test_entropy_of_a_distribution_scipy_cannot_integrate_names_the_problem():
    # SciPy's own entropy() fails with "only 0-dimensional arrays..." and its quantiles are
    # too slow to integrate over: the error must say so
    with pytest.raises(ValueError, match="levy_stable by numerically inverting"):
        kltools.entropy_of(stats.levy_stable(1.5, 0))


@pytest.mark.parametrize("exponent", [-1.0, 0.0, 0.3, 0.6, 0.9])
def test_tail_remainder_error_covers_the_truth(exponent):
    # g(v) = c v^-a log(1/v)^m: the integral over (0, v) is known in closed form (mpmath)
    for m in (0, 1, 2):
        g = lambda v: v ** -exponent * np.log(1 / v) ** m  # noqa: E731
        values = g(tails.PROBES)
        cut = tails.DECADES <= 40  # pretend only 40 decades resolve
        tail = tails.analyse(values, cut)
        v0 = mp.mpf(tail.v_min)
        truth = mp.quad(lambda t: t ** -exponent * mp.log(1 / t) ** m, [0, v0])
        assert abs(tail.remainder - float(truth)) <= tail.error + 1e-300


def test_tail_that_grows_like_one_over_v_is_divergent():
    for exponent in (1.0, 1.2, 2.0):
        with np.errstate(over="ignore"):  # inf beyond the double range: still growth
            values = tails.PROBES**-exponent * (1 + np.log(1 / tails.PROBES))
        assert tails.analyse(values, np.isfinite(values)).divergence == 1


# ---------------------------------------------------------------------------------------------
# Found by the accuracy sweep (benchmarks/accuracy.py): near-equal pairs and cancelling formulas


@pytest.mark.parametrize("df", [300.0, 1e3, 1e4])
def test_t_with_large_df_against_normal_keeps_its_digits(df):
    # the t log-density's constant no longer cancels (lgamma of 5e4 carries 1e-11 of error)
    assert close(kltools.kl(stats.t(df), stats.norm()), kl_t_vs_norm(df))


@pytest.mark.parametrize(
    "p,q",
    [(stats.t(1e8), stats.norm()), (stats.levy(0, 1), stats.levy(0, 1 + 1e-7)), (stats.t(3), stats.t(3.0 + 1e-9))],
)
def test_pairs_too_close_for_the_numeric_route_are_an_error_not_noise(p, q):
    with pytest.raises(ArithmeticError, match="too close for the numerical route"):
        kltools.kl(p, q)


def test_identical_distributions_without_a_closed_form_are_exactly_zero():
    assert kltools.kl(stats.t(5), stats.t(5)) == 0.0
    assert np.array_equal(kltools.kl(stats.t([5.0, 6.0]), stats.t(5.0))[:1], [0.0])


@pytest.mark.parametrize("a,b", [(10.0, 1e8), (2005.62, 2.2455e8), (1e-3, 2.0), (0.5, 0.5), (3e5, 7e5)])
def test_beta_entropy_where_scipys_formula_cancels(a, b):
    A, B = mp.mpf(a), mp.mpf(b)
    truth = mp.log(mp.beta(A, B)) - (A - 1) * mp.digamma(A) - (B - 1) * mp.digamma(B) + (A + B - 2) * mp.digamma(A + B)
    assert close(kltools.entropy_of(stats.beta(a, b)), truth)


def test_entropy_near_zero_keeps_an_absolute_accuracy():
    sigma = float((2 * mp.pi * mp.e) ** -0.5)  # h(N(0, sigma)) = log(sigma sqrt(2 pi e)), about 0
    truth = mp.log(mp.mpf(sigma) * mp.sqrt(2 * mp.pi * mp.e))
    assert abs(kltools.entropy_of(stats.norm(0, sigma)) - float(truth)) < 1e-15


def test_dirichlet_entropy_is_right_or_refused():
    alpha = [2.0, 3.0, 4.0]
    a = [mp.mpf(x) for x in alpha]
    a0 = sum(a)
    truth = sum(mp.loggamma(x) for x in a) - mp.loggamma(a0) + (a0 - 3) * mp.digamma(a0) - sum((x - 1) * mp.digamma(x) for x in a)
    assert close(kltools.entropy_of(stats.dirichlet(alpha)), truth)
    with pytest.raises(ArithmeticError, match="Dirichlet"):
        kltools.entropy_of(stats.dirichlet([1e14, 1e14]))  # SciPy returns -14.0; the truth is -15.739


# ---------------------------------------------------------------------------------------------
# Found by review: q evaluated in p's coordinate must keep the sign of z


@pytest.mark.parametrize("loc,scale", [(0.0, 1.0), (3.0, 1.0), (0.0, 2.0), (-1.5, 0.7)])
def test_normal_against_an_asymmetric_q_with_the_same_loc(loc, scale):
    # KL(N(m, 1) || Gumbel_r(m, b)) = -h(N) + log b + E[Z]/b + E[exp(-Z/b)], Z ~ N(0, 1):
    # = -log(2 pi e)/2 + log b + exp(1 / (2 b^2))
    b = mp.mpf(scale)
    truth = -mp.log(2 * mp.pi * mp.e) / 2 + mp.log(b) + mp.exp(1 / (2 * b**2))
    assert close(kltools.kl(stats.norm(loc, 1), stats.gumbel_r(loc, scale)), truth)


def test_heavy_left_tail_against_gumbel_is_infinite():
    # E_p[exp(-X/b)] diverges for any p with a polynomial or exponential left tail this heavy
    assert kltools.kl(stats.t(30), stats.gumbel_r(0, 3)) == math.inf
    assert kltools.kl(stats.laplace(), stats.gumbel_r()) == math.inf


def test_gamma_with_a_tiny_shape_against_weibull_sharing_its_end():
    # -h(Gamma(a)) - log c - (c - 1) digamma(a) + Gamma(a + c) / Gamma(a), q = weibull_min(c)
    a, c = mp.mpf("0.01"), mp.mpf("0.5")
    minus_h = -(a + mp.loggamma(a) + (1 - a) * mp.digamma(a))
    truth = minus_h - mp.log(c) - (c - 1) * mp.digamma(a) + mp.exp(mp.loggamma(a + c) - mp.loggamma(a))
    assert close(kltools.kl(stats.gamma(0.01), stats.weibull_min(0.5)), truth)
