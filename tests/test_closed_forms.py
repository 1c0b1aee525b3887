"""Closed-form KL divergences against textbook formulas evaluated in mpmath (issue #8, #9).

The oracle of each pair is its textbook formula, written here and evaluated in mpmath at 50
digits on the exact float parameters. Where that formula cancels beyond what 50 digits hold (the
Dirichlet formula with shapes 1e15 and 1e-300, nearly equal parameters), it is re-evaluated at
twice the digits until two evaluations agree to 30 digits.

Parameters are seeded random draws that span the float64 range (scales and rates 1e-300..1e300,
scale ratios 1e-20 and 1e20, locations up to +-1e300, shapes 1e-300..1e15 for gamma, beta and
Dirichlet, nearly equal parameters with relative perturbations 1e-15..1e-3), plus the instances
named in issue #8.

Bound: relative error <= 1e-13 (``RTOL``) wherever the true value is a normal double above
1e-295; below that, absolute error <= 1e-295 * 1e-13 (results there are at or near subnormal
and have no relative precision to keep). ``inf`` exactly where the true value is infinite or
exceeds the largest double (within 1e-13 of it either is accepted). Never NaN, never negative,
no warning (pytest turns RuntimeWarning into errors). One exception, stated with
:func:`exponent_size`: the Gumbel and Weibull divergences hold exp(lgamma(1 + r) - c), whose
relative condition number is the size of those two terms, up to 1e3 and more; their bound is
1e-13 plus 4 ulps times that size.

Run ``python tests/test_closed_forms.py`` to print the worst relative error per pair and regime.
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy import stats

from kltools._distributions.adapters import describe
from kltools._distributions.closed_forms import KL_CLOSED_FORMS, closed_form_kl, register_kl

mpmath.mp.dps = 50
DBL_MAX = sys.float_info.max
RTOL = 1e-13
ABS_FLOOR = 1e-295
N_DRAWS = 40  # per family and regime
SEED = 20240808


def kl(p, q):
    return closed_form_kl(describe(p, "p"), describe(q, "q"))


# ---------------------------------------------------------------------------------------------
# Oracle machinery


def _to_mp(x):
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_to_mp(v) for v in x]
    return mpmath.mpf(float(x))


def _flat(x) -> list[float]:
    if isinstance(x, (list, tuple, np.ndarray)):
        return [v for item in x for v in _flat(item)]
    return [float(x)]


def reference(formula: Callable, *params, span_digits: bool = True) -> mpmath.mpf:
    """`formula` on the exact float parameters at 50 digits, more where 50 do not settle it.

    Sums of parameters of very different size (1e300 + 1e-300) are exact only with enough
    digits: with `span_digits` (cheap, elementary formulas) the first evaluation uses 50 digits
    plus 4 per decade of the largest or smallest parameter. Then the digits are doubled until two
    evaluations agree to 30 digits. Formulas with lgamma and digamma start at 50 digits plus one
    per decade of the largest parameter (their cancellations are caught by the doubling) and, where the value is below 1e-200 (where a sum
    that lost a tiny parameter could matter), are re-checked with enough digits to hold the
    sum of the largest and the smallest parameter exactly.
    """
    decades = [math.log10(abs(x)) for x in _flat(params) if x != 0 and math.isfinite(x)] or [0.0]
    if span_digits:
        return _settle(formula, params, 50 + 4 * int(max(map(abs, decades))))
    value = _settle(formula, params, 50 + int(max(0.0, max(decades))))  # lgamma(x) ~ x log x cancels
    if not mpmath.isinf(value) and abs(value) < mpmath.mpf(10) ** -200:
        value = _settle(formula, params, 60 + int(1.2 * (max(decades) - min(decades))))
    return value


def _settle(formula: Callable, params, dps: int) -> mpmath.mpf:
    with mpmath.workdps(dps):
        previous = formula(*_to_mp(params))
    while True:
        dps *= 2
        with mpmath.workdps(dps):
            value = formula(*_to_mp(params))
        if mpmath.isinf(value) or value == previous or abs(value - previous) <= mpmath.mpf(10) ** -30 * abs(value):
            return value
        if dps > 20000:
            raise AssertionError(f"the oracle does not settle for {params}")
        previous = value


def error_of(got, truth) -> float:
    """Relative error of `got` against `truth`, 0 for a correct inf, inf for a wrong kind."""
    got = float(np.asarray(got))
    if math.isnan(got) or got < 0:
        return math.inf
    if mpmath.isinf(truth) or truth > DBL_MAX * (1 + RTOL):
        return 0.0 if got == math.inf else math.inf
    if truth >= DBL_MAX * (1 - RTOL) and got == math.inf:
        return 0.0
    if got == math.inf:
        return math.inf
    return float(abs(mpmath.mpf(got) - truth) / max(truth, mpmath.mpf(ABS_FLOOR)))


# ---------------------------------------------------------------------------------------------
# Textbook formulas (mpmath)

mp = mpmath
HALF = mpmath.mpf(1) / 2


def mp_norm(m1, s1, m2, s2):
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - HALF


def mp_lognorm(s1, l1, c1, s2, l2, c2):
    if l1 < l2:
        return mp.inf
    return mp_norm(mp.log(c1), s1, mp.log(c2), s2)


def mp_laplace(m1, b1, m2, b2):
    d = abs(m1 - m2)
    return mp.log(b2 / b1) + d / b2 + b1 / b2 * mp.exp(-d / b1) - 1


def mp_cauchy(m1, s1, m2, s2):
    return mp.log(((s1 + s2) ** 2 + (m1 - m2) ** 2) / (4 * s1 * s2))


def mp_gumbel_r(m1, b1, m2, b2):
    # E[z1] = euler, E[exp(-z1)] = 1, E[exp(-r z1)] = Gamma(1 + r) for the standard Gumbel
    r = b1 / b2
    return mp.log(b2 / b1) + mp.euler * (r - 1) + (m1 - m2) / b2 + mp.exp((m2 - m1) / b2 + mp.loggamma(1 + r)) - 1


def mp_gumbel_l(m1, b1, m2, b2):
    return mp_gumbel_r(-m1, b1, -m2, b2)


def mp_uniform(a1, w1, a2, w2):
    exact = [Fraction(float(x)) for x in (a1, w1, a2, w2)]
    if exact[0] < exact[2] or exact[0] + exact[1] > exact[2] + exact[3]:
        return mp.inf
    return mp.log(w2 / w1)


def mp_expon(l1, s1, l2, s2):
    if l1 < l2:
        return mp.inf
    return mp.log(s2 / s1) + (s1 + (l1 - l2)) / s2 - 1


def mp_halfnorm(l1, s1, l2, s2):
    # E_p[(X - l2)^2] with X - l1 ~ halfnorm(0, s1): s1^2 + 2 c s1 sqrt(2/pi) + c^2, c = l1 - l2
    if l1 < l2:
        return mp.inf
    c = l1 - l2
    second_moment = s1**2 + 2 * c * s1 * mp.sqrt(2 / mp.pi) + c**2
    return mp.log(s2 / s1) - HALF + second_moment / (2 * s2**2)


def mp_rayleigh(l1, s1, l2, s2):
    if l1 < l2:
        return mp.inf
    return 2 * mp.log(s2 / s1) + s1**2 / s2**2 - 1


def mp_pareto(b1, l1, s1, b2, l2, s2):
    # E_p[log(X - loc)] = log s1 + 1/b1; support X - loc >= scale
    if Fraction(float(l1)) + Fraction(float(s1)) < Fraction(float(l2)) + Fraction(float(s2)):
        return mp.inf
    return mp.log(b1 / b2) + b1 * mp.log(s1) - b2 * mp.log(s2) + (b2 - b1) * (mp.log(s1) + 1 / b1)


def mp_gamma(a1, l1, s1, a2, l2, s2):
    if l1 < l2:
        return mp.inf
    return ((a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2)
            + a2 * mp.log(s2 / s1) + a1 * (s1 - s2) / s2)


def mp_chi2(k1, l1, s1, k2, l2, s2):
    return mp_gamma(k1 / 2, l1, 2 * s1, k2 / 2, l2, 2 * s2)


def mp_weibull_min(c1, l1, s1, c2, l2, s2):
    # E_p[log(X - l)] = log s1 - euler/c1, E_p[((X - l)/s1)^c1] = 1,
    # E_p[((X - l)/s2)^c2] = (s1/s2)^c2 Gamma(1 + c2/c1)
    if l1 < l2:
        return mp.inf
    return (mp.log(c1 / c2) - c1 * mp.log(s1) + c2 * mp.log(s2) + (c1 - c2) * (mp.log(s1) - mp.euler / c1)
            + mp.exp(c2 * mp.log(s1 / s2) + mp.loggamma(1 + c2 / c1)) - 1)


def mp_weibull_max(c1, l1, s1, c2, l2, s2):
    return mp_weibull_min(c1, -l1, s1, c2, -l2, s2)


def mp_lbeta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def mp_beta(a1, b1, a2, b2):
    return (mp_lbeta(a2, b2) - mp_lbeta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def mp_dirichlet(alpha, beta):
    a0, b0 = mp.fsum(alpha), mp.fsum(beta)
    return (mp.loggamma(a0) - mp.fsum(mp.loggamma(a) for a in alpha) - mp.loggamma(b0)
            + mp.fsum(mp.loggamma(b) for b in beta)
            + mp.fsum((a - b) * (mp.digamma(a) - mp.digamma(a0)) for a, b in zip(alpha, beta)))


def mp_mvn(mean_p, cov_p, mean_q, cov_q):
    d = len(mean_p)
    sp, sq = mp.matrix(cov_p), mp.matrix(cov_q)
    inv_q = sq**-1
    diff = mp.matrix(mean_q) - mp.matrix(mean_p)
    trace = mp.fsum((inv_q * sp)[i, i] for i in range(d))
    quad = (diff.T * inv_q * diff)[0, 0]
    return (trace + quad - d + mp.log(mp.det(sq)) - mp.log(mp.det(sp))) / 2


def mp_bernoulli(a, b):
    total = mp.mpf(0)
    for x, y in ((a, b), (1 - a, 1 - b)):
        if x == 0:
            continue
        if y == 0:
            return mp.inf
        total += x * mp.log(x / y)
    return total


def mp_binom(n1, a, n2, b):
    if n1 == n2:
        return n1 * mp_bernoulli(a, b) if n1 > 0 else mp.mpf(0)
    if a == 0:  # p is the point mass at 0: -log q(0)
        return n2 * mp_bernoulli(0, b)
    return mp.inf  # n1 > n2: p has mass at n1 where q has none


def mp_geom(a, b):
    return mp_bernoulli(a, b) / a


def mp_poisson(m1, m2):
    if m1 == 0:
        return m2
    if m2 == 0:
        return mp.inf
    return m1 * mp.log(m1 / m2) - m1 + m2


# ---------------------------------------------------------------------------------------------
# Seeded parameter draws spanning the float64 range


def _rng(*key: str) -> np.random.Generator:
    return np.random.default_rng([SEED, *(zlib.crc32(k.encode()) for k in key)])


def log_uniform(rng, low, high, size=None):
    return 10.0 ** rng.uniform(math.log10(low), math.log10(high), size)


def perturbed(rng, x):
    """x (1 + e) with |e| log-uniform in [1e-15, 1e-3] and a random sign."""
    return float(x * (1.0 + rng.choice([-1.0, 1.0]) * log_uniform(rng, 1e-15, 1e-3)))


def location(rng):
    kind = rng.integers(4)
    if kind == 0:
        return 0.0
    if kind == 1:
        return float(rng.normal())
    return float(rng.choice([-1.0, 1.0]) * log_uniform(rng, 1e-300, 1e300))


# Location-scale pairs: (m1, s1, m2, s2) by regime.
def location_scale_draws(family: str, regime: str) -> Iterator[tuple[float, float, float, float]]:
    rng = _rng(family, regime)
    for _ in range(N_DRAWS):
        if regime == "wide":
            yield location(rng), log_uniform(rng, 1e-300, 1e300), location(rng), log_uniform(rng, 1e-300, 1e300)
        elif regime == "ratio":
            s1 = log_uniform(rng, 1e-280, 1e280)
            s2 = s1 * rng.choice([1e-20, 1e20])
            m1 = location(rng)
            m2 = m1 + float(rng.normal()) * rng.choice([s1, s2, 0.0])
            yield m1, s1, m2, s2
        elif regime == "near":
            s1 = log_uniform(rng, 1e-300, 1e300)
            m1 = location(rng)
            shift = rng.integers(3)
            m2 = m1 if shift == 0 else (perturbed(rng, m1) if shift == 1 else m1 + s1 * log_uniform(rng, 1e-15, 1e-3))
            yield m1, s1, m2, perturbed(rng, s1) if rng.integers(4) else s1
        else:  # moderate
            yield float(rng.normal()), log_uniform(rng, 0.1, 10), float(rng.normal()), log_uniform(rng, 0.1, 10)


REGIMES = ("wide", "ratio", "near", "moderate")

LOCATION_SCALE = {
    "norm": mp_norm,
    "laplace": mp_laplace,
    "cauchy": mp_cauchy,
    "gumbel_r": mp_gumbel_r,
    "gumbel_l": mp_gumbel_l,
}
HALF_LINE = {  # (l1, s1, l2, s2): p's support inside q's when l1 >= l2
    "expon": mp_expon,
    "halfnorm": mp_halfnorm,
}


def half_line_draws(family: str, regime: str):
    """Like location_scale_draws but with l1 >= l2 in most draws (l1 < l2 gives inf)."""
    rng = _rng(family, "half-line", regime)
    for m1, s1, m2, s2 in location_scale_draws(family, regime):
        yield (max(m1, m2), s1, min(m1, m2), s2) if rng.integers(5) else (m1, s1, m2, s2)


def shape_draws(family: str, regime: str, low=1e-300, high=1e15) -> Iterator[tuple[float, float]]:
    rng = _rng(family, "shape", regime)
    for _ in range(N_DRAWS):
        a = log_uniform(rng, low, high)
        if regime == "wide":
            yield a, log_uniform(rng, low, high)
        elif regime == "ratio":
            yield a, a * rng.choice([1e-20, 1e20]) if a * 1e20 < high else a * 1e-20
        elif regime == "near":
            yield a, perturbed(rng, a) if rng.integers(4) else a
        else:
            yield log_uniform(rng, 0.1, 10), log_uniform(rng, 0.1, 10)


# ---------------------------------------------------------------------------------------------
# Cases: (label, p, q, oracle formula, oracle parameters)

Case = tuple[str, object, object, Callable, tuple]


def cases_location_scale(family: str) -> Iterator[Case]:
    dist = getattr(stats, family)
    draws = half_line_draws if family in HALF_LINE else location_scale_draws
    formula = LOCATION_SCALE.get(family) or HALF_LINE[family]
    for regime in REGIMES:
        for m1, s1, m2, s2 in draws(family, regime):
            yield regime, dist(m1, s1), dist(m2, s2), formula, (m1, s1, m2, s2)


def cases_gumbel_large(family: str) -> Iterator[Case]:
    """Shifts and scale ratios that put exp(lgamma(1 + r) - c) anywhere up to the overflow."""
    rng = _rng(family, "large")
    dist, formula = getattr(stats, family), LOCATION_SCALE[family]
    for _ in range(N_DRAWS):
        b1, b2 = log_uniform(rng, 1e-3, 1e3), log_uniform(rng, 1e-3, 1e3)
        m2 = float(rng.uniform(-800, 800)) * b2
        yield "large", dist(0.0, b1), dist(m2, b2), formula, (0.0, b1, m2, b2)


def cases_uniform() -> Iterator[Case]:
    for regime in REGIMES:
        rng = _rng("uniform", regime)
        for a1, w1, a2, w2 in location_scale_draws("uniform", regime):
            if rng.integers(3):  # make q's interval contain p's, by a margin of either size
                a2 = a1 - abs(a1 - a2) if regime != "near" else a1 - w1 * log_uniform(rng, 1e-16, 1e-3) * rng.integers(2)
                w2 = (a1 - a2) + w1 + w1 * log_uniform(rng, 1e-15, 1e20) * rng.integers(2)
                if not (math.isfinite(w2) and w2 > 0):
                    continue
            yield regime, stats.uniform(a1, w1), stats.uniform(a2, w2), mp_uniform, (a1, w1, a2, w2)


def cases_loc_shape_scale(family: str, shape: str, formula: Callable, low=1e-300, high=1e15) -> Iterator[Case]:
    """Families with one shape, loc and scale; same loc in most draws (l1 < l2: inf)."""
    dist = getattr(stats, family)
    for regime in REGIMES:
        rng = _rng(family, "loc", regime)
        draws = zip(shape_draws(family, regime, low, high), location_scale_draws(family + "s", regime))
        for (k1, k2), (l1, s1, _, s2) in draws:
            l2 = l1 if rng.integers(5) else l1 + abs(l1) + 1.0
            yield regime, dist(k1, loc=l1, scale=s1), dist(k2, loc=l2, scale=s2), formula, (k1, l1, s1, k2, l2, s2)


def cases_erlang() -> Iterator[Case]:
    """Integer shapes (SciPy warns on others)."""
    for regime in REGIMES:
        rng = _rng("erlang", regime)
        for l1, s1, _, s2 in location_scale_draws("erlang", regime):
            a1 = float(rng.integers(1, 10**6))
            a2 = a1 if regime == "near" else float(rng.choice([a1, a1 + 1, rng.integers(1, 10**6)]))
            yield regime, stats.erlang(a1, l1, s1), stats.erlang(a2, l1, s2), mp_gamma, (a1, l1, s1, a2, l1, s2)


def cases_gamma_correlated() -> Iterator[Case]:
    """Shapes and scales perturbed together or against each other (a s nearly equal)."""
    rng = _rng("gamma", "correlated")
    for _ in range(N_DRAWS):
        a = log_uniform(rng, 1e-300, 1e15)
        s = log_uniform(rng, 1e-300, 1e300)
        e = log_uniform(rng, 1e-15, 1e-3)
        a2 = float(a * (1 + e))
        s2 = float(s / (1 + e)) if rng.integers(2) else float(s * (1 + e))
        yield "correlated", stats.gamma(a, scale=s), stats.gamma(a2, scale=s2), mp_gamma, (a, 0.0, s, a2, 0.0, s2)


def cases_lognorm() -> Iterator[Case]:
    for regime in REGIMES:
        rng = _rng("lognorm", regime)
        for (_, s1, _, s2), (_, c1, _, c2) in zip(location_scale_draws("lognorm", regime),
                                                  location_scale_draws("lognorm-scale", regime)):
            l1 = location(rng)
            l2 = l1 if rng.integers(5) else l1 + abs(l1) + 1.0
            yield regime, stats.lognorm(s1, l1, c1), stats.lognorm(s2, l2, c2), mp_lognorm, (s1, l1, c1, s2, l2, c2)


def cases_rayleigh() -> Iterator[Case]:
    for regime in REGIMES:
        rng = _rng("rayleigh", regime)
        for l1, s1, _, s2 in location_scale_draws("rayleigh", regime):
            l2 = l1 if rng.integers(5) else l1 + abs(l1) + 1.0
            yield regime, stats.rayleigh(l1, s1), stats.rayleigh(l2, s2), mp_rayleigh, (l1, s1, l2, s2)


def cases_pareto() -> Iterator[Case]:
    for regime in REGIMES:
        rng = _rng("pareto", regime)
        for (b1, b2), (l, s1, _, s2) in zip(shape_draws("pareto", regime), location_scale_draws("pareto", regime)):
            if rng.integers(4):
                s1, s2 = max(s1, s2), min(s1, s2)  # p's support inside q's
            yield regime, stats.pareto(b1, l, s1), stats.pareto(b2, l, s2), mp_pareto, (b1, l, s1, b2, l, s2)


def cases_beta() -> Iterator[Case]:
    for regime in REGIMES:
        draws = zip(shape_draws("beta-a", regime), shape_draws("beta-b", regime))
        for (a1, a2), (b1, b2) in draws:
            yield regime, stats.beta(a1, b1), stats.beta(a2, b2), mp_beta, (a1, b1, a2, b2)
    rng = _rng("beta", "dominant")
    for alpha, beta in dirichlet_draws("dominant"):
        (a1, b1), (a2, b2) = alpha[:2], beta[:2]
        if rng.integers(2):
            a1, b1, a2, b2 = b1, a1, b2, a2
        yield "dominant", stats.beta(a1, b1), stats.beta(a2, b2), mp_beta, (a1, b1, a2, b2)


def dirichlet_draws(regime: str) -> Iterator[tuple[list[float], list[float]]]:
    rng = _rng("dirichlet", regime)
    for _ in range(N_DRAWS):
        k = int(rng.choice([2, 3, 5]))
        if regime == "comparable":  # components within a factor 10, anywhere in 1e-300..1e15
            alpha = list(log_uniform(rng, 1e-300, 1e14) * log_uniform(rng, 1, 10, k))
            beta = [perturbed(rng, a) for a in alpha] if rng.integers(2) else list(log_uniform(rng, 1e-300, 1e14) * log_uniform(rng, 1, 10, k))
        elif regime == "wide":
            alpha = list(log_uniform(rng, 1e-300, 1e15, k))
            beta = list(log_uniform(rng, 1e-300, 1e15, k))
        elif regime == "dominant":  # one component holds nearly all of alpha0 (and of beta0)
            big = log_uniform(rng, 1e-250, 1e15)
            alpha = [big] + list(big * log_uniform(rng, 1e-40, 1e-4, k - 1))
            beta = [perturbed(rng, a) if rng.integers(2) else a for a in alpha]
            if rng.integers(3) == 0:
                beta[0] = big * log_uniform(rng, 1e-20, 1e20)
        elif regime == "near":
            alpha = list(log_uniform(rng, 1e-300, 1e15, k))
            beta = [perturbed(rng, a) if rng.integers(3) else a for a in alpha]
        else:
            alpha = list(log_uniform(rng, 0.1, 10, k))
            beta = list(log_uniform(rng, 0.1, 10, k))
        yield alpha, beta


def cases_dirichlet(regimes=("comparable", "wide", "near", "dominant", "moderate")) -> Iterator[Case]:
    for regime in regimes:
        for alpha, beta in dirichlet_draws(regime):
            yield regime, stats.dirichlet(alpha), stats.dirichlet(beta), mp_dirichlet, (alpha, beta)


def random_covariance(rng, d, scale):
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T + 0.5 * np.eye(d))


def cases_mvn() -> Iterator[Case]:
    for regime in REGIMES:
        rng = _rng("mvn", regime)
        for _ in range(N_DRAWS // 2):
            d = int(rng.choice([1, 2, 3, 5]))
            scale = log_uniform(rng, 1e-280, 1e280)
            cov_q = random_covariance(rng, d, scale)
            mean_q = rng.normal(size=d) * math.sqrt(scale) * rng.choice([0.0, 1.0, 1e10])
            if regime == "wide":
                cov_p = random_covariance(rng, d, log_uniform(rng, 1e-280, 1e280))
                mean_p = rng.normal(size=d) * log_uniform(rng, 1e-150, 1e150)
            elif regime == "ratio":
                cov_p = cov_q * rng.choice([1e-20, 1e20])
                mean_p = mean_q + rng.normal(size=d) * math.sqrt(scale)
            elif regime == "near":
                e = rng.normal(size=(d, d))
                cov_p = cov_q + scale * log_uniform(rng, 1e-15, 1e-3) * (e + e.T) / 4
                mean_p = mean_q + rng.normal(size=d) * math.sqrt(scale) * log_uniform(rng, 1e-15, 1e-3) * rng.integers(2)
            else:
                cov_q = random_covariance(rng, d, 1.0)
                cov_p = random_covariance(rng, d, 1.0)
                mean_p, mean_q = rng.normal(size=d), rng.normal(size=d)
            if np.min(np.linalg.eigvalsh(cov_p)) <= 0:
                continue
            yield (regime, stats.multivariate_normal(mean_p, cov_p), stats.multivariate_normal(mean_q, cov_q),
                   mp_mvn, (list(mean_p), cov_p.tolist(), list(mean_q), cov_q.tolist()))


def probability_draws(family: str, regime: str) -> Iterator[tuple[float, float]]:
    rng = _rng(family, "prob", regime)

    def draw():
        kind = rng.integers(3)
        if kind == 0:
            return log_uniform(rng, 1e-300, 0.5)
        if kind == 1:
            return 1.0 - log_uniform(rng, 1e-16, 0.5)
        return float(rng.uniform())

    for _ in range(N_DRAWS):
        a = draw()
        if regime == "near":
            b = perturbed(rng, a)
            b = b if 0 < b < 1 else a
            if a > 0.5 and rng.integers(2):  # perturb 1 - a instead
                b = 1.0 - perturbed(rng, 1.0 - a)
            yield a, b
        elif regime == "edges":
            yield float(rng.choice([0.0, 1.0, a])), float(rng.choice([0.0, 1.0, draw()]))
        else:
            yield a, draw()


PROBABILITY_REGIMES = ("wide", "near", "edges")


def cases_bernoulli() -> Iterator[Case]:
    for regime in PROBABILITY_REGIMES:
        for a, b in probability_draws("bernoulli", regime):
            yield regime, stats.bernoulli(a), stats.bernoulli(b), mp_bernoulli, (a, b)


def cases_binom() -> Iterator[Case]:
    for regime in PROBABILITY_REGIMES:
        rng = _rng("binom", regime)
        for a, b in probability_draws("binom", regime):
            n1 = float(np.round(log_uniform(rng, 1, 1e15)))
            n2 = n1 if rng.integers(4) else (n1 - 1 if n1 > 1 else n1)
            if n1 != n2 and rng.integers(2):
                a = 0.0  # point mass at 0
            yield regime, stats.binom(n1, a), stats.binom(n2, b), mp_binom, (n1, a, n2, b)


def cases_geom() -> Iterator[Case]:
    for regime in PROBABILITY_REGIMES:
        for a, b in probability_draws("geom", regime):
            if a == 0 or b == 0:
                continue  # geom needs p > 0
            yield regime, stats.geom(a), stats.geom(b), mp_geom, (a, b)


def cases_poisson() -> Iterator[Case]:
    for regime in ("wide", "near", "edges", "ratio"):
        rng = _rng("poisson", regime)
        for _ in range(N_DRAWS):
            m1 = log_uniform(rng, 1e-300, 1e300)
            if regime == "wide":
                m2 = log_uniform(rng, 1e-300, 1e300)
            elif regime == "near":
                m2 = perturbed(rng, m1)
            elif regime == "ratio":
                m2 = m1 * rng.choice([1e-20, 1e20]) if m1 < 1e280 else m1 * 1e-20
            else:
                m1, m2 = float(rng.choice([0.0, m1])), float(rng.choice([0.0, log_uniform(rng, 1e-300, 1e300)]))
            yield regime, stats.poisson(m1), stats.poisson(m2), mp_poisson, (m1, m2)


FAMILY_CASES: dict[str, Callable[[], Iterator[Case]]] = {
    "norm": lambda: cases_location_scale("norm"),
    "laplace": lambda: cases_location_scale("laplace"),
    "cauchy": lambda: cases_location_scale("cauchy"),
    "gumbel_r": lambda: (*cases_location_scale("gumbel_r"), *cases_gumbel_large("gumbel_r")),
    "gumbel_l": lambda: (*cases_location_scale("gumbel_l"), *cases_gumbel_large("gumbel_l")),
    "expon": lambda: cases_location_scale("expon"),
    "halfnorm": lambda: cases_location_scale("halfnorm"),
    "uniform": cases_uniform,
    "lognorm": cases_lognorm,
    "rayleigh": cases_rayleigh,
    "pareto": cases_pareto,
    "gamma": lambda: (*cases_loc_shape_scale("gamma", "a", mp_gamma), *cases_gamma_correlated()),
    # df >= 1e-280 keeps df/2 a normal double (exact); a subnormal df/2 would be rounded.
    "chi2": lambda: cases_loc_shape_scale("chi2", "df", mp_chi2, low=1e-280),
    "erlang": lambda: cases_erlang(),
    "weibull_min": lambda: cases_loc_shape_scale("weibull_min", "c", mp_weibull_min, low=1e-3, high=1e3),
    "weibull_max": lambda: cases_loc_shape_scale("weibull_max", "c", mp_weibull_max, low=1e-3, high=1e3),
    "beta": cases_beta,
    "dirichlet": cases_dirichlet,
    "multivariate_normal": cases_mvn,
    "bernoulli": cases_bernoulli,
    "binom": cases_binom,
    "geom": cases_geom,
    "poisson": cases_poisson,
}


SPECIAL_FUNCTION_FAMILIES = {"gamma", "chi2", "erlang", "beta", "dirichlet", "gumbel_r", "gumbel_l",
                              "weibull_min", "weibull_max"}


def exponent_size(family: str, params: tuple) -> float:
    """For the Gumbel and Weibull pairs, |lgamma(1 + r)| + |c| in KL = phi(lgamma(1 + r) - c) + ...

    Their divergence holds exp(Y), Y = lgamma(1 + r) - c, and Y is the difference of two terms
    of this size: a change of one ulp in a parameter changes Y by about this size times 2**-53,
    so the relative condition number of the divergence is about this size. Their bound is
    ``RTOL + 4 * eps * exponent_size`` (it exceeds RTOL only where this size exceeds 100).
    """
    with mpmath.workdps(30):
        if family in ("gumbel_r", "gumbel_l"):
            m1, b1, m2, b2 = _to_mp(params)
            r, c = b1 / b2, (m1 - m2) / b2
        elif family in ("weibull_min", "weibull_max"):
            c1, _, s1, c2, _, s2 = _to_mp(params)
            r, c = c2 / c1, -c2 * mp.log(s1 / s2)
        else:
            return 0.0
        return float(abs(mp.loggamma(1 + r)) + abs(c))


def bound(family: str, params: tuple) -> float:
    return RTOL + 4 * 2.0**-52 * exponent_size(family, params)


def measure(family: str) -> list[tuple[float, str, tuple, float, float]]:
    """(error, bound, regime, params, computed, true) for every draw where the closed form applies."""
    rows = []
    for regime, p, q, formula, params in FAMILY_CASES[family]():
        got = kl(p, q)
        if got is None:
            continue
        flat = _flat(params)  # parameters of p, then the same of q
        if flat[: len(flat) // 2] == flat[len(flat) // 2 :]:
            truth = mpmath.mpf(0)  # p is q
        else:
            truth = reference(formula, *params, span_digits=family not in SPECIAL_FUNCTION_FAMILIES)
        rows.append((error_of(got, truth), bound(family, params), regime, params, float(got), float(truth)))
    return rows


def _explain(rows) -> str:
    bad = sorted((r for r in rows if not r[0] <= r[1]), key=lambda r: -r[0] / r[1])[:5]
    return "\n".join(f"{regime}: error {err:.3g} > {bnd:.3g}, got {got!r}, true {true!r}, params {params}"
                     for err, bnd, regime, params, got, true in bad)


# ---------------------------------------------------------------------------------------------
# The tests


def test_every_registered_pair_is_tested():
    assert {family for family, _ in KL_CLOSED_FORMS} == set(FAMILY_CASES)
    assert all(p == q for p, q in KL_CLOSED_FORMS)


@pytest.mark.parametrize("family", FAMILY_CASES)
def test_closed_form_matches_textbook_formula(family):
    rows = measure(family)
    assert len(rows) >= N_DRAWS, "too few draws where the closed form applies"
    assert all(err <= bnd for err, bnd, *_ in rows), _explain(rows)


# --- the instances named in issue #8 ----------------------------------------------------------


@pytest.mark.parametrize(
    "p, q, formula, params",
    [
        (stats.norm(0, 1e-9), stats.norm(0, 1), mp_norm, (0, 1e-9, 0, 1)),  # was inf, true 20.2233
        (stats.norm(0, 1), stats.norm(1e200, 1), mp_norm, (0, 1, 1e200, 1)),  # was OverflowError
        (stats.norm(0, 1e-200), stats.norm(0, 1e-200), mp_norm, (0, 1e-200, 0, 1e-200)),  # was ZeroDivisionError
        (stats.expon(scale=1e-20), stats.expon(), mp_expon, (0, 1e-20, 0, 1)),
        (stats.laplace(scale=1e-20), stats.laplace(), mp_laplace, (0, 1e-20, 0, 1)),
        (stats.gamma(2.0, scale=1e-20), stats.gamma(2.0), mp_gamma, (2.0, 0, 1e-20, 2.0, 0, 1)),
        (stats.gamma(1e-15), stats.gamma(1.05e-15), mp_gamma, (1e-15, 0, 1, 1.05e-15, 0, 1)),  # was nan
        (stats.dirichlet([1e-20, 1]), stats.dirichlet([1.05e-20, 1]), mp_dirichlet, ([1e-20, 1], [1.05e-20, 1])),
        (stats.dirichlet([1e-20, 1]), stats.dirichlet([1, 1]), mp_dirichlet, ([1e-20, 1], [1, 1])),
        (stats.dirichlet([1, 1]), stats.dirichlet([1e-20, 1]), mp_dirichlet, ([1, 1], [1e-20, 1])),
    ],
)
def test_issue_8_instances(p, q, formula, params):
    got = kl(p, q)
    assert error_of(got, reference(formula, *params)) <= RTOL


@pytest.mark.parametrize(
    "p, q, formula, params",
    [
        # the dominant component's gap moves from 4.5e-28 to 1.1e287: d/x overflowed
        (stats.beta(6.171402895324348e-230, 4.485928806946495e-28), stats.beta(1.4024111857862054e-177, 1.143772001729542e287),
         mp_beta, (6.171402895324348e-230, 4.485928806946495e-28, 1.4024111857862054e-177, 1.143772001729542e287)),
        # a tiny component lost against a dominant one: the gaps at 1.7e-230 and at alpha0 cancel
        (stats.beta(1.6555116976043769e-230, 5.4038782212240576e-68), stats.beta(1.6555116976043769e-230, 5.4038782211623396e-68),
         mp_beta, (1.6555116976043769e-230, 5.4038782212240576e-68, 1.6555116976043769e-230, 5.4038782211623396e-68)),
        (stats.dirichlet([5.933483023427679e77, 8.638236238258522e282]), stats.dirichlet([4.0632685507522267e-101, 9.232850588870038e-62]),
         mp_dirichlet, ([5.933483023427679e77, 8.638236238258522e282], [4.0632685507522267e-101, 9.232850588870038e-62])),
    ],
)
def test_extreme_shape_regressions(p, q, formula, params):
    assert error_of(kl(p, q), reference(formula, *params, span_digits=False)) <= RTOL


def test_issue_8_gamma_tiny_shapes_value():
    assert float(kl(stats.gamma(1e-15), stats.gamma(1.05e-15))) == pytest.approx(1.2098e-3, rel=1e-4)
    assert float(kl(stats.norm(0, 1e-9), stats.norm(0, 1))) == pytest.approx(20.2233, rel=1e-5)
    assert float(kl(stats.norm(0, 1e-200), stats.norm(0, 1e-200))) == 0.0


def test_issue_8_dirichlet_near_equality():
    alpha = np.array([1e5, 2e5, 3e5])
    beta = alpha * (1 + 1e-12)
    got = kl(stats.dirichlet(alpha), stats.dirichlet(beta))
    truth = reference(mp_dirichlet, list(alpha), list(beta))
    assert float(truth) == pytest.approx(5.02e-25, rel=1e-2)
    assert error_of(got, truth) <= RTOL


def test_issue_8_multivariate_normal_near_equality():
    for cov in ([[2.0, 0.3], [0.3, 1.0]], [[1.0, 0.0], [0.0, 1.0]], [[4.0, 1.9], [1.9, 1.0]]):
        cov = np.array(cov)
        for k, perturbation in enumerate(([[1, 0], [0, 0]], [[0, 1], [1, 0]], [[1, 1], [1, 1]], [[1, 0], [0, -1]])):
            cov_q = cov + 1e-9 * np.array(perturbation)
            got = kl(stats.multivariate_normal([0, 0], cov), stats.multivariate_normal([0, 0], cov_q))
            truth = reference(mp_mvn, [0, 0], cov.tolist(), [0, 0], cov_q.tolist())
            assert error_of(got, truth) <= RTOL, (cov, perturbation, float(got), float(truth))


# --- conventions at the edges of the parameter domains -----------------------------------------


@pytest.mark.parametrize(
    "p, q, expected",
    [
        (stats.bernoulli(0.0), stats.bernoulli(0.0), 0.0),
        (stats.bernoulli(1.0), stats.bernoulli(1.0), 0.0),
        (stats.bernoulli(0.3), stats.bernoulli(0.0), math.inf),
        (stats.bernoulli(0.3), stats.bernoulli(1.0), math.inf),
        (stats.bernoulli(0.0), stats.bernoulli(1.0), math.inf),
        (stats.bernoulli(1.0), stats.bernoulli(0.5), math.log(2)),
        (stats.binom(0, 0.5), stats.binom(0, 0.0), 0.0),
        (stats.binom(5, 1.0), stats.binom(5, 1.0), 0.0),
        (stats.binom(5, 0.5), stats.binom(5, 1.0), math.inf),
        (stats.binom(6, 0.5), stats.binom(5, 0.5), math.inf),
        (stats.geom(1.0), stats.geom(1.0), 0.0),
        (stats.geom(0.5), stats.geom(1.0), math.inf),
        (stats.geom(1.0), stats.geom(0.5), math.log(2)),
        (stats.poisson(0.0), stats.poisson(0.0), 0.0),
        (stats.poisson(1.0), stats.poisson(0.0), math.inf),
        (stats.poisson(0.0), stats.poisson(2.5), 2.5),
        (stats.uniform(0, 2), stats.uniform(0, 1), math.inf),
        (stats.uniform(0, 1), stats.uniform(0, 1), 0.0),
        (stats.expon(-1), stats.expon(0), math.inf),
        (stats.gamma(2, loc=-1), stats.gamma(2), math.inf),
        (stats.beta(2, 3, loc=-0.5), stats.beta(2, 3), math.inf),
        (stats.lognorm(1, loc=-1), stats.lognorm(1), math.inf),
        (stats.halfnorm(-1), stats.halfnorm(0), math.inf),
        (stats.rayleigh(-1), stats.rayleigh(0), math.inf),
        (stats.pareto(2, scale=1), stats.pareto(2, scale=2), math.inf),
        (stats.weibull_min(2, loc=-1), stats.weibull_min(2), math.inf),
        (stats.weibull_max(2, loc=1), stats.weibull_max(2), math.inf),
    ],
)
def test_edge_conventions_exactly(p, q, expected):
    assert float(kl(p, q)) == expected


def test_uniform_containment_is_decided_exactly():
    # [0, 0.1 + 0.2] against [0, 0.30000000000000004]: 0.1 + 0.2 rounds up to the right end,
    # but the exact right end 0.1 + 0.2 (real sum of the floats) is smaller.
    a1, w1 = 0.1, 0.2
    got = kl(stats.uniform(a1, w1), stats.uniform(0.0, 0.30000000000000004))
    assert 0 < float(got) < math.inf
    assert error_of(got, reference(mp_uniform, a1, w1, 0.0, 0.30000000000000004)) <= RTOL
    # 1 + 3e-16 and 0 + (1 + 2**-52) round to the same double, but p's right end is beyond q's.
    assert 1.0 + 3e-16 == 0.0 + (1.0 + 2**-52)
    assert float(kl(stats.uniform(1.0, 3e-16), stats.uniform(0.0, 1.0 + 2**-52))) == math.inf
    assert 0 < float(kl(stats.uniform(1.0, 2e-16), stats.uniform(0.0, 1.0 + 2**-52))) < math.inf
    assert float(kl(stats.uniform(1.0, 1.0), stats.uniform(0.0, 2.0))) == math.log(2)


@pytest.mark.parametrize(
    "p, q",
    [
        (stats.gamma(2, loc=1), stats.gamma(2)),  # p starts inside q's support: no closed form
        (stats.beta(2, 3, loc=0.1, scale=0.5), stats.beta(2, 3)),
        (stats.binom(4, 0.3), stats.binom(5, 0.3)),
        (stats.bernoulli(0.3, loc=1), stats.bernoulli(0.3)),
        (stats.poisson(2, loc=1), stats.poisson(2)),
        (stats.geom(0.2, loc=-1), stats.geom(0.2)),
        (stats.lognorm(1, loc=1), stats.lognorm(1)),
        (stats.rayleigh(1), stats.rayleigh(0)),
        (stats.pareto(2, loc=1, scale=2), stats.pareto(2, scale=1)),
        (stats.weibull_min(2, loc=1), stats.weibull_min(2)),
        (stats.norm(0, 1), stats.laplace(0, 1)),  # no pair registered
        (stats.t(3), stats.t(4)),
    ],
)
def test_none_where_no_closed_form_applies(p, q):
    assert kl(p, q) is None


def test_none_when_one_member_of_a_batch_is_not_covered():
    p = stats.gamma(2.0, loc=np.array([0.0, 1.0, 0.0]))
    assert kl(p, stats.gamma(2.0)) is None
    assert kl(stats.gamma(2.0, loc=np.array([0.0, -1.0])), stats.gamma(2.0)).tolist() == [0.0, math.inf]


def test_dimension_and_batch_shape_mismatches_raise():
    with pytest.raises(ValueError, match="dimension"):
        kl(stats.multivariate_normal([0, 0], np.eye(2)), stats.multivariate_normal([0, 0, 0], np.eye(3)))
    with pytest.raises(ValueError, match="dimension"):
        kl(stats.dirichlet([1, 2]), stats.dirichlet([1, 2, 3]))
    with pytest.raises(ValueError, match="broadcast"):
        kl(stats.norm(np.zeros(3)), stats.norm(np.zeros(4)))


def test_registration_decorator_fills_the_table():
    @register_kl("kltools_test_family", "kltools_test_family")
    def constant(p, q):
        return np.asarray(0.25)

    try:
        assert KL_CLOSED_FORMS[("kltools_test_family", "kltools_test_family")] is constant
    finally:
        del KL_CLOSED_FORMS[("kltools_test_family", "kltools_test_family")]


# --- batches --------------------------------------------------------------------------------

BATCHABLE = {
    "norm": ("loc", "scale"), "laplace": ("loc", "scale"), "cauchy": ("loc", "scale"),
    "gumbel_r": ("loc", "scale"), "gumbel_l": ("loc", "scale"), "expon": ("loc", "scale"),
    "halfnorm": ("loc", "scale"), "uniform": ("loc", "scale"), "lognorm": ("s", "loc", "scale"),
    "rayleigh": ("loc", "scale"), "pareto": ("b", "loc", "scale"), "gamma": ("a", "loc", "scale"),
    "chi2": ("df", "loc", "scale"), "erlang": ("a", "loc", "scale"), "weibull_min": ("c", "loc", "scale"),
    "weibull_max": ("c", "loc", "scale"), "beta": ("a", "b"), "bernoulli": ("p",), "binom": ("n", "p"),
    "geom": ("p",), "poisson": ("mu",),
}


def _kwargs(dist):
    shapes, loc, scale = dist.dist._parse_args(*dist.args, **dist.kwds)
    names = [s.strip() for s in dist.dist.shapes.split(",")] if dist.dist.shapes else []
    values = dict(zip(names, shapes)) | {"loc": loc}
    if isinstance(dist.dist, stats.rv_continuous):
        values["scale"] = scale
    return values


@pytest.mark.parametrize("family", BATCHABLE)
def test_batch_equals_loop_exactly(family):
    singles, ps, qs = [], [], []
    for _, p, q, _, _ in FAMILY_CASES[family]():
        value = kl(p, q)
        if value is not None:
            singles.append(float(value))
            ps.append(_kwargs(p))
            qs.append(_kwargs(q))
    dist = getattr(stats, family)
    p = dist(**{k: np.array([d[k] for d in ps], dtype=float) for k in ps[0]})
    q = dist(**{k: np.array([d[k] for d in qs], dtype=float) for k in qs[0]})
    batch = kl(p, q)
    assert batch.shape == (len(singles),)
    assert batch.tolist() == singles
    # broadcasting: p as a column against q as a row
    col = dist(**{k: np.array([d[k] for d in ps[:7]], dtype=float)[:, None] for k in ps[0]})
    row = dist(**{k: np.array([d[k] for d in qs[:5]], dtype=float) for k in qs[0]})
    grid = kl(col, row)
    if grid is not None:
        assert grid.shape == (7, 5)
        for i in range(7):
            for j in range(5):
                pij = dist(**{k: ps[i][k] for k in ps[0]})
                qij = dist(**{k: qs[j][k] for k in qs[0]})
                assert float(kl(pij, qij)) == grid[i, j]


def _extreme_parameters(rng, family: str, n: int) -> dict[str, np.ndarray]:
    """Each parameter of `family` drawn independently over its whole float64 range."""
    def positive():
        return log_uniform(rng, 1e-300, 1e300, n)

    def signed():
        return rng.choice([-1.0, 1.0], n) * positive() * rng.integers(0, 2, n)

    def probability():
        return rng.uniform(size=n) ** rng.uniform(0, 300, n) * rng.integers(0, 2, n) + rng.integers(0, 2, n) * 0.5

    params = {"loc": signed()} if family not in ("bernoulli", "binom", "geom", "poisson") else {}
    if family not in ("bernoulli", "binom", "geom", "poisson"):
        params["scale"] = positive()
    extra = {"lognorm": {"s": positive()}, "pareto": {"b": positive()}, "gamma": {"a": positive()},
             "chi2": {"df": positive()}, "weibull_min": {"c": positive()}, "weibull_max": {"c": positive()},
             "beta": {"a": positive(), "b": positive()}, "bernoulli": {"p": np.clip(probability(), 0, 1)},
             "geom": {"p": log_uniform(rng, 1e-300, 1, n)}, "poisson": {"mu": positive() * rng.integers(0, 2, n)},
             "binom": {"n": np.round(log_uniform(rng, 1, 1e300, n)), "p": np.clip(probability(), 0, 1)}}
    params |= extra.get(family, {})
    if family in ("gamma", "chi2", "lognorm", "rayleigh", "weibull_min", "weibull_max", "beta", "pareto"):
        params["loc"] = np.zeros(n)  # same loc: the closed form applies to every member
    if family == "beta":
        params["scale"] = np.ones(n)  # same support
    return params


@pytest.mark.parametrize("family", [f for f in BATCHABLE if f != "erlang"])
def test_extreme_batches_are_never_nan_or_negative(family):
    """Every parameter anywhere in its float64 range, 2000 pairs: values >= 0 or inf, no warning."""
    rng = _rng(family, "extreme")
    dist = getattr(stats, family)
    p = dist(**_extreme_parameters(rng, family, 2000))
    q = dist(**_extreme_parameters(rng, family, 2000))
    if family == "binom":
        q = dist(n=p.kwds["n"], p=q.kwds["p"])
    value = kl(p, q)
    assert value is not None and value.shape == (2000,)
    assert not np.any(np.isnan(value)) and np.all(value >= 0)


def test_extreme_halfnorm_shift_with_tiny_scale_ratio_is_inf():
    # (l1 - l2)/s2 overflows while s1/s2 underflows: the cross term must not become inf * 0
    got = kl(stats.halfnorm(1e300, 1e-320), stats.halfnorm(-1e300, 1e-10))
    assert float(got) == math.inf


def test_thousand_normals_are_vectorized_and_fast():
    rng = np.random.default_rng(SEED)
    p, q = describe(stats.norm(np.zeros(1000), rng.uniform(0.5, 2, 1000)), "p"), describe(stats.norm(rng.normal(size=1000), 1.0), "q")
    closed_form_kl(p, q)
    best = min(_timed(lambda: closed_form_kl(p, q)) for _ in range(20))
    assert best < 2e-3, f"{best * 1e3:.2f} ms for 1000 pairs of normals"


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# --- derivations of the added families, checked by quadrature -----------------------------------


def mp_integrated(logpdf_p, logpdf_q, low, middle, high):
    def integrand(x):
        lp = logpdf_p(x)
        return mp.exp(lp) * (lp - logpdf_q(x))

    return mp.quad(integrand, [low, middle, high])


@pytest.mark.parametrize(
    "family, params_p, params_q",
    [
        ("halfnorm", (0.7, 1.3), (0.2, 0.9)),
        ("halfnorm", (0.0, 1.3), (0.0, 2.0)),
        ("rayleigh", (0.5, 1.3), (0.5, 0.8)),
        ("pareto", (2.5, 0.5, 1.5), (1.2, 0.5, 1.0)),
        ("weibull_min", (1.7, 0.2, 1.3), (2.9, 0.2, 0.6)),
        ("weibull_max", (1.7, 0.2, 1.3), (0.9, 0.2, 0.6)),
        ("gumbel_r", (0.3, 1.3), (-0.4, 0.7)),
        ("gumbel_l", (0.3, 1.3), (-0.4, 0.7)),
        ("cauchy", (0.3, 1.3), (-0.4, 0.7)),
        ("lognorm", (0.6, 0.1, 1.5), (0.9, 0.1, 0.8)),
    ],
)
def test_derived_formulas_against_quadrature(family, params_p, params_q):
    """The oracles of the added families, against the integral of p log(p/q) (30 digits)."""
    dist = getattr(stats, family)
    p, q = dist(*params_p), dist(*params_q)
    low, high = p.support()
    if family.startswith("gumbel"):
        # mpmath's tanh-sinh nodes reach x = -1e300, where exp(-x) costs a 1e300-bit exponent;
        # cut the tails where p has 1e-30 of its mass (the rest adds less than 1e-25 here).
        low, high = p.ppf(1e-30), p.isf(1e-30)
    logpdf = {
        "halfnorm": lambda l, s: lambda x: mp.log(mp.sqrt(2 / mp.pi) / s) - ((x - l) / s) ** 2 / 2,
        "rayleigh": lambda l, s: lambda x: mp.log((x - l) / s**2) - ((x - l) / s) ** 2 / 2,
        "pareto": lambda b, l, s: lambda x: mp.log(b / s) - (b + 1) * mp.log((x - l) / s),
        "weibull_min": lambda c, l, s: lambda x: mp.log(c / s) + (c - 1) * mp.log((x - l) / s) - ((x - l) / s) ** c,
        "weibull_max": lambda c, l, s: lambda x: mp.log(c / s) + (c - 1) * mp.log((l - x) / s) - ((l - x) / s) ** c,
        "gumbel_r": lambda m, s: lambda x: -mp.log(s) - (x - m) / s - mp.exp(-(x - m) / s),
        "gumbel_l": lambda m, s: lambda x: -mp.log(s) + (x - m) / s - mp.exp((x - m) / s),
        "cauchy": lambda m, s: lambda x: -mp.log(mp.pi * s * (1 + ((x - m) / s) ** 2)),
        "lognorm": lambda sh, l, s: lambda x: (-mp.log(sh * (x - l) * mp.sqrt(2 * mp.pi))
                                               - (mp.log((x - l) / s) / sh) ** 2 / 2),
    }[family]
    with mpmath.workdps(30):
        ends = [mp.mpf(float(x)) if math.isfinite(x) else mp.mpf(x) for x in (low, p.median(), high)]
        integral = mp_integrated(logpdf(*map(mp.mpf, params_p)), logpdf(*map(mp.mpf, params_q)), *ends)
        formula = FORMULAS[family](*_oracle_args(family, params_p, params_q))
        assert abs(integral - formula) <= 1e-20 * abs(formula)
    assert error_of(kl(p, q), formula) <= RTOL


FORMULAS = {
    "halfnorm": mp_halfnorm, "rayleigh": mp_rayleigh, "pareto": mp_pareto, "weibull_min": mp_weibull_min,
    "weibull_max": mp_weibull_max, "gumbel_r": mp_gumbel_r, "gumbel_l": mp_gumbel_l, "cauchy": mp_cauchy,
    "lognorm": mp_lognorm,
}


def _oracle_args(family, params_p, params_q):
    return _to_mp(params_p + params_q)


# ---------------------------------------------------------------------------------------------


def main() -> None:
    """Print, per pair and regime, the relative error nearest its bound, the bound, and where."""
    print(f"{'pair':<21}{'regime':<12}{'draws':>6}{'worst error':>13}{'bound':>10}   parameters (p..., q...)")
    for family in FAMILY_CASES:
        rows = measure(family)
        for regime in dict.fromkeys(r[2] for r in rows):
            selected = [r for r in rows if r[2] == regime]
            err, worst_bound, _, params, got, true = max(selected, key=lambda r: r[0] / r[1])
            shown = ", ".join(f"{x:.3g}" if isinstance(x, float) else "[...]" for x in params)
            print(f"{family:<21}{regime:<12}{len(selected):>6}{err:>13.2e}{worst_bound:>10.0e}   ({shown})")


if __name__ == "__main__":
    main()
