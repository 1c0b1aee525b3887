"""Log-densities computed from the parameters, per family, for continuous distributions.

SciPy computes some log-densities as ``log(pdf)``, which underflows to ``-inf`` far in a tail
although the density is positive there (Laplace, Cauchy at huge arguments, ...). An integrand or
a Monte Carlo term that reads that ``-inf`` as "q has no mass here" returns a wrong infinity.
The functions below work in log space from the parameters, so a ``-inf`` they return means that
the density is zero (outside the support) or that the log-density itself is below the smallest
double (about ``-1.8e308``).

Each entry of ``_STANDARD_LOG_DENSITIES`` takes the standardized variable ``z = (x - loc) / scale``,
``log|z|`` (computed separately, so that it stays finite where z over- or underflows) and the
shape parameters, and returns ``log f(z)``; :func:`log_density` adds ``-log(scale)``.
Families without an entry fall back to SciPy's ``logpdf`` (see :func:`log_density`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kltools._distributions.description import Description

_HALF_LOG_TWO_PI = 0.5 * np.log(2 * np.pi)
_LARGE = 1e150  # beyond this |z|, z**2 would overflow: use logarithms of |z| instead


def _log1p_square(z: np.ndarray, log_abs_z: np.ndarray) -> np.ndarray:
    """log(1 + z**2) without overflow for huge |z| (where z itself may have overflowed)."""
    a = np.abs(z)
    big = a > _LARGE
    safe = np.where(big, 1.0, a)
    return np.where(big, 2 * log_abs_z, np.log1p(safe * safe))


def _log_inside(z: np.ndarray, inside: np.ndarray, value: np.ndarray) -> np.ndarray:
    return np.where(inside, value, -np.inf)


def _safe_log(z: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(z)


def _norm(z, log_abs_z):
    a = np.abs(z)
    with np.errstate(over="ignore"):  # the log-density is below -1.8e308 there: -inf is its rounding
        return -0.5 * a * a - _HALF_LOG_TWO_PI


def _halfnorm(z, log_abs_z):
    return _log_inside(z, z >= 0, _norm(z, log_abs_z) + np.log(2.0))


def _laplace(z, log_abs_z):
    return -np.abs(z) - np.log(2.0)


def _cauchy(z, log_abs_z):
    return -np.log(np.pi) - _log1p_square(z, log_abs_z)


def _half_log_gamma_ratio(x):
    """lgamma(x + 1/2) - lgamma(x) - log(x)/2, which is O(1/x): without cancellation for large x.

    From lgamma(z) = stirlerr(z) + log(2 pi)/2 + (z - 1/2) log z - z (Loader), the difference is
    stirlerr(x + 1/2) - stirlerr(x) - x (u - log1p(u)) with u = 1/(2x).
    """
    from scipy import special

    from kltools._distributions.log_masses import _SERIES_FROM, _stirlerr
    from kltools._numerics import _x_minus_log1p

    large = x >= _SERIES_FROM
    xl = np.where(large, x, _SERIES_FROM)
    stirling = _stirlerr(xl + 0.5) - _stirlerr(xl) - xl * _x_minus_log1p(0.5 / xl)
    xs = np.where(large, 1.0, x)
    direct = special.gammaln(xs + 0.5) - special.gammaln(xs) - 0.5 * np.log(xs)
    return np.where(large, stirling, direct)


def _t(z, log_abs_z, df):
    # lgamma((df + 1)/2) - lgamma(df/2) - log(df pi)/2: for df = 1e8 the two lgammas are 8e8 and
    # their difference would carry an error of 1e-7; written without them it is exact to rounding.
    const = _half_log_gamma_ratio(df / 2) - _HALF_LOG_TWO_PI
    scaled = z / np.sqrt(df)
    return const - (df + 1) / 2 * _log1p_square(scaled, log_abs_z - 0.5 * np.log(df))


def _logistic(z, log_abs_z):
    a = np.abs(z)
    return -a - 2 * np.log1p(np.exp(-a))


def _expon(z, log_abs_z):
    return _log_inside(z, z >= 0, -z)


def _gamma(z, log_abs_z, a):
    from scipy import special

    with np.errstate(divide="ignore", invalid="ignore"):
        # (a - 1) log z is 0 for a = 1 even at z = 0
        power = np.where(a == 1, 0.0, (a - 1) * log_abs_z)
    return _log_inside(z, z >= 0, power - z - special.gammaln(a))


def _chi2(z, log_abs_z, df):
    return _gamma(z / 2, log_abs_z - np.log(2.0), df / 2) - np.log(2.0)


def _invgamma(z, log_abs_z, a):
    from scipy import special

    positive = z > 0
    zz = np.where(positive, z, 1.0)
    with np.errstate(over="ignore"):  # 1/z beyond the double range: the log-density is -inf
        return _log_inside(z, positive, -(a + 1) * log_abs_z - 1 / zz - special.gammaln(a))


def _beta(z, log_abs_z, a, b):
    from scipy import special

    inside = (z >= 0) & (z <= 1)
    zz = np.clip(z, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(a == 1, 0.0, (a - 1) * log_abs_z)
        right = np.where(b == 1, 0.0, (b - 1) * np.log1p(-zz))
    return _log_inside(z, inside, left + right - special.betaln(a, b))


def _lognorm(z, log_abs_z, s):
    positive = z > 0
    log_z = np.where(positive, log_abs_z, 0.0)
    with np.errstate(over="ignore"):
        value = -log_z - np.log(s) - _HALF_LOG_TWO_PI - 0.5 * (log_z / s) ** 2
    return _log_inside(z, positive, value)


def _uniform(z, log_abs_z):
    return _log_inside(z, (z >= 0) & (z <= 1), np.zeros_like(z))


def _pareto(z, log_abs_z, b):
    ok = z >= 1
    return _log_inside(z, ok, np.log(b) - (b + 1) * np.where(ok, log_abs_z, 0.0))


def _lomax(z, log_abs_z, c):
    ok = z >= 0
    big = z > _LARGE
    log1p_z = np.where(big, log_abs_z, np.log1p(np.where(ok & ~big, z, 0.0)))
    return _log_inside(z, ok, np.log(c) - (c + 1) * log1p_z)


def _levy(z, log_abs_z):
    positive = z > 0
    zz = np.where(positive, z, 1.0)
    with np.errstate(over="ignore"):  # 1/z beyond the double range: the log-density is -inf
        return _log_inside(z, positive, -_HALF_LOG_TWO_PI - 1.5 * log_abs_z - 0.5 / zz)


def _weibull_min(z, log_abs_z, c):
    ok = z >= 0
    log_z = log_abs_z
    with np.errstate(over="ignore", invalid="ignore"):
        power = np.where(c == 1, 0.0, (c - 1) * log_z)
        value = np.log(c) + power - np.exp(c * log_z)
    return _log_inside(z, ok, value)


def _gumbel_r(z, log_abs_z):
    with np.errstate(over="ignore"):
        return -z - np.exp(-z)


_STANDARD_LOG_DENSITIES: dict[str, Callable[..., np.ndarray]] = {
    "norm": _norm,
    "halfnorm": _halfnorm,
    "laplace": _laplace,
    "cauchy": _cauchy,
    "t": _t,
    "logistic": _logistic,
    "expon": _expon,
    "gamma": _gamma,
    "chi2": _chi2,
    "invgamma": _invgamma,
    "beta": _beta,
    "lognorm": _lognorm,
    "uniform": _uniform,
    "pareto": _pareto,
    "lomax": _lomax,
    "levy": _levy,
    "weibull_min": _weibull_min,
    "gumbel_r": _gumbel_r,
}


def has_own_log_density(dist: Description) -> bool:
    """Whether `dist`'s log-density is computed from its parameters (never a false -inf)."""
    if dist.family == "mixture":
        return all(has_own_log_density(c) for c in dist.source.components)
    return dist.family in _STANDARD_LOG_DENSITIES or dist.family == "histogram"


def has_standard_form(dist: Description) -> bool:
    """Whether `dist` is a loc-scale family with an own standardized log-density."""
    return dist.family in _STANDARD_LOG_DENSITIES and dist.kind == "continuous"


def _mixture_log_density(dist: Description, x: np.ndarray) -> np.ndarray:
    from scipy.special import logsumexp

    with np.errstate(divide="ignore"):
        log_weights = np.log(dist.params["weights"])
    parts = np.stack([w + log_density(c, x) for w, c in zip(log_weights, dist.source.components)])
    return logsumexp(parts, axis=0)


def _standardize(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z = (x - loc) / scale and log|z|, the latter finite even where z over- or underflows.

    Polynomial tails (Cauchy, t, Pareto, ...) need log|z|, which stays in range when z does not:
    a Cauchy of scale 1e-195 evaluated at 1e129 has z = 1e324 but log|z| = 746.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        half_difference = x * 0.5 - loc * 0.5  # never overflows
        z = (x - loc) / scale
        rescued = half_difference / scale * 2.0  # finite wherever z's true value is
        z = np.where(np.isfinite(z) | ~np.isfinite(rescued), z, rescued)
        direct = np.log(np.abs(z))  # one rounding, where z is a normal double
        rescued_log = np.log(np.abs(half_difference)) + np.log(2.0) - np.log(scale)
        normal = np.isfinite(z) & (np.abs(z) >= np.finfo(np.float64).tiny)
    return z, np.where(normal, direct, rescued_log)


def _histogram_log_density(dist: Description, x: np.ndarray) -> np.ndarray:
    edges, pk = dist.params["edges"], dist.params["pk"]
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(pk) - 1)
    inside = (x >= edges[0]) & (x <= edges[-1])
    with np.errstate(divide="ignore"):
        log_heights = np.log(pk) - np.log(np.diff(edges))
    return np.where(inside, log_heights[index], -np.inf)


def _log_lower_quantile_gamma(log_v, a):
    from scipy import special

    # P(a, z) = z^a / Gamma(a + 1) (1 + O(z)): exact to rounding once z < 1e-290
    return (log_v + special.gammaln(a + 1)) / a


def _log_lower_quantile_beta(log_v, a, b):
    from scipy import special

    # I_z(a, b) = z^a / (a B(a, b)) (1 + O(z))
    return (log_v + np.log(a) + special.betaln(a, b)) / a


def _log_lower_quantile_weibull(log_v, c):
    # F(z) = 1 - exp(-z^c) exactly: z^c = -log1p(-v) = v (1 + O(v))
    return log_v / c


#: log z(v) for tiny v, for families whose lower quantile underflows to 0 (singular ends).
LOG_LOWER_QUANTILES: dict[str, Callable[..., np.ndarray]] = {
    "gamma": _log_lower_quantile_gamma,
    "chi2": lambda log_v, df: _log_lower_quantile_gamma(log_v, df / 2) + np.log(2.0),
    "beta": _log_lower_quantile_beta,
    "weibull_min": _log_lower_quantile_weibull,
}


def standard_log_density(
    dist: Description, z: np.ndarray, *, mirrored: bool = False, log_abs_z: np.ndarray | None = None
) -> np.ndarray:
    """log p(x) at x = loc + scale * z, or at x = loc + scale * (1 - z) when `mirrored`.

    Computing from z rather than x keeps the distance to an end of the support exact: near
    ``loc`` (or, mirrored, near ``loc + scale``) x itself would round to the end point. Only
    for families with an own log-density; mirroring only for those in ``MIRRORED_SHAPES``.
    """
    params = dist.params
    shapes = [value for key, value in params.items() if key not in ("loc", "scale")]
    if mirrored:
        shapes = MIRRORED_SHAPES[dist.family](*shapes)
    if log_abs_z is None:
        log_abs_z = _safe_log(np.abs(z))
    return _STANDARD_LOG_DENSITIES[dist.family](z, log_abs_z, *shapes) - np.log(params["scale"])


#: Families on a bounded standard support [0, 1] whose mirror image 1 - z is the same family
#: with its shape parameters rearranged (beta(a, b) mirrored is beta(b, a)).
MIRRORED_SHAPES: dict[str, Callable[..., list[np.ndarray]]] = {
    "beta": lambda a, b: [b, a],
    "uniform": lambda: [],
}


def _log_mass(dist: Description, x: np.ndarray) -> np.ndarray:
    """log of a probability mass function at x (-inf off the support points)."""
    if dist.family == "sample":
        xk, pk = dist.params["xk"], dist.params["pk"]
        index = np.clip(np.searchsorted(xk, x), 0, len(xk) - 1)
        with np.errstate(divide="ignore"):
            return np.where(xk[index] == x, np.log(pk[index]), -np.inf)
    from kltools._distributions import log_masses

    if dist.family in log_masses.OWNED and dist.batch_shape == ():
        # from the parameters: SciPy's logpmf underflows or cancels in some families' tails
        k = x - dist.params["loc"]
        on_lattice = np.isfinite(k) & (k == np.floor(k))
        values = log_masses.log_pmf(dist.family, dist.params, np.where(on_lattice, k, 0.0))
        return np.where(on_lattice, values, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return np.asarray(dist.source.logpmf(x), dtype=np.float64)


def log_density(dist: Description, x: np.ndarray) -> np.ndarray:
    """log p(x) (a density, or a mass for a discrete description) at an array of points.

    Parameters broadcast against `x`, so a batch of distributions works with x of shape
    (n, *batch_shape).
    """
    x = np.asarray(x, dtype=np.float64)
    if dist.family == "mixture":
        return _mixture_log_density(dist, x)
    if dist.kind == "discrete":
        return _log_mass(dist, x)
    if dist.family == "histogram":
        return _histogram_log_density(dist, x)
    standard = _STANDARD_LOG_DENSITIES.get(dist.family)
    if standard is None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            return np.asarray(dist.source.logpdf(x), dtype=np.float64)
    params = dist.params
    shapes = [value for key, value in params.items() if key not in ("loc", "scale")]
    z, log_abs_z = _standardize(x, params["loc"], params["scale"])
    return standard(z, log_abs_z, *shapes) - np.log(params["scale"])


def multivariate_log_density(dist: Description, x: np.ndarray) -> np.ndarray:
    """log p(x) for a multivariate description at points x of shape (n, d)."""
    if dist.family == "dirichlet":
        from scipy import special

        alpha = dist.params["alpha"]
        log_normalizer = special.gammaln(alpha).sum() - special.gammaln(alpha.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            # (alpha - 1) log x is 0 for alpha = 1 even where x = 0
            terms = np.where(alpha == 1, 0.0, (alpha - 1) * np.log(x))
        return terms.sum(axis=-1) - log_normalizer
    evaluate = dist.source.logpmf if dist.family == "multinomial" else dist.source.logpdf
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return np.asarray(evaluate(x), dtype=np.float64)
