"""Functions that stay accurate where the obvious formula cancels to nothing.

Closed-form KL divergences between nearly equal distributions are differences of nearly equal
numbers (log r against r - 1, lgamma against its tangent, ...). Each helper below returns such a
difference directly: by its Taylor series near the point of cancellation and by the plain formula
elsewhere, where the plain formula is accurate.
"""

from __future__ import annotations

import math

import numpy as np

# Below this |u| the Taylor series is used; _TERMS terms leave a relative truncation error under
# 0.1 ** _TERMS, far below double precision.
_SERIES_LIMIT = 0.1
_TERMS = 24


def _series_or_direct(u: np.ndarray, coefficients: np.ndarray, direct) -> np.ndarray:
    u = np.asarray(u, dtype=np.float64)
    small = np.abs(u) < _SERIES_LIMIT
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        plain = direct(u)
    series = np.polynomial.polynomial.polyval(np.where(small, u, 0.0), coefficients)
    return np.where(small, series, plain)


_k = np.arange(_TERMS + 1, dtype=np.float64)
with np.errstate(divide="ignore"):
    # u - log1p(u) = sum_{k>=2} (-1)^k u^k / k
    _X_MINUS_LOG1P = np.where(_k >= 2, (-1.0) ** _k / _k, 0.0)
    # (1 + u) log1p(u) - u = sum_{k>=2} (-1)^k u^k / (k (k - 1))
    _ONE_PLUS_X_LOG1P_MINUS_X = np.where(_k >= 2, (-1.0) ** _k / (_k * (_k - 1)), 0.0)
# exp(-x) - 1 + x = sum_{k>=2} (-x)^k / k!
_EXPM1_NEG_PLUS_X = np.array(
    [0.0 if k < 2 else (-1.0) ** k / math.factorial(k) for k in range(_TERMS + 1)]
)


def _x_minus_log1p(u):
    """u - log(1 + u) >= 0 for u > -1, accurate for small u (where it is about u**2 / 2)."""
    return _series_or_direct(u, _X_MINUS_LOG1P, lambda v: v - np.log1p(v))


def _one_plus_x_log1p_minus_x(u):
    """(1 + u) log(1 + u) - u >= 0 for u >= -1, accurate for small u (about u**2 / 2)."""
    return _series_or_direct(
        u, _ONE_PLUS_X_LOG1P_MINUS_X, lambda v: np.where(v == -1.0, 1.0, (1 + v) * np.log1p(v) - v)
    )


def _expm1_neg_plus_x(x):
    """exp(-x) - 1 + x >= 0, accurate for small x (about x**2 / 2)."""
    return _series_or_direct(x, _EXPM1_NEG_PLUS_X, lambda v: np.expm1(-v) + v)


def _relative_entropy_term(p, q):
    """p log(p / q) - p + q >= 0 for p, q > 0, written as q * g((p - q) / q).

    Accurate to a few ulps relative even when p and q agree to many digits, where
    p log(p / q) alone loses every digit.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    return q * _one_plus_x_log1p_minus_x((p - q) / q)


def _lgamma_tangent_gap(a, delta):
    """lgamma(a + delta) - lgamma(a) - delta * digamma(a) >= 0 (lgamma is convex).

    For |delta| small against a the Taylor series sum_{k>=2} polygamma(k-1, a) delta^k / k! is
    used; it converges for |delta| < a and needs no cancellation.
    """
    from scipy import special

    a, delta = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(delta, dtype=np.float64))
    small = np.abs(delta) < _SERIES_LIMIT * a
    k = np.arange(2, _TERMS + 1)
    a_small = np.where(small, a, 1.0)[..., np.newaxis]
    d_small = np.where(small, delta, 0.0)[..., np.newaxis]
    log_factorial = special.gammaln(k + 1.0)
    # polygamma(k-1, a) alternates in sign like (-1)^k; work with magnitudes in log space
    # so that large k neither overflows nor underflows.
    terms = special.polygamma(k - 1, a_small) * np.exp(
        k * np.log(np.abs(d_small) + (d_small == 0)) - log_factorial
    ) * np.sign(d_small) ** k
    series = terms.sum(axis=-1)
    direct = special.gammaln(a + delta) - special.gammaln(a) - delta * special.digamma(a)
    return np.where(small, series, direct)
