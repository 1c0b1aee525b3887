"""KL divergence and entropy of frozen scipy.stats distributions.

Closed forms where both distributions belong to the same family; numerical summation or
integration over the support of p for any other pair of one-dimensional distributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from kltools._numerics import (
    _expm1_neg_plus_x,
    _lgamma_tangent_gap,
    _one_plus_x_log1p_minus_x,
    _relative_entropy_term,
    _x_minus_log1p,
)
from kltools._validation import _frozen_kind

#: Relative accuracy asked of numerical integration and summation (the promise is 1e-6).
_NUMERIC_RTOL = 1e-9
#: Probability left out in each unbounded tail when summing a discrete distribution.
_TAIL_MASS = 1e-18
#: Largest number of support points summed for a discrete pair.
_MAX_SUPPORT_POINTS = 5_000_000


# -------------------------------------------------------------------------------------------
# Parameters


def _parameters(dist: Any, name: str) -> tuple[tuple[float, ...], float, float]:
    """Shape parameters, loc and scale of a frozen univariate distribution, as floats."""
    shapes, loc, scale = dist.dist._parse_args(*dist.args, **dist.kwds)
    values = (*shapes, loc, scale)
    if any(np.ndim(v) != 0 for v in values):
        raise ValueError(f"{name} must have scalar parameters, got a batch of distributions")
    if not dist.dist._argcheck(*shapes) or not scale > 0:
        raise ValueError(f"{name} has invalid parameters {dist.args} {dist.kwds}")
    return tuple(float(s) for s in shapes), float(loc), float(scale)


def _bernoulli_kl(a: float, b: float) -> float:
    """KL(Bernoulli(a) || Bernoulli(b)) as two non-negative relative-entropy terms."""
    if (b == 0.0 and a > 0.0) or (b == 1.0 and a < 1.0):
        return math.inf
    # Written with (a - b) and (b - a) so that the -p + q parts of the two terms cancel exactly.
    total = 0.0
    if b > 0.0:
        total += b * float(_one_plus_x_log1p_minus_x((a - b) / b))
    if b < 1.0:
        total += (1.0 - b) * float(_one_plus_x_log1p_minus_x((b - a) / (1.0 - b)))
    return total


# -------------------------------------------------------------------------------------------
# Closed forms. Each takes the two frozen distributions and returns the divergence, or None
# when the parameters fall outside what the formula covers (then the numeric route is used).


def _kl_norm(p, q):
    (_, m1, s1), (_, m2, s2) = _parameters(p, "p"), _parameters(q, "q")
    u = (s1 - s2) * (s1 + s2) / s2**2  # (s1/s2)^2 - 1 without cancellation
    return 0.5 * float(_x_minus_log1p(u)) + 0.5 * ((m1 - m2) / s2) ** 2


def _kl_laplace(p, q):
    (_, m1, b1), (_, m2, b2) = _parameters(p, "p"), _parameters(q, "q")
    t = (b1 - b2) / b2
    return float(_x_minus_log1p(t)) + (b1 / b2) * float(_expm1_neg_plus_x(abs(m1 - m2) / b1))


def _kl_uniform(p, q):
    (_, a1, w1), (_, a2, w2) = _parameters(p, "p"), _parameters(q, "q")
    if a1 < a2 or a1 + w1 > a2 + w2:
        return math.inf
    return math.log1p((w2 - w1) / w1)


def _kl_expon(p, q):
    (_, l1, s1), (_, l2, s2) = _parameters(p, "p"), _parameters(q, "q")
    if l1 < l2:
        return math.inf
    return float(_x_minus_log1p((s1 - s2) / s2)) + (l1 - l2) / s2


def _kl_gamma(p, q):
    ((a1,), l1, s1), ((a2,), l2, s2) = _parameters(p, "p"), _parameters(q, "q")
    if l1 != l2:
        return None
    t = (s1 - s2) / s2
    shape_part = float(_lgamma_tangent_gap(a1, a2 - a1))
    return shape_part + a2 * float(_x_minus_log1p(t)) + (a1 - a2) * t


def _kl_beta(p, q):
    ((a1, b1), l1, s1), ((a2, b2), l2, s2) = _parameters(p, "p"), _parameters(q, "q")
    if (l1, s1) != (l2, s2):
        return None
    gap = _lgamma_tangent_gap
    return float(gap(a1, a2 - a1) + gap(b1, b2 - b1) - gap(a1 + b1, (a2 + b2) - (a1 + b1)))


def _kl_bernoulli(p, q):
    ((a,), l1, _), ((b,), l2, _) = _parameters(p, "p"), _parameters(q, "q")
    return _bernoulli_kl(a, b) if l1 == l2 else None


def _kl_binom(p, q):
    ((n1, a), l1, _), ((n2, b), l2, _) = _parameters(p, "p"), _parameters(q, "q")
    return n1 * _bernoulli_kl(a, b) if (n1, l1) == (n2, l2) else None


def _kl_geom(p, q):
    ((a,), l1, _), ((b,), l2, _) = _parameters(p, "p"), _parameters(q, "q")
    return _bernoulli_kl(a, b) / a if l1 == l2 else None


def _kl_poisson(p, q):
    ((mu1,), l1, _), ((mu2,), l2, _) = _parameters(p, "p"), _parameters(q, "q")
    if l1 != l2:
        return None
    if mu2 == 0.0:
        return math.inf if mu1 > 0.0 else 0.0
    return float(_relative_entropy_term(mu1, mu2))


def _kl_multivariate_normal(p, q):
    from scipy.linalg import solve_triangular

    if p.dim != q.dim:
        raise ValueError(f"p and q have different dimensions: {p.dim} and {q.dim}")
    chol_p = _cholesky(p.cov, "p")
    chol_q = _cholesky(q.cov, "q")
    # M = L_q^{-1} L_p: tr(S_q^{-1} S_p) = |M|_F^2 and log det S_q - log det S_p = -2 sum log M_ii.
    m = solve_triangular(chol_q, chol_p, lower=True)
    z = solve_triangular(chol_q, p.mean - q.mean, lower=True)
    diagonal = np.diag(m)
    off_diagonal = np.sum(m**2) - np.sum(diagonal**2)
    # Per coordinate, M_ii^2 - 1 - log M_ii^2 >= 0; written so it keeps relative accuracy.
    scale_part = np.sum(_x_minus_log1p((diagonal - 1.0) * (diagonal + 1.0)))
    return 0.5 * float(off_diagonal + scale_part + z @ z)


def _cholesky(cov: np.ndarray, name: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"the covariance of {name} is singular; KL is not defined") from None


def _kl_dirichlet(p, q):
    alpha, beta = np.asarray(p.alpha, dtype=float), np.asarray(q.alpha, dtype=float)
    if alpha.shape != beta.shape:
        raise ValueError(f"p and q have different dimensions: {alpha.size} and {beta.size}")
    gap = _lgamma_tangent_gap
    return float(np.sum(gap(alpha, beta - alpha)) - gap(alpha.sum(), beta.sum() - alpha.sum()))


_CLOSED_FORMS: dict[str, Callable[[Any, Any], float | None]] = {
    "norm": _kl_norm,
    "laplace": _kl_laplace,
    "uniform": _kl_uniform,
    "expon": _kl_expon,
    "gamma": _kl_gamma,
    "beta": _kl_beta,
    "bernoulli": _kl_bernoulli,
    "binom": _kl_binom,
    "geom": _kl_geom,
    "poisson": _kl_poisson,
    "multivariate_normal": _kl_multivariate_normal,
    "dirichlet": _kl_dirichlet,
}


def _family(dist: Any) -> str:
    if hasattr(dist, "dist") and hasattr(dist.dist, "name"):
        return dist.dist.name
    return type(dist).__name__.removesuffix("_frozen")


# -------------------------------------------------------------------------------------------
# Numerical routes for any other pair of univariate distributions


def _support_contained(p, q) -> bool:
    (p_low, p_high), (q_low, q_high) = p.support(), q.support()
    return q_low <= p_low and p_high <= q_high


def _kl_numeric_continuous(p, q) -> float:
    from scipy import integrate

    if not _support_contained(p, q):
        return math.inf

    def integrand(x: float) -> float:
        log_p = p.logpdf(x)
        density = math.exp(log_p)
        # Where p's density underflows the term is 0, even if SciPy's logpdf of q underflows
        # to -inf there too (some families compute logpdf as log(pdf)).
        return 0.0 if density == 0.0 else density * (log_p - q.logpdf(x))

    low, high = p.support()
    # Break the line at quantiles of p so that quad sees each part of the mass.
    inner = p.ppf([1e-10, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-10])
    edges = np.unique(np.concatenate([[low], inner[np.isfinite(inner)], [high]]))
    pieces, errors = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        value, error, *_ = integrate.quad(
            integrand, a, b, epsabs=0.0, epsrel=_NUMERIC_RTOL, limit=200, full_output=1
        )
        pieces.append(value)
        errors.append(error)
    total = math.fsum(pieces)
    if not math.isfinite(total) or sum(errors) > 1e-6 * abs(total) + 1e-15:
        raise ArithmeticError(
            f"numerical integration of KL({_family(p)} || {_family(q)}) did not converge to "
            f"1e-6 relative accuracy (estimate {total:.6g}, error bound {sum(errors):.2g})"
        )
    return max(total, 0.0)


def _tail_end(dist, start: float, direction: int) -> float:
    """First support point beyond which `dist` has at most _TAIL_MASS probability.

    Searches by doubling the distance from `start` (SciPy's own ppf/isf return NaN or run for a
    very long time this far into some tails), and gives up past _MAX_SUPPORT_POINTS.
    """
    tail = dist.sf if direction > 0 else dist.cdf
    step = 16.0
    while step <= _MAX_SUPPORT_POINTS:
        end = start + direction * step
        if tail(end if direction > 0 else end - 1) <= _TAIL_MASS:
            return end
        step *= 2
    raise ValueError(
        f"the support of p is too wide to sum (more than {_MAX_SUPPORT_POINTS:,} points hold "
        f"more than {_TAIL_MASS:g} of its probability); no closed form is known for this pair"
    )


def _kl_numeric_discrete(p, q) -> float:
    if not _support_contained(p, q):
        return math.inf
    low, high = p.support()
    middle = float(p.median())
    if not np.isfinite(low):
        low = _tail_end(p, middle, -1)
    if not np.isfinite(high):
        high = _tail_end(p, middle, +1)
    if high - low + 1 > _MAX_SUPPORT_POINTS:
        raise ValueError(f"the support of p is too wide to sum ({high - low + 1:.3g} points)")
    k = np.arange(low, high + 1)
    log_p = p.logpmf(k)
    log_q = q.logpmf(k)
    mass = log_p > -np.inf
    if np.any(mass & (log_q == -np.inf)):
        return math.inf
    terms = np.exp(log_p[mass]) * (log_p[mass] - log_q[mass])
    return max(math.fsum(terms), 0.0)


# -------------------------------------------------------------------------------------------
# Public functions


def kl(p: Any, q: Any) -> float:
    r"""KL divergence :math:`D_{\mathrm{KL}}(p \,\|\, q)` between two frozen scipy.stats distributions.

    Parameters
    ----------
    p : frozen scipy.stats distribution
        The reference distribution, e.g. ``scipy.stats.norm(0, 1)``. Discrete, continuous or
        (for the multivariate normal and Dirichlet families) multivariate.
    q : frozen scipy.stats distribution
        The approximating distribution, of the same kind as `p`.

    Returns
    -------
    float
        The divergence in nats, >= 0; ``inf`` when `p` puts probability where `q` has none
        (for example ``uniform(0, 2)`` against ``uniform(0, 1)``).

    Raises
    ------
    TypeError
        If `p` or `q` is not a frozen scipy.stats distribution.
    ValueError
        If one is discrete and the other continuous; if their dimensions differ; if a
        multivariate pair has no closed form; if a covariance is singular; if a parameter is a
        batch rather than a scalar.
    ArithmeticError
        If numerical integration cannot reach the promised accuracy.

    See Also
    --------
    kl_divergence : the same for probability vectors.
    entropy_of, kl_monte_carlo

    Notes
    -----
    .. math::

        D_{\mathrm{KL}}(p \,\|\, q) = \int p(x) \log \frac{p(x)}{q(x)} \, dx
        \quad\text{or}\quad \sum_x p(x) \log \frac{p(x)}{q(x)} .

    **Closed forms** are used when both distributions are of the same family: ``norm``,
    ``multivariate_normal``, ``laplace``, ``uniform``, ``expon``, ``gamma``, ``beta``,
    ``bernoulli``, ``binom`` (same ``n``), ``geom``, ``poisson`` and ``dirichlet``, with SciPy's
    ``loc`` and ``scale`` taken into account (a loc/scale pair outside what a formula covers
    falls back to the numerical route). They are evaluated so that nearly equal distributions
    keep their relative accuracy: for two normals, for instance,

    .. math::

        D_{\mathrm{KL}} = \tfrac12\left(u - \log(1 + u)\right)
        + \frac{(\mu_1 - \mu_2)^2}{2\sigma_2^2}, \qquad u = \frac{\sigma_1^2}{\sigma_2^2} - 1 ,

    with :math:`u - \log(1 + u)` computed by its Taylor series for small :math:`u`, so that
    ``kl(norm(0, 1), norm(0, 1 + 1e-9))`` is about ``1e-18`` rather than 0. Multivariate
    normals use Cholesky factors and triangular solves, never an explicit inverse or
    determinant.

    **Any other pair** of one-dimensional distributions is summed (discrete, over the support
    of `p`, leaving out at most ``1e-18`` of probability in each unbounded tail) or integrated
    with adaptive quadrature (continuous, over the support of `p`, split at quantiles of `p`),
    to a relative accuracy of ``1e-6`` or better.

    References
    ----------
    .. [1] S. Kullback and R. A. Leibler, "On Information and Sufficiency", Annals of
       Mathematical Statistics 22(1), 79-86, 1951.
    .. [2] M. Gil, F. Alajaji and T. Linder, "Rényi divergence measures for commonly used
       univariate continuous distributions", Information Sciences 249, 124-131, 2013.

    Examples
    --------
    >>> from scipy import stats
    >>> import kltools
    >>> kltools.kl(stats.norm(0, 1), stats.norm(1, 1))
    0.5
    >>> kltools.kl(stats.norm(0, 1), stats.norm(1e-8, 1))  # doctest: +ELLIPSIS
    5.0...e-17
    >>> kltools.kl(stats.uniform(0, 2), stats.uniform(0, 1))
    inf
    >>> kltools.kl(stats.uniform(0, 1), stats.uniform(0, 2))  # doctest: +ELLIPSIS
    0.6931...

    A pair with no closed form is integrated numerically:

    >>> round(kltools.kl(stats.t(df=5), stats.norm(0, 1)), 6)
    0.124769
    """
    p_kind, q_kind = _frozen_kind(p, "p"), _frozen_kind(q, "q")
    if p_kind != q_kind and "multivariate" not in (p_kind, q_kind):
        raise ValueError(f"cannot compare a {p_kind} p with a {q_kind} q")
    family = _family(p)
    if family == _family(q) and family in _CLOSED_FORMS:
        value = _CLOSED_FORMS[family](p, q)
        if value is not None:
            return value
    if "multivariate" in (p_kind, q_kind):
        if p_kind != q_kind:
            raise ValueError(f"p is {p_kind} and q is {q_kind}: their dimensions differ")
        raise ValueError(
            f"no closed form for KL({family} || {_family(q)}); multivariate pairs are supported "
            "for multivariate_normal and dirichlet (use kl_monte_carlo otherwise)"
        )
    for dist, name in ((p, "p"), (q, "q")):
        _parameters(dist, name)  # refuses batches of parameters before any numerical work
    if p_kind == "discrete":
        return _kl_numeric_discrete(p, q)
    return _kl_numeric_continuous(p, q)


def entropy_of(dist: Any) -> float:
    r"""Entropy of a frozen scipy.stats distribution, in nats.

    Parameters
    ----------
    dist : frozen scipy.stats distribution
        For example ``scipy.stats.norm(0, 2)`` or ``scipy.stats.poisson(3)``.

    Returns
    -------
    float
        The Shannon entropy (discrete) or differential entropy (continuous) in nats. A
        differential entropy can be negative.

    Raises
    ------
    TypeError
        If `dist` is not a frozen scipy.stats distribution.
    ValueError
        If `dist` has a batch of parameters rather than scalars.

    See Also
    --------
    entropy : the same for probability vectors.
    kl

    Notes
    -----
    .. math::

        H(p) = -\sum_x p(x) \log p(x) \quad\text{or}\quad h(p) = -\int p(x) \log p(x)\, dx .

    SciPy's closed form is used where the family has one (the normal, gamma, beta, Poisson, ...
    families, and the multivariate normal and Dirichlet); otherwise SciPy sums or integrates
    numerically. Unlike entropy, differential entropy depends on the units of :math:`x`:
    ``entropy_of(norm(0, 2)) - entropy_of(norm(0, 1))`` is :math:`\log 2`.

    Examples
    --------
    >>> import math
    >>> from scipy import stats
    >>> import kltools
    >>> kltools.entropy_of(stats.bernoulli(0.5)) == math.log(2)
    True
    >>> round(kltools.entropy_of(stats.norm(0, 1)), 6)  # 0.5 * log(2 pi e)
    1.418939
    """
    if _frozen_kind(dist, "dist") != "multivariate":
        _parameters(dist, "dist")
    return float(dist.entropy())
