"""The discrete numerical route: KL divergences and entropies by summation (issues #8, #9, #10, #18).

Oracles, none of them the code under test: closed forms derived here, SciPy's own pmf summed
over a range chosen here, and mpmath at 50 digits (pmfs through ``loggamma``), either summed
point by point or, for large parameters, integrated: by the Poisson summation formula the sum of
a smooth bump of width sigma over the integers equals its integral up to about
``exp(-2 pi^2 sigma^2)``, which is nothing for sigma >= 30.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import stats

from kltools._distributions import log_masses
from kltools._distributions.adapters import describe
from kltools._distributions.summation import entropy_by_summation, kl_by_summation

pytestmark = pytest.mark.filterwarnings("error")

RTOL = 1e-9
KL_ATOL = 1e-15
mp.mp.dps = 50


def kl(p, q) -> float:
    return kl_by_summation(describe(p, "p"), describe(q, "q"))


def entropy(p) -> float:
    return entropy_by_summation(describe(p, "p"))


def assert_close(value: float, truth, atol: float = 0.0) -> None:
    truth = float(truth)
    assert abs(value - truth) <= RTOL * abs(truth) + atol, (value, truth, (value - truth) / truth if truth else None)


# -------------------------------------------------------------------------------------------
# mpmath oracles


def mp_log_poisson(mu):
    mu = mp.mpf(mu)
    return lambda x: x * mp.log(mu) - mu - mp.loggamma(x + 1)


def mp_log_binom(n, p):
    n, p = mp.mpf(n), mp.mpf(p)
    lc = mp.loggamma(n + 1)
    return lambda x: lc - mp.loggamma(x + 1) - mp.loggamma(n - x + 1) + x * mp.log(p) + (n - x) * mp.log1p(-p)


def mp_log_nbinom(n, p):
    n, p = mp.mpf(n), mp.mpf(p)
    lc = -mp.loggamma(n) + n * mp.log(p)
    return lambda x: mp.loggamma(n + x) - mp.loggamma(x + 1) + lc + x * mp.log1p(-p)


def mp_sum(term, low: int, high: int):
    return mp.fsum(term(mp.mpf(k)) for k in range(low, high + 1))


def mp_integral(term, center: float, sigma: float, low: float, high: float):
    """Integral of term over [center - 40 sigma, center + 40 sigma] clipped to [low, high]."""
    edges = [center + j * sigma for j in range(-40, 41, 4)]
    edges = sorted({min(max(e, low), high) for e in edges})
    return mp.quad(term, [mp.mpf(e) for e in edges])


def entropy_term(log_pmf):
    def term(x):
        lp = log_pmf(x)
        return -mp.exp(lp) * lp

    return term


def kl_term(log_p, log_q):
    def term(x):
        lp = log_p(x)
        return mp.exp(lp) * (lp - log_q(x))

    return term


# -------------------------------------------------------------------------------------------
# Issue #8: supports off the integers; rv_discrete(values=...) frozen or not, against anything


HALVES = [0.0, 0.5, 1.0]


def sample(xk, pk, frozen: bool):
    dist = stats.rv_discrete(values=(xk, pk))
    return dist() if frozen else dist


def scipy_kl(xk, pk, q) -> float:
    """Sum over p's points of p log(p / q), with SciPy's own pmf of q."""
    return math.fsum(w * math.log(w / q.pmf(x)) for x, w in zip(xk, pk) if w > 0)


@pytest.mark.parametrize("p_frozen", [True, False])
@pytest.mark.parametrize("q_frozen", [True, False])
def test_samples_at_half_integers(p_frozen, q_frozen):
    p = sample(HALVES, [0.2, 0.6, 0.2], p_frozen)
    q = sample(HALVES, [0.6, 0.2, 0.2], q_frozen)
    truth = 0.2 * math.log(0.2 / 0.6) + 0.6 * math.log(0.6 / 0.2)  # 0.4394...
    assert_close(kl(p, q), truth)
    assert_close(kl(p, q), scipy_kl(HALVES, [0.2, 0.6, 0.2], q if q_frozen else q()))


def test_random_samples_on_the_real_line():
    rng = np.random.default_rng(8)
    for _ in range(20):
        size = int(rng.integers(1, 40))
        xk = np.unique(np.round(rng.normal(0, 10, size), 3))
        pk, qk = rng.dirichlet(np.ones(xk.size)), rng.dirichlet(np.ones(xk.size))
        p, q = stats.rv_discrete(values=(xk, pk)), stats.rv_discrete(values=(xk, qk))
        assert_close(kl(p, q), scipy_kl(xk, pk, q), atol=KL_ATOL)
        assert_close(entropy(p), stats.entropy(pk))
        # q without one of p's points: p has mass where q has none
        if xk.size > 1:
            q_missing = stats.rv_discrete(values=(xk[1:], qk[1:] / qk[1:].sum()))
            assert kl(p, q_missing) == math.inf
            assert math.isfinite(kl(q_missing, p))


def test_sample_against_lattice_families():
    xk, pk = [0, 1, 2], [0.2, 0.5, 0.3]
    p = stats.rv_discrete(values=(xk, pk))
    for q in [stats.poisson(1), stats.binom(5, 0.3), stats.nbinom(2, 0.4), stats.geom(0.5, loc=-1),
              stats.poisson(1, loc=-3), stats.randint(0, 3), stats.dlaplace(0.7)]:
        assert_close(kl(p, q), scipy_kl(xk, pk, q))
        assert_close(kl(p(), q), scipy_kl(xk, pk, q))
    # a point of p where the lattice of q has no mass, and supports that do not fit
    assert kl(stats.rv_discrete(values=([0, 0.5], [0.5, 0.5])), stats.poisson(1)) == math.inf
    assert kl(stats.rv_discrete(values=([-1, 0], [0.5, 0.5])), stats.poisson(1)) == math.inf
    assert kl(stats.rv_discrete(values=([0.5, 1.5], [0.5, 0.5])), stats.poisson(1, loc=0.5)) < math.inf
    assert kl(stats.poisson(1), p) == math.inf  # infinite support against three points
    assert kl(stats.binom(3, 0.5), p) == math.inf  # 3 is not a point of p
    lattice = stats.binom(2, 0.4)
    assert_close(kl(lattice, p), math.fsum(lattice.pmf(k) * math.log(lattice.pmf(k) / w) for k, w in zip(xk, pk)))


def test_lattices_with_shifted_locations():
    assert kl(stats.poisson(3, loc=0.5), stats.poisson(3)) == math.inf
    assert_close(kl(stats.poisson(3, loc=1), stats.poisson(3, loc=-2)),
                 scipy_kl(np.arange(1, 200), stats.poisson(3, loc=1).pmf(np.arange(1, 200)), stats.poisson(3, loc=-2)))
    assert kl(stats.poisson(3, loc=-1), stats.poisson(3)) == math.inf
    # geom(p, loc=-1) is nbinom(1, p): the same distribution
    assert abs(kl(stats.geom(0.3, loc=-1), stats.nbinom(1, 0.3))) <= KL_ATOL


# -------------------------------------------------------------------------------------------
# Issue #9: entropies of any size


def random_poisson_means(seed: int, count: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(10.0 ** rng.uniform(-300, 15, count)) + [1e-300, 0.7, 1e6, 1e15]


def oracle_poisson_entropy(mu: float):
    log_pmf = mp_log_poisson(mu)
    if mu < 1e4:
        return mp_sum(entropy_term(log_pmf), 0, int(mu + 40 * math.sqrt(mu) + 60))
    sigma = math.sqrt(mu)
    return mp_integral(entropy_term(log_pmf), mu, sigma, 0, math.inf)


@pytest.mark.parametrize("mu", random_poisson_means(9, 14))
def test_poisson_entropy(mu):
    assert_close(entropy(stats.poisson(mu)), oracle_poisson_entropy(mu))


def test_poisson_entropy_known_expansion():
    # H = log(2 pi e mu) / 2 - 1 / (12 mu) - 1 / (24 mu^2) + O(mu^-3), checked at mu = 1e6, 1e15
    for mu in (1e6, 1e15):
        mu_ = mp.mpf(mu)
        truth = mp.log(2 * mp.pi * mp.e * mu_) / 2 - 1 / (12 * mu_) - 1 / (24 * mu_**2)
        assert_close(entropy(stats.poisson(mu)), truth)


def binomial_cases(seed: int, count: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        n = float(np.floor(10 ** rng.uniform(0, 15)))
        p = 10 ** rng.uniform(-300, 0) if rng.random() < 0.5 else rng.uniform(0, 1)
        cases.append((n, float(p)))
    return cases + [(1e9, 0.5), (1000.0, 1e-300), (1e15, 0.3), (7.0, 0.5)]


@pytest.mark.parametrize("n, p", binomial_cases(10, 12))
def test_binomial_entropy(n, p):
    log_pmf = mp_log_binom(n, p)
    mean, sigma = n * p, math.sqrt(n * p * (1 - p))
    if sigma >= 100:
        truth = mp_integral(entropy_term(log_pmf), mean, sigma, 0, n)
    else:
        low, high = max(0, int(mean - 40 * sigma - 60)), int(min(n, mean + 40 * sigma + 60))
        truth = mp_sum(entropy_term(log_pmf), low, high)
    assert_close(entropy(stats.binom(n, p)), truth)


def nbinom_cases(seed: int, count: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    cases = [(float(10 ** rng.uniform(-2, 12)), float(rng.uniform(0.05, 0.95))) for _ in range(count)]
    return cases + [(1e8, 0.5), (0.5, 0.9), (1e7, 0.5)]


@pytest.mark.parametrize("n, p", nbinom_cases(11, 10))
def test_negative_binomial_entropy(n, p):
    log_pmf = mp_log_nbinom(n, p)
    mean, sigma = n * (1 - p) / p, math.sqrt(n * (1 - p)) / p
    if sigma >= 100:
        truth = mp_integral(entropy_term(log_pmf), mean, sigma, 0, math.inf)
    else:
        high = int(mean + 40 * sigma + 80 / -math.log1p(-p) + 60)
        truth = mp_sum(entropy_term(log_pmf), 0, high)
    assert_close(entropy(stats.nbinom(n, p)), truth)


@pytest.mark.parametrize("p", [1e-12, 1e-6, 0.01, 0.3, 0.9, 1 - 1e-9, 1.0])
def test_geometric_entropy_closed_form(p):
    # H = (-(1 - p) log(1 - p) - p log p) / p
    p_ = mp.mpf(p)
    truth = 0 if p == 1 else (-(1 - p_) * mp.log1p(-p_) - p_ * mp.log(p_)) / p_
    assert_close(entropy(stats.geom(p)), truth)


@pytest.mark.parametrize("low, high", [(0, 1), (-5, 5), (0, 10**9), (-(10**12), 10**12), (3, 2**52)])
def test_uniform_entropy(low, high):
    assert_close(entropy(stats.randint(low, high)), math.log(high - low))


def test_heavy_edges_and_huge_finite_supports():
    # U-shaped beta-binomial: mass piles up at both ends of a support of 1e5 + 1 points
    k = np.arange(0, 10**5 + 1)
    pmf = stats.betabinom(10**5, 0.5, 0.5).pmf(k)
    assert_close(entropy(stats.betabinom(10**5, 0.5, 0.5)), math.fsum(-pmf * np.log(pmf)))
    # zipfian over 1e12 points: H = log H(n, a) + a E[log k]; for a = 0 it is uniform
    assert_close(entropy(stats.zipfian(0.0, 10**12)), math.log(1e12))
    n, a = 10**12, 2.5
    harmonic = mp.zeta(a) - mp.zeta(a, n + 1)
    mean_log = -mp.diff(lambda s: mp.zeta(s) - mp.zeta(s, n + 1), a) / harmonic
    assert_close(entropy(stats.zipfian(a, n)), mp.log(harmonic) + a * mean_log)


def test_degenerate_entropies_are_zero():
    for dist in [stats.binom(10, 0), stats.binom(10, 1), stats.bernoulli(1), stats.bernoulli(0),
                 stats.poisson(0), stats.geom(1), stats.nbinom(3, 1), stats.randint(4, 5)]:
        assert entropy(dist) == 0.0


def test_entropies_against_scipy_sums_for_other_families():
    # moderate parameters, where SciPy's pmf is accurate: summed here over a range chosen here
    cases = [
        (stats.hypergeom(500, 200, 100), np.arange(0, 101)),
        (stats.betabinom(300, 2.5, 0.7), np.arange(0, 301)),
        (stats.dlaplace(0.3), np.arange(-400, 401)),
        (stats.planck(0.2), np.arange(0, 600)),
        (stats.boltzmann(0.01, 900), np.arange(0, 900)),
        (stats.logser(0.6), np.arange(1, 200)),
        (stats.zipfian(1.3, 500), np.arange(1, 501)),
        (stats.yulesimon(11.0), np.arange(1, 200000)),
        (stats.skellam(4, 9), np.arange(-200, 200)),
        (stats.poisson_binom([0.1, 0.5, 0.7]), np.arange(0, 4)),
    ]
    for dist, k in cases:
        pmf = dist.pmf(k)
        pmf = pmf[pmf > 0]
        assert_close(entropy(dist), math.fsum(-pmf * np.log(pmf)))


# -------------------------------------------------------------------------------------------
# KL divergences: closed forms and mpmath


def poisson_kl(mu1, mu2):
    mu1, mu2 = mp.mpf(mu1), mp.mpf(mu2)
    return mu1 * mp.log(mu1 / mu2) - mu1 + mu2


def binomial_kl(n, a, b):
    n, a, b = mp.mpf(n), mp.mpf(a), mp.mpf(b)
    return n * (a * mp.log(a / b) + (1 - a) * mp.log((1 - a) / (1 - b)))


def poisson_pairs(seed: int, count: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(count):
        mu1 = float(10 ** rng.uniform(-300, 15))
        mu2 = float(mu1 * 10 ** rng.uniform(-3, 3) if rng.random() < 0.7 else 10 ** rng.uniform(-300, 15))
        pairs.append((mu1, mu2))
    return pairs + [(1e12, 1e12 + 1e6), (1.0, 1e6), (1e6, 1.0), (3.0, 3.5), (1e-300, 1.0)]


@pytest.mark.parametrize("mu1, mu2", poisson_pairs(12, 14))
def test_poisson_pairs(mu1, mu2):
    assert_close(kl(stats.poisson(mu1), stats.poisson(mu2)), poisson_kl(mu1, mu2), atol=KL_ATOL)


@pytest.mark.parametrize("n, a, b", [(10**9, 0.5, 0.5000001), (10**9, 0.5, 0.6), (1000, 0.5, 1e-300),
                                     (10**15, 1e-10, 2e-10), (40, 0.3, 0.9), (1, 0.2, 0.7), (10**6, 0.999, 0.99)])
def test_binomial_pairs(n, a, b):
    assert_close(kl(stats.binom(n, a), stats.binom(n, b)), binomial_kl(n, a, b), atol=KL_ATOL)


def test_geometric_pairs():
    for a, b in [(0.3, 0.5), (1e-6, 2e-6), (0.9, 0.1), (1e-9, 0.5)]:
        # KL(geom(a) || geom(b)) = KL(Bernoulli(a) || Bernoulli(b)) / a
        assert_close(kl(stats.geom(a), stats.geom(b)), binomial_kl(1, a, b) / a)


def test_poisson_against_negative_binomial_1e7():
    # issue #18: summed over p's window (a few 1e4 points), not from 0
    mu, n, p = 1e7, 1e7, 0.5
    truth = mp_integral(kl_term(mp_log_poisson(mu), mp_log_nbinom(n, p)), mu, math.sqrt(mu), 0, math.inf)
    assert_close(kl(stats.poisson(mu), stats.nbinom(n, p)), truth)


def test_mixed_pairs_with_mpmath():
    rng = np.random.default_rng(13)
    for _ in range(4):
        mu = float(10 ** rng.uniform(0, 2.5))
        n = float(np.floor(mu * rng.uniform(1.5, 20)))
        r = float(10 ** rng.uniform(-0.5, 2))
        log_p = mp_log_poisson(mu)
        high = int(mu + 40 * math.sqrt(mu) + 60)
        pairs = [
            (stats.poisson(mu), stats.nbinom(r, r / (r + mu)), mp_log_nbinom(r, r / (r + mu)), high),
            (stats.binom(n, mu / n), stats.poisson(mu), log_p, int(min(n, high))),
        ]
        for p_dist, q_dist, log_q, top in pairs:
            log_pp = log_p if p_dist.dist.name == "poisson" else mp_log_binom(n, mu / n)
            truth = mp_sum(kl_term(log_pp, log_q), 0, top)
            assert_close(kl(p_dist, q_dist), truth, atol=KL_ATOL)


def test_uniform_pairs_with_huge_supports():
    assert_close(kl(stats.randint(0, 10**9), stats.randint(0, 2 * 10**9)), math.log(2))
    assert_close(kl(stats.randint(5, 10**12), stats.randint(-(10**12), 10**12)), math.log((2 * 10**12) / (10**12 - 5)))
    assert kl(stats.randint(0, 2 * 10**9), stats.randint(0, 10**9)) == math.inf
    # against a smooth q: KL = -log N - mean of log q over the N points (SciPy's pmf, here)
    n = 10**5
    k = np.arange(n)
    assert_close(kl(stats.randint(0, n), stats.poisson(n / 2)), -math.log(n) - math.fsum(stats.poisson(n / 2).logpmf(k)) / n)


def test_degenerate_parameters():
    assert_close(kl(stats.binom(10, 0), stats.poisson(1)), 1.0)
    assert_close(kl(stats.binom(10, 0), stats.binom(5, 0.5)), math.log(32))
    assert_close(kl(stats.bernoulli(1), stats.bernoulli(0.3)), -math.log(0.3))
    assert kl(stats.bernoulli(0.5), stats.bernoulli(1)) == math.inf
    assert kl(stats.poisson(1), stats.binom(10, 0)) == math.inf
    assert kl(stats.poisson(0), stats.poisson(2)) == 2.0
    assert kl(stats.binom(10, 1), stats.binom(10, 1)) == 0.0


# -------------------------------------------------------------------------------------------
# Issue #10 (discrete): an underflowed log-pmf of q is not "no mass"


def test_tiny_but_positive_masses_of_q_are_not_zero():
    # poisson(1) at k ~ 1e6 has log-pmf about -1.3e7: finite divergence, not inf
    assert_close(kl(stats.poisson(1e6), stats.poisson(1)), poisson_kl(1e6, 1))
    assert_close(kl(stats.binom(1000, 0.5), stats.binom(1000, 1e-300)), binomial_kl(1000, 0.5, 1e-300))
    assert_close(kl(stats.nbinom(5, 0.5), stats.geom(0.999, loc=-1)),
                 mp_sum(kl_term(mp_log_nbinom(5, 0.5), mp_log_nbinom(1, 0.999)), 0, 300))
    # families whose SciPy log-pmf is log(pmf): computed from the parameters instead
    for q in [stats.dlaplace(3), stats.planck(3), stats.logser(0.01), stats.zipf(8)]:
        assert math.isfinite(kl(stats.poisson(400, loc=1), q))


def test_a_scipy_log_pmf_that_underflows_is_an_error_not_inf():
    with pytest.raises(ValueError, match="underflows"):
        kl(stats.poisson(50), stats.skellam(1, 1))


@pytest.mark.parametrize("family, params, points", [
    ("poisson", {"mu": 1e15}, [0, 1e15, 1e15 + 3e8, 1e16]),
    ("poisson", {"mu": 1.0}, [0, 1, 1e6, 1e15]),
    ("binom", {"n": 1e15, "p": 0.3}, [0, 3e14, 3e14 + 1e8, 1e15]),
    ("binom", {"n": 1000, "p": 1e-300}, [0, 1, 500, 1000]),
    ("nbinom", {"n": 2.5e11, "p": 0.08}, [0, 2.875e12, 2.9e12, 1e14]),
    ("nbinom", {"n": 0.07, "p": 0.97}, [0, 1, 2, 1e4]),
    ("hypergeom", {"M": 1e13, "n": 4e12, "N": 3e12}, [0, 1.2e12, 1.2e12 + 1e7, 3e12]),
    ("betabinom", {"n": 1e9, "a": 3.5, "b": 0.7}, [0, 1, 8e8, 1e9]),
])
def test_log_masses_against_mpmath(family, params, points):
    k = np.asarray(points, dtype=np.float64)
    got = log_masses.log_pmf(family, {key: np.float64(v) for key, v in params.items()}, k)
    for point, value in zip(k, got):
        x = mp.mpf(point)
        if family == "poisson":
            truth = mp_log_poisson(params["mu"])(x)
        elif family == "binom":
            truth = mp_log_binom(params["n"], params["p"])(x)
        elif family == "nbinom":
            truth = mp_log_nbinom(params["n"], params["p"])(x)
        elif family == "hypergeom":
            total, good, draws = (mp.mpf(params[s]) for s in "MnN")
            lc = lambda a, b: mp.loggamma(a + 1) - mp.loggamma(b + 1) - mp.loggamma(a - b + 1)  # noqa: E731
            truth = lc(good, x) + lc(total - good, draws - x) - lc(total, draws)
        else:
            n, a, b = (mp.mpf(params[s]) for s in "nab")
            lb = lambda u, v: mp.loggamma(u) + mp.loggamma(v) - mp.loggamma(u + v)  # noqa: E731
            truth = mp.loggamma(n + 1) - mp.loggamma(x + 1) - mp.loggamma(n - x + 1) + lb(x + a, n - x + b) - lb(a, b)
        assert abs(value - float(truth)) <= 1e-13 * (1 + abs(float(truth))), (point, value, float(truth))


# -------------------------------------------------------------------------------------------
# Errors that name the problem


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="too wide"):
        entropy(stats.zipf(1.01))
    with pytest.raises(ValueError, match="tail function"):
        entropy(stats.betanbinom(5, 2, 3))
    with pytest.raises(ValueError, match="closed form"):
        kl(stats.poisson(1e15), stats.poisson(1e15 + 1))  # 5e-16, below the rounding of the log-pmfs
    with pytest.raises(ValueError, match="discrete"):
        kl(stats.norm(), stats.poisson(1))
    with pytest.raises(ValueError, match="batch"):
        entropy(stats.poisson([1.0, 2.0]))
