"""Measured accuracy of every kltools route against mpmath, printed as a Markdown table.

Run with `make accuracy` (or `.venv/bin/python benchmarks/accuracy.py`). Issue #8.

Every route of the public API is swept over seeded parameters (each route has its own seed,
derived from its name, so adding a route changes no other row) and each result is compared with
an oracle written here, evaluated in mpmath on the exact float inputs:

- closed forms derived here (never kltools' own), evaluated at 50 significant digits and again
  with 25 more, until two precisions agree to 30 digits (so that nearly equal parameters, where
  the formulas cancel, still get a truth good to far below double precision);
- mpmath.quad of integrands written here (50 digits, quadrature error estimate checked);
- discrete sums in mpmath over log-pmfs written here (loggamma), from the mode outwards until
  the terms fall below 1e-83; where the standard deviation exceeds 30 points and the ends of the
  support hold no mass, the sum is replaced by the integral of the same smooth summand (their
  difference is the aliasing term of the Poisson summation formula, about exp(-2 pi^2 sd^2));
  a self-check compares the two on one case per run.

Relative error is |value - truth| / |truth| (the absolute error where the truth is 0). A truth
beyond the float64 range counts as correctly answered by an infinity of the same sign. Counted
apart from the errors: calls that raise (allowed: the library refuses rather than returns a wrong
number), calls over CALL_TIMEOUT seconds, and defects: NaN, inf where the truth is finite,
a finite value where the truth is infinite, and warnings emitted during the call.

The routes run in two worker processes (the machine this is measured on has two cores).
The table goes to stdout and to _build/accuracy.md, followed by the worst input of every row and
an example of every kind of error and defect, each as a line of Python that reproduces it. The
dated table with its summary (which routes fall short of their promise, read from the table) is
also written to book/_generated/accuracy.md, which the kltools page includes: commit it after a
run, so that the page says what was measured and when.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np
from scipy import stats

import kltools

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import cpu_model  # noqa: E402 - the benchmarks share one description of the machine

#: Significant digits of every oracle (closed forms go higher until they settle, see `settled`).
DPS = 50
#: A call to kltools slower than this is stopped and counted as a timeout.
CALL_TIMEOUT = 8.0
#: After this many timeouts, or this many seconds, a route stops; the cases it did not run are
#: reported in the table.
MAX_TIMEOUTS = 2
ROUTE_BUDGET = 20.0
#: Examples kept per kind of error or defect (all are counted).
EXAMPLES = 5
#: An oracle slower than this (seconds) is a bug of this script, reported as such.
ORACLE_TIMEOUT = 60.0
#: Coverage runs: seeds per pair, samples per estimate. With 1000 seeds the binomial standard
#: deviation of a 95% coverage is 0.7 points, so a row outside 95 +- 1.4 points says something.
SEEDS = 1000
MC_SAMPLES = 10_000

FLOAT_MAX = sys.float_info.max
ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = {"kltools": kltools, "stats": stats, "np": np}


# -------------------------------------------------------------------------------------------
# Cases and routes


@dataclass
class Case:
    """One call of kltools and its exact value."""

    call: str  # a Python expression in kltools, stats, np and the names in `data`
    truth: Callable[[], Any]  # an mpf (or a list of mpf), mp.inf where the truth is infinite
    swept: dict[str, Any]  # quantities whose ranges the table reports (numbers or lists)
    data: dict[str, Any] | None = None  # arrays the expression refers to
    repro: str | None = None  # how to rebuild `data`, when the arrays are too long to print


@dataclass
class Route:
    name: str
    build: Callable[[np.random.Generator], list[Case]]
    cost: float = 1.0  # rough seconds, to start the slowest routes first
    kind: str = "exact"  # or "coverage"
    #: the relative error kltools promises on this route; worse is counted as a defect
    promise: float = 1e-10
    #: ... or this absolute error, whichever is larger
    absolute: float = 0.0


def M(x: Any) -> mp.mpf:
    """The exact value of a float (float32 included) as an mpf; an mpf is kept as it is."""
    return x if isinstance(x, mp.mpf) else mp.mpf(float(x))


def settled(f: Callable[[], Any]) -> Callable[[], Any]:
    """Evaluate f at 50 digits, then 25 more at a time, until two precisions agree to 1e-30."""

    def agree(a: Any, b: Any) -> bool:
        a_list, b_list = (a, b) if isinstance(a, list) else ([a], [b])
        for x, y in zip(a_list, b_list):
            if mp.isinf(x) or mp.isinf(y):
                if x != y:
                    return False
            elif abs(x - y) > mp.mpf("1e-30") * abs(y):
                return False
        return True

    def evaluate() -> Any:
        dps = DPS
        with mp.workdps(dps):
            previous = f()
        while True:
            dps += 25
            with mp.workdps(dps):
                current = f()
            if agree(previous, current) or dps >= 500:
                return current
            previous = current

    return evaluate


def logu(rng: np.random.Generator, low: float, high: float) -> float:
    """Log-uniform draw between low and high."""
    return float(10.0 ** rng.uniform(math.log10(low), math.log10(high)))


def spread(rng: np.random.Generator, base: float, low: float, high: float, kind: str) -> tuple[float, float]:
    """A second parameter for `base`: far ("wide": ratio 1e-20..1e20) or nearly equal ("near":
    relative perturbation 1e-15..1e-3), kept inside [low, high]. Returns it and the epsilon."""
    for _ in range(100):
        if kind == "wide":
            other = base * 10.0 ** rng.uniform(-20, 20)
            eps = math.nan
        else:
            eps = logu(rng, 1e-15, 1e-3)
            other = base * (1.0 + eps * rng.choice([-1.0, 1.0]))
        if low <= other <= high:
            return float(other), eps
    return base, math.nan


def grid_vector(weights: np.ndarray, bits: int = 53, positive: bool = False) -> np.ndarray:
    """Weights rounded to multiples of 2**-bits whose exact sum is 1 (so the divergences are
    exactly those of normalized distributions). Entries below 2**-bits become 0 unless
    `positive`, then they become 2**-bits."""
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    units = 1 << bits
    k = np.floor(w * units).astype(np.int64)
    if positive:
        k = np.maximum(k, 1)
    k[np.argmax(k)] += units - int(k.sum())
    return k.astype(np.float64) / units


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


# -------------------------------------------------------------------------------------------
# Oracles: closed forms derived here, in mpmath


def kl_normal(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(M, (m1, s1, m2, s2))
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2


def kl_laplace(m1, b1, m2, b2):
    m1, b1, m2, b2 = map(M, (m1, b1, m2, b2))
    d = abs(m1 - m2)
    return mp.log(b2 / b1) + d / b2 + (b1 / b2) * mp.exp(-d / b1) - 1


def kl_cauchy(x1, g1, x2, g2):
    x1, g1, x2, g2 = map(M, (x1, g1, x2, g2))
    return mp.log(((g1 + g2) ** 2 + (x1 - x2) ** 2) / (4 * g1 * g2))


def kl_gumbel(m1, b1, m2, b2, mirror=False):
    """gumbel_r: with d = (m1 - m2) / b2 and r = b1 / b2 (E[e^{-t z}] = Gamma(1 + t)),
    KL = -log r - euler - 1 + d + r euler + e^{-d} Gamma(1 + r); gumbel_l is its mirror image."""
    m1, b1, m2, b2 = map(M, (m1, b1, m2, b2))
    d = (m2 - m1) / b2 if mirror else (m1 - m2) / b2
    r = b1 / b2
    return -mp.log(r) - mp.euler - 1 + d + r * mp.euler + mp.exp(mp.loggamma(1 + r) - d)


def kl_rayleigh(s1, s2):
    s1, s2 = M(s1), M(s2)
    return 2 * mp.log(s2 / s1) + s1**2 / s2**2 - 1


def kl_pareto(b1, s1, b2, s2):
    """Supports [s, inf): infinite unless s1 >= s2; E_p[log x] = log s1 + 1 / b1."""
    b1, s1, b2, s2 = map(M, (b1, s1, b2, s2))
    if s1 < s2:
        return mp.inf
    return mp.log(b1 / b2) + b2 / b1 - 1 + b2 * mp.log(s1 / s2)


def kl_weibull(c1, l1, c2, l2):
    """E_p[log x] = log l1 - euler / c1 and E_p[(x / l2)^c2] = (l1 / l2)^c2 Gamma(1 + c2 / c1)."""
    c1, l1, c2, l2 = map(M, (c1, l1, c2, l2))
    return (mp.log(c1 / c2) - c1 * mp.log(l1) + c2 * mp.log(l2) + (c1 - c2) * (mp.log(l1) - mp.euler / c1)
            + mp.exp(c2 * mp.log(l1 / l2) + mp.loggamma(c2 / c1 + 1)) - 1)


def kl_uniform(a1, w1, a2, w2):
    a1, w1, a2, w2 = map(M, (a1, w1, a2, w2))
    if a1 < a2 or mp.fadd(a1, w1, exact=True) > mp.fadd(a2, w2, exact=True):
        return mp.inf
    return mp.log(w2 / w1)


def kl_expon(l1, s1, l2, s2):
    l1, s1, l2, s2 = map(M, (l1, s1, l2, s2))
    if l1 < l2:
        return mp.inf
    return mp.log(s2 / s1) + s1 / s2 - 1 + mp.fsub(l1, l2, exact=True) / s2


def kl_gamma(a1, s1, a2, s2):
    a1, s1, a2, s2 = map(M, (a1, s1, a2, s2))
    return ((a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2)
            + a2 * (mp.log(s2) - mp.log(s1)) + a1 * (s1 - s2) / s2)


def log_beta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def kl_beta(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(M, (a1, b1, a2, b2))
    return (log_beta(a2, b2) - log_beta(a1, b1) + (a1 - a2) * mp.digamma(a1)
            + (b1 - b2) * mp.digamma(b1) + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def kl_bernoulli(a, b):
    a, b = M(a), M(b)
    total = mp.mpf(0)
    if a > 0:
        if b == 0:
            return mp.inf
        total += a * mp.log(a / b)
    if a < 1:
        if b == 1:
            return mp.inf
        # log1p: 1 - a rounds to 1 at any working precision when a is 1e-300.
        total += (1 - a) * (mp.log1p(-a) - mp.log1p(-b))
    return total


def kl_poisson(mu1, mu2):
    mu1, mu2 = M(mu1), M(mu2)
    if mu1 == 0:
        return mu2
    if mu2 == 0:
        return mp.inf
    return mu1 * mp.log(mu1 / mu2) + mu2 - mu1


def kl_mvn(m1, c1, m2, c2):
    d = len(m1)
    s1 = mp.matrix([[M(x) for x in row] for row in c1])
    s2 = mp.matrix([[M(x) for x in row] for row in c2])
    dm = mp.matrix([M(a) - M(b) for a, b in zip(m2, m1)])
    s2_inv = mp.inverse(s2)
    product = s2_inv * s1
    trace = mp.fsum(product[i, i] for i in range(d))
    quadratic = (dm.T * s2_inv * dm)[0, 0]
    return (trace + quadratic - d + mp.log(mp.det(s2)) - mp.log(mp.det(s1))) / 2


def kl_dirichlet(alpha, beta):
    a, b = [M(x) for x in alpha], [M(x) for x in beta]
    a0, b0 = mp.fsum(a), mp.fsum(b)
    return (mp.loggamma(a0) - mp.fsum(mp.loggamma(x) for x in a) - mp.loggamma(b0)
            + mp.fsum(mp.loggamma(x) for x in b)
            + mp.fsum((x - y) * (mp.digamma(x) - mp.digamma(a0)) for x, y in zip(a, b)))


def entropy_t(df, scale):
    nu, scale = M(df), M(scale)
    half = mp.mpf(1) / 2
    log_sqrt_nu_beta = half * mp.log(nu) + mp.loggamma(nu / 2) + mp.loggamma(half) - mp.loggamma((nu + 1) / 2)
    return (nu + 1) / 2 * (mp.digamma((nu + 1) / 2) - mp.digamma(nu / 2)) + log_sqrt_nu_beta + mp.log(scale)


def kl_t_normal(df, mt, st, mq, sq):
    """KL(t(df, mt, st) || N(mq, sq)) = -h(t) + E_t[-log N]; infinite for df <= 2."""
    nu = M(df)
    if nu <= 2:
        return mp.inf
    mt, st, mq, sq = map(M, (mt, st, mq, sq))
    second_moment = st**2 * nu / (nu - 2) + (mt - mq) ** 2
    return -entropy_t(df, st) + mp.log(2 * mp.pi * sq**2) / 2 + second_moment / (2 * sq**2)


def entropy_gamma(a, scale):
    a, scale = M(a), M(scale)
    return a + mp.log(scale) + mp.loggamma(a) + (1 - a) * mp.digamma(a)


def kl_gamma_expon(a, theta, lam):
    """KL(Gamma(a, scale theta) || Exp(scale lam)) = -h(Gamma) + log lam + E[x] / lam."""
    a_, theta_, lam_ = M(a), M(theta), M(lam)
    return -entropy_gamma(a, theta) + mp.log(lam_) + a_ * theta_ / lam_


def kl_expon_gamma(theta, a, lam):
    """KL(Exp(scale theta) || Gamma(a, scale lam)), with E[log x] = log theta - euler."""
    theta, a, lam = M(theta), M(a), M(lam)
    e_log_x = mp.log(theta) - mp.euler
    return (-(1 + mp.log(theta)) + mp.loggamma(a) + a * mp.log(lam) - (a - 1) * e_log_x
            + theta / lam)


def kl_levy(c1, c2):
    r = M(c2) / M(c1)
    return (r - 1 - mp.log(r)) / 2


def kl_lognorm_normal(s, scale, m, sd):
    """KL(lognorm(s, scale=e^mu) || N(m, sd)) = -h(LN) + E[-log N(X)]."""
    s, mu, m, sd = M(s), mp.log(M(scale)), M(m), M(sd)
    entropy = mu + mp.mpf(1) / 2 + mp.log(s * mp.sqrt(2 * mp.pi))
    mean, second = mp.exp(mu + s**2 / 2), mp.exp(2 * mu + 2 * s**2)
    return -entropy + mp.log(2 * mp.pi * sd**2) / 2 + (second - 2 * m * mean + m**2) / (2 * sd**2)


def entropy_bernoulli(a):
    a = M(a)
    h = mp.mpf(0)
    if a > 0:
        h -= a * mp.log(a)
    if a < 1:
        h -= (1 - a) * mp.log1p(-a)
    return h


# -------------------------------------------------------------------------------------------
# Oracles: mpmath quadrature of integrands written here


def quad_checked(f: Callable, points: list) -> mp.mpf:
    """mpmath.quad, refused unless its error estimate is 15 digits short of the precision."""
    value, error = mp.quad(f, points, error=True, maxdegree=10)
    if error > mp.mpf(10) ** (15 - mp.mp.dps) * max(abs(value), 1):
        raise ArithmeticError(f"oracle quadrature error {mp.nstr(error, 3)} on {mp.nstr(value, 10)}")
    return value


def kl_normal_t(m, s, df, mt, st):
    """KL(N(m, s) || t(df, mt, st)) = -h(N) - E_N[log f_t], the expectation by quadrature."""
    with mp.workdps(DPS + 15):
        m, s, nu, mt, st = map(M, (m, s, df, mt, st))
        a, b = (m - mt) / st, s / st  # (x - mt) / st = a + b z with z standard normal
        def integrand(z):
            return mp.npdf(z) * mp.log1p((a + b * z) ** 2 / nu)
        pole = -a / b
        points = sorted({-mp.inf, -12, -4, 0, 4, 12, mp.inf} | ({pole} if abs(pole) < 12 else set()))
        expectation = quad_checked(integrand, points)
        half = mp.mpf(1) / 2
        log_norm_t = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - half * mp.log(nu * mp.pi)
        return (-half * mp.log(2 * mp.pi * mp.e) - mp.log(b) - log_norm_t
                + (nu + 1) / 2 * expectation)


def entropy_skewnorm(a, scale):
    """h = log scale - int 2 phi(z) Phi(a z) log(2 phi(z) Phi(a z)) dz, by quadrature."""
    with mp.workdps(DPS + 15):
        a, scale = M(a), M(scale)
        def integrand(z):
            cdf = mp.erfc(-a * z / mp.sqrt(2)) / 2
            density = 2 * mp.npdf(z) * cdf
            if density == 0:
                return mp.mpf(0)
            return density * (mp.log(2) + mp.log(mp.npdf(z)) + mp.log(cdf))
        knots = {-mp.inf, -10, -3, 0, 3, 10, mp.inf}
        if a != 0:
            knots |= {c / abs(a) for c in (-6, -1, 1, 6) if abs(c / a) < 10}
        return mp.log(scale) - quad_checked(integrand, sorted(knots))


# -------------------------------------------------------------------------------------------
# Oracles: discrete sums in mpmath (log-pmfs written here, through loggamma)


def lp_poisson(mu, loc=0.0):
    mu, loc = M(mu), M(loc)
    log_mu = mp.log(mu)
    return lambda k: (k - loc) * log_mu - mu - mp.loggamma(k - loc + 1)


def lp_binom(n, a):
    n, a = M(n), M(a)
    const, la, lb = mp.loggamma(n + 1), mp.log(a), mp.log1p(-a)
    return lambda k: const - mp.loggamma(k + 1) - mp.loggamma(n - k + 1) + k * la + (n - k) * lb


def lp_nbinom(r, a):
    r, a = M(r), M(a)
    const, lb = r * mp.log(a) - mp.loggamma(r), mp.log1p(-a)
    return lambda k: const + mp.loggamma(k + r) - mp.loggamma(k + 1) + k * lb


def discrete_expectation(log_p, g, low, high, center, sd) -> mp.mpf:
    """sum_k exp(log_p(k)) g(k) over integers low <= k <= high (high may be mp.inf).

    Direct sum from the mode outwards until the terms are below exp(-190) of the largest;
    for sd > 30 with no mass at the ends, the integral of the same smooth summand instead."""
    center = min(max(mp.floor(center), low), high)
    peak = log_p(center)
    width = 45 * sd
    if sd > 30 and center - width > low and center + width < high:
        def f(x):
            lp = log_p(x)
            return mp.exp(lp) * g(x, lp)
        points = [center + width * mp.mpf(i) / 12 for i in range(-12, 13)]
        return quad_checked(f, points)
    total = mp.mpf(0)
    for direction in (-1, 1):
        k = center if direction == 1 else center - 1
        while low <= k <= high:
            lp = log_p(k)
            if lp > peak:
                peak = lp
            total += mp.exp(lp) * g(k, lp)
            if lp < peak - 190 and (k - center) * direction > 3 * sd + 2:
                break
            k += direction
    return total


def entropy_poisson(mu):
    mu_ = M(mu)
    if mu_ == 0:
        return mp.mpf(0)
    with mp.workdps(70):
        lp = lp_poisson(mu)
        return discrete_expectation(lp, lambda k, l: -l, 0, mp.inf, mu_, mp.sqrt(mu_))


def entropy_binom(n, a):
    n_, a_ = M(n), M(a)
    if a_ in (0, 1):
        return mp.mpf(0)
    with mp.workdps(70):
        lp = lp_binom(n, a)
        return discrete_expectation(lp, lambda k, l: -l, 0, n_, n_ * a_, mp.sqrt(n_ * a_ * (1 - a_)))


def kl_discrete(lp, lq, low, high, center, sd, q_low=-mp.inf, q_high=mp.inf):
    """sum p (log p - log q) over p's support; inf if p has mass where q has none."""
    if low < q_low or high > q_high:
        return mp.inf
    with mp.workdps(70):
        return discrete_expectation(lp, lambda k, l: l - lq(k), low, high, center, sd)


# -------------------------------------------------------------------------------------------
# Oracles: vectors


def mp_kl(p, q):
    total = mp.mpf(0)
    for a, b in zip(p, q):
        if a > 0:
            if b == 0:
                return mp.inf
            total += M(a) * mp.log(M(a) / M(b))
    return total


def mp_entropy(p):
    return -mp.fsum(M(a) * mp.log(M(a)) for a in p if a > 0)


def mp_cross_entropy(p, q):
    total = mp.mpf(0)
    for a, b in zip(p, q):
        if a > 0:
            if b == 0:
                return mp.inf
            total -= M(a) * mp.log(M(b))
    return total


def mp_js(p, q):
    total = mp.mpf(0)
    for a, b in zip(p, q):
        a, b = M(a), M(b)
        if a > 0:
            total += a * mp.log(2 * a / (a + b))
        if b > 0:
            total += b * mp.log(2 * b / (a + b))
    return total / 2


def mp_log_softmax(z):
    z = [M(x) for x in z]
    top = max(range(len(z)), key=lambda i: z[i])
    rest = mp.fsum(mp.exp(x - z[top]) for i, x in enumerate(z) if i != top)
    log_total = mp.log1p(rest)
    return [x - z[top] - log_total for x in z]


# -------------------------------------------------------------------------------------------
# Sweeps: closed forms of kltools.kl


def loc_scale_pairs(rng, n, *, low=1e-300, high=1e300, same_loc=False):
    """(m1, s1, m2, s2, swept) over scales low..high, ratios 1e-20..1e20 or nearly equal scales,
    location offsets 0 or 1e-15..1e3 in units of s2 on top of locations up to 1e6 scales."""
    out = []
    for i in range(n):
        kind = ("wide", "near", "near-loc")[i % 3]
        s1 = logu(rng, low, high)
        s2, eps = spread(rng, s1, low, high, "wide" if kind == "wide" else "near")
        if kind == "near-loc":
            s2, eps = s1, math.nan
        m1 = float(s1 * rng.normal() * rng.choice([1.0, 1e6]))
        if same_loc:
            offset, m2 = 0.0, m1
        else:
            offset = 0.0 if rng.random() < 0.2 else logu(rng, 1e-15, 1e3)
            m2 = float(m1 + rng.choice([-1.0, 1.0]) * offset * s2)
        swept = {"scale": [s1, s2], "scale ratio": s2 / s1, "rel. perturbation": eps,
                 "|loc1-loc2|/scale2": abs(m1 - m2) / s2 if not same_loc else math.nan}
        out.append((m1, s1, m2, s2, swept))
    # Edges: equal distributions and the extremes of the range.
    for s1, s2 in ((1.0, 1.0), (low, low), (high, high), (low, low * 1e20), (high, high * 1e-20)):
        out.append((0.0, s1, 0.0, s2, {"scale": [s1, s2], "scale ratio": s2 / s1}))
    return out


def build_kl_locscale(family: str, oracle: Callable, n: int = 600):
    def build(rng):
        cases = []
        for m1, s1, m2, s2, swept in loc_scale_pairs(rng, n):
            call = f"kltools.kl(stats.{family}({m1!r}, {s1!r}), stats.{family}({m2!r}, {s2!r}))"
            cases.append(Case(call, settled(lambda a=(m1, s1, m2, s2): oracle(*a)), swept))
        return cases
    return build


def build_kl_gumbel(rng):
    cases = []
    for i, (m1, s1, m2, s2, swept) in enumerate(loc_scale_pairs(rng, 600)):
        family = ("gumbel_r", "gumbel_l")[i % 2]
        call = f"kltools.kl(stats.{family}({m1!r}, {s1!r}), stats.{family}({m2!r}, {s2!r}))"
        cases.append(Case(call, settled(lambda a=(m1, s1, m2, s2), m=bool(i % 2): kl_gumbel(*a, mirror=m)),
                          swept))
    return cases


def build_kl_halfnorm_rayleigh(rng):
    cases = []
    for i, (m1, s1, m2, s2, swept) in enumerate(loc_scale_pairs(rng, 600, same_loc=True)):
        family = ("halfnorm", "rayleigh")[i % 2]
        if i % 10 == 9:  # q's support starts right of p's: infinite
            m2 = m1 + s1
        call = f"kltools.kl(stats.{family}({m1!r}, {s1!r}), stats.{family}({m2!r}, {s2!r}))"
        if m2 > m1:
            truth = lambda: mp.inf
        elif family == "halfnorm":
            truth = settled(lambda a=s1, b=s2: kl_normal(0.0, a, 0.0, b))
        else:
            truth = settled(lambda a=s1, b=s2: kl_rayleigh(a, b))
        cases.append(Case(call, truth, {k: v for k, v in swept.items() if "loc" not in k}))
    return cases


def build_kl_shape_scale(family: str, oracle: Callable, shape_low: float, shape_high: float):
    """Families with a shape and a scale, same loc: pareto, weibull_min/max."""
    def build(rng):
        cases = []
        shapes = shape_pairs(rng, 600, shape_low, shape_high)
        for (c1, c2, eps), (_, s1, _, s2, sw) in zip(shapes, loc_scale_pairs(rng, 600, same_loc=True)):
            if rng.random() < 0.5:
                s2 = s1
            name = family if family != "weibull" else ("weibull_min", "weibull_max")[int(rng.integers(2))]
            call = f"kltools.kl(stats.{name}({c1!r}, scale={s1!r}), stats.{name}({c2!r}, scale={s2!r}))"
            swept = {"shape": [c1, c2], "shape rel. perturbation": eps, "scale": [s1, s2],
                     "scale ratio": s2 / s1}
            cases.append(Case(call, settled(lambda a=(c1, s1, c2, s2): oracle(*a)), swept))
        return cases
    return build


def build_kl_chi2_erlang(rng):
    cases = []
    for i, (k1, k2, eps) in enumerate(shape_pairs(rng, 600, 1e-300, 1e15)):
        s1 = logu(rng, 1e-300, 1e300)
        s2 = s1 if i % 3 else spread(rng, s1, 1e-300, 1e300, "wide")[0]
        if i % 2:  # erlang: integer shapes
            k1, k2 = float(max(1, round(k1))), float(max(1, round(k2)))
            call = f"kltools.kl(stats.erlang({k1!r}, scale={s1!r}), stats.erlang({k2!r}, scale={s2!r}))"
            truth = settled(lambda a=(k1, s1, k2, s2): kl_gamma(*a))
        else:
            call = f"kltools.kl(stats.chi2({k1!r}, scale={s1!r}), stats.chi2({k2!r}, scale={s2!r}))"
            truth = settled(lambda a=(k1, s1, k2, s2): kl_gamma(M(a[0]) / 2, 2 * M(a[1]), M(a[2]) / 2, 2 * M(a[3])))
        cases.append(Case(call, truth, {"df or shape": [k1, k2], "rel. perturbation": eps,
                                        "scale": [s1, s2], "scale ratio": s2 / s1}))
    return cases


def build_kl_uniform(rng):
    cases = []
    for m1, s1, m2, s2, swept in loc_scale_pairs(rng, 600):
        # Make about half of the pairs nested: q's interval around p's.
        if rng.random() < 0.5 and s2 > s1:
            m2 = float(m1 - (s2 - s1) * rng.random())
            if not (m2 <= m1 and m2 + s2 >= m1 + s1):
                m2 = m1
            swept = dict(swept, **{"|loc1-loc2|/scale2": abs(m1 - m2) / s2})
        call = f"kltools.kl(stats.uniform({m1!r}, {s1!r}), stats.uniform({m2!r}, {s2!r}))"
        cases.append(Case(call, settled(lambda a=(m1, s1, m2, s2): kl_uniform(*a)), swept))
    return cases


def build_kl_expon(rng):
    cases = []
    for m1, s1, m2, s2, swept in loc_scale_pairs(rng, 600):
        if rng.random() < 0.8:  # mostly l1 >= l2 (finite); the rest infinite
            m1, m2 = max(m1, m2), min(m1, m2)
        call = f"kltools.kl(stats.expon({m1!r}, {s1!r}), stats.expon({m2!r}, {s2!r}))"
        cases.append(Case(call, settled(lambda a=(m1, s1, m2, s2): kl_expon(*a)), swept))
    return cases


def shape_pairs(rng, n, low=1e-300, high=1e15):
    out = []
    for i in range(n):
        a1 = logu(rng, low, high)
        a2, eps = spread(rng, a1, low, high, "wide" if i % 2 == 0 else "near")
        out.append((a1, a2, eps))
    return out


def build_kl_gamma(rng):
    cases = []
    shapes = shape_pairs(rng, 600)
    for (a1, a2, eps), (_, s1, _, s2, sw) in zip(shapes, loc_scale_pairs(rng, 600, same_loc=True)):
        if rng.random() < 0.5:  # half with equal scales: the shape part alone
            s2 = s1
        call = f"kltools.kl(stats.gamma({a1!r}, scale={s1!r}), stats.gamma({a2!r}, scale={s2!r}))"
        swept = {"shape": [a1, a2], "shape rel. perturbation": eps, "scale": [s1, s2],
                 "scale ratio": s2 / s1}
        cases.append(Case(call, settled(lambda a=(a1, s1, a2, s2): kl_gamma(*a)), swept))
    return cases


def build_kl_beta(rng):
    cases = []
    for (a1, a2, ea), (b1, b2, eb) in zip(shape_pairs(rng, 600), shape_pairs(rng, 600)):
        call = f"kltools.kl(stats.beta({a1!r}, {b1!r}), stats.beta({a2!r}, {b2!r}))"
        swept = {"shapes": [a1, a2, b1, b2], "rel. perturbation": [ea, eb]}
        cases.append(Case(call, settled(lambda a=(a1, b1, a2, b2): kl_beta(*a)), swept))
    return cases


def probability_pairs(rng, n):
    """(a, b, eps): a anywhere in [1e-300, 1 - 1e-16], b far or nearly equal, with edges."""
    out = []
    for i in range(n):
        a = logu(rng, 1e-300, 0.5)
        if rng.random() < 0.3:
            a = 1.0 - logu(rng, 1e-16, 0.5)
        if i % 2 == 0:
            b, eps = (logu(rng, 1e-300, 0.5) if rng.random() < 0.5 else 1.0 - logu(rng, 1e-16, 0.5)), math.nan
        else:
            eps = logu(rng, 1e-15, 1e-3)
            sign = rng.choice([-1.0, 1.0])
            b = a * (1 + sign * eps) if a < 0.5 else 1.0 - (1.0 - a) * (1 + sign * eps)
        out.append((a, float(b), eps))
    out += [(0.0, 0.3, math.nan), (1.0, 0.3, math.nan), (0.3, 0.0, math.nan), (0.3, 1.0, math.nan),
            (0.0, 0.0, math.nan), (1.0, 1.0, math.nan), (0.5, 0.5, math.nan), (1e-300, 1e-300, math.nan)]
    return out


def build_kl_bernoulli(rng):
    cases = []
    for a, b, eps in probability_pairs(rng, 600):
        call = f"kltools.kl(stats.bernoulli({a!r}), stats.bernoulli({b!r}))"
        cases.append(Case(call, settled(lambda a=a, b=b: kl_bernoulli(a, b)),
                          {"p": [a, b], "1-p": [1 - a, 1 - b], "rel. perturbation": eps}))
    return cases


def build_kl_binom(rng):
    cases = []
    for a, b, eps in probability_pairs(rng, 600):
        n = int(logu(rng, 1, 1e15))
        call = f"kltools.kl(stats.binom({n}, {a!r}), stats.binom({n}, {b!r}))"
        cases.append(Case(call, settled(lambda a=a, b=b, n=n: n * kl_bernoulli(a, b)),
                          {"n": n, "p": [a, b], "rel. perturbation": eps}))
    return cases


def build_kl_geom(rng):
    cases = []
    for a, b, eps in probability_pairs(rng, 600):
        if a == 0.0 or b == 0.0:
            continue  # geom needs 0 < p <= 1
        call = f"kltools.kl(stats.geom({a!r}), stats.geom({b!r}))"
        cases.append(Case(call, settled(lambda a=a, b=b: kl_bernoulli(a, b) / M(a)),
                          {"p": [a, b], "rel. perturbation": eps}))
    return cases


def build_kl_poisson(rng):
    cases = []
    for mu1, mu2, eps in shape_pairs(rng, 600, 1e-300, 1e15) + [(0.0, 3.0, math.nan), (2.0, 2.0, math.nan)]:
        call = f"kltools.kl(stats.poisson({mu1!r}), stats.poisson({mu2!r}))"
        cases.append(Case(call, settled(lambda a=mu1, b=mu2: kl_poisson(a, b)),
                          {"mu": [mu1, mu2], "rel. perturbation": eps}))
    return cases


def build_kl_lognorm(rng):
    cases = []
    for _, s1, _, s2, sw in loc_scale_pairs(rng, 600, low=1e-300, high=1e300, same_loc=True):
        mu1 = float(rng.uniform(-690, 690))
        d = 0.0 if rng.random() < 0.2 else logu(rng, 1e-15, 1e3)
        mu2 = mu1 + float(rng.choice([-1.0, 1.0])) * d * s2
        if abs(mu2) > 690:
            mu2 = mu1
        scale1, scale2 = math.exp(mu1), math.exp(mu2)
        call = (f"kltools.kl(stats.lognorm({s1!r}, scale={scale1!r}), "
                f"stats.lognorm({s2!r}, scale={scale2!r}))")
        swept = {"s (shape)": [s1, s2], "s ratio": s2 / s1, "scale": [scale1, scale2],
                 "rel. perturbation": sw.get("rel. perturbation", math.nan)}
        cases.append(Case(call, settled(lambda a=(s1, scale1, s2, scale2):
                                        kl_normal(mp.log(M(a[1])), a[0], mp.log(M(a[3])), a[2])),
                          swept))
    return cases


def random_spd(rng, d, condition):
    """A symmetric positive definite matrix with the given condition number, exactly symmetric."""
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    eigenvalues = condition ** np.linspace(0, 1, d) if d > 1 else np.ones(1)
    a = (q * eigenvalues) @ q.T
    return (a + a.T) / 2


def build_kl_mvn(rng):
    cases = []
    for i in range(160):
        d = int(rng.choice([1, 2, 3, 5, 8]))
        c1 = logu(rng, 1e-300, 1e300)
        cond1 = logu(rng, 1, 1e12)
        s1 = random_spd(rng, d, cond1) * c1
        m1 = rng.normal(size=d) * math.sqrt(c1)
        if i % 2 == 0:  # independent q, scale ratio up to 1e20
            c2, _ = spread(rng, c1, 1e-300, 1e300, "wide")
            s2 = random_spd(rng, d, logu(rng, 1, 1e12)) * c2
            m2 = m1 + rng.normal(size=d) * math.sqrt(c2) * logu(rng, 1e-8, 1e3)
            eps = math.nan
        else:  # q a relative perturbation of p
            eps = logu(rng, 1e-15, 1e-3)
            e = rng.normal(size=(d, d)) * eps
            s2 = s1 + (s1 @ (e + e.T)) / 2
            s2 = (s2 + s2.T) / 2
            m2 = m1 + rng.normal(size=d) * math.sqrt(c1) * eps
        try:
            p = stats.multivariate_normal(m1, s1)
            q = stats.multivariate_normal(m2, s2)
        except Exception:
            continue
        c1_arr, c2_arr, m1_arr, m2_arr = p.cov, q.cov, p.mean, q.mean
        data = {"m1": m1_arr, "c1": c1_arr, "m2": m2_arr, "c2": c2_arr}
        call = "kltools.kl(stats.multivariate_normal(m1, c1), stats.multivariate_normal(m2, c2))"
        swept = {"dimension": d, "covariance scale": [c1, float(np.trace(s2)) / d],
                 "condition number": float(np.linalg.cond(c1_arr)), "rel. perturbation": eps}
        cases.append(Case(call, settled(lambda a=(m1_arr.tolist(), c1_arr.tolist(), m2_arr.tolist(),
                                                   c2_arr.tolist()): kl_mvn(*a)),
                          swept, data, f"MVN case {i} (d={d}) of build_kl_mvn"))
    return cases


def build_kl_dirichlet(rng):
    cases = []
    for i in range(300):
        k = int(rng.choice([2, 3, 10, 50]))
        low = logu(rng, 1e-300, 1e15)
        high = low * 10.0 ** rng.uniform(0, 6)
        alpha = np.array([logu(rng, low, min(high, 1e15)) for _ in range(k)])
        if i % 2 == 0:
            beta = np.array([spread(rng, a, 1e-300, 1e15, "wide")[0] for a in alpha])
            eps = math.nan
        else:
            eps = logu(rng, 1e-15, 1e-3)
            beta = alpha * (1 + eps * rng.normal(size=k))
        call = f"kltools.kl(stats.dirichlet({alpha.tolist()!r}), stats.dirichlet({beta.tolist()!r}))"
        if k > 3:
            call = "kltools.kl(stats.dirichlet(alpha), stats.dirichlet(beta))"
        swept = {"K": k, "alpha": list(alpha) + list(beta), "rel. perturbation": eps}
        cases.append(Case(call, settled(lambda a=alpha.tolist(), b=beta.tolist(): kl_dirichlet(a, b)),
                          swept, {"alpha": alpha, "beta": beta},
                          None if k <= 3 else f"Dirichlet case {i} (K={k}) of build_kl_dirichlet"))
    return cases


# -------------------------------------------------------------------------------------------
# Sweeps: numeric routes of kltools.kl (pairs with no closed form in kltools)


def build_t_normal(rng):
    cases = []
    for i in range(36):
        df = logu(rng, 0.1, 1e12) if i > 3 else (0.5, 1.0, 2.0, 2.5)[i]
        st = logu(rng, 1e-300, 1e300)
        sq, eps = spread(rng, st, 1e-300, 1e300, "wide" if i % 2 else "near")
        if i % 4 == 0:
            sq = st
        mt = float(st * rng.normal())
        mq = float(mt + sq * rng.normal() * rng.choice([0.0, 1e-8, 1.0]))
        call = f"kltools.kl(stats.t({df!r}, {mt!r}, {st!r}), stats.norm({mq!r}, {sq!r}))"
        cases.append(Case(call, settled(lambda a=(df, mt, st, mq, sq): kl_t_normal(*a)),
                          {"df": df, "scale": [st, sq], "scale ratio": sq / st}))
    return cases


def build_normal_t(rng):
    cases = []
    for i in range(12):
        df = logu(rng, 0.5, 1e8)
        s = logu(rng, 1e-300, 1e300)
        st, _ = spread(rng, s, 1e-300, 1e300, "near")
        st = st * 10.0 ** rng.uniform(-6, 6) if i % 2 else st
        m = float(s * rng.normal())
        mt = float(m + st * rng.normal() * rng.choice([0.0, 1.0, 10.0]))
        call = f"kltools.kl(stats.norm({m!r}, {s!r}), stats.t({df!r}, {mt!r}, {st!r}))"
        cases.append(Case(call, lambda a=(m, s, df, mt, st): kl_normal_t(*a),
                          {"df": df, "scale": [s, st], "scale ratio": st / s}))
    return cases


def build_gamma_expon(rng):
    cases = []
    for i in range(40):
        a = logu(rng, 1e-300, 1e15) if i % 3 else logu(rng, 0.1, 100)
        theta = logu(rng, 1e-300, 1e300)
        lam, _ = spread(rng, theta, 1e-300, 1e300, "wide" if i % 2 else "near")
        if i % 2 == 0:
            lam = lam * a if 1e-300 < lam * a < 1e300 else lam  # q's mean near p's
        if i % 5 == 0:  # the other direction
            call = f"kltools.kl(stats.expon(scale={theta!r}), stats.gamma({a!r}, scale={lam!r}))"
            truth = settled(lambda t=theta, a=a, l=lam: kl_expon_gamma(t, a, l))
        else:
            call = f"kltools.kl(stats.gamma({a!r}, scale={theta!r}), stats.expon(scale={lam!r}))"
            truth = settled(lambda a=a, t=theta, l=lam: kl_gamma_expon(a, t, l))
        cases.append(Case(call, truth, {"shape": a, "scale": [theta, lam], "scale ratio": lam / theta}))
    return cases


def build_levy(rng):
    cases = []
    for m1, c1, m2, c2, swept in loc_scale_pairs(rng, 36, same_loc=True):
        if rng.random() < 0.15:  # p starts left of q: infinite
            m2 = m1 + c1
        call = f"kltools.kl(stats.levy({m1!r}, {c1!r}), stats.levy({m2!r}, {c2!r}))"
        truth = (lambda: mp.inf) if m2 > m1 else settled(lambda a=c1, b=c2: kl_levy(a, b))
        cases.append(Case(call, truth, {k: v for k, v in swept.items() if "loc" not in k}))
    return cases


def build_lognorm_normal(rng):
    cases = []
    for i in range(30):
        s = logu(rng, 1e-3, 3.0)
        scale = logu(rng, 1e-100, 1e100)
        sd = scale * logu(rng, 1e-3, 1e3)
        m = float(scale * rng.normal() * rng.choice([0.0, 1.0, 100.0]))
        call = f"kltools.kl(stats.lognorm({s!r}, scale={scale!r}), stats.norm({m!r}, {sd!r}))"
        cases.append(Case(call, settled(lambda a=(s, scale, m, sd): kl_lognorm_normal(*a)),
                          {"s (shape)": s, "scale": [scale, sd], "sd/scale": sd / scale}))
    return cases


def build_discrete_numeric(rng):
    cases = []
    for i in range(30):
        kind = i % 3
        if kind == 0:  # binom(n, a) || poisson(mu)
            n = int(logu(rng, 1, 1e12))
            a = logu(rng, 1e-6, 0.9)
            mu = n * a * (1 + logu(rng, 1e-12, 1) * rng.choice([-1, 1]))
            call = f"kltools.kl(stats.binom({n}, {a!r}), stats.poisson({mu!r}))"
            sd = math.sqrt(n * a * (1 - a))
            truth = lambda n=n, a=a, mu=mu, sd=sd: kl_discrete(
                lp_binom(n, a), lp_poisson(mu), 0, n, n * a, sd)
            swept = {"n": n, "p": a, "mu": mu}
        elif kind == 1:  # poisson(mu) || nbinom(r, r / (r + mu'))
            mu = logu(rng, 1e-3, 1e12)
            r = logu(rng, 1e-2, 1e15)
            a = r / (r + mu * (1 + logu(rng, 1e-9, 1)))
            call = f"kltools.kl(stats.poisson({mu!r}), stats.nbinom({r!r}, {a!r}))"
            truth = lambda mu=mu, r=r, a=a: kl_discrete(
                lp_poisson(mu), lp_nbinom(r, a), 0, mp.inf, M(mu), mp.sqrt(M(mu)))
            swept = {"mu": mu, "r": r}
        else:  # poisson(mu1, loc l1) || poisson(mu2, loc l2): no closed form (locs differ)
            mu1 = logu(rng, 1e-3, 1e12)
            mu2 = mu1 * logu(rng, 0.5, 2.0)
            l1 = float(rng.integers(-5, 6))
            l2 = l1 - float(rng.integers(0, 4)) if rng.random() < 0.8 else l1 + 1.0
            call = f"kltools.kl(stats.poisson({mu1!r}, loc={l1!r}), stats.poisson({mu2!r}, loc={l2!r}))"
            truth = lambda mu1=mu1, mu2=mu2, l1=l1, l2=l2: kl_discrete(
                lp_poisson(mu1, l1), lp_poisson(mu2, l2), M(l1), mp.inf, M(mu1) + l1,
                mp.sqrt(M(mu1)), q_low=M(l2))
            swept = {"mu": [mu1, mu2], "loc1-loc2": l1 - l2}
        cases.append(Case(call, truth, swept))
    return cases


# -------------------------------------------------------------------------------------------
# Sweeps: entropy_of


def build_entropy_poisson(rng):
    mus = [logu(rng, 1e-300, 1e12) for _ in range(40)] + [0.0, 1.0, 1e12]
    return [Case(f"kltools.entropy_of(stats.poisson({mu!r}))", lambda mu=mu: entropy_poisson(mu),
                 {"mu": mu}) for mu in mus]


def build_entropy_binom(rng):
    cases = []
    for i in range(40):
        n = int(logu(rng, 1, 1e9)) if i else 10**9
        a = logu(rng, 1e-12, 0.5) if rng.random() < 0.7 else 1 - logu(rng, 1e-12, 0.5)
        cases.append(Case(f"kltools.entropy_of(stats.binom({n}, {a!r}))",
                          lambda n=n, a=a: entropy_binom(n, a), {"n": n, "p": a}))
    return cases


def build_entropy_small_discrete(rng):
    cases = []
    for a, _, _ in probability_pairs(rng, 200):
        cases.append(Case(f"kltools.entropy_of(stats.bernoulli({a!r}))",
                          settled(lambda a=a: entropy_bernoulli(a)), {"p": a}))
        if a > 0:
            cases.append(Case(f"kltools.entropy_of(stats.geom({a!r}))",
                              settled(lambda a=a: entropy_bernoulli(a) / M(a)), {"p": a}))
    return cases


def build_entropy_gamma_beta_t(rng):
    cases = []
    for i in range(300):
        a, b = logu(rng, 1e-300, 1e15), logu(rng, 1e-300, 1e15)
        scale = logu(rng, 1e-300, 1e300)
        kind = i % 3
        if kind == 0:
            cases.append(Case(f"kltools.entropy_of(stats.gamma({a!r}, scale={scale!r}))",
                              settled(lambda a=a, s=scale: entropy_gamma(a, s)),
                              {"gamma shape": a, "scale": scale}))
        elif kind == 1:
            def h_beta(a=a, b=b):
                a, b = M(a), M(b)
                return (log_beta(a, b) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b)
                        + (a + b - 2) * mp.digamma(a + b))
            cases.append(Case(f"kltools.entropy_of(stats.beta({a!r}, {b!r}))", settled(h_beta),
                              {"beta shapes": [a, b]}))
        else:
            df = logu(rng, 1e-3, 1e15)
            cases.append(Case(f"kltools.entropy_of(stats.t({df!r}, 0.0, {scale!r}))",
                              settled(lambda d=df, s=scale: entropy_t(d, s)),
                              {"t df": df, "scale": scale}))
    return cases


LOCSCALE_ENTROPY = {
    "norm": lambda s: mp.log(2 * mp.pi * mp.e * s**2) / 2,
    "laplace": lambda s: 1 + mp.log(2 * s),
    "cauchy": lambda s: mp.log(4 * mp.pi * s),
    "expon": lambda s: 1 + mp.log(s),
    "uniform": lambda s: mp.log(s),
    "logistic": lambda s: mp.log(s) + 2,
    "levy": lambda s: (1 + 3 * mp.euler + mp.log(16 * mp.pi * s**2)) / 2,
}


def build_entropy_locscale(rng):
    cases = []
    for i in range(210):
        family = list(LOCSCALE_ENTROPY)[i % len(LOCSCALE_ENTROPY)]
        scale = logu(rng, 1e-300, 1e300) if i > 20 else [1e-300, 1.0, 1e300][i % 3]
        loc = float(scale * rng.normal())
        cases.append(Case(f"kltools.entropy_of(stats.{family}({loc!r}, {scale!r}))",
                          settled(lambda f=family, s=scale: LOCSCALE_ENTROPY[f](M(s))),
                          {"scale": scale}))
    return cases


def build_entropy_skewnorm(rng):
    cases = []
    for i in range(9):
        a = float(rng.choice([-1, 1]) * logu(rng, 1e-3, 1e3)) if i else 0.0
        scale = logu(rng, 1e-300, 1e300)
        cases.append(Case(f"kltools.entropy_of(stats.skewnorm({a!r}, 0.0, {scale!r}))",
                          lambda a=a, s=scale: entropy_skewnorm(a, s), {"|a| (shape)": abs(a), "scale": scale}))
    return cases


def build_entropy_multivariate(rng):
    cases = []
    for i in range(120):
        if i % 2 == 0:
            d = int(rng.choice([1, 2, 3, 5, 8]))
            c = logu(rng, 1e-300, 1e300)
            cov = random_spd(rng, d, logu(rng, 1, 1e12)) * c
            try:
                cov = stats.multivariate_normal(np.zeros(d), cov).cov
            except Exception:  # SciPy refuses some matrices of condition near 1e12
                continue
            def h(cov=cov.tolist(), d=d):
                s = mp.matrix([[M(x) for x in row] for row in cov])
                return (d * mp.log(2 * mp.pi * mp.e) + mp.log(mp.det(s))) / 2
            cases.append(Case("kltools.entropy_of(stats.multivariate_normal(np.zeros(len(c)), c))",
                              settled(h), {"MVN dimension": d, "covariance scale": c},
                              {"c": cov}, f"multivariate case {i} of build_entropy_multivariate"))
        else:
            k = int(rng.choice([2, 3, 10, 50]))
            low = logu(rng, 1e-300, 1e15)
            alpha = np.array([logu(rng, low, min(low * 1e6, 1e15)) for _ in range(k)])
            def h(alpha=alpha.tolist()):
                a = [M(x) for x in alpha]
                a0 = mp.fsum(a)
                return (mp.fsum(mp.loggamma(x) for x in a) - mp.loggamma(a0)
                        + (a0 - len(a)) * mp.digamma(a0) - mp.fsum((x - 1) * mp.digamma(x) for x in a))
            cases.append(Case("kltools.entropy_of(stats.dirichlet(alpha))", settled(h),
                              {"Dirichlet K": k, "alpha": list(alpha)}, {"alpha": alpha},
                              f"multivariate case {i} of build_entropy_multivariate"))
    return cases


# -------------------------------------------------------------------------------------------
# Sweeps: probability vectors


def vector_pairs(rng, category: str) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    """Pairs of probability vectors of one category, each summing to exactly 1 where possible."""
    out = []
    sizes = [2, 3, 10, 100, 1000]
    # "tiny" vectors sum to 1 only to within rounding (about 1e-16) and their tiny entries: the
    # truth is the sum as defined, on the entries as given; q is drawn independently of p so that
    # the divergences are far above that.
    if category == "random":
        for i in range(150):
            n = sizes[i % len(sizes)] if i else 10_000
            alpha = float(rng.choice([1e-3, 0.1, 1.0, 100.0]))
            p = grid_vector(rng.dirichlet(np.full(n, alpha)) + 1e-300)
            q = grid_vector(rng.dirichlet(np.full(n, alpha)) + 1e-300, positive=True)
            out.append((p, q, {"length": n, "Dirichlet alpha": alpha}))
    elif category == "near":
        for i in range(150):
            n = sizes[i % len(sizes)]
            eps = logu(rng, 1e-12, 1e-3)
            p = grid_vector(rng.dirichlet(np.full(n, float(rng.choice([0.3, 1.0, 10.0])))), positive=True)
            q = grid_vector(p * (1 + eps * rng.normal(size=n)), positive=True)
            out.append((p, q, {"length": n, "rel. perturbation": eps}))
    elif category == "float32":
        for i in range(120):
            n = sizes[i % len(sizes)]
            p = grid_vector(rng.dirichlet(np.ones(n)), bits=24).astype(np.float32)
            if i % 2:
                eps = logu(rng, 1e-6, 1e-2)
                q = grid_vector(p * (1 + eps * rng.normal(size=n)), bits=24, positive=True)
            else:
                eps = math.nan
                q = grid_vector(rng.dirichlet(np.ones(n)), bits=24, positive=True)
            out.append((p, q.astype(np.float32), {"length": n, "rel. perturbation": eps}))
    elif category == "tiny":
        tiny_values = [5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-200, 1e-100]
        for i in range(150):
            n = sizes[1 + i % 4]
            p = grid_vector(rng.dirichlet(np.ones(n)))
            q = grid_vector(rng.dirichlet(np.ones(n)), positive=True)
            j = rng.choice(n, size=max(1, n // 3), replace=False)
            where = i % 3
            values = rng.choice(tiny_values, size=len(j))
            if where in (0, 2):
                p = retiny(p, j, values)  # tiny p
            if where in (1, 2):  # tiny q (under moderate p when where == 1: p / q overflows)
                q = retiny(q, j, rng.choice(tiny_values, size=len(j)))
            if i % 10 == 9:  # a category where both are 0
                free = np.setdiff1d(np.arange(n), j)[:1]
                p, q = retiny(p, free, np.zeros(1)), retiny(q, free, np.zeros(1))
            if i % 15 == 14:  # p has mass q lacks: infinite KL and cross-entropy
                q = retiny(q, j[:1], np.zeros(1))
            out.append((p, q, {"length": n, "smallest entry": [float(np.min(p[p > 0])), float(np.min(q[q > 0]))]}))
    return out


def retiny(v: np.ndarray, j: np.ndarray, values: np.ndarray) -> np.ndarray:
    """v with entries j set to the given tiny values, the mass they held moved to the largest
    other entry (the sum is then 1 to within rounding and the tiny values themselves)."""
    v = v.copy()
    removed = float(v[j].sum())
    v[j] = values
    others = np.setdiff1d(np.arange(v.size), j)
    if others.size:
        v[others[np.argmax(v[others])]] += removed
    return v


VECTOR_FUNCTIONS = {
    "kl_divergence": (lambda p, q: mp_kl(p, q), "kltools.kl_divergence(p, q)"),
    "entropy": (lambda p, q: mp_entropy(p), "kltools.entropy(p)"),
    "cross_entropy": (lambda p, q: mp_cross_entropy(p, q), "kltools.cross_entropy(p, q)"),
    "js_divergence": (lambda p, q: mp_js(p, q), "kltools.js_divergence(p, q)"),
}


def array_literal(a: np.ndarray) -> str:
    dtype = "np.float32" if a.dtype == np.float32 else "float"
    return f"np.array({[float(x) for x in a]!r}, dtype={dtype})"


def build_vectors(function: str, category: str):
    oracle, call = VECTOR_FUNCTIONS[function]

    def build(rng):
        cases = []
        pairs = vector_pairs(rng, category)
        for i, (p, q, swept) in enumerate(pairs):
            repro = None
            if p.size > 4:
                repro = f"{call} with p, q = pair {i} of vector_pairs(rng, {category!r}) in accuracy.py"
            else:
                repro = call.replace("(p", f"({array_literal(p)}").replace(", q)", f", {array_literal(q)})")
            cases.append(Case(call, settled(lambda p=p.tolist(), q=q.tolist(): oracle(p, q)), swept,
                              {"p": p, "q": q}, repro))
        # One batched call over the rows of equal length: the batch takes a single code path.
        rows = [(p, q) for p, q, _ in pairs if p.size == 3]
        if rows:
            P, Q = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
            cases.append(Case(call, settled(lambda P=P.tolist(), Q=Q.tolist():
                                            [oracle(p, q) for p, q in zip(P, Q)]),
                              {"batched rows": len(rows)}, {"p": P, "q": Q},
                              f"{call} on the {len(rows)} length-3 pairs of {category!r} as one batch"))
        return cases

    return build


# -------------------------------------------------------------------------------------------
# Sweeps: logits


def logit_vectors(rng, dtype, count):
    out = []
    top = 1e300 if dtype == np.float64 else 1e37
    for i in range(count):
        n = [2, 10, 1000][i % 3]
        c = logu(rng, 1 / top, top)
        z = rng.normal(size=n) * c
        if i % 4 == 1:
            z = z + rng.choice([-1.0, 1.0]) * logu(rng, 1 / top, top)
        if i % 4 == 2:
            z[0] += logu(rng, 1, top / 10)  # one dominant logit
        out.append((z.astype(dtype), {"length": n, "logit scale": c}))
    return out


def build_log_softmax(dtype):
    def build(rng):
        cases = []
        for i, (z, swept) in enumerate(logit_vectors(rng, dtype, 100)):
            repro = (f"kltools.log_softmax({array_literal(z)})" if z.size <= 4
                     else f"kltools.log_softmax(z), z = logits {i} of logit_vectors(rng, {dtype.__name__}, 100)")
            cases.append(Case("kltools.log_softmax(z)", settled(lambda z=z.tolist(): mp_log_softmax(z)),
                              swept, {"z": z}, repro))
        return cases
    return build


def build_softmax(rng):
    cases = []
    for i, (z, swept) in enumerate(logit_vectors(rng, np.float64, 80)):
        def truth(z=z.tolist()):
            # Entries below the smallest normal float cannot carry 16 digits: compared as 0.
            values = [mp.exp(v) for v in mp_log_softmax(z)]
            return [v if v >= sys.float_info.min else mp.mpf(0) for v in values]
        cases.append(Case("np.where(kltools.softmax(z) >= 2.2250738585072014e-308, kltools.softmax(z), 0.0)",
                          settled(truth), swept, {"z": z},
                          f"kltools.softmax(z), z = logits {i} of logit_vectors(rng, float64, 80)"))
    return cases


def build_cross_entropy_from_logits(rng):
    cases = []
    for i, (z, swept) in enumerate(logit_vectors(rng, np.float64, 120)):
        n = z.size
        if i % 2:
            target = int(rng.integers(0, n))
            truth = settled(lambda z=z.tolist(), t=target: -mp_log_softmax(z)[t])
            call = f"kltools.cross_entropy_from_logits({target}, z)"
            data = {"z": z}
        else:
            t = grid_vector(rng.dirichlet(np.ones(n)))
            truth = settled(lambda z=z.tolist(), t=t.tolist():
                            -mp.fsum(M(a) * b for a, b in zip(t, mp_log_softmax(z)) if a > 0))
            call = "kltools.cross_entropy_from_logits(t, z)"
            data = {"z": z, "t": t}
        cases.append(Case(call, truth, swept, data,
                          f"{call}, z = logits {i} of logit_vectors(rng, float64, 120)"))
    return cases


def build_kl_from_logits(rng):
    cases = []
    for i, (z, swept) in enumerate(logit_vectors(rng, np.float64, 120)):
        if i % 2:
            eps = logu(rng, 1e-12, 1e-1)
            w = z + eps * rng.normal(size=z.size) * max(1.0, float(np.max(np.abs(z))) * 1e-3)
        else:
            eps = math.nan
            w = rng.normal(size=z.size) * swept["logit scale"]
        swept = dict(swept, **{"perturbation": eps})
        def truth(z=z.tolist(), w=w.tolist()):
            lz, lw = mp_log_softmax(z), mp_log_softmax(w)
            return mp.fsum(mp.exp(a) * (a - b) for a, b in zip(lz, lw))
        cases.append(Case("kltools.kl_divergence_from_logits(z, w)", settled(truth), swept,
                          {"z": z, "w": w},
                          f"kltools.kl_divergence_from_logits(z, w), pair {i} of build_kl_from_logits"))
    return cases


# -------------------------------------------------------------------------------------------
# Coverage of kl_monte_carlo's intervals


COVERAGE_PAIRS = [
    ("stats.norm(0, 1)", "stats.norm(1, 1.2)",
     lambda: kl_normal(0.0, 1.0, 1.0, 1.2), "normals, sigma_q^2 = 1.44 sigma_p^2 < 2 sigma_p^2"),
    ("stats.norm(0, 1)", "stats.norm(0.5, 1.5)",
     lambda: kl_normal(0.0, 1.0, 0.5, 1.5), "normals, sigma_q^2 = 2.25 sigma_p^2 >= 2 sigma_p^2"),
    ("stats.poisson(4)", "stats.poisson(6)", lambda: kl_poisson(4.0, 6.0), "Poisson(4) vs Poisson(6)"),
    ("stats.uniform(0, 1)", "stats.uniform(0, 2)", lambda: mp.log(2), "uniform(0,1) vs uniform(0,2)"),
]


def build_coverage(index: int, estimator: str):
    p, q, truth, text = COVERAGE_PAIRS[index]

    def build(rng):
        call = f"kltools.kl_monte_carlo({p}, {q}, {MC_SAMPLES}, estimator={estimator!r}, rng=seed)"
        return [Case(call, truth, {"text": text})]

    return build


def run_coverage(route: Route) -> dict:
    (case,) = route.build(np.random.default_rng(0))
    with mp.workdps(DPS):
        truth = float(case.truth())
    values, stderrs, errors_, hits, infinite_se, used = [], [], Tally(), 0, 0, set()
    defects: dict[str, Tally] = {}
    start = time.perf_counter()
    for seed in range(SEEDS):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with time_limit(CALL_TIMEOUT):
                    estimate = eval(case.call, NAMESPACE, {"seed": seed})
            except CallTimeout:
                note(defects, "timeout", case.call.replace("seed", str(seed)))
                continue
            except Exception as exc:
                errors_.append(f"{type(exc).__name__}: {exc}")
                continue
        for w in caught:
            note(defects, "warning", 
                f"{case.call.replace('seed', str(seed))}: {w.category.__name__}: {w.message}")
        value, se = float(estimate.value), float(estimate.stderr)
        used.add(estimate.estimator)
        if math.isnan(value) or math.isnan(se):
            note(defects, "NaN", f"{case.call.replace('seed', str(seed))} -> {estimate}")
            continue
        if math.isinf(value):
            note(defects, "inf where finite", f"{case.call.replace('seed', str(seed))} -> {estimate}")
            continue
        values.append(value)
        if math.isfinite(se):
            stderrs.append(se)
        infinite_se += math.isinf(se)
        # Rounding slack of a few ulps, so that an exact constant estimate with stderr 0 counts.
        if abs(value - truth) <= 1.96 * se + 8 * sys.float_info.epsilon * abs(truth):
            hits += 1
    values_arr = np.array(values)
    n_ok = len(values)
    bias_ulps, se_ratio = None, math.nan
    if n_ok >= 2:
        spread_ = float(np.std(values_arr, ddof=1))
        if stderrs and spread_ > 0:
            se_ratio = float(np.mean(stderrs)) / spread_
        bias = float(np.mean(values_arr) - truth)
        if spread_ <= 16 * sys.float_info.epsilon * abs(truth):
            # The estimates are one constant up to rounding: a bias in units of their spread
            # would be noise; give it in ulps of the truth instead.
            bias_se, bias_ulps = math.nan, bias / (sys.float_info.epsilon * abs(truth))
        else:
            bias_se = bias / (spread_ / math.sqrt(n_ok))
    else:
        bias_se = math.nan
    return {
        "name": route.name, "kind": "coverage", "truth": truth, "n": n_ok, "hits": hits,
        "bias_se": bias_se, "bias_ulps": bias_ulps, "se_ratio": se_ratio, "infinite_se": infinite_se, "estimators": sorted(used),
        "errors": errors_, "defects": defects, "seconds": time.perf_counter() - start,
        "call": case.call, "text": case.swept["text"],
    }


# -------------------------------------------------------------------------------------------
# Running a route


class Tally(list):
    """The first EXAMPLES items of a kind, and how many there were."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def append(self, item: Any) -> None:
        self.count += 1
        if len(self) < EXAMPLES:
            super().append(item)

    def __len__(self) -> int:  # the count, not the examples kept
        return self.count

    def __reduce__(self):
        return (_tally, (list(self), self.count))


def _tally(items: list, count: int) -> Tally:
    t = Tally()
    list.extend(t, items)
    t.count = count
    return t


def note(defects: dict[str, Tally], kind: str, item: str) -> None:
    defects.setdefault(kind, Tally()).append(item)


class CallTimeout(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` can swallow it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeout()


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def flat(x: Any) -> list:
    if isinstance(x, list):
        return [y for item in x for y in flat(item)]
    return [x]


def classify(value: float, truth: Any) -> tuple[str, float]:
    """('ok', relative error) or (defect name, nan)."""
    if math.isnan(value):
        return "NaN", math.nan
    if mp.isinf(truth):
        return ("ok", 0.0) if value == float(truth) else ("finite where truth is inf", math.nan)
    if abs(truth) > FLOAT_MAX:  # the exact value overflows float64: inf of that sign is right
        if math.isinf(value) and (value > 0) == (truth > 0):
            return "ok", 0.0
    if math.isinf(value):
        return "inf where finite", math.nan
    # Below the smallest normal float a result cannot carry 16 digits: there the error is
    # measured against 2.2e-308 (absolute error / 2.2e-308), and where truth = 0 it is absolute.
    if truth == 0:
        return "ok", abs(value)
    return "ok", float(abs(M(value) - truth) / max(abs(truth), mp.mpf(sys.float_info.min)))


def short(x: Any) -> str:
    return mp.nstr(x, 17) if isinstance(x, mp.mpf) else repr(x)


def run_exact(route: Route) -> dict:
    start = time.perf_counter()
    cases = route.build(np.random.default_rng(seed_of(route.name)))
    errors_: list[float] = []
    raised = Tally()
    defects: dict[str, Tally] = {}
    oracle_failures: list[str] = []
    swept: dict[str, list[float]] = {}
    worst: tuple[float, str] = (-1.0, "")
    timeouts, not_run = 0, 0
    for index, case in enumerate(cases):
        if timeouts >= MAX_TIMEOUTS or time.perf_counter() - start > ROUTE_BUDGET:
            not_run = len(cases) - index
            break
        repro = case.repro or case.call
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with time_limit(CALL_TIMEOUT):
                    value = eval(case.call, NAMESPACE, dict(case.data or {}))
            except CallTimeout:
                timeouts += 1
                note(defects, f"timeout (> {CALL_TIMEOUT:g} s)", repro)
                continue
            except Exception as exc:
                raised.append(f"{repro}  ->  {type(exc).__name__}: {exc}")
                value = None
        for w in caught:
            note(defects, "warning", 
                f"{repro}  ->  {w.category.__name__}: {w.message}")
        for key, v in case.swept.items():
            swept.setdefault(key, []).extend(x for x in flat(v) if isinstance(x, (int, float)) and not
                                             (isinstance(x, float) and math.isnan(x)))
        if value is None:
            continue
        try:
            with time_limit(ORACLE_TIMEOUT):
                truth = case.truth()
        except BaseException as exc:  # a bug of this script, not of kltools
            oracle_failures.append(f"{repro}: {type(exc).__name__}: {exc}")
            continue
        values = np.asarray(value).ravel().tolist()
        truths = flat(truth)
        if len(values) != len(truths):
            note(defects, "wrong shape", f"{repro}  ->  {len(values)} values, {len(truths)} expected")
            continue
        case_error = 0.0
        for i, (v, t) in enumerate(zip(values, truths)):
            kind, err = classify(float(v), t)
            where = f"[{i}]" if len(values) > 1 else ""
            if kind != "ok":
                note(defects, kind, f"{repro}{where}  ->  {float(v)!r}, truth {short(t)}")
            elif err > case_error:
                if err > route.promise and err * abs(float(t)) > route.absolute:
                    note(defects, f"beyond the promise of {route.promise:g}",
                         f"{repro}{where}  ->  {float(v)!r}, truth {short(t)}")
                case_error = err
                if err > worst[0]:
                    worst = (err, f"{repro}{where}  ->  {float(v)!r}, truth {short(t)}")
        errors_.append(case_error)
        if worst[0] < 0:
            worst = (0.0, f"{repro}  ->  exact")
    return {
        "name": route.name, "kind": "exact", "cases": len(cases), "not_run": not_run,
        "errors": errors_, "raised": raised, "defects": defects, "swept": swept,
        "worst": worst, "oracle_failures": oracle_failures,
        "seconds": time.perf_counter() - start,
    }


def run_route(index: int) -> dict:
    route = ROUTES[index]
    mp.mp.dps = DPS
    warnings.simplefilter("default")
    return run_coverage(route) if route.kind == "coverage" else run_exact(route)


def oracle_self_check() -> str:
    """Direct sum and Poisson-summation integral of one entropy must agree."""
    with mp.workdps(70):
        mu = mp.mpf(2000)
        lp = lp_poisson(2000.0)
        direct = mp.mpf(0)
        for k in range(0, 4000):
            l = lp(k)
            direct -= mp.exp(l) * l
        integral = entropy_poisson(2000.0)
        difference = abs(direct - integral) / direct
    if difference > mp.mpf("1e-30"):
        raise AssertionError(f"oracle self-check failed: sum and integral differ by {difference}")
    return f"H(Poisson(2000)): direct sum and integral agree to {mp.nstr(difference, 2)} relative"


# -------------------------------------------------------------------------------------------
# The routes


ROUTES: list[Route] = [
    Route("kl: norm ‖ norm", build_kl_locscale("norm", kl_normal), 3),
    Route("kl: laplace ‖ laplace", build_kl_locscale("laplace", kl_laplace), 3),
    Route("kl: uniform ‖ uniform", build_kl_uniform, 2),
    Route("kl: expon ‖ expon", build_kl_expon, 2),
    Route("kl: gamma ‖ gamma (same loc)", build_kl_gamma, 5),
    Route("kl: beta ‖ beta", build_kl_beta, 6),
    Route("kl: bernoulli ‖ bernoulli", build_kl_bernoulli, 2),
    Route("kl: binom ‖ binom (same n)", build_kl_binom, 2),
    Route("kl: geom ‖ geom", build_kl_geom, 2),
    Route("kl: poisson ‖ poisson", build_kl_poisson, 2),
    Route("kl: cauchy ‖ cauchy", build_kl_locscale("cauchy", kl_cauchy), 3),
    Route("kl: lognorm ‖ lognorm (same loc)", build_kl_lognorm, 3),
    Route("kl: multivariate_normal ‖ multivariate_normal", build_kl_mvn, 4, promise=1e-6),
    Route("kl: gumbel_r ‖ gumbel_r, gumbel_l ‖ gumbel_l", build_kl_gumbel, 3),
    Route("kl: halfnorm ‖ halfnorm, rayleigh ‖ rayleigh (same loc)", build_kl_halfnorm_rayleigh, 3),
    Route("kl: pareto ‖ pareto (same loc)", build_kl_shape_scale("pareto", kl_pareto, 1e-300, 1e15), 3),
    Route("kl: weibull_min ‖ weibull_min, weibull_max ‖ weibull_max (same loc)",
          build_kl_shape_scale("weibull", kl_weibull, 1e-300, 1e15), 3),
    Route("kl: chi2 ‖ chi2, erlang ‖ erlang", build_kl_chi2_erlang, 3),
    Route("kl: dirichlet ‖ dirichlet", build_kl_dirichlet, 6),
    Route("kl numeric: t ‖ norm", build_t_normal, 10, promise=1e-6),
    Route("kl numeric: norm ‖ t", build_normal_t, 10, promise=1e-6),
    Route("kl numeric: gamma ‖ expon, expon ‖ gamma", build_gamma_expon, 8, promise=1e-6),
    Route("kl numeric: levy ‖ levy", build_levy, 8, promise=1e-6),
    Route("kl numeric: lognorm ‖ norm", build_lognorm_normal, 8, promise=1e-6),
    Route("kl numeric, discrete: binom ‖ poisson, poisson ‖ nbinom, poisson ‖ shifted poisson",
          build_discrete_numeric, 10, promise=1e-9, absolute=1e-15),
    Route("entropy_of: poisson", build_entropy_poisson, 8, promise=1e-9),
    Route("entropy_of: binom", build_entropy_binom, 8, promise=1e-9),
    Route("entropy_of: bernoulli, geom", build_entropy_small_discrete, 2),
    Route("entropy_of: gamma, beta, t", build_entropy_gamma_beta_t, 4, promise=1e-6),
    Route("entropy_of: norm, laplace, cauchy, expon, uniform, logistic, levy", build_entropy_locscale, 4),
    Route("entropy_of: skewnorm (numeric)", build_entropy_skewnorm, 8, promise=1e-6),
    Route("entropy_of: multivariate_normal, dirichlet", build_entropy_multivariate, 3),
]
for _function in VECTOR_FUNCTIONS:
    for _category, _text in (("random", "random"), ("near", "nearly equal"), ("float32", "float32"),
                             ("tiny", "tiny/subnormal/zero entries")):
        ROUTES.append(Route(f"{_function}: {_text}", build_vectors(_function, _category), 3))
ROUTES += [
    Route("log_softmax: float64", build_log_softmax(np.float64), 3),
    Route("log_softmax: float32", build_log_softmax(np.float32), 3),
    Route("softmax: float64", build_softmax, 3),
    Route("cross_entropy_from_logits", build_cross_entropy_from_logits, 3),
]
if hasattr(kltools, "kl_divergence_from_logits"):
    ROUTES.append(Route("kl_divergence_from_logits", build_kl_from_logits, 3))
for _index in range(len(COVERAGE_PAIRS)):
    for _estimator in ("auto", "k1", "k3"):
        ROUTES.append(Route(f"kl_monte_carlo {_estimator}: {COVERAGE_PAIRS[_index][3]}",
                            build_coverage(_index, _estimator), 4, kind="coverage"))


# -------------------------------------------------------------------------------------------
# Report


def fmt(x: float) -> str:
    """Compact number: 1e-300, 0.25, 3.2e15."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.3g}"
    mantissa, exponent = f"{x:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def err(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}"


def swept_text(result: dict) -> str:
    parts = []
    for key, values in result["swept"].items():
        if not values:
            continue
        low, high = min(values), max(values)
        parts.append(f"{key} {fmt(low)}" if low == high else f"{key} {fmt(low)}..{fmt(high)}")
    count = result["cases"] - result["not_run"]
    tail = f"; {count} cases" + (f" ({result['not_run']} not run)" if result["not_run"] else "")
    return ", ".join(parts) + tail


def first_message(lines: list[str]) -> str:
    message = lines[0].split("  ->  ", 1)[-1]
    return message if len(message) <= 90 else message[:87] + "..."


def defects_text(defects: dict[str, list[str]]) -> str:
    if not defects:
        return "none"
    return "; ".join(f"**{len(v)} {k}**" for k, v in defects.items())


def cell(text: str) -> str:
    """Text for a Markdown table cell: a literal | would end the cell."""
    return text.replace("|", "\\|")


def table(results: list[dict]) -> list[str]:
    lines = ["| route | inputs swept (ranges, count) | worst relative error | median relative error "
             "| errors raised | defects |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        if r["kind"] == "coverage":
            coverage = f"coverage {100 * r['hits'] / max(r['n'], 1):.1f}% ({r['hits']}/{r['n']})"
            if r["bias_ulps"] is not None:
                bias = f"estimates constant; bias {r['bias_ulps']:+.1f} ulp"
            else:
                bias = f"bias {r['bias_se']:+.2f} SE"
                if math.isfinite(r["se_ratio"]):
                    bias += f"; mean stderr / spread of estimates {r['se_ratio']:.2f}"
            swept = (f"{SEEDS} seeds, n={MC_SAMPLES}, 95% intervals value ± 1.96 stderr; exact "
                     f"{r['truth']:.6g}; used {', '.join(r['estimators']) or '-'}"
                     + (f"; stderr inf in {r['infinite_se']}" if r["infinite_se"] else ""))
            raised = (f"{len(r['errors'])}: {first_message(r['errors'])}" if r["errors"] else "0")
            lines.append(f"| {cell(r['name'])} | {cell(swept)} | {coverage} | {bias} | {cell(raised)} | "
                         f"{cell(defects_text(r['defects']))} |")
            continue
        errors_ = r["errors"]
        worst = err(max(errors_)) if errors_ else "-"
        median = err(float(np.median(errors_))) if errors_ else "-"
        raised = f"{len(r['raised'])}: {first_message(r['raised'])}" if r["raised"] else "0"
        lines.append(f"| {cell(r['name'])} | {cell(swept_text(r))} | {worst} | {median} | {cell(raised)} "
                     f"| {cell(defects_text(r['defects']))} |")
    return lines


def details(results: list[dict]) -> list[str]:
    lines = ["", "### Worst input of each route, and every kind of error and defect", ""]
    for r in results:
        if r["kind"] == "coverage":
            for kind, items in r["defects"].items():
                lines.append(f"- {r['name']}: {len(items)} {kind}, e.g. `{items[0]}`")
            if r["errors"]:
                lines.append(f"- {r['name']}: raised {len(r['errors'])}x, e.g. {r['errors'][0]}")
            continue
        if r["errors"]:
            lines.append(f"- {r['name']}: worst `{r['worst'][1]}` (relative error {err(r['worst'][0])})")
        if r["raised"]:
            lines.append(f"  - raised {len(r['raised'])}x, e.g. `{r['raised'][0]}`")
        for kind, items in r["defects"].items():
            shown = "; ".join(f"`{x}`" for x in items[:3])
            lines.append(f"  - **{len(items)} {kind}**, e.g. {shown}")
        for failure in r["oracle_failures"][:3]:
            lines.append(f"  - oracle failure (a bug of this script; case skipped): {failure}")
    return lines




def coverage_band(seeds: int) -> tuple[float, float]:
    """Coverage within two binomial standard deviations of 95% over `seeds` intervals (percent)."""
    half_width = 2 * math.sqrt(0.95 * 0.05 / seeds)
    return 100 * (0.95 - half_width), 100 * (0.95 + half_width)


def summary(results: list[dict]) -> list[str]:
    """What the table says, in sentences made from it (so that the page's claims match its rows)."""
    short = [r for r in results if r["kind"] != "coverage" and r["defects"]]
    if short:
        listed = "; ".join(
            f"`{r['name']}` ({defects_text(r['defects']).replace('**', '')})" for r in short)
        lines = [f"Routes with a defect: {listed}. Every other route is within its promise, "
                 "without NaN, unexpected infinities, warnings or timeouts."]
    else:
        lines = ["Every route is within its promise, without NaN, unexpected infinities, "
                 "warnings or timeouts."]
    low, high = coverage_band(SEEDS)
    # A row whose every stderr is inf claims no interval, and one whose estimates are all exact
    # (constant, stderr 0) covers by rounding: neither is a test of the 95% band.
    coverage = [r for r in results if r["kind"] == "coverage"
                and r["infinite_se"] < r["n"] and r["bias_ulps"] is None]
    outside = [r for r in coverage
               if not low <= 100 * r["hits"] / max(r["n"], 1) <= high]
    text = (f"Over {SEEDS} seeds, the observed coverage of honest 95% intervals falls between "
            f"{low:.1f}% and {high:.1f}% with probability about 95% (two binomial standard "
            f"deviations), so among {len(coverage)} rows one may fall outside by chance; z below "
            "is (coverage - 95%) in binomial standard deviations. Of the "
            f"{len(coverage)} coverage rows that test this (rows with every stderr inf claim no "
            "interval, rows with exact estimates cover by rounding), ")
    if outside:
        def verdict(r: dict) -> str:
            percent = 100 * r["hits"] / max(r["n"], 1)
            z = (percent / 100 - 0.95) / math.sqrt(0.95 * 0.05 / max(r["n"], 1))
            return (f"`{r['name']}` {percent:.1f}% (z = {z:+.1f}, "
                    + ("wider than needed" if percent > high else "too narrow") + ")")
        text += "outside that band: " + "; ".join(verdict(r) for r in outside) + "."
    else:
        text += "every one is inside that band."
    return lines + ["", text]


def git_version() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    start = time.perf_counter()
    header = (f"machine: {cpu_model()} ({platform.machine()}, {os.cpu_count()} cores), "
              f"Python {platform.python_version()}, numpy {np.__version__}, "
              f"scipy {__import__('scipy').__version__}, mpmath {mp.__version__}, "
              f"kltools {kltools.__version__} at git {git_version()}; "
              f"command: `make accuracy` (`.venv/bin/python benchmarks/accuracy.py`)")
    print(header, flush=True)
    measured_on = time.strftime("%Y-%m-%d", time.gmtime())
    order = sorted(range(len(ROUTES)), key=lambda i: -ROUTES[i].cost)
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        self_check = pool.apply_async(oracle_self_check)
        by_index = dict(zip(order, pool.map(run_route, order, chunksize=1)))
        check_text = self_check.get()
    results = [by_index[i] for i in range(len(ROUTES))]
    seconds = time.perf_counter() - start
    slowest = sorted(results, key=lambda r: -r["seconds"])[:6]
    print("slowest routes: " + ", ".join(f"{r['name']} {r['seconds']:.0f} s" for r in slowest),
          file=sys.stderr)
    low, high = coverage_band(SEEDS)
    notes = [
        "",
        f"Oracle: mpmath, closed forms derived in benchmarks/accuracy.py at {DPS} digits and more "
        "until two precisions agree to 30 digits; mpmath.quad and mpmath sums/Poisson-summation "
        f"integrals of log-pmfs written there (self-check: {check_text}). Relative error "
        "|value - truth| / max(|truth|, 2.2e-308) (absolute where truth = 0; below the smallest "
        "normal double a result cannot carry 16 digits), per case the worst entry of an array "
        "result. A truth beyond float64's range is matched by an infinity. Errors raised are "
        "allowed (kltools refuses rather than answers); defects: NaN, inf where the truth is "
        "finite, finite where it is inf, warnings, and calls stopped after "
        f"{CALL_TIMEOUT:g} s. Coverage rows: the fraction of {SEEDS} seeded intervals "
        "value ± 1.96 stderr (plus 8 ulps) that contain the exact divergence, and the bias "
        f"(mean estimate - exact) in units of the standard error of that mean; with {SEEDS} seeds "
        f"a coverage between {low:.1f}% and {high:.1f}% is within two standard deviations of 95%. "
        "The ratio of the "
        "mean reported stderr to the spread of the estimates across seeds shows whether the "
        "intervals have the right width.",
        "",
        f"Finished in {seconds:.0f} s.",
    ]
    lines = [header, "", *table(results), *notes, *details(results)]
    print("\n".join(lines[1:]))
    build = ROOT / "_build"
    build.mkdir(exist_ok=True)
    (build / "accuracy.md").write_text("\n".join(lines) + "\n")
    page = [
        "<!-- Written by `make accuracy` (benchmarks/accuracy.py); do not edit by hand. -->",
        "",
        f"Measured on {measured_on} by `make accuracy` on {cpu_model()} "
        f"({os.cpu_count()} cores), Python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {__import__('scipy').__version__}, mpmath {mp.__version__}, "
        f"kltools {kltools.__version__}:",
        "",
        *table(results),
        "",
        *summary(results),
    ]
    generated = ROOT / "book" / "_generated"
    generated.mkdir(exist_ok=True)
    (generated / "accuracy.md").write_text("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
