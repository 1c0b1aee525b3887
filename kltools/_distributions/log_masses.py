"""Log-pmfs of discrete families computed from their parameters, accurate far into the tails.

SciPy's ``logpmf`` is not safe everywhere for the summation route (``summation.py``):

- some families compute it as ``log(pmf)``, which is ``-inf`` once the pmf underflows although
  the true mass is positive (``dlaplace``, ``planck``, ``boltzmann``, ``logser``, ``zipf``,
  ``zipfian``; also ``skellam`` and the two ``nchypergeom`` families, left to SciPy here);
- others work in log space but as differences of ``gammaln`` values of size ``k log k``, which
  cancel to a few units in the last place *of those values*: ``poisson(1e15).logpmf(1e15)`` is
  ``-16.0`` instead of ``-18.19`` and ``binom``, ``nbinom``, ``hypergeom`` and ``betabinom`` lose
  about ``1e-16 * n log n`` in the same way.

Here the log-pmf of each family below is written with Loader's saddle-point form [1]_: Stirling's
error term :func:`_stirlerr` and the deviance :func:`_bd0`, both small and computed without
cancellation, so the result has an absolute error of a few ulps of ``1 + |log pmf|`` for any
size of the parameters (``n`` up to ``2**53``).

All functions take the *index* ``k = x - loc`` (integer-valued float64) and the parameters of a
:class:`~kltools._distributions.description.Description` with batch shape ``()``; they are
vectorized over ``k`` and return ``-inf`` exactly where the true mass is 0.

References
----------
.. [1] C. Loader, "Fast and accurate computation of binomial probabilities", 2000.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

Params = Mapping[str, np.ndarray]

_LOG_2PI = math.log(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * _LOG_2PI

# stirlerr(x) = lgamma(x + 1) - (x + 1/2) log x + x - log(2 pi) / 2 at x = 0, 1/2, 1, ..., 15
# (computed with mpmath at 40 digits).
_STIRLERR_HALVES = np.array([
    0.0, 1.5342640972002734529e-1, 8.106146679532725822e-2, 5.4814121051917653896e-2,
    4.1340695955409294094e-2, 3.3162873519936287485e-2, 2.7677925684998339149e-2,
    2.3746163656297495971e-2, 2.0790672103765093112e-2, 1.8488450532673185231e-2,
    1.6644691189821192163e-2, 1.5134973221917378874e-2, 1.3876128823070747999e-2,
    1.2810465242920226924e-2, 1.1896709945891770095e-2, 1.1104559758206917327e-2,
    1.0411265261972096497e-2, 9.7994161261588032984e-3, 9.2554621827127329177e-3,
    8.768700134139385463e-3, 8.3305634333628712565e-3, 7.9341145643140205472e-3,
    7.573675487951840795e-3, 7.2445543013203831795e-3, 6.9428401072095298657e-3,
    6.6652470327076824424e-3, 6.4089941880042070684e-3, 6.1717122630394576475e-3,
    5.9513701127588477356e-3, 5.746216513010115682e-3, 5.554733551962801371e-3,
])
# Asymptotic series stirlerr(x) ~ sum_j B_2j / (2j (2j - 1) x^(2j - 1)); at x >= 10 the first
# omitted term is below 2e-18.
_STIRLERR_SERIES = np.array([
    1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400,
])
_SERIES_FROM = 10.0


def _stirlerr(x: np.ndarray) -> np.ndarray:
    """Stirling's error ``lgamma(x + 1) - (x + 1/2) log x + x - log(2 pi) / 2`` for ``x > 0``.

    A table at half-integers up to 15, the asymptotic series from 10 on, and the defining
    formula (absolute error a few times 1e-15) for other ``x < 10``.
    """
    from scipy import special

    x = np.asarray(x, dtype=np.float64)
    large = x >= _SERIES_FROM
    safe = np.where(large, x, _SERIES_FROM)
    inverse_square = 1.0 / (safe * safe)
    series = np.polynomial.polynomial.polyval(inverse_square, _STIRLERR_SERIES) / safe
    small = np.where(large | (x <= 0), 1.0, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = special.gammaln(small + 1.0) - (small + 0.5) * np.log(small) + small - _HALF_LOG_2PI
    twice = 2.0 * x
    tabulated = (twice == np.floor(twice)) & (twice <= 30) & (x >= 0)
    table = _STIRLERR_HALVES[np.where(tabulated, twice, 0).astype(np.int64)]
    return np.where(large, series, np.where(tabulated, table, direct))


def _two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a * b`` as an unevaluated sum ``high + low``, exactly (Dekker's product)."""
    high = a * b
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        ca, cb = 134217729.0 * a, 134217729.0 * b  # 2**27 + 1 splits a double in two halves
        a_hi, b_hi = ca - (ca - a), cb - (cb - b)
        a_lo, b_lo = a - a_hi, b - b_hi
        low = ((a_hi * b_hi - high) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return high, np.where(np.isfinite(low), low, 0.0)


def _bd0(x: np.ndarray, m: np.ndarray, difference: np.ndarray | None = None) -> np.ndarray:
    """The deviance ``x log(x / m) + m - x >= 0`` for ``x >= 0``, ``m > 0``, without cancellation.

    Near ``x = m`` the series ``(x - m) v + 2 x sum_j v^(2j+1) / (2j+1)``, ``v = (x - m) / (x + m)``
    (Loader); elsewhere the formula, with ``log x - log m`` where ``x / m`` over- or underflows.
    `difference`, when given, is ``x - m`` computed more accurately than ``x - m`` in floating
    point (``m`` may be a rounded product).
    """
    x, m = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    diff = x - m if difference is None else np.broadcast_to(difference, x.shape)
    total = x + m
    near = np.abs(diff) < 0.1 * total
    v = np.where(near, diff / np.where(near, total, 1.0), 0.0)
    v2 = v * v
    # |v| < 0.1: 14 odd powers leave a relative error below 1e-28.
    odd = np.polynomial.polynomial.polyval(v2, 1.0 / (2.0 * np.arange(1, 15) + 1.0))
    series = diff * v + 2.0 * x * v * v2 * odd
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        ratio = x / m
        log_ratio = np.where((ratio > 0) & np.isfinite(ratio), np.log(ratio), np.log(x) - np.log(m))
        far = np.where(x == 0, m, x * log_ratio - diff)
    return np.where(near, series, far)


def _log_binom_raw(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """log of ``C(n, x) p^x (1 - p)^(n - x)`` for real ``0 <= x <= n``.

    Loader's ``dbinom_raw``: ``stirlerr`` and ``bd0`` terms, each small, so that the result is
    accurate for any ``n``. ``x - n p`` is formed from the exact product ``n p`` (Dekker), and
    ``n (1 - p)`` as ``n - n p``, so that no rounding of ``1 - p`` or ``n p`` enters.
    """
    x, n, p = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (x, n, p)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        np_high, np_low = _two_product(n, p)
        nq = (n - np_high) - np_low
        at_zero = np.where(p < 0.1, -_bd0(n, nq, np_high + np_low) - np_high, n * np.log1p(-p))
        at_n = np.where(p > 0.9, -_bd0(n, np_high, nq) - nq, n * np.log(p))
        valid = (x > 0) & (x < n)
        inner = np.where(valid, x, 0.5 * np.where(n > 0, n, 1.0))  # keeps the middle branch finite
        deviation = (inner - np_high) - np_low  # x - n p
        middle = (
            _stirlerr(n) - _stirlerr(inner) - _stirlerr(n - inner)
            - _bd0(inner, np_high, deviation) - _bd0(n - inner, nq, -deviation)
            - 0.5 * (_LOG_2PI + np.log(inner) + np.log1p(-inner / n))
        )
    result = np.where(x == 0, np.where(n == 0, 0.0, at_zero), np.where(x == n, at_n, middle))
    # Degenerate probabilities: all the mass at 0 (p = 0) or at n (p = 1).
    result = np.where(p == 0, np.where(x == 0, 0.0, -np.inf), result)
    result = np.where(p == 1, np.where(x == n, 0.0, -np.inf), result)
    return np.where((x < 0) | (x > n), -np.inf, result)


def _lgamma_shift(x: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``lgamma(x + delta) - lgamma(x)`` for ``x, x + delta > 0``, accurate when ``x`` is large.

    With ``lgamma(z) = lgamma(z + 1) - log z = stirlerr(z) + log(2 pi)/2 + (z - 1/2) log z - z``
    the difference is
    ``delta log(x + delta) + (x - 1/2) log1p(delta / x) - delta`` plus a difference of stirlerr
    terms: no term of size ``x log x`` appears.
    """
    from scipy import special

    x, delta = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(delta, dtype=np.float64))
    large = (x >= _SERIES_FROM) & (x + delta >= _SERIES_FROM)
    xs = np.where(large, x, _SERIES_FROM)
    ds = np.where(large, delta, 0.0)
    stirling = (
        _stirlerr(xs + ds) - _stirlerr(xs) + ds * np.log(xs + ds) + (xs - 0.5) * np.log1p(ds / xs) - ds
    )
    direct = special.gammaln(np.where(large, 1.0, x + delta)) - special.gammaln(np.where(large, 1.0, x))
    return np.where(large, stirling, direct)


# -------------------------------------------------------------------------------------------
# Per-family log-pmfs at index k (k = x - loc), and their effective support and centre.


def _poisson(k: np.ndarray, params: Params) -> np.ndarray:
    mu = float(params["mu"])
    if mu == 0.0:
        return np.where(k == 0, 0.0, -np.inf)
    kk = np.maximum(k, 1.0)
    with np.errstate(divide="ignore"):
        positive = -_stirlerr(kk) - _bd0(kk, mu) - 0.5 * (_LOG_2PI + np.log(kk))
    return np.where(k < 0, -np.inf, np.where(k == 0, -mu, positive))


def _binom(k: np.ndarray, params: Params) -> np.ndarray:
    n, p = float(params["n"]), float(params["p"])
    return _log_binom_raw(k, n, p)


def _bernoulli(k: np.ndarray, params: Params) -> np.ndarray:
    p = float(params["p"])
    return _log_binom_raw(k, 1.0, p)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a + b`` as an unevaluated sum ``high + low``, exactly (Knuth's TwoSum)."""
    high = a + b
    virtual = high - a
    return high, (a - (high - virtual)) + (b - virtual)


def _nbinom(k: np.ndarray, params: Params) -> np.ndarray:
    # C(k + n - 1, k) p^n (1-p)^k = n / (n + k) * C(n + k, n) p^n (1-p)^k   (R's dnbinom), written
    # out so that the deviation n - (n + k) p = n - n p - k p is formed in double-double: with
    # n + k rounded first, huge non-integer n would lose it.
    n, p = float(params["n"]), float(params["p"])
    kk = np.maximum(k, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        np_high, np_low = _two_product(np.float64(n), np.float64(p))
        kp_high, kp_low = _two_product(kk, np.float64(p))
        first, error_1 = _two_sum(np.float64(n), -np_high)
        second, error_2 = _two_sum(first, -kp_high)
        deviation = second + ((error_1 + error_2) - np_low - kp_low)  # n - (n + k) p
        total = n + kk
        # (n + k) p = n - deviation and (n + k) (1 - p) = k + deviation, without cancellation
        positive = (
            _stirlerr(total) - _stirlerr(n) - _stirlerr(kk)
            - _bd0(np.float64(n), n - deviation, deviation) - _bd0(kk, kk + deviation, -deviation)
            + 0.5 * (np.log(n) - np.log(total) - _LOG_2PI - np.log(kk))
        )
    at_zero = n * math.log(p)
    if p == 1.0:
        return np.where(k == 0, 0.0, -np.inf)
    return np.where(k < 0, -np.inf, np.where(k == 0, at_zero, positive))


def _geom(k: np.ndarray, params: Params) -> np.ndarray:
    p = float(params["p"])
    if p == 1.0:
        return np.where(k == 1, 0.0, -np.inf)
    return np.where(k < 1, -np.inf, (k - 1.0) * math.log1p(-p) + math.log(p))


def _hypergeom(k: np.ndarray, params: Params) -> np.ndarray:
    # SciPy's hypergeom(M, n, N): N draws from M objects of which n are good (R's dhyper).
    total, good, draws = float(params["M"]), float(params["n"]), float(params["N"])
    bad = total - good
    p = draws / total  # any p gives the same ratio; this one keeps each factor moderate
    low, high = max(0.0, draws - bad), min(good, draws)
    kk = np.clip(k, low, high)
    value = (
        _log_binom_raw(kk, good, p) + _log_binom_raw(draws - kk, bad, p)
        - _log_binom_raw(draws, total, p)
    )
    return np.where((k < low) | (k > high), -np.inf, value)


def _betabinom(k: np.ndarray, params: Params) -> np.ndarray:
    # C(n, k) B(k + a, n - k + b) / B(a, b), grouped as three lgamma shifts plus lbeta(a, b).
    from scipy import special

    n, a, b = float(params["n"]), float(params["a"]), float(params["b"])
    kk = np.clip(k, 0.0, n)
    value = (
        _lgamma_shift(kk + 1.0, a - 1.0) + _lgamma_shift(n - kk + 1.0, b - 1.0)
        - _lgamma_shift(n + 1.0, a + b - 1.0) - special.betaln(a, b)
    )
    return np.where((k < 0) | (k > n), -np.inf, value)


def _randint(k: np.ndarray, params: Params) -> np.ndarray:
    low, high = float(params["low"]), float(params["high"])
    return np.where((k < low) | (k >= high), -np.inf, -math.log(high - low))


def _dlaplace(k: np.ndarray, params: Params) -> np.ndarray:
    # tanh(a / 2) exp(-a |k|); log tanh(a / 2) = log1p(-2 / (1 + e^a)) for a >= 1
    a = float(params["a"])
    log_norm = math.log(math.tanh(a / 2)) if a < 1 else math.log1p(-2.0 / (1.0 + math.exp(min(a, 700.0))))
    return log_norm - a * np.abs(k)


def _planck(k: np.ndarray, params: Params) -> np.ndarray:
    lam = float(params["lambda_"])
    return np.where(k < 0, -np.inf, math.log(-math.expm1(-lam)) - lam * k)


def _boltzmann(k: np.ndarray, params: Params) -> np.ndarray:
    lam, n = float(params["lambda_"]), float(params["N"])
    log_norm = math.log(-math.expm1(-lam)) - math.log(-math.expm1(-lam * n))
    return np.where((k < 0) | (k >= n), -np.inf, log_norm - lam * k)


def _logser(k: np.ndarray, params: Params) -> np.ndarray:
    p = float(params["p"])
    kk = np.maximum(k, 1.0)
    value = kk * math.log(p) - np.log(kk) - math.log(-math.log1p(-p))
    return np.where(k < 1, -np.inf, value)


def _zipf(k: np.ndarray, params: Params) -> np.ndarray:
    from scipy import special

    a = float(params["a"])
    kk = np.maximum(k, 1.0)
    return np.where(k < 1, -np.inf, -a * np.log(kk) - math.log(special.zeta(a, 1)))


def _generalized_harmonic(n: float, a: float) -> float:
    """``H(n, a) = sum_{k=1}^n k^-a`` for ``a >= 0`` (SciPy's takes minutes for n = 1e12).

    The first 63 terms are added; the rest by the Euler-Maclaurin formula with the exact
    derivatives of ``x^-a`` (the remainder after four Bernoulli terms is below 1e-18 relative).
    """
    head = 64.0
    if n < 2 * head:
        return math.fsum(np.arange(1.0, n + 1.0) ** -a)
    total = math.fsum(np.arange(1.0, head) ** -a)
    integral = math.log(n / head) if a == 1 else (n ** (1 - a) - head ** (1 - a)) / (1 - a)
    total += integral + 0.5 * (head**-a + n**-a)
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30)
    for j, b in enumerate(bernoulli, start=1):
        order = 2 * j - 1  # d^m/dx^m x^-a = (-a)(-a-1)...(-a-m+1) x^(-a-m)
        falling = math.prod(-a - i for i in range(order))
        derivative_gap = falling * (n ** (-a - order) - head ** (-a - order))
        total += b / math.factorial(2 * j) * derivative_gap
    return total


def _zipfian(k: np.ndarray, params: Params) -> np.ndarray:
    a, n = float(params["a"]), float(params["n"])
    log_norm = -math.log(_generalized_harmonic(n, a))
    kk = np.clip(k, 1.0, n)
    return np.where((k < 1) | (k > n), -np.inf, log_norm - a * np.log(kk))


_LOG_PMF: dict[str, Callable[[np.ndarray, Params], np.ndarray]] = {
    "poisson": _poisson,
    "binom": _binom,
    "bernoulli": _bernoulli,
    "nbinom": _nbinom,
    "geom": _geom,
    "hypergeom": _hypergeom,
    "betabinom": _betabinom,
    "randint": _randint,
    "dlaplace": _dlaplace,
    "planck": _planck,
    "boltzmann": _boltzmann,
    "logser": _logser,
    "zipf": _zipf,
    "zipfian": _zipfian,
}

#: Families whose log-pmf is computed here rather than by SciPy.
OWNED = frozenset(_LOG_PMF)


def log_pmf(family: str, params: Params, k: np.ndarray) -> np.ndarray:
    """Log-pmf of `family` at index ``k = x - loc`` (integer-valued), from the parameters.

    Parameters
    ----------
    family
        One of :data:`OWNED`.
    params
        The description's parameters (scalars).
    k
        Integer-valued float64 array of indices.

    Returns
    -------
    numpy.ndarray
        ``log pmf(loc + k)``, ``-inf`` exactly where the mass is 0.
    """
    return np.asarray(_LOG_PMF[family](np.asarray(k, dtype=np.float64), params), dtype=np.float64)


def effective_support(family: str, params: Params) -> tuple[float, float] | None:
    """Smallest and largest index with positive mass, or None if the family is not handled.

    Unlike SciPy's ``support()`` this knows the degenerate parameters: ``binom(n, 0)`` and
    ``poisson(0)`` have all their mass at 0, ``binom(n, 1)`` at ``n``, ``geom(1)`` at 1.
    """
    get = {name: float(value) for name, value in params.items()}
    inf = math.inf
    if family == "poisson":
        return 0.0, (0.0 if get["mu"] == 0 else inf)
    if family in ("binom", "bernoulli"):
        n, p = get.get("n", 1.0), get["p"]
        return (n if p == 1 else 0.0), (0.0 if p == 0 else n)
    if family == "nbinom":
        return 0.0, (0.0 if get["p"] == 1 else inf)
    if family == "geom":
        return 1.0, (1.0 if get["p"] == 1 else inf)
    if family == "hypergeom":
        total, good, draws = get["M"], get["n"], get["N"]
        return max(0.0, draws - (total - good)), min(good, draws)
    return None


def mode(family: str, params: Params) -> float | None:
    """An index at or next to the largest mass (the centre of the summation), or None."""
    get = {name: float(value) for name, value in params.items()}
    if family == "poisson":
        return math.floor(get["mu"])
    if family in ("binom", "bernoulli"):
        n = get.get("n", 1.0)
        return min(math.floor((n + 1) * get["p"]), n)
    if family == "nbinom":
        n, p = get["n"], get["p"]
        return math.floor((n - 1) * (1 - p) / p) if n > 1 else 0.0
    if family == "hypergeom":
        total, good, draws = get["M"], get["n"], get["N"]
        low, high = max(0.0, draws - (total - good)), min(good, draws)
        return min(max(math.floor((draws + 1) * (good + 1) / (total + 2)), low), high)
    if family == "betabinom":
        return math.floor(get["n"] * get["a"] / (get["a"] + get["b"]))
    if family == "randint":
        return get["low"]
    if family in ("dlaplace", "planck", "boltzmann"):
        return 0.0
    if family in ("geom", "logser", "zipf", "zipfian"):
        return 1.0
    return None
