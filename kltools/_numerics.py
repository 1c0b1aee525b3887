"""Functions that stay accurate where the obvious formula cancels, overflows or underflows.

Closed-form KL divergences are sums of quantities that are each non-negative but that the obvious
formula computes as a difference of nearly equal numbers (``log r`` against ``r - 1``, ``lgamma``
against its tangent, ...), or as a product whose factors overflow or underflow although the
product does not. The helpers below return such quantities directly, with relative accuracy over
the whole float64 range of their arguments:

- everything is written in terms of an accurately computed logarithm ``L`` (of a ratio of scales,
  of a ratio of probabilities, ...): ``phi(L) = e**L - 1 - L`` and ``chi(L) = (L - 1) e**L + 1``
  are evaluated by their Taylor series for ``|L| < 1`` and by a formula without cancellation
  elsewhere; a weight ``w`` times them is formed from ``w`` and ``w * e**L``, and the caller
  computes ``w * e**L`` as a product of mantissas and a power of two (:func:`_quotient`), so
  that neither ``inf * 0`` nor a spurious overflow can happen;
- ratios near 1 are formed from exact differences: :func:`_log_ratio` uses ``log1p((x - y)/y)``
  where ``x - y`` is exact (Sterbenz), :func:`_ratio_minus_one` uses exact products of
  mantissas (Dekker's two-product);
- the tangent gap of ``lgamma`` is split into three convex parts, ``x log x - x``,
  ``-log(x)/2`` and Binet's function ``mu`` (:func:`_binet_tangent_gap`), each of whose gaps is
  computed without cancellation.

No function here emits a RuntimeWarning: where an intermediate is allowed to overflow (it is then
the answer, or it is discarded by ``np.where``), the operation runs under ``np.errstate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

ArrayLike = np.ndarray | float

#: log(2) split so that k * _LN2_HI is exact for |k| < 2**20 (fdlibm's constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EULER_GAMMA = 0.57721566490153286060651209008240243
_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)

# Taylor coefficients on |L| < 1; 25 terms leave a relative truncation error below 1e-24.
_TERMS = 25
_PHI_COEFFICIENTS = np.array([0.0, 0.0] + [1.0 / math.factorial(k) for k in range(2, _TERMS + 1)])
_CHI_COEFFICIENTS = np.array([0.0, 0.0] + [(k - 1) / math.factorial(k) for k in range(2, _TERMS + 1)])


def _as_float(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


# -------------------------------------------------------------------------------------------
# phi(L) = e^L - 1 - L and chi(L) = (L - 1) e^L + 1, and weighted versions


def _weighted_phi(w, log_x, w_times_x) -> np.ndarray:
    """``w * (x - 1 - log x)`` >= 0, given ``w >= 0``, ``log x`` and ``w * x``.

    Parameters
    ----------
    w : array_like
        Non-negative weights.
    log_x : array_like
        ``log x``, accurate to a few ulps relative (may be ``-inf`` or ``inf``).
    w_times_x : array_like
        ``w * x`` computed without spurious overflow (``inf`` only where it truly exceeds the
        largest double).

    Returns
    -------
    numpy.ndarray
        ``w * phi(log x)`` with relative error of a few ulps; ``inf`` where it overflows.
    """
    w, L, wx = np.broadcast_arrays(_as_float(w), _as_float(log_x), _as_float(w_times_x))
    small = np.abs(L) < 1.0
    finite = np.isfinite(L)
    L_finite = np.where(finite, L, 0.0)
    series = w * np.polynomial.polynomial.polyval(np.where(small, L, 0.0), _PHI_COEFFICIENTS)
    with np.errstate(over="ignore", invalid="ignore"):
        # log x >= 1: w x - w (1 + log x), a difference of at most 2.4 to 1.
        above = np.where(np.isinf(wx), np.inf, wx - w * (1.0 + L_finite))
        # log x <= -1: two non-negative terms.
        below = w * (-1.0 - L_finite) + wx
    result = np.where(small, series, np.where(L > 0, above, below))
    return np.where(finite, result, np.where(w > 0, np.inf, 0.0))


def _weighted_chi(w, log_x, w_times_x) -> np.ndarray:
    """``w * (x log x - x + 1)`` >= 0, given ``w >= 0``, ``log x`` and ``w * x``.

    With ``w = y`` and ``w * x = x'`` this is the relative-entropy term
    ``x' log(x'/y) - x' + y``. ``log x = -inf`` (``x = 0``) gives ``w``.
    """
    w, L, wx = np.broadcast_arrays(_as_float(w), _as_float(log_x), _as_float(w_times_x))
    small = np.abs(L) < 1.0
    L_finite = np.where(np.isfinite(L), L, 0.0)
    series = w * np.polynomial.polynomial.polyval(np.where(small, L, 0.0), _CHI_COEFFICIENTS)
    with np.errstate(over="ignore", invalid="ignore"):
        above = wx * (L_finite - 1.0) + w  # two non-negative terms
        below = w - wx * (1.0 - L_finite)  # a difference of at most 3.8 to 1
    result = np.where(small, series, np.where(L > 0, above, below))
    result = np.where(L == -np.inf, w, result)
    return np.where(L == np.inf, np.where(wx > 0, np.inf, 0.0), result)


def _expm1_minus_x(x) -> np.ndarray:
    """``exp(x) - 1 - x`` >= 0 for any real x, with relative accuracy; inf where it overflows."""
    x = _as_float(x)
    with np.errstate(over="ignore"):
        ex = np.exp(np.where(np.isfinite(x), x, 0.0))
    ex = np.where(x == np.inf, np.inf, np.where(x == -np.inf, 0.0, ex))
    return _weighted_phi(1.0, x, ex)


def _x_minus_log1p(u) -> np.ndarray:
    """``u - log(1 + u)`` >= 0 for u >= -1, with relative accuracy (about u**2/2 for small u)."""
    u = _as_float(u)
    with np.errstate(divide="ignore"):
        L = np.log1p(u)
    return _weighted_phi(1.0, L, 1.0 + u)


def _one_plus_x_log1p_minus_x(u) -> np.ndarray:
    """``(1 + u) log(1 + u) - u`` >= 0 for u >= -1, with relative accuracy."""
    u = _as_float(u)
    with np.errstate(divide="ignore"):
        L = np.log1p(u)
    return _weighted_chi(1.0, L, 1.0 + u)


def _expm1_neg_plus_x(x) -> np.ndarray:
    """``exp(-x) - 1 + x`` >= 0, with relative accuracy (about x**2/2 for small x)."""
    return _expm1_minus_x(-_as_float(x))


# -------------------------------------------------------------------------------------------
# Exact and scaled arithmetic


def _two_sum(a, b) -> tuple[np.ndarray, np.ndarray]:
    """``s + e == a + b`` exactly, ``s = fl(a + b)`` (Knuth), for finite sums."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = 134217729.0 * a  # 2**27 + 1 (Veltkamp)
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b) -> tuple[np.ndarray, np.ndarray]:
    """``p + e == a * b`` exactly, ``p = fl(a * b)`` (Dekker), for |a|, |b| of moderate size."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_sum(x, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Sum along `axis` as an unevaluated pair ``hi + lo`` accurate to about k * eps**2.

    A tree of exact two-sums: ``hi`` is the (rounded) tree sum and ``lo`` the sum of every
    rounding error. Loops over the log2(k) levels of the tree, not over elements.
    """
    x = np.moveaxis(_as_float(x), axis, -1)
    lo = np.zeros(x.shape[:-1])
    while x.shape[-1] > 1:
        if x.shape[-1] % 2:
            x = np.concatenate([x, np.zeros(x.shape[:-1] + (1,))], axis=-1)
        s, e = _two_sum(x[..., 0::2], x[..., 1::2])
        lo = lo + np.sum(e, axis=-1)
        x = s
    return x[..., 0], lo


def _mantissa_and_power(numerators: Sequence, denominators: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """prod(numerators) / prod(denominators) as mantissa * 2**power, which cannot overflow."""
    mantissa = np.float64(1.0)
    power = np.int64(0)
    for value in numerators:
        m, e = np.frexp(_as_float(value))
        mantissa, power = mantissa * m, power + e.astype(np.int64)
    for value in denominators:
        m, e = np.frexp(_as_float(value))
        mantissa, power = mantissa / m, power - e.astype(np.int64)
    return mantissa, power


def _quotient(numerators: Sequence, denominators: Sequence = (), exponent: int = 0) -> np.ndarray:
    """``prod(numerators) / prod(denominators) * 2**exponent`` with no spurious over/underflow.

    Mantissas and exponents are multiplied separately (``frexp``) and joined once with
    ``ldexp``, so the result is inf or 0 only when the true value is beyond the double range.
    Arguments must be finite, denominators > 0.
    """
    mantissa, power = _mantissa_and_power(numerators, denominators)
    power = np.clip(power + np.int64(exponent), -5000, 5000)
    with np.errstate(over="ignore"):
        return np.ldexp(mantissa, power.astype(np.int32))


def _log_quotient(numerators: Sequence, denominators: Sequence = ()) -> np.ndarray:
    """``log(prod(numerators) / prod(denominators))`` for positive finite arguments.

    Accurate to a few ulps of the larger of 1 and the result, so relatively accurate where the
    result is not close to 0 (use :func:`_log_ratio` or :func:`_ratio_minus_one` there).
    """
    mantissa, power = _mantissa_and_power(numerators, denominators)
    k = power.astype(np.float64)
    return k * _LN2_HI + (np.log(mantissa) + k * _LN2_LO)


def _log_ratio(x, y) -> np.ndarray:
    """``log(x / y)`` for x, y > 0 (finite, possibly subnormal), relatively accurate.

    ``log1p((x - y) / y)`` where x/y is in [1/2, 2] (``x - y`` is then exact);
    ``log(x / y)`` where the quotient is a normal number (the result is at least log 2 in
    magnitude, so the quotient's rounding error is relatively small); ``log x - log y``
    otherwise (the result then exceeds 700 in magnitude). ``x = 0`` gives ``-inf``.
    """
    x, y = np.broadcast_arrays(_as_float(x), _as_float(y))
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        q = x / y
        near = (q >= 0.5) & (q <= 2.0)
        normal = np.isfinite(q) & (q >= _SMALLEST_NORMAL)
        return np.where(near, np.log1p((x - y) / y), np.where(normal, np.log(q), np.log(x) - np.log(y)))


def _ratio_minus_one(x1, y1, x2, y2, y1_low=0.0, y2_low=0.0) -> np.ndarray:
    """``x1 * (y1 + y1_low) / (x2 * (y2 + y2_low)) - 1`` for positive finite x, y, accurate near 0.

    The mantissa products are formed exactly (two-product) and subtracted after aligning their
    powers of two, so the result has a few ulps of relative error even when the two products
    agree to many digits. ``y1_low`` and ``y2_low`` are optional low parts of double-double
    values (such as the sums of :func:`_dd_sum`). Far from 1 it is the rounded quotient minus 1
    (``inf`` on overflow).
    """
    x1, y1, x2, y2, y1_low, y2_low = np.broadcast_arrays(*map(_as_float, (x1, y1, x2, y2, y1_low, y2_low)))
    m1, e1 = np.frexp(x1)
    n1, f1 = np.frexp(y1)
    m2, e2 = np.frexp(x2)
    n2, f2 = np.frexp(y2)
    p1, r1 = _two_prod(m1, n1)  # mantissas in [1/2, 1): no overflow, exact
    p2, r2 = _two_prod(m2, n2)
    r1 = r1 + m1 * np.ldexp(y1_low, -f1)
    r2 = r2 + m2 * np.ldexp(y2_low, -f2)
    shift = (e1.astype(np.int64) + f1) - (e2.astype(np.int64) + f2)
    near = np.abs(shift) <= 2
    s = np.where(near, shift, 0).astype(np.int32)
    numerator = (np.ldexp(p1, s) - p2) + (np.ldexp(r1, s) - r2)
    close = numerator / p2
    far = _quotient((x1, y1), (x2, y2)) - 1.0
    return np.where(near, close, far)


def _difference_over(a, b, s) -> np.ndarray:
    """``(a - b) / s`` for finite a, b and s > 0, without overflow of ``a - b``.

    Where ``a - b`` overflows, ``2 * ((a/2 - b/2) / s)`` (halving is exact there); the result
    is inf only where the true value exceeds the largest double.
    """
    a, b, s = np.broadcast_arrays(_as_float(a), _as_float(b), _as_float(s))
    with np.errstate(over="ignore"):
        d = a - b
        plain = d / s
        halved = 2.0 * ((0.5 * a - 0.5 * b) / s)
    return np.where(np.isfinite(d), plain, halved)


def _half_square(z) -> np.ndarray:
    """``z**2 / 2`` computed as ``2 * (z/2)**2``: overflows only where the result does."""
    with np.errstate(over="ignore"):
        return 2.0 * np.square(0.5 * _as_float(z))


def _relative_entropy_term(p, q) -> np.ndarray:
    """``p log(p / q) - p + q`` >= 0 for p, q >= 0 (``0 log 0 = 0``; ``inf`` where q = 0 < p).

    Accurate to a few ulps relative even when p and q agree to many digits, where
    ``p log(p / q)`` alone loses every digit.
    """
    p, q = np.broadcast_arrays(_as_float(p), _as_float(q))
    positive = (p > 0) & (q > 0)
    L = _log_ratio(np.where(positive, p, 1.0), np.where(positive, q, 1.0))
    value = _weighted_chi(q, L, p)
    return np.where(positive, value, np.where(q > 0, q, np.where(p > 0, np.inf, 0.0)))


# -------------------------------------------------------------------------------------------
# -------------------------------------------------------------------------------------------
# Binet's function mu(x) = lgamma(x) - (x - 1/2) log x + x - log(2 pi)/2 and its tangent gap

# mu(x) = sum_{k<N} g(x + k) + mu(x + N), g(x) = (x + 1/2) log(1 + 1/x) - 1 = atanh(y)/y - 1
# with y = 1/(2x + 1) (all terms positive); from x + N >= _ASYMPTOTIC_FROM on, the Stirling
# series with 12 terms leaves a relative error below 1e-20.
_ASYMPTOTIC_FROM = 12
_BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730)]
# mu(x) ~ (1/x) sum_n B_2n / (2n (2n-1)) (1/x^2)^(n-1)
_MU_SERIES = np.array([float(b / (2 * n * (2 * n - 1))) for n, b in enumerate(_BERNOULLI, start=1)])
# mu'(x) ~ (1/x^2) sum_n -B_2n / (2n) (1/x^2)^(n-1)
_MU1_SERIES = np.array([float(-b / (2 * n)) for n, b in enumerate(_BERNOULLI, start=1)])
# mu''(x) ~ (1/x^3) sum_n B_2n (1/x^2)^(n-1)
_MU2_SERIES = np.array([float(b) for b in _BERNOULLI])
# |mu'''(x)| ~ (1/x^4) sum_n (2n + 1) B_2n (1/x^2)^(n-1)
_MU3_SERIES = np.array([float((2 * n + 1) * b) for n, b in enumerate(_BERNOULLI, start=1)])
# g(x) = y^2 sum_{n>=1} (y^2)^(n-1) / (2n + 1); g'(x) = -2 y^3 sum_{n>=1} (2n/(2n+1)) (y^2)^(n-1):
# 20 terms for x >= 1 (y <= 1/3) and 55 for 1/4 <= x < 1 (y <= 2/3) leave less than 1e-17.
_G_SERIES = np.array([1.0 / (2 * n + 1) for n in range(1, 56)])
_G1_SERIES = np.array([2.0 * n / (2 * n + 1) for n in range(1, 56)])
_G_SHORT = 20
_G_SERIES_FROM = 0.25
_HALF_LOG_2PI = 0.91893853320467274178


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes t in (0, 1) and weights w * (1 - t) for int_0^1 (1 - t) f(t) dt."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    nodes = 0.5 * (nodes + 1.0)
    return nodes, 0.5 * weights * (1.0 - nodes)


# Quadrature rules for the near-equal tangent gap, by |delta|/a: the integrand's nearest pole
# (at 0) is at least 3 half-lengths of the interval away (Bernstein ellipse rho >= 5.8), or 127
# of them (rho >= 250) for the small steps; the rules leave relative errors below 1e-20.
_QUADRATURE_TIERS = ((1.0 / 64.0, _gauss_legendre(5)), (0.5, _gauss_legendre(16)))
_SHIFTS = np.arange(_ASYMPTOTIC_FROM, dtype=np.float64)


def _on(mask: np.ndarray, function, *arrays: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """``function(*arrays)`` where `mask` holds (elementwise), `fill` elsewhere.

    Evaluates only the selected elements, so each element gets exactly the value it would get
    alone: a batch gives what a loop over its members gives.
    """
    out = np.full(mask.shape, fill)
    if np.any(mask):
        out[mask] = function(*(np.broadcast_to(x, mask.shape)[mask] for x in arrays))
    return out


def _sum_last(values: np.ndarray) -> np.ndarray:
    """Sum over the last axis in a fixed order (the same for every element of a batch)."""
    total = np.zeros(values.shape[:-1])
    for j in range(values.shape[-1]):
        total = total + values[..., j]
    return total


def _shift_count(x: np.ndarray) -> np.ndarray:
    return np.where(x < _ASYMPTOTIC_FROM, np.ceil(_ASYMPTOTIC_FROM - np.minimum(x, _ASYMPTOTIC_FROM)), 0.0)


def _recurrence_sum(x: np.ndarray, term, *more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_{k<N(x)} term(x + k, *more)`` and the shifted point ``x + N(x)`` (>= 12)."""
    shifts = _shift_count(x)
    if not np.any(shifts):
        return np.zeros(x.shape), x
    grid = x[..., np.newaxis] + _SHIFTS
    active = _SHIFTS < shifts[..., np.newaxis]
    values = _on(active, term, grid, *(m[..., np.newaxis] for m in more))
    return _sum_last(values), x + shifts


def _binet_g(x: np.ndarray) -> np.ndarray:
    """g(x) = (x + 1/2) log(1 + 1/x) - 1 >= 0 for x > 0."""

    def series(x, terms):
        y = 1.0 / (2.0 * x + 1.0)
        y2 = y * y
        return y2 * np.polynomial.polynomial.polyval(y2, _G_SERIES[:terms])

    def direct(x):  # x < 1/4: the terms cancel by at most 6 to 1
        return (x + 0.5) * (np.log1p(x) - np.log(x)) - 1.0

    long = (x >= _G_SERIES_FROM) & (x < 1.0)
    result = _on(x >= 1.0, lambda x: series(x, _G_SHORT), x) + _on(long, lambda x: series(x, None), x)
    return result + _on(x < _G_SERIES_FROM, direct, x)


def _binet_g_derivative_times(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """d * g'(x) for x > 0, g'(x) = log(1 + 1/x) - (x + 1/2)/(x (x + 1)) < 0."""

    def series(x, d, terms):
        y = 1.0 / (2.0 * x + 1.0)
        y2 = y * y
        return -2.0 * (y2 * y) * np.polynomial.polynomial.polyval(y2, _G1_SERIES[:terms]) * d

    def direct(x, d):
        # -2 [y/(1 - y^2) - atanh y], y/(1 - y^2) = (2x + 1)/(4x(x + 1)), atanh y = log(1 + 1/x)/2;
        # d/x overflows only where the gap it enters is itself beyond the double range.
        with np.errstate(over="ignore", invalid="ignore"):
            return -2.0 * ((d / x) * ((2.0 * x + 1.0) / (4.0 * (x + 1.0))) - d * (0.5 * (np.log1p(x) - np.log(x))))

    long = (x >= _G_SERIES_FROM) & (x < 1.0)
    result = _on(x >= 1.0, lambda x, d: series(x, d, _G_SHORT), x, d)
    result = result + _on(long, lambda x, d: series(x, d, None), x, d)
    return result + _on(x < _G_SERIES_FROM, direct, x, d)


def _binet(x: np.ndarray) -> np.ndarray:
    """Binet's function mu(x) > 0 for x > 0, relatively accurate."""
    x = _as_float(x)
    total, tail = _recurrence_sum(x, _binet_g)
    inv = 1.0 / tail
    return total + inv * np.polynomial.polynomial.polyval(inv * inv, _MU_SERIES)


def _binet_derivative_times(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """d * mu'(x) for x > 0 (mu' < 0), without spurious overflow for tiny x."""
    x, d = np.broadcast_arrays(_as_float(x), _as_float(d))
    total, tail = _recurrence_sum(x, _binet_g_derivative_times, d)
    inv = 1.0 / tail
    with np.errstate(over="ignore", invalid="ignore"):
        return total + (d * inv) * inv * np.polynomial.polynomial.polyval(inv * inv, _MU1_SERIES)


def _binet_second_times_square(s: np.ndarray, d: np.ndarray) -> np.ndarray:
    """d**2 * mu''(s) >= 0 for s > 0 and |d| <= 2 s, as a sum of positive terms.

    mu''(x) = sum_{k<N} 1 / (2 (x+k)^2 (x+k+1)^2) + mu''(x + N).
    """
    s, d = np.broadcast_arrays(s, d)
    total, tail = _recurrence_sum(s, lambda x, d: 0.5 * np.square((d / x) / (x + 1.0)), d)
    inv = 1.0 / tail
    return total + np.square(d * inv) * inv * np.polynomial.polynomial.polyval(inv * inv, _MU2_SERIES)


def _binet_second_times(s: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u * v * mu''(s) for s > 0 and |u| <= 2 s, without spurious overflow (mu'' > 0)."""
    s, u, v = np.broadcast_arrays(s, u, v)

    # u/x is at most 2 first, so that a large v (far gaps) overflows only where the product does.
    def term(x, u, v):
        return 0.5 * (((((u / x) / (x + 1.0)) * v) / x) / (x + 1.0))

    total, tail = _recurrence_sum(s, term, u, v)
    inv = 1.0 / tail
    return total + (((u * inv) * v) * inv) * inv * np.polynomial.polynomial.polyval(inv * inv, _MU2_SERIES)


def _binet_third_times(s: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """u * v * w * |mu'''(s)| for s > 0 and |u|, |v|, |w| <= 2 s (mu''' < 0).

    The terms g of the recurrence have g'''(x) = -(2x + 1) / (x^3 (x + 1)^3).
    """
    s, u, v, w = np.broadcast_arrays(s, u, v, w)

    def term(x, u, v, w):
        return (2.0 * x + 1.0) * ((u / x) / (x + 1.0)) * ((v / x) / (x + 1.0)) * ((w / x) / (x + 1.0))

    total, tail = _recurrence_sum(s, term, u, v, w)
    inv = 1.0 / tail
    series = np.polynomial.polynomial.polyval(inv * inv, _MU3_SERIES)
    return total + (u * inv) * (v * inv) * (w * inv) * inv * series


_SHIFT_NODES, _SHIFT_WEIGHTS = np.polynomial.legendre.leggauss(4)
_SHIFT_NODES = 0.5 * (_SHIFT_NODES + 1.0)
_SHIFT_WEIGHTS = 0.5 * _SHIFT_WEIGHTS


def _binet_gap_shift(x, d, s, s_new, s_minus_s_new, y=None) -> np.ndarray:
    """``mu-gap(x, y) - mu-gap(x + s, y + s_new)`` for small shifts, ``y = x + d``.

    The difference of two nearly equal gaps, as the integral over t in [0, 1] of minus the
    derivative of the gap along the shift, ``s D mu''(x_t) - s_new (mu'(y_t) - mu'(x_t))`` with
    ``x_t = x + t s``, ``y_t = y + t s_new``, ``D = y_t - x_t`` (4 Gauss-Legendre nodes in t
    leave a relative error near (s/x)^8; valid for s <= x/1024 and s_new <= y/1024). Where
    ``|d| <= x/2`` the derivative is rewritten without cancellation as::

        (s - s_new) D mu''(x_t) + s_new D^2 int_0^1 (1 - w) |mu'''(x_t + w D)| dw.

    No term is of the size of the gaps themselves.
    """
    x, d, s, s_new, s_minus = np.broadcast_arrays(*map(_as_float, (x, d, s, s_new, s_minus_s_new)))
    y = x + d if y is None else np.broadcast_to(_as_float(y), x.shape)
    near = np.abs(d) <= 0.5 * x
    return _on(near, _binet_gap_shift_near, x, d, s, s_new, s_minus) + _on(
        ~near, _binet_gap_shift_far, x, d, s, s_new, s_minus, y
    )


def _binet_gap_shift_near(x, d, s, s_new, s_minus) -> np.ndarray:
    xt = x[..., np.newaxis] + _SHIFT_NODES * s[..., np.newaxis]
    dt = d[..., np.newaxis] - _SHIFT_NODES * s_minus[..., np.newaxis]
    first = _binet_second_times(xt, s_minus[..., np.newaxis], dt)
    nodes, weights = _QUADRATURE_TIERS[-1][1]
    inner = _binet_third_times(
        xt[..., np.newaxis] + nodes * dt[..., np.newaxis],
        s_new[..., np.newaxis, np.newaxis],
        dt[..., np.newaxis],
        dt[..., np.newaxis],
    )
    second = _sum_last(weights * inner)
    return _sum_last(_SHIFT_WEIGHTS * (first + second))


def _binet_gap_shift_far(x, d, s, s_new, s_minus, y) -> np.ndarray:
    xt = x[..., np.newaxis] + _SHIFT_NODES * s[..., np.newaxis]
    yt = y[..., np.newaxis] + _SHIFT_NODES * s_new[..., np.newaxis]
    dt = d[..., np.newaxis] - _SHIFT_NODES * s_minus[..., np.newaxis]
    with np.errstate(over="ignore", invalid="ignore"):
        first = _binet_second_times(xt, s[..., np.newaxis], dt)
        sn = s_new[..., np.newaxis]
        second = _binet_derivative_times(yt, sn) - _binet_derivative_times(xt, sn)
        return _sum_last(_SHIFT_WEIGHTS * (first - second))


def _binet_gap_near(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Tangent gap of mu for |d| <= a/2: d^2 int_0^1 (1 - t) mu''(a + t d) dt by Gauss-Legendre."""
    result = np.zeros(a.shape)
    lower = 0.0
    for upper, (nodes, weights) in _QUADRATURE_TIERS:
        tier = (np.abs(d) > lower * a) | (lower == 0.0)
        tier &= np.abs(d) <= upper * a

        def quadrature(a, d, nodes=nodes, weights=weights):
            values = _binet_second_times_square(a[:, np.newaxis] + nodes * d[:, np.newaxis], d[:, np.newaxis])
            return _sum_last(weights * values)

        result = result + _on(tier, quadrature, a, d)
        lower = upper
    return result


def _binet_gap_far(a: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tangent gap of mu from its definition, for |d| > a/2 (the terms cancel 6 to 1 at most)."""
    with np.errstate(over="ignore", invalid="ignore"):
        value = (_binet(b) - _binet(a)) - _binet_derivative_times(a, d)
    # inf - inf: d * mu'(a) and mu(b) both beyond the double range, the gap too.
    return np.where(np.isnan(value), np.inf, value)


def _binet_gap_small(a: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tangent gap of mu for a, b <= 1 far apart.

    mu(x) = -log(x)/2 + nu(x), nu(x) = lgamma(1 + x) - x log x + x - log(2 pi)/2 bounded on
    (0, 1]: the gap is (b/a - 1 - log(b/a))/2 plus the gap of nu, which is O(max(a, b)) and
    computed to absolute accuracy (instead of a difference of two values of mu near 372).
    """
    from scipy import special

    L = _log_ratio(b, a)
    half_phi = _weighted_phi(0.5, L, _quotient((b,), (a,), exponent=-1))

    def nu(x):
        return special.gammaln(1.0 + x) - x * np.log(x) + x - _HALF_LOG_2PI

    with np.errstate(over="ignore", invalid="ignore"):
        nu_gap = (nu(b) - nu(a)) - d * (special.digamma(1.0 + a) - np.log(a))
        return np.where(np.isinf(half_phi), np.inf, half_phi + nu_gap)


def _binet_tangent_gap(a, delta, b=None) -> np.ndarray:
    """``mu(b) - mu(a) - (b - a) mu'(a)`` >= 0 for Binet's (convex) function mu, ``b = a + delta``.

    Parameters
    ----------
    a : array_like
        Positive base points.
    delta : array_like
        ``b - a``, as accurately as the caller has it (exact when a and b are close).
    b : array_like, optional
        ``a + delta``, given where the caller has it more accurately than ``a + delta``
        (``b`` much smaller than ``a``).

    Returns
    -------
    numpy.ndarray
        The gap, a few ulps relative; inf where it exceeds the largest double.

    Notes
    -----
    ``mu(x) = lgamma(x) - (x - 1/2) log x + x - log(2 pi)/2``. Where ``|delta| <= a/2``, the
    integral ``delta**2 int_0^1 (1 - t) mu''(a + t delta) dt`` of a positive integrand, by
    Gauss-Legendre quadrature; elsewhere the definition, with mu and mu' from the recurrence
    ``mu(x) = mu(x + 1) + (x + 1/2) log(1 + 1/x) - 1`` and Stirling's series.
    """
    a, delta = np.broadcast_arrays(_as_float(a), _as_float(delta))
    b = a + delta if b is None else np.broadcast_to(_as_float(b), a.shape)
    near = np.abs(delta) <= 0.5 * a
    small = ~near & (np.maximum(a, b) <= 1.0)
    far = ~near & ~small
    gap = _on(near, _binet_gap_near, a, delta) + _on(small, _binet_gap_small, a, delta, b)
    gap = gap + _on(far, _binet_gap_far, a, delta, b)
    return np.maximum(gap, 0.0)


def _lgamma_tangent_gap(a, delta, b=None) -> np.ndarray:
    """``lgamma(b) - lgamma(a) - (b - a) digamma(a)`` >= 0 (lgamma is convex), ``b = a + delta``.

    Accurate to a few ulps relative for all a, b > 0 in the double range: tiny a (1e-300),
    huge a (1e300), nearly equal a and b (where the definition cancels completely).

    Parameters
    ----------
    a : array_like
        Positive base points.
    delta : array_like
        ``b - a``, as accurately as the caller has it.
    b : array_like, optional
        ``a + delta`` where the caller has it more accurately.

    Notes
    -----
    With ``lgamma(x) = (x log x - x) - log(x)/2 + log(2 pi)/2 + mu(x)`` (Binet's function mu),
    the gap is the sum of three non-negative gaps::

        b log(b/a) - (b - a)  +  (b/a - 1 - log(b/a)) / 2  +  mu-gap(a, b)

    each computed from ``L = log(b/a)`` without cancellation.

    Examples
    --------
    >>> import math
    >>> from kltools._numerics import _lgamma_tangent_gap
    >>> float(_lgamma_tangent_gap(1.0, 1.0))  # lgamma(2) - lgamma(1) + euler_gamma
    0.5772156649015329
    """
    a, delta = np.broadcast_arrays(_as_float(a), _as_float(delta))
    b = a + delta if b is None else np.broadcast_to(_as_float(b), a.shape)
    near = np.abs(delta) <= 0.5 * a
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(near, np.log1p(delta / np.where(near, a, 1.0)), _log_ratio(b, a))
    entropy_part = _weighted_chi(a, L, b)
    log_part = _weighted_phi(0.5, L, _quotient((b,), (a,), exponent=-1))
    return entropy_part + log_part + _binet_tangent_gap(a, delta, b)


def _gamma_shape_gap(a, delta, b=None) -> np.ndarray:
    """The gap of ``f(x) = lgamma(x) - x log x + x``: ``f(b) - f(a) - (b - a) f'(a)`` >= 0.

    ``= (b/a - 1 - log(b/a)) / 2 + mu-gap(a, b)``; the part of a gamma KL that depends on the
    shapes alone once the scales are matched.
    """
    a, delta = np.broadcast_arrays(_as_float(a), _as_float(delta))
    b = a + delta if b is None else np.broadcast_to(_as_float(b), a.shape)
    near = np.abs(delta) <= 0.5 * a
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(near, np.log1p(delta / np.where(near, a, 1.0)), _log_ratio(b, a))
    return _weighted_phi(0.5, L, _quotient((b,), (a,), exponent=-1)) + _binet_tangent_gap(a, delta, b)
